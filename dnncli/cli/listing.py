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


def runs_command(
    folder: Path = typer.Argument(Path("runs"), help="Folder holding run directories."),
    all_: bool = typer.Option(False, "--all", help="Also list the runs inside each compare and tune directory."),
    limit: int | None = typer.Option(None, "--limit", "-n", help="Only the newest N top-level directories."),
    as_json: bool = typer.Option(False, "--json", help="Print the listing as JSON on stdout."),
) -> None:
    """List past runs, newest first: one row per train, compare or tune directory."""
    import json
    import sys

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
    rows = []
    for row in top:
        rows.append((_cells(row, short_text), ""))
        for inner in row.get("runs", []) if all_ else []:
            rows.append((_cells({**inner, "kind": "", "dir": "  " + Path(inner["dir"]).name}, short_text), "dim"))
    _print_runs(out_console(), f"runs in {folder}", rows)


RUN_COLUMNS = ("run", "kind", "status", "optimizer", "lr", "train", "test", "summary")
RUNS_CAPTION = "train, test: accuracy; summary: epochs run/asked, or the best arm or trial"


def _print_runs(console, title: str, rows: list[tuple[list[str], str]]) -> None:
    """The runs as a table when its widest row fits the console, else as records: each run's name
    on its own line, its values aligned below (a name is never cut, the values never squeezed)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    widths = [max(len(name), *(len(cells[i]) for cells, _ in rows)) for i, name in enumerate(RUN_COLUMNS)]
    if sum(widths) + len(widths) - 1 <= console.width:
        table = Table(title=Text(title), box=box.SIMPLE_HEAD, show_edge=False, padding=0, caption=RUNS_CAPTION)
        for name in RUN_COLUMNS:
            table.add_column(name, justify="right" if name in ("lr", "train", "test") else "left", no_wrap=True)
        for cells, style in rows:  # Text cells: a folder or status holding "[/x]" is shown, not parsed as markup
            table.add_row(*map(Text, cells), style=style)
        console.print(table)
        return

    def line(cells: list[str]) -> str:
        return " ".join(c.rjust(w) if name in ("lr", "train", "test") else c.ljust(w)
                        for name, c, w in zip(RUN_COLUMNS[1:], cells, widths[1:])).rstrip()

    header = "  " + line(list(RUN_COLUMNS[1:]))
    console.print(Text(title, style="italic"))
    console.print(Text("run\n" + header, style="bold"), overflow="fold")
    console.print("\u2500" * min(console.width, len(header)))
    for cells, style in rows:
        indent = "  " * (1 + cells[0].startswith("  "))
        console.print(Text(cells[0], style=style), overflow="fold")
        console.print(Text(indent + line(cells[1:]), style=style), overflow="fold")
    console.print(Text(RUNS_CAPTION, style="italic"), overflow="fold")


def _cells(row: dict, short_text) -> list[str]:
    single = row.get("kind") in ("train", "")
    epochs = row.get("epochs_run")
    of = f"/{row['epochs']}" if row.get("epochs") is not None else ""
    summary = row.get("summary") or (f"{epochs}{of}" if epochs is not None else "")
    if row.get("kind") == "compare" and row.get("p_value") is not None:
        summary += f", p={row['p_value']:.2g}"
    return [row["dir"], row.get("kind", ""), short_text(str(row.get("status", "?")), 40),
            short_text(str(row.get("optimizer") or ""), 12),
            _number(row.get("learning_rate"), 3) if single and row.get("learning_rate") is not None else "",
            _number(row.get("train_accuracy"), 3, fixed=True) if single else "",
            _number(row.get("test_accuracy"), 3, fixed=True) if single else "",
            short_text(summary, 60)]


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
    return f"{value:.{digits}f}" if fixed and 0 <= value <= 1 else f"{value:.{digits}g}"
