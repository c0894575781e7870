"""The `dnn` command in this process (Typer's CliRunner): the same command without an interpreter's start-up.

Real `dnn` processes are kept for what only a process shows: exit codes through the entry point,
signals (Ctrl-C, SIGTERM, kill -9), `python -m dnncli`, and what a fresh interpreter imports.
"""

from typer.testing import CliRunner


def dnn(*args, **kwargs):
    """``dnn ARGS`` through the real Typer app; the result has exit_code, stdout, stderr and output (both)."""
    from dnncli.cli.main import app

    return CliRunner().invoke(app, [str(a) for a in args], **kwargs)


def no_traceback(result) -> bool:
    """The command ended through its own exit (an exit code it chose), not by an exception it let escape.

    In a real process an escaped exception prints a traceback and exits 1; here it is kept on the result.
    """
    return result.exception is None or isinstance(result.exception, SystemExit)


def plots_asked_not_drawn(monkeypatch) -> list[str]:
    """For a test of something else than plots: the plots a run or compare asks for are listed, not rendered.

    Rendering is most of a short run's time; tests/plots/ and the tests that open the PNGs draw them.
    """
    from dnncli import local_pool
    from dnncli.experiments import compare_report, writing

    asked: list[str] = []

    def ask(drawings, pool=None, forks=None):
        asked.extend(d.path.name for d in drawings)

    monkeypatch.setattr(writing, "draw_all", ask)
    monkeypatch.setattr(compare_report, "draw_all", ask)
    monkeypatch.setattr(writing, "plot_forks", lambda plots: local_pool.Forks(0))  # nothing to draw: no children
    return asked
