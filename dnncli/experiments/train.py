"""`dnn train`: build from a config, fit, and leave a complete run directory behind.

``dnn train --resume RUN_DIR`` continues a completed or interrupted run from its ``state.npz``
in a new run directory (the old one is never touched): bit for bit as if it had run straight on.
"""

from __future__ import annotations

import contextlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from dnncli.build import build, warn_unscaled
from dnncli.config import RunConfig, check_name, load_config, validate
from dnncli.engine.training import fit
from dnncli.errors import ConfigError, DnnError
from dnncli.experiments import writing
from dnncli.experiments.signals import deferred_signals
from dnncli.experiments.writing import base_metrics, start_run, write_run
from dnncli.files import WriteError
from dnncli.pipeline import RunResult, early_stopping, held_out, train_built
from dnncli.runs import create_run_dir, load_npz, read_metrics, write_metrics
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
    """Train one config; write config, metrics, history, params, state, plots and report.

    Bad input (unknown data file, ...) raises before any directory is made. Once the
    run directory exists, every outcome leaves it with a status in metrics.json. Ctrl-C and
    SIGTERM stop after the current epoch; the files are written, status ``interrupted``.
    """
    return _train(config, out, command, callbacks, plots)


def resume(run_dir: str | Path, out: str | Path | None = None, *, epochs: int | None = None, name: str | None = None,
           command: list[str] | None = None, callbacks=(), plots: bool = True) -> TrainResult:
    """Continue the run in ``run_dir`` up to ``epochs`` in all (default: its config's) in a new run
    directory under ``out`` (default: beside it), whose metrics.json records ``resumed_from``.

    The run must be ``completed`` or ``interrupted`` and hold a ``state.npz``; its history is
    joined in front of the new epochs. Anything that does not fit is refused before a directory
    is made (one line, exit 2).
    """
    old = Path(run_dir).resolve()
    config, state = resume_plan(old, epochs, name)
    extra = {"resumed_from": str(old), "resumed_at_epoch": int(state["epoch"])}
    return _train(config, old.parent if out is None else out, command, callbacks, plots, state, extra)


def _train(config: RunConfig, out, command, callbacks, plots: bool, state: dict | None = None,
           extra: dict | None = None) -> TrainResult:
    dataset, X_val, Y_val = held_out(config)  # the validation examples (data.validation) are not trained on
    built = build(config, dataset)
    warn_unscaled(config, built.dataset)
    if state is not None:
        _check_fits(config, dataset, X_val, Y_val, state, extra["resumed_from"])
    run_dir = create_run_dir(out, config.name)
    metrics = {**base_metrics(config, command), **(extra or {})}
    # the plots' children fork before training (one thread alive) and import matplotlib meanwhile;
    # inside deferred_signals, so that a Ctrl-C while they fork is one more deferred signal
    with deferred_signals() as stop, writing.plot_forks(plots) as forks:
        try:
            metrics = start_run(run_dir, config, command, extra)
            result = train_built(config, built, [stop, *callbacks], X_val, Y_val, keep_state=True, resume=state)
            metrics = write_run(run_dir, result, metrics, dataset=built.dataset, plots=plots, forks=forks)
        except BaseException as exc:  # leave a valid run directory whatever happened, then re-raise
            with contextlib.suppress(OSError, WriteError):  # a full disk may refuse this one too
                write_metrics(run_dir, {**metrics, "status": str(Status.FAILED),
                                        "message": f"{type(exc).__name__}: {exc}"})
            raise
    return TrainResult(run_dir, config, metrics, result, stop.signum if result.status == Status.INTERRUPTED else None)


def resume_plan(run_dir: str | Path, epochs: int | None = None, name: str | None = None) -> tuple[RunConfig, dict]:
    """The config a resumed run goes on with (``epochs`` the new total) and its state, or one DnnError line."""
    old = Path(run_dir).resolve()
    where = f"--resume {old}"
    if not old.is_dir():
        raise DnnError(f"{where}: no such run directory")
    metrics = read_metrics(old)
    if metrics is None:
        raise DnnError(f"{where}: no readable metrics.json: not a run directory")
    status = metrics.get("status")
    if status not in (Status.COMPLETED, Status.INTERRUPTED):
        raise DnnError(f"{where}: its status is {status!r}; only a completed or interrupted run can be resumed")
    if metrics.get("stopped_epoch") is not None:
        raise DnnError(f"{where}: early stopping ended it at epoch {metrics['stopped_epoch']}; "
                       "a longer run stops there too")
    if not (old / "state.npz").is_file():
        raise DnnError(f"{where}: no state.npz (dnn train writes one; runs of compare and tune do not)")
    try:
        state = load_npz(old / "state.npz")
        done = int(state["epoch"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DnnError(f"{where}: state.npz cannot be read ({type(exc).__name__}: {exc})") from None
    config = load_config(old / "config.yaml")
    total = config.training.epochs if epochs is None else epochs
    if total <= done and epochs is None:
        raise DnnError(f"{where}: it has trained all its {done} epochs; give a larger total with --epochs N")
    if total <= done:
        raise ConfigError("--epochs", total, f"a total above the {done} epochs the run has trained")
    raw = config.to_dict()
    raw["training"]["epochs"] = total
    if name is not None:
        raw["name"] = check_name(name, "--name")
    return validate(raw), state


def _check_fits(config: RunConfig, dataset, X_val, Y_val, state: dict, where: str) -> None:
    """Load the state into throwaway objects of the config (a fit of no new epoch), so that a
    state.npz that does not fit its config.yaml is refused before any directory is made."""
    probe = build(config, dataset)
    try:
        fit(probe.network, probe.theta, dataset.X_train, dataset.Y_train, optimizer=probe.optimizer,
            schedule=probe.schedule, epochs=int(state["epoch"]), batch_size=config.training.batch_size,
            seeding=probe.seeding, callbacks=early_stopping(config), X_val=X_val, Y_val=Y_val, resume=state)
    except (ValueError, TypeError, KeyError) as exc:
        raise DnnError(f"--resume {where}: state.npz does not fit its config.yaml ({exc})") from None
