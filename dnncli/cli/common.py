"""What every command shares: consoles, one-line errors with exit code 2, number formats."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator

import typer

from dnncli.errors import DnnError

EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED = 2, 1, 130


def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def out_console():
    """Results on stdout; when piped, wide enough that tables are not wrapped."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _one_line(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn expected errors into one stderr line and an exit code, never a traceback; the library's
    warnings (e.g. unscaled inputs) are one ``warning: ...`` line on stderr."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line
            yield
    except DnnError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:  # dnncli's Interrupted carries 130 (SIGINT) or 143 (SIGTERM)
        print("interrupted", file=sys.stderr)
        raise typer.Exit(getattr(exc, "exit_code", EXIT_INTERRUPTED)) from None


def say_capped_jobs(jobs: int | None, scheduler: str | None) -> None:
    """One stderr line when --jobs asks for more local workers than will be started."""
    from dnncli.execution import capped_jobs

    _, note = capped_jobs(jobs)
    if note and not scheduler:
        print(note, file=sys.stderr)


def fmt(value: object, digits: int = 4) -> str:
    from dnncli.report import fmt as report_fmt

    return report_fmt(value, digits)


class BestSoFarBar:
    """A progress bar on stderr for multi-run commands: ``unit`` done / total and the best so far.

    Used as ``with BestSoFarBar(show, "runs") as progress:``; ``progress`` is None when hidden.
    """

    def __init__(self, show: bool, unit: str):
        self.show, self.unit = show, unit

    def __enter__(self):
        if not self.show:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn(self.unit), MofNCompleteColumn(), BarColumn(),
                            TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), console=err_console(),
                            transient=True)
        self.bar.__enter__()
        self.task = self.bar.add_task(self.unit, total=None, best="-")

        def progress(done: int, total: int, best: str) -> None:
            self.bar.update(self.task, completed=done, total=total, best=best)

        return progress

    def __exit__(self, *exc):
        if self.show:
            self.bar.__exit__(*exc)
        return False
