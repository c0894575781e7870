"""`dnn train`: build from a config, fit, and leave a complete run directory behind."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from dnncli.build import build, warn_unscaled
from dnncli.config import RunConfig
from dnncli.experiments.signals import deferred_signals
from dnncli.experiments.writing import base_metrics, start_run, write_run
from dnncli.files import WriteError
from dnncli.pipeline import RunResult, held_out, train_built
from dnncli.runs import create_run_dir, write_metrics
from dnncli.status import Status


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    config: RunConfig
    metrics: dict
    result: RunResult
    exit_signal: int | None = None  # the signal that interrupted it (SIGINT 2, SIGTERM 15)


def execute(config: RunConfig, callbacks=()) -> RunResult:
    """Build and fit one config in memory (no files)."""
    dataset, X_val, Y_val = held_out(config)
    return train_built(config, build(config, dataset), callbacks, X_val, Y_val)


def train(config: RunConfig, out: str | Path = "runs", *, command: list[str] | None = None, callbacks=(),
          plots: bool = True) -> TrainResult:
    """Train one config; write config, metrics, history, params, plots and report.

    Bad input (unknown data file, ...) raises before any directory is made. Once the
    run directory exists, every outcome leaves it with a status in metrics.json. Ctrl-C and
    SIGTERM stop after the current step; the files are written, status ``interrupted``.
    """
    dataset, X_val, Y_val = held_out(config)  # the validation examples (data.validation) are not trained on
    built = build(config, dataset)
    warn_unscaled(config, built.dataset)
    run_dir = create_run_dir(out, config.name)
    metrics = base_metrics(config, command)
    with deferred_signals() as stop:
        try:
            metrics = start_run(run_dir, config, command)
            result = train_built(config, built, [stop, *callbacks], X_val, Y_val)
            metrics = write_run(run_dir, result, metrics, dataset=built.dataset, plots=plots)
        except BaseException as exc:  # leave a valid run directory whatever happened, then re-raise
            with contextlib.suppress(OSError, WriteError):  # a full disk may refuse this one too
                write_metrics(run_dir, {**metrics, "status": str(Status.FAILED),
                                        "message": f"{type(exc).__name__}: {exc}"})
            raise
    return TrainResult(run_dir, config, metrics, result, stop.signum if result.status == Status.INTERRUPTED else None)
