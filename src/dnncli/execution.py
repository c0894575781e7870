"""The execution seam of every multi-run command: a ``concurrent.futures.Executor``.

``executor(jobs)`` gives loky's reusable process pool (local, the default) or, with
``jobs=1``, an in-process executor; the Dask cluster mode plugs in here too. Commands only
call ``submit`` and ``as_completed`` through :func:`run_all`, so they never know which
executor they got. Failures come back as values, never abort the batch.
"""

from __future__ import annotations

import os
import re
import signal
import sys
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


def executor(jobs: int | None = None, scheduler: str | None = None) -> Executor:
    """A local executor with ``jobs`` workers (default: every core), or a Dask cluster's."""
    from dnncli.errors import ConfigError

    if jobs is not None and jobs < 1:
        raise ConfigError("--jobs", jobs, "at least 1")
    if scheduler:
        return DaskExecutor(scheduler)
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


class DaskExecutor(Executor):
    """Runs tasks on a Dask cluster (``--scheduler tcp://host:port``).

    Results travel back to the client, which writes every file: workers need dnncli and the
    same numpy / dask / distributed versions installed, not the client's filesystem. A task
    whose worker dies is re-run elsewhere by the scheduler; :meth:`reruns` counts them.
    """

    def __init__(self, address: str, timeout: float = 5.0):
        from dnncli.errors import DnnError

        try:
            from distributed import Client
        except ImportError:
            raise DnnError("--scheduler needs dask[distributed]: pip install 'dask[distributed]'") from None
        if not re.match(r"^[a-z]+://[^:/\s]+:\d+$", address):
            from dnncli.errors import ConfigError

            raise ConfigError("--scheduler", address, "an address like tcp://HOST:PORT")
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise DnnError(f"--scheduler: cannot reach {address!r} within {timeout:g} s ({type(exc).__name__})") from None
        self.keys: list[str] = []
        self._dask_futures: list = []

    def submit(self, fn, /, *args, **kwargs):
        dask_future = self.client.submit(fn, *args, pure=False, **kwargs)
        self.keys.append(dask_future.key)
        self._dask_futures.append(dask_future)
        future: Future = Future()

        def copy(done) -> None:
            try:
                future.set_result(done.result())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                future.set_exception(exc)

        dask_future.add_done_callback(copy)
        return future

    def reruns(self) -> int:
        """How many tasks the scheduler had to start more than once (e.g. their worker died)."""
        try:
            story = self.client.story(*self.keys)
        except Exception:  # noqa: BLE001 - a report detail, never worth failing the command
            return 0
        keys, starts = set(self.keys), {}
        for event in story:  # scheduler events: (source, key, start, finish, recommendations, stimulus, time)
            if len(event) > 3 and event[0] == "scheduler" and event[1] in keys and event[3] == "processing":
                starts[event[1]] = starts.get(event[1], 0) + 1
        return sum(n > 1 for n in starts.values())

    def cancel(self) -> None:
        """Cancel every task of this executor on the cluster (a Ctrl-C)."""
        try:
            self.client.cancel(self._dask_futures, force=True)
        except Exception:  # noqa: BLE001 - the client may already be closing
            pass

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.client.close()


_MALLOC_TUNED = False


def tune_malloc() -> None:
    """Undo the Dask nanny's MALLOC_TRIM_THRESHOLD_=65536 in this process (Linux glibc only).

    With it, glibc maps and unmaps every NumPy array of 128 KB or more and trials ran ~45%
    slower (notes/execution.md); M_TRIM_THRESHOLD (-1) and M_MMAP_THRESHOLD (-3) put it back.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED or not sys.platform.startswith("linux"):
        return
    _MALLOC_TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-1, 256 * 1024 * 1024)
        libc.mallopt(-3, 32 * 1024 * 1024)
    except (OSError, AttributeError):
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
    A Ctrl-C (KeyboardInterrupt) while waiting cancels what has not started and stops the
    workers at once (loky's are killed), then propagates.
    """
    items = list(items)
    futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
    results: list[Any] = [None] * len(items)
    try:
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
