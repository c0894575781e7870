"""`dnn compare NAME NAME ...`: arms of one axis, several seeds each, side by side."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dnncli.cli.common import EXIT_FAILED, BestSoFarBar, fmt, out_console, say_capped_jobs, user_errors
from dnncli.report import pm


def compare_command(
    arms: list[str] = typer.Argument(None, help="Presets of one axis, config files or run directories."),
    config: Path | None = typer.Option(None, "--config", help="Base config instead of the axis' course setup."),
    set_: list[str] = typer.Option([], "--set", help="KEY=VALUE in every arm, or ARM:KEY=VALUE in one (repeatable); "
                                   "a key an arm's preset sets needs the ARM: form."),
    seeds: int = typer.Option(3, "--seeds", help="Seeds per arm: the config's seed, seed+1, ..."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Parallel worker processes (default: all cores)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Run on a Dask cluster: tcp://HOST:PORT (default: local processes)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder in which the compare directory is created."),
    name: str | None = typer.Option(None, "--name", help="Name the compare directory (default: the axis)."),
    vary: str | None = typer.Option(None, "--vary", help="An ad-hoc axis: KEY=V1,V2,... (values read as YAML), one arm per value "
                                     "on --config or the course moons setup."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the compare directory: no progress bar, no table."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json on stdout."),
    x: str = typer.Option("auto", "--x", help="costs.png's x axis: epochs, updates or seconds "
                          "(default auto: updates when the arms' epochs hold different numbers of updates)."),
    tune_lr: int | None = typer.Option(None, "--tune-lr", help="First give every arm the same budget of N learning rates "
                                       "(log grid around its optimizer's own default), chosen on a validation split."),
    lr_range: str | None = typer.Option(None, "--lr-range", help="LOW,HIGH: the --tune-lr grid for every arm."),
    no_stack: bool = typer.Option(False, "--no-stack", help="One model per task (bit-identical to dnn train of each run) instead of stacked seeds."),
    target: float | None = typer.Option(None, "--target", help="Time to target: epochs (and updates) until each run's train accuracy first reaches ACC."),
    target_cost: float | None = typer.Option(None, "--target-cost", help="Time to target: epochs until each run's training cost first falls to C or below."),
) -> None:
    """Compare arms (optimizers, initializers, regularizers, ...) over several seeds, in parallel."""
    from dnncli.experiments.compare import compare

    with user_errors():
        say_capped_jobs(jobs, scheduler)
        show = not quiet and not as_json and sys.stdout.isatty()
        with BestSoFarBar(show, "runs") as progress:
            result = compare(arms or [], base=config, overrides=list(set_), seeds=seeds, jobs=jobs, scheduler=scheduler, out=out,
                             command=["dnn", *sys.argv[1:]], progress=progress, stack=not no_stack, name=name, vary=vary, x=x,
                             tune_lr=tune_lr, lr_range=lr_range, target=target, target_cost=target_cost)
    if as_json:
        sys.stdout.write(json.dumps({**result.summary, "out_dir": str(result.out_dir)}, indent=2) + "\n")
    elif quiet:
        print(result.out_dir)
    else:
        print_summary(result)
    if result.failed:
        print(f"{result.failed} of {result.summary['runs']} runs failed (see their metrics.json)", file=sys.stderr)
        raise typer.Exit(EXIT_FAILED)


def print_summary(result) -> None:
    """The table (fits 80 columns: long arm names wrap), then the seeds, failures and the verdict."""
    from rich import box
    from rich.table import Table

    from dnncli.experiments.target import Target, cell, target_note

    s = result.summary
    arms = s["arms"]
    goal = s.get("target")
    one = len(arms) == 1
    title = f"seed study {next(iter(arms))}: {s['seeds']} seeds" if one else f"compare {s['axis']}: {s['seeds']} seeds per arm"
    table = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    columns = ["arm", "train acc", "test acc", "final cost", "s/run"] + ([Target(**goal).label] if goal else [])
    for i, column in enumerate(columns):
        table.add_column(column, justify="left" if i == 0 else "right", no_wrap=i > 0, overflow="fold")
    for arm, e in arms.items():
        name = f"[bold]{arm} ★[/bold]" if arm == s["best"] and not one else arm
        row = [name, pm(e["train_accuracy"]), pm(e["test_accuracy"]), fmt(e["final_cost"]["mean"]), f"{e['seconds']:.2f}"]
        table.add_row(*row, *([cell(e["to_target"])] if goal else []))
    console = out_console()
    console.print(table)
    for line in notes(s):
        console.print(line, highlight=False, markup=False)
    if goal:
        console.print(f"{target_note(goal, s)}; mean over the seeds that reached it (k/n: only k of n did)",
                      highlight=False, markup=False)
    console.print(s["verdict"], highlight=False, markup=False)
    if s.get("lr_protocol"):
        rates = ", ".join(f"{arm} {e['learning_rate']:.3g}" for arm, e in s["arms"].items())
        console.print(f"learning rates, each arm's own (chosen on a validation split): {rates}", markup=False)
    if s.get("reruns"):
        console.print(f"{s['reruns']} runs were re-run on another worker after theirs died; no result was lost.")
    console.print(f"compare directory: {result.out_dir}", markup=False, soft_wrap=True)


def notes(summary: dict) -> list[str]:
    """The lines under the table: the seeds, each arm's best and worst seed, the failed runs."""
    arms = summary["arms"]
    seeds = sorted({r["seed"] for e in arms.values() for r in e["runs"]})
    shown = ", ".join(map(str, seeds)) if len(seeds) <= 6 else f"{seeds[0]} to {seeds[-1]}"
    metric = "test" if any(e["test_accuracy"]["mean"] is not None for e in arms.values()) else "train"
    spread = [f"{arm} {e['best_seed']}/{e['worst_seed']}" for arm, e in arms.items() if e["best_seed"] is not None]
    same = [arm for arm, e in arms.items() if e["best_seed"] is None and e[f"{metric}_accuracy"]["n"] > 1]
    line = f"seed{'s' * (len(seeds) != 1)} {shown}"
    if summary["seeds"] > 1:
        line += f"; best/worst by {metric} acc: " + (", ".join(spread) or "-")
        if same:
            line += f"; {', '.join(same)}: all seeds equal"
    lines = [line]
    failed = [f"{arm} {e['failed']} of {len(e['runs'])}" for arm, e in arms.items() if e["failed"]]
    if failed:
        lines.append("not completed: " + ", ".join(failed))
    return lines
