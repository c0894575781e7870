"""The execution seam of every multi-run command: a ``concurrent.futures.Executor``.

``executor(jobs)`` gives this machine's process pool (the default: :mod:`dnncli.local_pool`),
an in-process executor (``jobs=1``) or a Dask cluster's (``scheduler``: :mod:`dnncli.cluster`).
Commands only call ``submit`` and ``as_completed`` through :func:`run_all`, so they never
know which executor they got. Failures come back as values, never abort the batch.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from typing import Any

from dnncli import local_pool
from dnncli.cluster import DaskExecutor, check_scheduler_address, tune_malloc  # noqa: F401 - importable here, as before
from dnncli.local_pool import sigint_blocked


class InlineExecutor(Executor):
    """Runs each task at submission, in this process (``--jobs 1``; easiest to debug)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future


def is_local_pool(pool: Executor | None) -> bool:
    """True for this machine's worker processes (they share its files); False inline or on a cluster."""
    return pool is not None and not isinstance(pool, InlineExecutor | DaskExecutor)


def workers(pool: Executor | None) -> int:
    """How many tasks ``pool`` runs at once: 1 in process, the pool's size, a cluster's threads."""
    if pool is None or isinstance(pool, InlineExecutor):
        return 1
    if isinstance(pool, DaskExecutor):
        try:
            return max(1, sum(pool.client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a detail for planning, never worth failing the command
            return default_jobs()
    return getattr(pool, "_max_workers", None) or default_jobs()


def default_jobs() -> int:
    """The cores this process may use (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def capped_jobs(jobs: int | None, n_tasks: int | None = None) -> tuple[int, str | None]:
    """How many local worker processes to start for ``n_tasks`` tasks, and a note when ``--jobs`` was cut.

    ``jobs`` (default: every core) is capped at the cores, since a process pool on C cores
    gives at most C times the speed, and at the number of tasks, since an idle worker costs
    ~100 MB for nothing. The note says which limit applied, for the command to print.
    """
    from dnncli.errors import ConfigError

    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        raise ConfigError("--jobs", jobs, "at least 1")
    cores = default_jobs()
    n = min(jobs or cores, cores)
    if n_tasks is not None:
        n = max(1, min(n, n_tasks))
    note = None
    if jobs is not None and n < jobs:
        why = "the number of tasks" if n_tasks is not None and n == n_tasks and n_tasks < cores else f"the {cores} cores of this machine"
        note = f"--jobs {jobs}: using {n} worker process{'es' if n > 1 else ''} ({why})"
    return n, note


def executor(jobs: int | None = None, scheduler: str | None = None, n_tasks: int | None = None) -> Executor:
    """A local executor with ``jobs`` workers (default: every core), or a Dask cluster's.

    Local workers are capped by :func:`capped_jobs` (at the cores, and at ``n_tasks`` when
    given) and die with their parent, however it dies (:func:`dnncli.local_pool.worker_init`).
    """
    jobs, _ = capped_jobs(jobs, n_tasks)  # a bad --jobs is refused even with --scheduler
    if scheduler:
        return DaskExecutor(scheduler)
    if jobs == 1:
        return InlineExecutor()
    return local_pool.start(jobs)


def _submit(pool: Executor, fn, item) -> Future:
    """``pool.submit``; a pool that cannot start its workers (a process limit, no memory) is one line."""
    try:
        with sigint_blocked():  # loky may start (or restart) workers here
            return pool.submit(fn, item)
    except (OSError, RuntimeError) as exc:  # BrokenProcessPool and loky's errors are RuntimeErrors
        from dnncli.errors import DnnError

        with_jobs = getattr(pool, "_max_workers", None)
        jobs = f"{with_jobs} " if with_jobs else ""
        raise DnnError(f"cannot start {jobs}worker processes ({type(exc).__name__}: {str(exc)[:100]}); "
                       "try a smaller --jobs") from None


@dataclass(frozen=True)
class Failure:
    """A task that raised: its exception as text (kept, reported, never fatal to the batch)."""

    error: str
    detail: str


def run_all(fn: Callable[[Any], Any], items: Iterable[Any], pool: Executor,
            on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """``fn(item)`` for every item through ``pool``; results in input order, failures as :class:`Failure`.

    ``on_result(index, result)`` is called as each task finishes (in completion order).
    A Ctrl-C (KeyboardInterrupt) while waiting cancels what has not started and stops the
    workers at once (loky's are killed), then propagates.
    """
    items = list(items)
    futures: dict[Future, int] = {}
    results: list[Any] = [None] * len(items)
    try:
        for i, item in enumerate(items):
            futures[_submit(pool, fn, item)] = i
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except Exception as exc:  # noqa: BLE001 - one bad task must not take the others down
                results[i] = Failure(f"{type(exc).__name__}: {exc}", "".join(traceback.format_exception(exc)))
            if on_result is not None:
                on_result(i, results[i])
    except KeyboardInterrupt:
        stop(pool, futures)
        raise
    return results


def map_local(fn: Callable[[Any], Any], items: Iterable[Any], pool: Executor | None) -> list[Any]:
    """``[fn(item) for item in items]``, on this machine's worker processes side by side when
    ``pool`` has some and there is more than one item; here otherwise (a cluster's workers may
    not share this machine's files). A task that raises is a bug: its traceback is raised here."""
    items = list(items)
    if not (is_local_pool(pool) and len(items) > 1):
        return [fn(item) for item in items]
    outcomes = run_all(fn, items, pool)
    for outcome in outcomes:
        if isinstance(outcome, Failure):
            raise RuntimeError(f"a worker's task failed:\n{outcome.detail}")
    return outcomes


def stop(pool: Executor, futures: Iterable[Future] = ()) -> None:
    """Cancel pending tasks and stop the workers now (the running ones are killed, not awaited)."""
    for future in futures:
        future.cancel()
    if isinstance(pool, DaskExecutor):
        pool.cancel()
    elif not isinstance(pool, InlineExecutor):
        try:
            pool.shutdown(wait=False, kill_workers=True)
        except TypeError:  # a standard executor without kill_workers
            pool.shutdown(wait=False, cancel_futures=True)
