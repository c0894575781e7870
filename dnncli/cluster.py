"""The Dask cluster behind ``--scheduler tcp://host:port``: an address check, a handshake probe
and :class:`DaskExecutor`, a ``concurrent.futures.Executor`` over a ``distributed.Client``.

dask and distributed are imported only when an executor is made, so importing this module
(as :mod:`dnncli.execution` does) stays fast.
"""

from __future__ import annotations

import re
import sys
from concurrent.futures import Executor, Future

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
