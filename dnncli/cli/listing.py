"""`dnn datasets` and `dnn runs`: what can be trained on, and what was trained."""

from __future__ import annotations

from pathlib import Path

import typer

from dnncli.cli.common import fmt, out_console, user_errors


def datasets_command() -> None:
    """List the data sets that data.name accepts, with their sizes."""
    from rich.table import Table

    from dnncli.data import dataset_summaries

    with user_errors():
        rows = dataset_summaries()
    table = Table(title="data sets (sizes with default parameters)")
    for column in ("name", "features", "classes", "train", "test", "description"):
        table.add_column(column, justify="left" if column in ("name", "description") else "right")
    for row in rows:
        table.add_row(row["name"], *(fmt(row[k]) for k in ("n_features", "n_classes", "n_train", "n_test")),
                      row["description"])
    out_console().print(table)


def runs_command(folder: Path = typer.Argument(Path("runs"), help="Folder holding run directories.")) -> None:
    """List past runs, newest first: name, status, accuracies, final cost, seconds."""
    from rich.table import Table
    from rich.text import Text

    from dnncli.errors import short_text
    from dnncli.runs import list_runs

    with user_errors():
        if not folder.is_dir():
            from dnncli.errors import DnnError

            raise DnnError(f"{folder}: no such folder (runs are listed from the --out folder, default runs/)")
    runs = list_runs(folder)
    if not runs:
        out_console().print(f"no runs under {folder}", markup=False)
        return
    table = Table(title=Text(f"runs in {folder}"))
    for column in ("run", "status", "train acc", "test acc", "final cost", "seconds"):
        table.add_column(column, justify="left" if column in ("run", "status") else "right", no_wrap=column == "run")
    for run in runs:  # Text cells: a folder or status holding "[/x]" is shown, not parsed as markup
        table.add_row(Text(run["dir"]), Text(short_text(str(run.get("status", "?")), 40)),
                      *(Text(_number(run.get(key), digits))
                        for key, digits in (("train_accuracy", 4), ("test_accuracy", 4), ("final_cost", 4), ("seconds", 2))))
    out_console().print(table)


def _number(value: object, digits: int) -> str:
    """A metric for the table: numbers formatted, anything else (a list, a string) shown as '?'."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    try:
        return fmt(float(value), digits)
    except OverflowError:  # an integer beyond any float
        return "?"
