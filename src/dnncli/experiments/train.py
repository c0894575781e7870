"""`dnn train`: build from a config, fit, and leave a complete run directory behind."""

from __future__ import annotations

import datetime
import math
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnncli import __version__
from dnncli.build import Built, build
from dnncli.config import RunConfig
from dnncli.engine.training import FitResult, accuracy, fit, labels_of
from dnncli.files import write_text
from dnncli.report import run_report
from dnncli.runs import create_run_dir, save_npz, write_history_csv, write_metrics


@dataclass(frozen=True)
class TrainResult:
    run_dir: Path
    config: RunConfig
    metrics: dict
    fit: FitResult | None


@dataclass(frozen=True)
class Outcome:
    """What one training run computed (picklable: it travels back from worker processes)."""

    config: RunConfig
    metrics: dict
    fit: FitResult | None


def execute(config: RunConfig, callback: Callable[[int, float, float], None] | None = None,
            built: Built | None = None) -> Outcome:
    """Build and fit one config, in memory (no files): the unit of work of every command."""
    built = built if built is not None else build(config)
    ds = built.dataset
    result = fit(
        built.network, built.theta, ds.X_train, ds.Y_train,
        optimizer=built.optimizer, schedule=built.schedule,
        epochs=config.training.epochs, batch_size=config.training.batch_size, seeding=built.seeding,
        X_test=ds.X_test, Y_test=ds.Y_test, eval_every=config.training.eval_every, callback=callback,
    )
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # a diverged model saturates
        return Outcome(config, _result_metrics(built, result, config), result)


def train(
    config: RunConfig,
    out: str | Path = "runs",
    *,
    command: list[str] | None = None,
    callback: Callable[[int, float, float], None] | None = None,
    plots: bool = True,
) -> TrainResult:
    """Train one config; write config, metrics, history, params, plots and report.

    Bad input (unknown data file, ...) raises before any directory is made. Once the
    run directory exists, every outcome leaves it with a status in metrics.json.
    """
    built = build(config)
    run_dir = create_run_dir(out, config.name)
    write_text(run_dir / "config.yaml", config.to_yaml())
    metrics = base_metrics(config, command)
    write_metrics(run_dir, metrics)
    try:
        outcome = execute(config, callback, built)
        metrics = write_run(run_dir, outcome, metrics, plots=plots, built=built)
    except BaseException as exc:  # leave a valid run directory whatever happened, then re-raise
        write_metrics(run_dir, {**metrics, "status": "failed", "message": f"{type(exc).__name__}: {exc}"})
        raise
    return TrainResult(run_dir, config, metrics, outcome.fit)


def write_run(run_dir: Path, outcome: Outcome, metrics: dict, *, plots: bool = True,
              built: Built | None = None) -> dict:
    """Write a finished run's files into ``run_dir``; returns the full metrics.

    ``built`` is rebuilt from the config when not given (for results that came back from
    another process), so plots can draw the network's decision boundary.
    """
    config, result = outcome.config, outcome.fit
    metrics = {**metrics, **outcome.metrics}
    config_yaml = config.to_yaml()
    write_text(run_dir / "config.yaml", config_yaml)
    images: list[str] = []
    if result is not None:
        built = built if built is not None else build(config)
        state = result.extra.get("state") or {}
        if state:
            built.network.load_state(state)  # batch norm's running statistics, for predictions
        save_npz(run_dir / "params.npz", {**built.network.layout.to_arrays(result.theta), **state})
        write_history_csv(run_dir / "history.csv", _history_rows(result))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            images = _write_plots(run_dir, built, result, metrics) if plots else []
    write_text(run_dir / "report.md", run_report(metrics, config_yaml, images))
    write_metrics(run_dir, metrics)
    return metrics


def base_metrics(config: RunConfig, command: list[str] | None) -> dict:
    return {
        "name": config.name,
        "status": "running",
        "started": datetime.datetime.now().astimezone().isoformat(timespec="milliseconds"),
        "command": command if command is not None else sys.argv,
        "versions": {"dnncli": __version__, "numpy": np.__version__, "python": platform.python_version()},
    }


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _result_metrics(built: Built, result: FitResult, config: RunConfig) -> dict:
    ds, network = built.dataset, built.network
    params = network.layout.split(result.theta)
    finite = bool(np.all(np.isfinite(result.theta)))
    out = {
        "status": result.status,
        "message": result.message,
        "train_accuracy": float(np.mean(accuracy(network, params, ds.X_train, labels_of(ds.Y_train)))) if finite else None,
        "test_accuracy": None,
        "final_cost": _finite(result.history.cost[-1]) if len(result.history.cost) else None,
        "test_cost": None,
        "epochs_run": result.epochs_run,
        "seconds": round(result.seconds, 4),
    }
    if ds.has_test and finite:
        out["test_accuracy"] = float(np.mean(accuracy(network, params, ds.X_test, labels_of(ds.Y_test))))
        out["test_cost"] = _finite(float(np.mean(network.cost(params, ds.X_test, ds.Y_test))))
    batch = config.training.batch_size or ds.X_train.shape[-1]
    updates = result.epochs_run * math.ceil(ds.X_train.shape[-1] / batch)
    out["updates"] = updates
    out["us_per_update"] = round(result.seconds / updates * 1e6, 2) if updates else None
    return out


def _history_rows(result: FitResult) -> list[dict]:
    h = result.history
    evals = {int(e): i for i, e in enumerate(h.eval_epochs)}
    rows = []
    for epoch in range(len(h.cost)):
        i = evals.get(epoch)
        rows.append({
            "epoch": epoch,
            "cost": _csv(h.cost[epoch]),
            "learning_rate": _csv(h.learning_rate[epoch]),
            "train_accuracy": "" if i is None else _csv(h.train_accuracy[i]),
            "test_cost": "" if i is None else _csv(h.test_cost[i]),
            "test_accuracy": "" if i is None else _csv(h.test_accuracy[i]),
        })
    return rows


def _csv(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))


def _write_plots(run_dir: Path, built: Built, result: FitResult, metrics: dict) -> list[str]:
    from dnncli import plots

    h, ds, network = result.history, built.dataset, built.network
    name = metrics["name"]
    has_test = bool(np.any(np.isfinite(h.test_cost)))
    plots.plot_cost(
        run_dir / "cost.png", h.epochs, h.cost,
        test_epochs=h.eval_epochs if has_test else None, test_cost=h.test_cost if has_test else None,
        learning_rate=h.learning_rate, title=f"{name}: cost ({metrics['status']})",
    )
    images = ["cost.png"]
    if ds.n_features == 2 and np.all(np.isfinite(result.theta)):
        params = network.layout.split(result.theta)
        acc = f"train {metrics['train_accuracy']:.4f}"
        if metrics.get("test_accuracy") is not None:
            acc += f", test {metrics['test_accuracy']:.4f}"
        plots.plot_decision_boundary(
            run_dir / "decision_boundary.png", lambda X: network.predict(params, X),
            ds.X_train, ds.labels_train, X_test=ds.X_test, labels_test=ds.labels_test,
            title=f"{name}: accuracy {acc}", class_names=list(ds.classes),
        )
        images.append("decision_boundary.png")
    return images
