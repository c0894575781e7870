"""`dnn train CONFIG` (or `--resume RUN_DIR`): one training run, with a progress bar and an accuracy table."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import typer

from dnncli.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, err_console, fmt, out_console, user_errors
from dnncli.status import Status


def train_command(
    config: Path | None = typer.Argument(None, help="A YAML training config, e.g. configs/adam_moons.yaml (none with --resume)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set optimizer.learning_rate=0.001 (value parsed as YAML). Repeatable."),
    out: Path | None = typer.Option(None, "--out", help="Folder in which the run directory is created (default: runs/; with --resume, RUN_DIR's folder)."),
    seed: int | None = typer.Option(None, "--seed", help="Override the config's seed."),
    name: str | None = typer.Option(None, "--name", help="Name the run (its directory and tables) instead of the config's name."),
    resume: Path | None = typer.Option(None, "--resume", help="Continue a completed or interrupted run (its state.npz) in a new run directory, bit for bit."),
    epochs: int | None = typer.Option(None, "--epochs", help="Total epochs (as --set training.epochs=N); with --resume the new total (default: its config's)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the run directory: no progress bar, no table."),
    as_json: bool = typer.Option(False, "--json", help="Print the run's metrics as JSON on stdout."),
    print_config: bool = typer.Option(False, "--print-config", help="Print the resolved config (every default filled in; JSON with --json) and exit."),
) -> None:
    """Train a network from a YAML config (or go on with a run: --resume) and write a run directory."""
    from dnncli.config import check_name, load_config, validate
    from dnncli.errors import DnnError
    from dnncli.experiments.train import resume as resume_run
    from dnncli.experiments.train import resume_plan, train

    with user_errors():
        command, first = ["dnn", *sys.argv[1:]], 0
        if resume is not None:
            if config is not None or set_ or seed is not None:
                raise DnnError("--resume continues RUN_DIR's own config: give no CONFIG, --set or --seed "
                               "(only --epochs, --name, --out)")
            cfg, state = resume_plan(resume, epochs, name)
            first = int(state["epoch"])
        elif config is None:
            raise DnnError("give a CONFIG file (e.g. configs/adam_moons.yaml), or --resume RUN_DIR")
        else:
            overrides = list(set_) + ([f"seed={seed}"] if seed is not None else [])
            overrides += [f"training.epochs={epochs}"] if epochs is not None else []
            cfg = load_config(config, overrides)
            if name is not None:
                cfg = validate({**cfg.to_dict(), "name": check_name(name, "--name")})
        if print_config:
            sys.stdout.write(json.dumps(cfg.to_dict(), indent=2) + "\n" if as_json else cfg.to_yaml())
            return
        show = not quiet and not as_json and sys.stdout.isatty()
        with _progress(show, cfg.training.epochs, first) as callbacks:
            if resume is not None:
                result = resume_run(resume, out, epochs=epochs, name=name, command=command, callbacks=callbacks)
            else:
                result = train(cfg, out or Path("runs"), command=command, callbacks=callbacks)
    metrics = {**result.metrics, "run_dir": str(result.run_dir)}
    if as_json:
        sys.stdout.write(json.dumps(metrics, indent=2) + "\n")
    elif quiet:
        print(result.run_dir)
    else:
        _print_table(metrics)
    status = metrics["status"]
    if status != Status.COMPLETED:
        print(f"{status}: {metrics.get('message', '')}", file=sys.stderr)
    if status == Status.INTERRUPTED:
        raise typer.Exit(128 + result.exit_signal if result.exit_signal else EXIT_INTERRUPTED)
    if status in (Status.DIVERGED, Status.FAILED):
        raise typer.Exit(EXIT_FAILED)


class _progress:
    """A rich progress bar as a training callback (updated at most 10 times a second)."""

    def __init__(self, show: bool, epochs: int, first: int = 0):
        self.show, self.epochs, self.first = show, epochs, first  # first: a resumed run's first epoch

    def __enter__(self):
        if not self.show:
            return []
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        from dnncli.engine.callbacks import LambdaCallback

        # refreshed by the callback, not by rich's refresh thread: with no thread alive, the run's
        # plot children can be forked (local_pool.Forks)
        self.bar = Progress(
            TextColumn("epoch"), MofNCompleteColumn(), BarColumn(), TextColumn("cost {task.fields[cost]}"),
            TimeRemainingColumn(), console=err_console(), transient=True, auto_refresh=False,
        )
        self.bar.__enter__()
        self.task = self.bar.add_task("train", total=self.epochs, completed=self.first, cost="-")
        self.last = 0.0

        def on_epoch_end(epoch: int, logs: dict) -> None:
            now = time.monotonic()
            if now - self.last > 0.1 or epoch + 1 == self.epochs:
                self.last = now
                self.bar.update(self.task, completed=epoch + 1, cost=f"{float(logs['cost'][0]):.6f}")
                self.bar.refresh()

        return [LambdaCallback(on_epoch_end)]

    def __exit__(self, *exc):
        if self.show:
            self.bar.__exit__(*exc)
        return False


def _print_table(metrics: dict) -> None:
    from rich.table import Table

    table = Table(title=f"{metrics['name']} ({metrics['status']})")
    for column in ("", "train", "test"):
        table.add_column(column, justify="right" if column else "left")
    table.add_row("accuracy", fmt(metrics.get("train_accuracy")), fmt(metrics.get("test_accuracy")))
    table.add_row("cost", fmt(metrics.get("final_cost")), fmt(metrics.get("test_cost")))
    console = out_console()
    console.print(table)
    resumed = f" (resumed at epoch {metrics['resumed_at_epoch']})" if "resumed_at_epoch" in metrics else ""
    console.print(f"{metrics['epochs_run']} epochs{resumed} in {metrics['seconds']:.2f} s; run directory: {metrics['run_dir']}",
                  markup=False, soft_wrap=True)  # a path is never broken by a newline
