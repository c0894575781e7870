"""`dnn datasets` and `dnn runs`: what can be trained on, and what was trained."""

from __future__ import annotations

import math
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


def runs_command(
    folder: Path = typer.Argument(Path("runs"), help="Folder holding run directories."),
    all_: bool = typer.Option(False, "--all", help="Also list the runs inside each compare and tune directory."),
    limit: int | None = typer.Option(None, "--limit", "-n", help="Only the newest N top-level directories."),
    as_json: bool = typer.Option(False, "--json", help="Print the listing as JSON on stdout."),
) -> None:
    """List past runs, newest first: one row per train, compare or tune directory."""
    import json
    import sys

    from rich import box
    from rich.table import Table
    from rich.text import Text

    from dnncli.errors import ConfigError, DnnError, short_text
    from dnncli.runs import list_top

    with user_errors():
        if not folder.is_dir():
            raise DnnError(f"{folder}: no such folder (runs are listed from the --out folder, default runs/)")
        if limit is not None and limit < 1:
            raise ConfigError("--limit", limit, "at least 1")
    top = list_top(folder)[:limit]
    if as_json:
        for row in top:
            if not all_:
                row.pop("runs", None)
        sys.stdout.write(json.dumps(top, indent=2, default=str) + "\n")
        return
    if not top:
        out_console().print(f"no runs under {folder}", markup=False)
        return
    # 80 columns: no vertical rules, numbers in a few characters, and a long run name folded onto a
    # second line rather than every other column squeezed to an ellipsis
    table = Table(title=Text(f"runs in {folder}"), box=box.SIMPLE_HEAD, show_edge=False, padding=0,
                  caption="train, test: accuracy; summary: epochs run/asked, or the best arm or trial")
    table.add_column("run", overflow="fold", min_width=20)
    for column in ("kind", "status", "optimizer"):
        table.add_column(column, no_wrap=True)
    for column in ("lr", "train", "test"):  # the accuracies' header: "accuracy" is in the note below
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("summary", min_width=12)
    for row in top:  # Text cells: a folder or status holding "[/x]" is shown, not parsed as markup
        table.add_row(*_cells(row, short_text))
        for inner in row.get("runs", []) if all_ else []:
            table.add_row(*_cells({**inner, "kind": "", "dir": "  " + Path(inner["dir"]).name}, short_text), style="dim")
    out_console().print(table)


def _cells(row: dict, short_text) -> list:
    from rich.text import Text

    single = row.get("kind") in ("train", "")
    epochs = row.get("epochs_run")
    of = f"/{row['epochs']}" if row.get("epochs") is not None else ""
    summary = row.get("summary") or (f"{epochs}{of}" if epochs is not None else "")
    if row.get("kind") == "compare" and row.get("p_value") is not None:
        summary += f", p={row['p_value']:.2g}"
    return [Text(row["dir"]), Text(row.get("kind", "")), Text(short_text(str(row.get("status", "?")), 40)),
            Text(short_text(str(row.get("optimizer") or ""), 12)),
            Text(_number(row.get("learning_rate"), 3) if single and row.get("learning_rate") is not None else ""),
            Text(_number(row.get("train_accuracy"), 3, fixed=True) if single else ""),
            Text(_number(row.get("test_accuracy"), 3, fixed=True) if single else ""),
            Text(short_text(summary, 60))]


def _number(value: object, digits: int, fixed: bool = False) -> str:
    """A metric for the table: ``digits`` significant digits (``fixed``: decimals, for an accuracy),
    anything else (a list, a string) shown as '?'."""
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    try:
        value = float(value)
    except OverflowError:  # an integer beyond any float
        return "?"
    return f"{value:.{digits}f}" if fixed and math.isfinite(value) else f"{value:.{digits}g}"
