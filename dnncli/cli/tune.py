"""`dnn tune CONFIG`: coarse-to-fine random search over the config's `search:` block."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from dnncli.cli.common import BestSoFarBar, fmt, out_console, say_capped_jobs, user_errors
from dnncli.status import Status


def tune_command(
    config: Path | None = typer.Argument(None, help="A training config with a search: block (optional with --resume)."),
    param: list[str] = typer.Option([], "--param", help="Search a path too: --param 'optimizer.beta1={one_minus_log: [0.9, 0.999]}'. Repeatable."),
    set_: list[str] = typer.Option([], "--set", help="Override a key of the base config (repeatable)."),
    trials: int | None = typer.Option(None, "--trials", "-n", help="Trials in all, over every stage (default: 40)."),
    stages: int | None = typer.Option(None, "--stages", help="Stage 1 samples the whole space; each later one narrows it around the best 20% (default: 2)."),
    validation: float | None = typer.Option(None, "--validation", help="Fraction of the training examples held out to score trials (default: 0.2)."),
    metric: str | None = typer.Option(None, "--metric", help="What scores a trial (default: val_accuracy; the test set never chooses)."),
    sampler: str | None = typer.Option(None, "--sampler", help="Random search, or tpe: Optuna's Bayesian sampler (default: random)."),
    top: int | None = typer.Option(None, "--top", help="Best trials listed and given a run directory (default: 5)."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", help="Parallel worker processes (default: all cores)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Run trials on a Dask cluster: tcp://HOST:PORT (default: local processes)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder in which the tune directory is created."),
    name: str | None = typer.Option(None, "--name", help="Name the tune (its directory and best.yaml) instead of the config's name."),
    resume: Path | None = typer.Option(None, "--resume", help="Continue the tune in this directory (its study.journal); --trials may raise the total."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the tune directory: no progress bar, no table."),
    as_json: bool = typer.Option(False, "--json", help="Print the best trials as JSON on stdout."),
    no_stack: bool = typer.Option(False, "--no-stack", help="One model per task (bit-identical reruns of each trial) instead of trials stacked in groups."),
) -> None:
    """Search hyperparameters: random on the right scale, coarse to fine, trials in parallel."""
    from dnncli.config import check_name
    from dnncli.experiments.tune import tune

    with user_errors():
        say_capped_jobs(jobs, scheduler)
        show = not quiet and not as_json and sys.stdout.isatty()
        with BestSoFarBar(show, "trials") as progress:
            named = [f"name={json.dumps(check_name(name, '--name'))}"] if name else []
            result = tune(config, params=list(param), overrides=list(set_) + named, trials=trials, stages=stages,
                          validation=validation, metric=metric, sampler=sampler, top=top, jobs=jobs, scheduler=scheduler, out=out,
                          resume=resume, command=["dnn", *sys.argv[1:]], progress=progress, stack=not no_stack)
    if as_json:
        keep = ("trial", "stage", *result.space, "status", "val_accuracy", "val_cost", "train_accuracy", "test_accuracy", "seconds")
        sys.stdout.write(json.dumps({"out_dir": str(result.out_dir), "settings": result.settings, "baseline": result.baseline,
                                     "best_config": str(result.best_config) if result.best_config else None,
                                     "top": [{k: r[k] for k in keep} for r in result.top]}, indent=2) + "\n")
    elif quiet:
        print(result.out_dir)
    else:
        print_top(result)
    if result.best is None:
        print("no trial completed: see trials.csv", file=sys.stderr)
        raise typer.Exit(1)


def print_top(result) -> None:
    from rich.table import Table

    s = result.settings
    done = sum(r["status"] in Status.counted() for r in result.rows)
    failed = sum(r["status"] in (Status.DIVERGED, Status.FAILED) for r in result.rows)
    table = Table(title=f"tune: best {len(result.top)} of {done} trials ({failed} failed), {s['metric']} on a "
                        f"{s['validation']:.0%} validation split")
    keys = list(result.space)
    for column in ("rank", "trial", "stage", *keys, "val acc", "val cost", "train acc", "s"):
        table.add_column(column, justify="right")
    for i, r in enumerate(result.top, 1):
        table.add_row(str(i), str(r["trial"]), str(r["stage"]), *(_show(r[k]) for k in keys), fmt(r["val_accuracy"]),
                      fmt(r["val_cost"]), fmt(r["train_accuracy"]), fmt(r["seconds"], 2))
    if result.baseline is not None:
        b = result.baseline
        table.add_row("-", "as written", "-", *(_show(b.get(k)) for k in keys), fmt(b.get("val_accuracy")), fmt(b.get("val_cost")),
                      fmt(b.get("train_accuracy")), fmt(b.get("seconds"), 2), style="dim")
    console = out_console()
    console.print(table)
    console.print(f"tune directory: {result.out_dir}", markup=False, soft_wrap=True)
    if result.best_config is not None:
        console.print(f"train the best: dnn train {result.best_config}", markup=False)


def _show(value) -> str:
    from dnncli.search import flow_yaml

    return f"{value:.4g}" if isinstance(value, float) else (flow_yaml(value) if isinstance(value, list) else str(value))
