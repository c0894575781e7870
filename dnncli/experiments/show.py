"""`dnn show DIR`: what a train, compare or tune directory holds, and its plots drawn again from its files.

Nothing is trained. The tables come from ``metrics.json`` (train), ``summary.json`` (compare)
or the tune's study (tune, read only). :func:`redraw` draws each plot that is missing or older
than a file it is drawn from (``PLOT_SOURCES`` of :mod:`~dnncli.experiments.writing` and
:mod:`~dnncli.experiments.compare`; a tune's ``search.png`` is drawn from its study), from
``history.csv``, ``params.npz``, ``config.yaml`` and the data the config names, with the same
figure code as the commands that wrote the directory, then rewrites ``report.md`` to show the
plots. A compare's or tune's own plots are redrawn, not those of the runs inside it (``dnn show
DIR/RUN --plots`` draws a run's, e.g. the per-run plots a compare does not draw).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dnncli.errors import DnnError
from dnncli.runs import read_metrics

KINDS = {"train": "metrics.json", "compare": "summary.json", "tune": "tune.yaml"}  # kind -> the file that tells it
FILES = {  # what each file of a directory is, for the listing
    "config.yaml": "the resolved config: `dnn train` it to re-run",
    "metrics.json": "status, accuracies, costs, seconds",
    "history.csv": "cost and learning rate per epoch; the evaluations",
    "params.npz": "the trained parameters W1, b1, ... (init: {name: file})",
    "report.md": "the tables and plots, readable on any git host",
    "cost.png": "cost per epoch", "accuracy.png": "accuracies", "gradients.png": "gradient norm per layer",
    "decision_boundary.png": "the decision boundary over the data", "confusion.png": "confusion matrices",
    "summary.json": "per-arm statistics and the verdict", "summary.csv": "per-arm statistics, one row per arm",
    "costs.png": "mean cost per arm", "boundaries.png": "a decision boundary per arm",
    "tune.yaml": "the base config and its search space", "trials.csv": "every trial: values, metrics, status",
    "best.yaml": "the best trial's config: `dnn train` it", "study.journal": "Optuna's study (for --resume)",
    "study.db": "Optuna's study (dnncli 0.1)", "search.png": "the metric against each searched value",
    "data.json": "features, classes and standardization (for dnn predict)",
    "state.npz": "the training state: `dnn train --resume` goes on from it",
    "lr.png": "validation accuracy per learning rate (--tune-lr)",
    "lr_find.csv": "final cost and accuracy per rate and seed", "lr_find.json": "the suggestion and its rule",
    "lr_find.png": "cost against the learning rate",
}


@dataclass(frozen=True)
class Shown:
    """A directory as it stands: its kind, its record, and the files in it (folders end in ``/``)."""

    kind: str
    path: Path
    files: tuple[str, ...]
    metrics: dict | None = None  # train
    compare: object | None = None  # a CompareResult
    tune: object | None = None  # a TuneResult


@dataclass(frozen=True)
class Redrawn:
    """What :func:`redraw` did: plots drawn, plots already current, and one line per plot it could not draw."""

    drawn: tuple[str, ...] = ()
    current: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def kind_of(path: str | Path) -> str:
    path = Path(path)
    if not path.is_dir():
        raise DnnError(f"{path}: no such directory")
    for kind, marker in KINDS.items():
        if (path / marker).is_file():
            return kind
    raise DnnError(f"{path}: not a train, compare or tune directory (no metrics.json, summary.json or tune.yaml)")


def show(path: str | Path) -> Shown:
    """The directory's kind, record (metrics, compare summary or tune trials) and files."""
    path = Path(path)
    kind = kind_of(path)
    files = tuple(sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir() if not p.name.startswith(".")))
    if kind == "train":
        return Shown(kind, path, files, metrics=_metrics(path))
    if kind == "compare":
        return Shown(kind, path, files, compare=_compare(path))
    from dnncli.experiments.tune.writers import read_tune

    return Shown(kind, path, files, tune=read_tune(path)[0])


def redraw(path: str | Path) -> Redrawn:
    """Draw the directory's plots that are missing or older than a file they are drawn from."""
    path = Path(path)
    return {"train": _redraw_run, "compare": _redraw_compare, "tune": _redraw_tune}[kind_of(path)](path)


# -- reading a directory back ---------------------------------------------------------------
def _metrics(path: Path) -> dict:
    metrics = read_metrics(path)
    if metrics is None or not isinstance(metrics.get("status"), str):
        raise DnnError(f"{path / 'metrics.json'}: not readable as a run's metrics")
    return metrics


def _compare(path: Path):
    from dnncli.experiments.compare import CompareResult

    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        summary = None
    if not isinstance(summary, dict) or not isinstance(summary.get("status"), str):
        raise DnnError(f"{path / 'summary.json'}: not readable as a compare's summary")
    return CompareResult(path, str(summary.get("axis", "?")), summary, summary.get("best"), str(summary.get("verdict", "")),
                         int(summary.get("failed") or 0))


def read_history(path: Path):
    """history.csv back into a :class:`~dnncli.engine.training.History` (empty cells are NaN)."""
    from dnncli.engine.training import History

    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames or [], list(reader)
    evaluated = ("train_accuracy", "test_cost", "test_accuracy", "val_cost", "val_accuracy")
    evals = [r for r in rows if any(r.get(k) for k in evaluated)]

    def column(name: str, of: list[dict]) -> np.ndarray:
        return np.array([float(r[name]) if r.get(name) else np.nan for r in of], dtype=float)

    grads = sorted((k for k in header if k.startswith("grad_norm_W")), key=lambda k: int(k.removeprefix("grad_norm_W")))
    return History(column("cost", rows), column("learning_rate", rows), np.array([int(r["epoch"]) for r in evals], dtype=int),
                   column("train_accuracy", evals), column("test_cost", evals), column("test_accuracy", evals),
                   column("val_cost", evals) if "val_cost" in header else None,
                   column("val_accuracy", evals) if "val_accuracy" in header else None,
                   np.column_stack([column(k, rows) for k in grads]) if grads else None)


@dataclass
class LoadedRun:
    """A run directory read back: a RunResult with what its files hold, its metrics, its training data,
    and one line per file that is missing or unreadable."""

    result: object
    metrics: dict
    dataset: object | None = None
    problems: list[str] = field(default_factory=list)


def load_run(path: Path, *, model: bool = True, datasets=None) -> LoadedRun:
    """Read ``path`` back (``model``: also its data and params.npz, for the plots that need them)."""
    from dnncli.config import read_yaml, validate
    from dnncli.pipeline import RunResult, held_out
    from dnncli.status import Status

    metrics = _metrics(path)
    problems: list[str] = []
    config = history = dataset = trained = None
    try:
        config = validate(read_yaml(path / "config.yaml"))
    except DnnError as exc:
        problems.append(f"config.yaml: {exc}")
    if (path / "history.csv").is_file():
        try:
            history = read_history(path / "history.csv")
        except (OSError, ValueError, KeyError, csv.Error) as exc:
            problems.append(f"history.csv cannot be read ({type(exc).__name__}: {str(exc)[:80]})")
    else:
        problems.append(f"history.csv is missing (status {metrics['status']}): no cost, accuracy or gradient plots")
    if model and config is not None:
        try:
            dataset = datasets.of(config) if datasets is not None else held_out(config)[0]
        except DnnError as exc:
            problems.append(f"the data cannot be loaded ({exc}): no decision boundary")
        if dataset is not None:
            trained, problem = _trained_model(path, config, dataset)
            if problem and dataset.n_features == 2:
                problems.append(problem)
    status = metrics["status"]
    numbers = {k: metrics.get(k) for k in ("message", "train_accuracy", "test_accuracy", "final_cost", "best_epoch",
                                           "restored_best")}
    numbers["message"] = numbers["message"] or ""
    for key, kind in (("epochs_run", int), ("updates", int), ("seconds", float)):  # compare's x axis uses them
        value = metrics.get(key)
        numbers[key] = kind(value) if isinstance(value, int | float) and not isinstance(value, bool) else kind(0)
    classes, confusion = metrics.get("classes"), metrics.get("confusion")
    result = RunResult(config, Status(status) if status in Status.__members__.values() else status,
                       **numbers, classes=tuple(classes) if isinstance(classes, list) else None,
                       confusion=confusion if isinstance(confusion, dict) else None, model=trained, history=history)
    return LoadedRun(result, metrics, dataset, problems)


def _trained_model(path: Path, config, dataset):
    """(TrainedModel, None) from params.npz, or (None, the reason in one line)."""
    from dnncli.build import build_network
    from dnncli.pipeline import TrainedModel
    from dnncli.runs import load_npz

    if not (path / "params.npz").is_file():
        return None, "params.npz is missing: no decision boundary"
    network = build_network(config, dataset)
    try:
        arrays = load_npz(path / "params.npz")
        theta = network.layout.from_arrays(arrays)
        return TrainedModel(network, theta, {k: v for k, v in arrays.items() if k.startswith("running_")}), None
    except (OSError, ValueError, KeyError) as exc:
        return None, f"params.npz cannot be read for this config ({type(exc).__name__}: {str(exc)[:80]}): no decision boundary"


# -- redrawing -------------------------------------------------------------------------------
def _outdated(plot: Path, sources: Iterable[Path]) -> bool:
    """Missing, or older than one of ``sources`` (those that exist)."""
    if not plot.is_file():
        return True
    made = plot.stat().st_mtime_ns
    return any(s.stat().st_mtime_ns > made for s in sources if s.is_file())


def _stale(drawings, sources) -> tuple[list, tuple[str, ...]]:
    """The drawings to draw again (``sources(name)``: the files each is drawn from), and the names of the others."""
    stale = [d for d in drawings if _outdated(d.path, sources(d.path.name))]
    drawn = {d.path.name for d in stale}
    return stale, tuple(d.path.name for d in drawings if d.path.name not in drawn)


def _redraw_run(path: Path) -> Redrawn:
    from dnncli.experiments.writing import PLOT_SOURCES, draw_all, run_drawings
    from dnncli.files import write_text
    from dnncli.report import run_report

    loaded = load_run(path)
    drawings = run_drawings(path, loaded.result, loaded.metrics, loaded.dataset)
    stale, current = _stale(drawings, lambda name: [path / s for s in PLOT_SOURCES[name]])
    draw_all(stale)
    if stale:
        config_yaml = (path / "config.yaml").read_text(encoding="utf-8") if (path / "config.yaml").is_file() else ""
        write_text(path / "report.md", run_report(loaded.metrics, config_yaml, [d.path.name for d in drawings]))
    return Redrawn(tuple(d.path.name for d in stale), current, tuple(loaded.problems))


def _redraw_compare(path: Path) -> Redrawn:
    from dnncli.experiments.compare_report import PLOT_SOURCES, Datasets, compare_drawings, compare_report
    from dnncli.experiments.writing import draw_all
    from dnncli.files import write_text
    from dnncli.presets import AXES

    summary = _compare(path).summary
    if not isinstance(summary.get("arms"), dict):
        return Redrawn(problems=(f"summary.json holds no arms (the compare is {summary['status']}): nothing to draw",))
    datasets, by_arm, problems = Datasets(), {}, []
    for arm, entry in summary["arms"].items():
        by_arm[arm] = []
        for i, run in enumerate(entry.get("runs", [])):
            run_dir = path / str(run.get("dir", ""))
            if not (run_dir / "metrics.json").is_file():
                problems.append(f"{run_dir.name}/metrics.json is missing: run left out of the plots")
                continue
            loaded = load_run(run_dir, model=i == 0, datasets=datasets)  # the boundary grid shows each arm's first seed
            problems += [f"{run_dir.name}/{p}" for p in loaded.problems]
            by_arm[arm].append({**run, "result": loaded.result})
    tuning = {arm: e["lr_tuning"] for arm, e in summary["arms"].items() if isinstance(e.get("lr_tuning"), dict)}
    drawings = compare_drawings(path, by_arm, summary.get("best"), datasets, summary.get("x", "auto"), tuning or None)
    stale, current = _stale(drawings, lambda name: [s for pattern in PLOT_SOURCES[name] for s in path.glob(pattern)])
    draw_all(stale)
    if stale:
        images = [d.path.name for d in drawings]
        write_text(path / "report.md", compare_report(summary, images, AXES.get(summary.get("axis"))))
    return Redrawn(tuple(d.path.name for d in stale), current, tuple(problems))


def _redraw_tune(path: Path) -> Redrawn:
    from dnncli.experiments.tune.study import study_file
    from dnncli.experiments.tune.writers import read_tune, redraw_search

    result, base = read_tune(path)
    if not result.rows:
        return Redrawn(problems=("the study holds no trials yet: no search.png",))
    if not _outdated(path / "search.png", [study_file(path)]):
        return Redrawn(current=("search.png",))
    return Redrawn(drawn=tuple(redraw_search(result, base)))
