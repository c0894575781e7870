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
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, as_completed
from contextlib import contextmanager
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
    given) and die with their parent, however it dies (:func:`_worker_init`).
    """
    from dnncli.errors import DnnError

    jobs, _ = capped_jobs(jobs, n_tasks)  # a bad --jobs is refused even with --scheduler
    if scheduler:
        return DaskExecutor(scheduler)
    if jobs == 1:
        return InlineExecutor()
    from joblib.externals.loky import get_reusable_executor

    _start_resource_trackers()
    try:
        with sigint_blocked():
            pool = get_reusable_executor(max_workers=jobs, env=WORKER_ENV, timeout=60,
                                         initializer=_worker_init, initargs=(os.getpid(),))
    except (OSError, RuntimeError) as exc:
        raise DnnError(f"cannot start {jobs} worker processes ({exc}); try a smaller --jobs") from None
    _shutdown_on_sigterm(pool)
    return pool


# -- workers never outlive their parent ---------------------------------------------
PARENT_POLL_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # linux/prctl.h
EXIT_ORPHANED = 70


def _worker_init(parent_pid: int) -> None:
    """Run in each loky worker at start: die when the parent process (``parent_pid``) dies.

    Two mechanisms, because a ``kill -9`` runs no handler in the parent:

    - Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker when the thread
      that started it ends. loky starts workers from the parent's main thread or its executor
      manager thread, both alive while the pool is in use; the worker's parent is the command's
      process itself (no intermediate process), checked here.
    - a daemon watchdog thread polling every 0.5 s: when the worker's parent pid changes
      (it was re-parented to init or a subreaper) or ``parent_pid`` is gone or a zombie, the
      worker calls ``os._exit``. It also covers macOS and a parent that is not the starter.

    loky's resource tracker exits by itself once the parent and every worker have closed
    its pipe, so it goes a moment after the workers.
    """
    if sys.platform.startswith("linux") and os.getppid() == parent_pid:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    started_by = os.getppid()
    if not _parent_alive(parent_pid, started_by):  # the parent died before prctl took effect
        os._exit(EXIT_ORPHANED)
    threading.Thread(target=_watch_parent, args=(parent_pid, started_by), daemon=True,
                     name="dnn-parent-watchdog").start()


def _parent_alive(parent_pid: int, started_by: int) -> bool:
    from dnncli.processes import process_alive

    return os.getppid() == started_by and process_alive(parent_pid)


def _watch_parent(parent_pid: int, started_by: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if not _parent_alive(parent_pid, started_by):
            os._exit(EXIT_ORPHANED)


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


SCHEDULER_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
MAX_HANDSHAKE_BYTES = 1 << 20  # a Dask handshake is a few hundred bytes


def check_scheduler_address(address: str) -> None:
    """Refuse anything but ``SCHEME://HOST:PORT`` with a scheme Dask speaks (before any connection)."""
    from dnncli.errors import ConfigError

    match = re.fullmatch(r"([a-z]+)://([^:/\s]+|\[[0-9a-fA-F:]+\]):(\d{1,5})", address or "")
    inproc = re.fullmatch(r"inproc://\S+", address or "")
    if inproc:
        return
    if match is None or match.group(1) not in SCHEDULER_SCHEMES or not 0 < int(match.group(3)) < 65536:
        raise ConfigError("--scheduler", address,
                          f"an address like tcp://HOST:PORT; schemes: {', '.join(SCHEDULER_SCHEMES)}")


def _probe_tcp(address: str, timeout: float) -> None:
    """Connect and read the first frame header: a server that is not a Dask scheduler is one line.

    A Dask comm starts with an 8-byte little-endian length; an HTTP or SSH server's first bytes
    read as exabytes, which the Dask client would try to allocate (MemoryError "3.01 EiB").
    """
    import socket

    from dnncli.errors import DnnError

    host, _, port = address[len("tcp://"):].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
            sock.settimeout(min(timeout, 3.0))
            header = b""
            while len(header) < 8:
                chunk = sock.recv(8 - len(header))
                if not chunk:
                    break
                header += chunk
    except TimeoutError:
        raise DnnError(f"--scheduler: {address!r} accepted a connection but sent no Dask handshake") from None
    except OSError as exc:
        raise DnnError(f"--scheduler: cannot reach {address!r} ({exc.strerror or type(exc).__name__})") from None
    if len(header) < 8 or int.from_bytes(header, "little") > MAX_HANDSHAKE_BYTES:
        raise DnnError(f"--scheduler: {address!r} is not a Dask scheduler (it answered {header[:8]!r})")


def _discard(client) -> None:
    """Close a Client whose constructor failed, quietly, so that its __del__ has nothing left to do."""
    import contextlib

    with contextlib.suppress(Exception):
        client.close(timeout=1)
    with contextlib.suppress(Exception):
        client._Client__loop = None  # Client.__del__ closes again (10 s, "Exception ignored") unless None


class DaskExecutor(Executor):
    """Runs tasks on a Dask cluster (``--scheduler tcp://host:port``).

    Results travel back to the client, which writes every file: workers need dnncli and the
    same numpy / dask / distributed versions installed, not the client's filesystem. A task
    whose worker dies is re-run elsewhere by the scheduler; :meth:`reruns` counts them.
    """

    def __init__(self, address: str, timeout: float = 5.0):
        from dnncli.errors import DnnError

        check_scheduler_address(address)
        try:
            from distributed import Client
        except ImportError:
            raise DnnError("--scheduler needs dask[distributed]: pip install 'dask[distributed]'") from None
        if address.startswith("tcp://"):
            _probe_tcp(address, timeout)
        client = Client.__new__(Client)
        try:
            client.__init__(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, a garbage frame's MemoryError, ...
            _discard(client)
            raise DnnError(f"--scheduler: cannot reach a Dask scheduler at {address!r} within {timeout:g} s "
                           f"({type(exc).__name__})") from None
        self.client = client
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
    slower (measured on the tune workload); M_TRIM_THRESHOLD (-1) and M_MMAP_THRESHOLD (-3) put it back.
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


@contextmanager
def sigint_blocked():
    """Block SIGINT in this thread while worker processes may be started (Linux, macOS).

    A process started now inherits the blocked signal (through fork and exec), and so does a
    thread started now (loky's manager thread, which starts workers later): a worker or
    loky's resource tracker then never takes a terminal's Ctrl-C, which the whole foreground
    process group receives, as a KeyboardInterrupt with a traceback while it is still importing.
    The parent handles Ctrl-C and stops the workers itself (:func:`stop`). A Ctrl-C that
    arrives inside the block is delivered when it ends.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _start_resource_trackers() -> None:
    """Start loky's and multiprocessing's resource trackers (the pool would start both) before
    :func:`sigint_blocked`: the standard library's unblocks SIGINT in the calling thread after
    starting its process, which would let the workers started next take a Ctrl-C again."""
    from multiprocessing import resource_tracker

    from joblib.externals.loky.backend import resource_tracker as loky_tracker

    resource_tracker.ensure_running()
    loky_tracker.ensure_running()


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
