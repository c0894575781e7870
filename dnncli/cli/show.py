"""`dnn show DIR [--plots]`: a past run's, compare's or tune's table and files; its plots drawn again."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from dnncli.cli.common import EXIT_FAILED, out_console, user_errors


def show_command(
    path: Path = typer.Argument(..., help="A train, compare or tune directory, e.g. runs/20261125-143336-adam_moons."),
    plots: bool = typer.Option(False, "--plots", help="Draw again the plots that are missing or older than the files they "
                                                      "are drawn from (history.csv, params.npz, ...); nothing is trained."),
) -> None:
    """Show a run's, compare's or tune's table and where its files are; --plots redraws missing or outdated plots."""
    from dnncli.experiments.show import redraw, show

    with user_errors():
        redrawn = redraw(path) if plots else None
        shown = show(path)
    console = out_console()
    if shown.kind == "train":
        from dnncli.cli.train import _print_table

        _print_table({**shown.metrics, "run_dir": str(shown.path)})
        _print_per_class(shown.metrics, console)
    elif shown.kind == "compare":
        from dnncli.cli.compare import print_summary

        if isinstance(shown.compare.summary.get("arms"), dict):
            print_summary(shown.compare)
        else:
            s = shown.compare.summary
            console.print(f"compare {shown.path}: {s['status']}: {s.get('message', '')}", markup=False, soft_wrap=True)
    else:
        from dnncli.cli.tune import print_top

        print_top(shown.tune)
    _print_files(shown, console)
    if redrawn is not None:
        if redrawn.drawn:
            console.print(f"drawn: {', '.join(redrawn.drawn)} (and report.md)", markup=False)
        if redrawn.current:
            console.print(f"up to date: {', '.join(redrawn.current)}", markup=False)
        for problem in redrawn.problems:
            print(f"cannot draw: {problem}", file=sys.stderr)
        if redrawn.problems:
            raise typer.Exit(EXIT_FAILED)


def _print_per_class(metrics: dict, console) -> None:
    from rich.table import Table

    from dnncli.report import per_class_rows

    rows = per_class_rows(metrics)
    if not rows:
        return
    table = Table(title="accuracy per class")
    for column in ("class", "train acc", "test acc", "train n", "test n"):
        table.add_column(column, justify="left" if column == "class" else "right")
    for cells in rows:
        table.add_row(*cells)
    console.print(table)


def _print_files(shown, console) -> None:
    from rich.table import Table
    from rich.text import Text

    from dnncli.experiments.show import FILES

    console.print(f"files in {shown.path}", markup=False, highlight=False, soft_wrap=True)  # a path is never broken
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(no_wrap=True)
    table.add_column()
    folders = [f for f in shown.files if f.endswith("/")]
    for name in (f for f in shown.files if not f.endswith("/")):
        table.add_row(Text(name), Text(FILES.get(name, "")))
    if folders:
        what = "run directories" if shown.kind == "compare" else "run directories of the best trials"
        table.add_row(Text(f"{len(folders)} folders"), Text(f"{what}: {', '.join(folders[:4])}{' ...' if len(folders) > 4 else ''}"))
    console.print(table)
