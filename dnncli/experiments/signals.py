"""Ctrl-C and SIGTERM for every command: finish the step, write everything, report the signal.

The engine keeps no process policy: this module turns SIGINT (Ctrl-C) and SIGTERM (what
``timeout``, ``docker stop`` and Slurm send) into a :class:`StopOnSignal` callback whose
``stop_training`` the training loop reads after each whole epoch. While a command
waits on worker processes instead, the first signal raises :class:`Interrupted` at once, so
the workers can be stopped. A second signal during the final writes changes nothing: the
writes finish and the status says ``interrupted``. Exit codes: 130 for SIGINT, 143 for SIGTERM.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

from dnncli.engine.callbacks import Callback


class Interrupted(KeyboardInterrupt):
    """Stopped by a signal; ``exit_code`` is 128 + its number."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = int(signum)
        self.exit_code = 128 + self.signum


class StopOnSignal(Callback):
    """Raised flag after SIGINT/SIGTERM (``signum`` says which); ``raising`` makes the next one raise."""

    def __init__(self):
        self.stop_training = False
        self.signum: int | None = None
        self.raising = False

    def handle(self, signum, frame) -> None:
        first = not self.stop_training
        self.stop_training, self.signum = True, self.signum or signum
        if self.raising and first:
            raise Interrupted(signum)

    def interrupted(self) -> Interrupted:
        return Interrupted(self.signum or signal.SIGINT)


@contextlib.contextmanager
def deferred_signals(*, raising: bool = False) -> Iterator[StopOnSignal]:
    """Install the handlers for the block (only the main thread can; elsewhere it is a no-op)."""
    stop = StopOnSignal()
    stop.raising = raising
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, stop.handle)
        except ValueError:  # not the main thread
            break
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
