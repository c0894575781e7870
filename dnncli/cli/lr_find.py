"""`dnn lr-find CONFIG`: a population of fresh models, one per learning rate and seed; the rate to train with."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dnncli.cli.common import EXIT_FAILED, BestSoFarBar, fmt, out_console, say_capped_jobs, user_errors


def lr_find_command(
    config: Path = typer.Argument(..., help="The training config whose learning rate is searched."),
    min_lr: float = typer.Option(1e-5, "--min", help="Smallest learning rate tried."),
    max_lr: float = typer.Option(1.0, "--max", help="Largest learning rate tried."),
    points: int = typer.Option(24, "--points", help="Learning rates tried, log-spaced from --min to --max."),
    epochs: int | None = typer.Option(None, "--epochs", help="Epochs each model trains (default: a tenth of the config's)."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per rate: the config's seed, seed+1, ..."),
    set_: list[str] = typer.Option([], "--set", help="Override a key of the config (repeatable)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Parallel worker processes (default: all cores)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT (default: local processes)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder in which the lr-find directory is created."),
    name: str | None = typer.Option(None, "--name", help="Name the lr-find directory (default: the config's name)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the lr-find directory (as train, compare and tune do; --json gives the suggestion)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"suggested_learning_rate": ..., ...} on stdout.'),
) -> None:
    """Suggest a learning rate: train a fresh model per rate and seed for a short budget, in one stacked pass."""
    from dnncli.experiments.lr_find import lr_find

    with user_errors():
        say_capped_jobs(jobs, scheduler)
        show = not quiet and not as_json and sys.stdout.isatty()
        with BestSoFarBar(show, "models") as progress:
            result = lr_find(config, overrides=list(set_), min_lr=min_lr, max_lr=max_lr, points=points, epochs=epochs,
                             seeds=seeds, jobs=jobs, scheduler=scheduler, out=out, name=name,
                             command=["dnn", *sys.argv[1:]], progress=progress)
    lr = result.suggested_learning_rate
    if as_json:
        sys.stdout.write(json.dumps({"suggested_learning_rate": lr, "train_command": result.command,
                                     "note": result.note, "out_dir": str(result.out_dir)}, indent=2) + "\n")
    else:
        print_result(result, quiet)
    if lr is None or result.failed:
        if result.failed:
            print(f"{result.failed} of {len(result.runs)} models failed (see lr_find.csv)", file=sys.stderr)
        raise typer.Exit(EXIT_FAILED)


def print_result(result, quiet: bool) -> None:
    console = out_console()
    if quiet:  # for scripts: the directory only (lr_find.json holds the suggestion)
        print(result.out_dir)
        if result.suggested_learning_rate is None:
            print(f"no suggestion: {result.note}", file=sys.stderr)
        return
    from rich import box
    from rich.table import Table

    s = result.settings
    table = Table(title=f"lr-find: {s['epochs']} epochs, {s['seeds']} seeds per rate", box=box.SIMPLE_HEAD,
                  show_edge=False, pad_edge=False, collapse_padding=True)
    for column in ("lr", "mean cost", "smoothed", "min..max", "train acc", "diverged", ""):
        table.add_column(column, justify="right" if column else "left", no_wrap=True)
    for row in result.table:
        mark = "◀ suggested" if row["lr"] == result.suggested_learning_rate else ("valley" if row["in_valley"] else "")
        table.add_row(f"{row['lr']:.3g}", fmt(row["mean_cost"]), fmt(row["smoothed_cost"]),
                      f"{fmt(row['min_cost'])}..{fmt(row['max_cost'])}", fmt(row["train_accuracy"]),
                      f"{row['diverged']}/{s['seeds']}" if row["diverged"] else "", mark)
    console.print(table)
    console.print(f"lr-find directory: {result.out_dir}", markup=False, soft_wrap=True)
    if result.suggested_learning_rate is None:
        print(f"no suggestion: {result.note}", file=sys.stderr)
        return
    console.print(f"suggested learning rate: {result.suggested_learning_rate:g}", highlight=False, markup=False)
    if result.note:
        console.print(f"note: {result.note}", highlight=False, markup=False)
    console.print(f"train with: {result.command}", highlight=False, markup=False, soft_wrap=True)
