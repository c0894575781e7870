"""The execution seam of every multi-run command: a ``concurrent.futures.Executor``.

``executor(jobs)`` gives loky's reusable process pool (local, the default) or, with
``jobs=1``, an in-process executor; the Dask cluster mode plugs in here too. Commands only
call ``submit`` and ``as_completed`` through :func:`run_all`, so they never know which
executor they got. Failures come back as values, never abort the batch.
"""

from __future__ import annotations

import os
import signal
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from typing import Any

# One BLAS thread per worker: the matrices are tiny, and two threads per process on two
# cores only fight each other.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class InlineExecutor(Executor):
    """Runs each task at submission, in this process (``--jobs 1``; easiest to debug)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def default_jobs() -> int:
    return os.cpu_count() or 1


def executor(jobs: int | None = None) -> Executor:
    """A local executor with ``jobs`` workers (default: every core)."""
    jobs = jobs or default_jobs()
    if jobs == 1:
        return InlineExecutor()
    from joblib.externals.loky import get_reusable_executor

    pool = get_reusable_executor(max_workers=jobs, env=WORKER_ENV, timeout=60)
    _shutdown_on_sigterm(pool)
    return pool


def _shutdown_on_sigterm(pool) -> None:
    """loky workers outlive a parent killed by SIGTERM: take them down with us."""
    def handler(signum, frame):
        pool.shutdown(wait=False, kill_workers=True)
        raise SystemExit(128 + signum)

    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not in the main thread
        pass


@dataclass(frozen=True)
class Failure:
    """A task that raised: its exception as text (kept, reported, never fatal to the batch)."""

    error: str
    detail: str


def run_all(fn: Callable[[Any], Any], items: Iterable[Any], pool: Executor,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """``fn(item)`` for every item through ``pool``; results in input order, failures as :class:`Failure`.

    ``on_result(index, result)`` is called as each task finishes (in completion order).
    """
    items = list(items)
    futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
    results: list[Any] = [None] * len(items)
    for future in as_completed(futures):
        i = futures[future]
        try:
            results[i] = future.result()
        except Exception as exc:  # noqa: BLE001 - one bad task must not take the others down
            results[i] = Failure(f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc)))
        if on_result is not None:
            on_result(i, results[i])
    return results
