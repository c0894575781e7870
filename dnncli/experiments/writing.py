"""Writing a finished run into its directory: config, metrics, history, parameters, plots, report.

Every run directory, wherever it is made (train, compare, tune), follows one life cycle:
``metrics.json`` first (tiny, status ``running``), then ``config.yaml``, and at the end every
other file, ``metrics.json`` last with the final status. Writers take a
:class:`~dnncli.pipeline.RunResult` (which carries the trained model) and never rebuild one.
"""

from __future__ import annotations

import datetime
import math
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dnncli import __version__, execution, local_pool
from dnncli.config import RunConfig
from dnncli.data import Dataset
from dnncli.files import WriteError, write_json, write_text
from dnncli.pipeline import RunResult
from dnncli.processes import process_marker
from dnncli.report import run_report
from dnncli.runs import PROCESS_KEY, save_npz, write_metrics
from dnncli.status import Status


def base_metrics(config: RunConfig, command: list[str] | None) -> dict:
    return {
        "name": config.name,
        "status": str(Status.RUNNING),
        "started": datetime.datetime.now().astimezone().isoformat(timespec="milliseconds"),
        "command": command if command is not None else sys.argv,
        "optimizer": config.optimizer.name,  # for `dnn runs`: what was trained, at a glance
        "learning_rate": config.optimizer.learning_rate,
        "epochs": config.training.epochs,
        PROCESS_KEY: process_marker(),  # pid and host: `dnn runs` shows a dead process's run as stale
        "versions": {"dnncli": __version__, "numpy": np.__version__, "python": platform.python_version()},
    }


def start_run(run_dir: Path, config: RunConfig, command: list[str] | None, extra: dict | None = None) -> dict:
    """The first two files of every run directory: metrics.json (running), then config.yaml.

    ``extra``: more keys for metrics.json from the start (a resumed run's ``resumed_from``)."""
    metrics = {**base_metrics(config, command), **(extra or {})}
    write_metrics(run_dir, metrics)
    write_text(run_dir / "config.yaml", config.to_yaml())
    return metrics


def write_run(run_dir: Path, result: RunResult, metrics: dict, *, dataset: Dataset | None = None,
              plots: bool = True, forks: local_pool.Forks | None = None) -> dict:
    """Write a finished run's files into ``run_dir``; returns the full metrics (also written).

    ``forks``: children forked before training to draw the plots (:func:`plot_forks`)."""
    metrics = {**metrics, **result.metrics()}
    config_yaml = result.config.to_yaml()
    write_text(run_dir / "config.yaml", config_yaml)
    images: list[str] = []
    if result.model is not None:
        save_npz(run_dir / "params.npz", result.model.arrays())
        if result.model.inputs is not None:  # what dnn predict needs to prepare new data as training did
            write_json(run_dir / "data.json", result.model.inputs.to_json())
    if result.training_state is not None:  # dnn train's: what `dnn train --resume` continues from
        save_npz(run_dir / "state.npz", result.training_state)
    if result.history is not None:
        write_text(run_dir / "history.csv", history_csv_text(result.history))
        if plots:
            drawings = run_drawings(run_dir, result, metrics, dataset)
            draw_all(drawings, forks=forks)
            images = [d.path.name for d in drawings]
    write_text(run_dir / "report.md", run_report(metrics, config_yaml, images))
    write_metrics(run_dir, metrics)
    return metrics


def history_columns(h) -> dict[str, list[str]]:
    """history.csv as columns of text: one value per epoch; the evaluated ones ("" elsewhere) at
    the evaluations; ``repr`` of each float (it reads back exactly), "" for NaN.

    Built column by column from ``tolist()`` (a 10000-epoch history in a few milliseconds; a dict
    per row took 0.2 s, which a compare of nine runs paid nine times in its parent process)."""
    n = len(h.cost)
    at = [-1] * n  # epoch -> its evaluation's index, -1 when not evaluated (a repeated epoch: the last)
    for i, e in enumerate(np.asarray(h.eval_epochs).tolist()):
        if 0 <= e < n:
            at[e] = i

    def text(values) -> list[str]:
        return ["" if v != v else repr(v) for v in np.asarray(values, dtype=float).tolist()]

    def evaluated(values) -> list[str]:
        cells = text(values)
        return [cells[i] if i >= 0 else "" for i in at]

    columns = {"epoch": [str(e) for e in range(n)], "cost": text(h.cost), "learning_rate": text(h.learning_rate),
               "train_accuracy": evaluated(h.train_accuracy), "test_cost": evaluated(h.test_cost),
               "test_accuracy": evaluated(h.test_accuracy)}
    if h.val_cost is not None:
        columns["val_cost"], columns["val_accuracy"] = evaluated(h.val_cost), evaluated(h.val_accuracy)
    if h.grad_norm is not None:
        for j in range(np.shape(h.grad_norm)[-1]):
            columns[f"grad_norm_W{j + 1}"] = text(np.asarray(h.grad_norm)[:n, j])
    if h.activation_share is not None:  # dead_A1, ... or saturated_A1, ...: at the evaluations
        for j in range(h.activation_share.shape[-1]):
            columns[f"{h.activation_share_kind}_A{j + 1}"] = evaluated(h.activation_share[:, j])
    return columns


def history_rows(h) -> list[dict]:
    """history.csv's rows as dicts (column -> text), for code that edits a history."""
    columns = history_columns(h)
    return [dict(zip(columns, row)) for row in zip(*columns.values())]


def history_csv_text(h) -> str:
    columns = history_columns(h)
    return ",".join(columns) + "\n" + "".join(",".join(row) + "\n" for row in zip(*columns.values()))


def _csv(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else repr(float(value))


# plot -> the files of a run directory it is drawn from: `dnn show --plots` draws a plot again when
# one of them is newer (confusion.png draws metrics.json's counts, which come from params.npz)
PLOT_SOURCES = {"cost.png": ("history.csv",), "accuracy.png": ("history.csv",), "gradients.png": ("history.csv",),
                "decision_boundary.png": ("params.npz", "config.yaml"), "confusion.png": ("params.npz",)}


def run_drawings(run_dir: Path, result: RunResult, metrics: dict, dataset: Dataset | None) -> list[Drawing]:
    """The plots that apply to a run, in report order (their names are the keys of PLOT_SOURCES)."""
    from dnncli import plots

    h, name, status, model = result.history, metrics["name"], metrics["status"], result.model
    drawings = []
    if h is not None:
        has_test = bool(np.any(np.isfinite(h.test_cost)))
        has_val = h.val_cost is not None and bool(np.any(np.isfinite(h.val_cost)))
        drawings.append(Drawing(plots.plot_cost, run_dir / "cost.png", (h.epochs, h.cost), {
            "test_epochs": h.eval_epochs if has_test else None, "test_cost": h.test_cost if has_test else None,
            "learning_rate": h.learning_rate, "title": f"{name}: cost ({status})",
            "val_epochs": h.eval_epochs if has_val else None, "val_cost": h.val_cost if has_val else None,
            "best_epoch": result.best_epoch if result.restored_best else None,
            "resumed_epoch": metrics.get("resumed_at_epoch")}))
        if np.any(np.isfinite(h.train_accuracy)):
            drawings.append(Drawing(plots.plot_accuracy_curves, run_dir / "accuracy.png", (h.eval_epochs, h.train_accuracy), {
                "test": h.test_accuracy if has_test else None, "validation": h.val_accuracy,
                "title": f"{name}: accuracy ({status})"}))
        if h.grad_norm is not None and np.any(np.isfinite(h.grad_norm)):
            drawings.append(Drawing(plots.plot_gradients, run_dir / "gradients.png", (h.epochs, h.grad_norm),
                                    {"title": f"{name}: gradient norm per layer"}))
    if dataset is not None and dataset.n_features == 2 and model is not None and model.finite:
        acc = f"train {metrics['train_accuracy']:.4f}"
        if metrics.get("test_accuracy") is not None:
            acc += f", test {metrics['test_accuracy']:.4f}"
        drawings.append(Drawing(plots.plot_decision_boundary, run_dir / "decision_boundary.png",
                                (model.predict, dataset.X_train, dataset.labels_train), {
                                    "X_test": dataset.X_test, "labels_test": dataset.labels_test,
                                    "title": f"{name}: accuracy {acc}", "class_names": list(dataset.classes),
                                    "axis_labels": _axis_labels(dataset)}))
    if result.confusion:
        drawings.append(Drawing(plots.plot_confusion, run_dir / "confusion.png", (result.confusion, result.classes),
                                {"title": f"{name}: confusion matrix ({status})"}))
    return drawings


# what a run's plots import (about half a second), in the children that draw them, while the run trains
PLOT_MODULES = ("matplotlib.figure", "matplotlib.backends.backend_agg", "dnncli.plots.run", "dnncli.plots.boundary")


def plot_forks(plots: bool) -> local_pool.Forks:
    """Two children forked now that import what a run's plots need, then draw them side by side
    (:class:`~dnncli.local_pool.Forks`; none without plots, or where a fork is not possible)."""
    return local_pool.Forks(2 if plots else 0, PLOT_MODULES)


@dataclass(frozen=True)
class Drawing:
    """One plot to draw: ``plot(path, *args, **kwargs)``, a :mod:`dnncli.plots` function with
    arguments a worker process can take (arrays, a trained model's ``predict``)."""

    plot: Callable
    path: Path
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def draw_all(drawings: list[Drawing], pool=None, forks: local_pool.Forks | None = None) -> None:
    """Draw every plot: on the local worker processes side by side when ``pool`` has some
    (a compare's three summary plots take longer than the parent needs for everything else);
    by ``forks``' children when it has some (`dnn train`: matplotlib imported while the run
    trained); else half of them in a forked child (`dnn show --plots`: 0.35 s less on two cores)."""
    if forks is not None and forks.children:
        outcomes = forks.map(draw, drawings)
    else:
        outcomes = execution.map_local(draw, drawings, pool) if pool is not None else local_pool.map_halves(draw, drawings)
    for error in outcomes:
        if error is not None:
            raise error


def draw(drawing: Drawing) -> WriteError | None:
    """Draw one plot; a write failure is returned (a worker's task hands it back), not raised."""
    try:
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # a diverged run's inf and NaN
            drawing.plot(drawing.path, *drawing.args, **drawing.kwargs)
    except WriteError as error:  # returned, so that it reaches the parent as itself
        return error
    return None


def _axis_labels(dataset: Dataset) -> list[str] | None:
    """A CSV's two feature names for the boundary's axes ("(standardized)" when they were)."""
    if dataset.features is None:
        return None
    return [f"{name} (standardized)" if dataset.x_mean is not None else name for name in dataset.features]
