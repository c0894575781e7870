"""This machine's worker processes (loky's reusable pool), and the signals around them.

Workers never outlive their parent, however it dies (:func:`worker_init`); a SIGTERM to the
parent takes them down with it (:func:`shutdown_on_sigterm`); a terminal's Ctrl-C reaches
the parent only, which stops them itself (:func:`sigint_blocked`). joblib is imported only
when a pool starts. :func:`map_halves` shares a few short tasks with one forked child.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from typing import TypeVar

T, R = TypeVar("T"), TypeVar("R")

# One BLAS thread per worker: the matrices are tiny, and two threads per process on two
# cores only fight each other.
WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def start(jobs: int):
    """loky's reusable pool of ``jobs`` workers, started with SIGINT blocked; a pool that cannot
    start (a process limit, no memory) is one DnnError line."""
    from joblib.externals.loky import get_reusable_executor

    from dnncli.errors import DnnError

    start_resource_trackers()
    try:
        with sigint_blocked():
            pool = get_reusable_executor(max_workers=jobs, env=WORKER_ENV, timeout=60,
                                         initializer=worker_init, initargs=(os.getpid(),))
    except (OSError, RuntimeError) as exc:
        raise DnnError(f"cannot start {jobs} worker processes ({exc}); try a smaller --jobs") from None
    shutdown_on_sigterm(pool)
    return pool


PARENT_POLL_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # linux/prctl.h
EXIT_ORPHANED = 70


def worker_init(parent_pid: int) -> None:
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
    threading.Thread(target=watch_parent, args=(parent_pid, started_by), daemon=True,
                     name="dnn-parent-watchdog").start()


def _parent_alive(parent_pid: int, started_by: int) -> bool:
    from dnncli.processes import process_alive

    return os.getppid() == started_by and process_alive(parent_pid)


def watch_parent(parent_pid: int, started_by: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if not _parent_alive(parent_pid, started_by):
            os._exit(EXIT_ORPHANED)


def shutdown_on_sigterm(pool) -> None:
    """loky workers outlive a parent killed by SIGTERM: take them down with us."""
    def handler(signum, frame):
        pool.shutdown(wait=False, kill_workers=True)
        raise SystemExit(128 + signum)

    try:
        if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not in the main thread
        pass


@contextmanager
def sigint_blocked():
    """Block SIGINT in this thread while worker processes may be started (Linux, macOS).

    A process started now inherits the blocked signal (through fork and exec), and so does a
    thread started now (loky's manager thread, which starts workers later): a worker or
    loky's resource tracker then never takes a terminal's Ctrl-C, which the whole foreground
    process group receives, as a KeyboardInterrupt with a traceback while it is still importing.
    The parent handles Ctrl-C and stops the workers itself (:func:`dnncli.execution.stop`). A Ctrl-C that
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


def start_resource_trackers() -> None:
    """Start loky's and multiprocessing's resource trackers (the pool would start both) before
    :func:`sigint_blocked`: the standard library's unblocks SIGINT in the calling thread after
    starting its process, which would let the workers started next take a Ctrl-C again."""
    from multiprocessing import resource_tracker

    from joblib.externals.loky.backend import resource_tracker as loky_tracker

    resource_tracker.ensure_running()
    loky_tracker.ensure_running()


def map_halves(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(item) for item in items]``, every other item in a forked child process meanwhile.

    For a few short tasks where a pool's start-up (a fresh interpreter, 0.5 s) would cost more
    than it saves: a run's four plots (`dnn show --plots`), 0.7 s in one process, take 0.35 s on
    two cores (`dnn train` forks its plot children before training: :class:`Forks`).
    The child inherits everything already imported; it ignores Ctrl-C and SIGTERM (the parent
    finishes its writes and then stops, as without it; a child killed mid-save would leave its temporary
    file behind), dies with the parent (``prctl(PR_SET_PDEATHSIG)``),
    and hands its results back pickled through a pipe. The parent waits for it; if it failed in
    any way, the parent does its half too. Without two CPUs (in the affinity mask), ``os.fork``
    on Linux, or with other threads alive (a fork copies only the calling one), or when the fork
    fails, everything runs here.
    """
    items = list(items)
    if len(items) < 2 or not _can_fork():
        return [fn(item) for item in items]
    theirs_items = items[1::2]
    parent = os.getpid()
    try:
        read_fd, write_fd = os.pipe()
    except OSError:  # out of file descriptors: everything here
        return [fn(item) for item in items]
    try:
        with _signals_held():
            pid = os.fork()
            if pid == 0:
                _child(fn, theirs_items, parent, read_fd, write_fd)  # never returns
    except OSError:  # no process to spare (EAGAIN, ENOMEM): everything here
        os.close(read_fd)
        os.close(write_fd)
        return [fn(item) for item in items]
    os.close(write_fd)
    try:
        mine = [fn(item) for item in items[0::2]]
    finally:
        with os.fdopen(read_fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    theirs = pickle.loads(data) if status == 0 and data else [fn(item) for item in theirs_items]
    out = [None] * len(items)
    out[0::2], out[1::2] = mine, theirs
    return out


def _can_fork() -> bool:
    return (sys.platform.startswith("linux") and hasattr(os, "fork") and len(os.sched_getaffinity(0)) >= 2
            and threading.active_count() == 1)


def _child(fn, items, parent: int, read_fd: int, write_fd: int) -> None:
    os.close(read_fd)
    _run_child(parent, lambda: [fn(item) for item in items], write_fd)


def _run_child(parent: int, work: Callable[[], list | None], result_write: int) -> None:
    """A forked child's life: signals left to the parent, death with it, ``work()``, its results
    pickled into ``result_write`` (None: nothing to send), exit."""
    status = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C or a process group's
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # SIGTERM: the parent finishes the writes, so do we
        if hasattr(signal, "pthread_sigmask"):  # held back around the fork (_signals_held)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__  # not the parent's progress bar's proxies
        _die_with_parent(parent)
        results = work()
        if results is not None:
            data = pickle.dumps(results)
            with os.fdopen(result_write, "wb") as pipe:
                pipe.write(data)
        status = 0
    finally:  # never back into the parent's code: no atexit, no flush of its buffers
        os._exit(status)


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(EXIT_ORPHANED)


class Forks:
    """Up to ``n`` forked children, started now, that import ``modules`` and then wait for one
    batch of work: a `dnn train`'s plots, with matplotlib imported on the other core while the
    model trains (about half a second a process), then drawn side by side.

    Fork them while this process has one thread (before training; see :func:`_can_fork`); without
    a fork (or when it fails), or for work that cannot be pickled (a test's lambda), :meth:`map`
    runs here. The children ignore Ctrl-C and SIGTERM and die with this process, as
    :func:`map_halves`' child does. Work goes to them as one length-prefixed message each, so a
    child never waits for the end of a pipe that another fork of this process also holds; children
    that got no work are killed when the ``with`` block ends (they hold no file).
    """

    def __init__(self, n: int, modules: Iterable[str] = ()):
        self.children: list[tuple[int, int, int]] = []  # (pid, task pipe to it, result pipe from it)
        if n < 1 or not _can_fork():
            return
        parent = os.getpid()
        for _ in range(n):
            try:
                task_read, task_write = os.pipe()
            except OSError:  # out of file descriptors: the children made so far will do
                return
            try:
                result_read, result_write = os.pipe()
            except OSError:
                os.close(task_read)
                os.close(task_write)
                return
            try:
                with _signals_held():
                    pid = os.fork()
                    if pid == 0:
                        for fd in (task_write, result_read, *(fd for _, a, b in self.children for fd in (a, b))):
                            os.close(fd)
                        _waiting_child(parent, list(modules), task_read, result_write)  # never returns
            except OSError:  # no process to spare (EAGAIN, ENOMEM): the children made so far will do
                for fd in (task_read, task_write, result_read, result_write):
                    os.close(fd)
                return
            os.close(task_read)
            os.close(result_write)
            self.children.append((pid, task_write, result_read))

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[fn(item) for item in items]``, item ``i`` by child ``i % n``; a child that fails, or work
        that cannot be pickled, is done here."""
        items = list(items)
        children, self.children = self.children, []
        shares = [list(range(j, len(items), len(children))) for j in range(len(children))]
        sent = []
        for (pid, task, result), share in zip(children, shares):
            try:
                data = pickle.dumps((fn, [items[i] for i in share])) if share else b""
            except Exception:  # noqa: BLE001 - unpicklable work (a closure): done here below
                data = b""
            try:
                with os.fdopen(task, "wb") as pipe:
                    pipe.write(len(data).to_bytes(8, "big") + data)
            except OSError:  # the child is gone (BrokenPipeError): its share is done here
                data = b""
            sent.append((pid, result, share if data else []))
        out: list = [None] * len(items)
        done: set[int] = set()
        for pid, result, share in sent:
            with os.fdopen(result, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            if share and status == 0 and data:
                for i, value in zip(share, pickle.loads(data)):
                    out[i] = value
                done.update(share)
        for i, item in enumerate(items):
            if i not in done:
                out[i] = fn(item)
        return out

    def close(self) -> None:
        """End the children that got no work (killed: they hold no file, and may still be importing)."""
        children, self.children = self.children, []
        for pid, task, result in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.close(task)
            os.close(result)
            os.waitpid(pid, 0)

    def __enter__(self) -> Forks:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def _signals_held():
    """SIGINT and SIGTERM held back around a fork, so that the child ignores them before one can
    reach it (:func:`_run_child` unblocks them); the parent gets any that came meanwhile after it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _waiting_child(parent: int, modules: list[str], task_read: int, result_write: int) -> None:
    def work() -> list | None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001, S112 - the parent does the work if it cannot be done here
                continue
        with os.fdopen(task_read, "rb") as pipe:
            data = _read_exactly(pipe, int.from_bytes(_read_exactly(pipe, 8) or bytes(8), "big"))
        if not data:  # no work for this child, or the parent is gone
            return None
        fn, items = pickle.loads(data)
        return [fn(item) for item in items]

    _run_child(parent, work, result_write)


def _read_exactly(pipe, n: int) -> bytes:
    """``n`` bytes from ``pipe``, or fewer if it ends first."""
    chunks, left = [], n
    while left > 0 and (chunk := pipe.read(left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
