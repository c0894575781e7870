"""What a compare directory shows: its plots (costs, accuracy, boundaries, learning rates) and report.md.

Drawn from the run rows and summary of :func:`dnncli.experiments.compare.compare`, and again
by ``dnn show --plots`` from the files a compare left (:data:`PLOT_SOURCES`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dnncli.build import build_dataset
from dnncli.config import RunConfig
from dnncli.data import Dataset
from dnncli.errors import DnnError
from dnncli.experiments import lr_tuning
from dnncli.experiments.target import target_note
from dnncli.experiments.writing import Drawing, draw_all
from dnncli.pipeline import RunResult
from dnncli.status import Status


class Datasets:
    """Each distinct data config loaded once (for the plots of 2-D data), in this process."""

    def __init__(self):
        self._cache: dict[str, Dataset | None] = {}

    def of(self, config: RunConfig) -> Dataset | None:
        key = repr(config.to_dict()["data"])
        if key not in self._cache:
            try:
                self._cache[key] = build_dataset(config)
            except DnnError:
                self._cache[key] = None
        return self._cache[key]


X_AXES = ("auto", "epochs", "updates", "seconds")  # costs.png's x axis; auto: updates when the arms' epochs differ in updates


def _x_axis(runs: dict[str, list[dict]], x: str) -> tuple[dict[str, float], str]:
    """Per arm, the x units of one epoch (updates or seconds per epoch, the mean over its seeds), and the label."""
    def per_epoch(arm, key):
        values = [getattr(r["result"], key) / r["result"].epochs_run for r in runs[arm] if r["result"].epochs_run]
        return float(np.mean(values)) if values else 1.0

    if x == "auto":
        x = "updates" if len({per_epoch(arm, "updates") for arm in runs if runs[arm]}) > 1 else "epochs"
    if x == "epochs":
        return dict.fromkeys(runs, 1.0), "epoch"
    return {arm: per_epoch(arm, x) for arm in runs}, "updates" if x == "updates" else "seconds of training"


# plot -> what it is drawn from (in the run directories, or the compare's own): `dnn show --plots` draws
# it again when one of them is newer
PLOT_SOURCES = {"costs.png": ("*/history.csv",), "accuracy.png": ("summary.json",),
                "boundaries.png": ("*/params.npz", "*/config.yaml"), "lr.png": ("summary.json",)}


def write_plots(out_dir: Path, runs: dict, best: str | None, datasets: Datasets, pool=None, x: str = "auto",
                 tuning: dict | None = None) -> list[str]:
    """costs.png, accuracy.png, (2-D data) boundaries.png and (--tune-lr) lr.png, drawn side by side by the local workers."""
    drawings = compare_drawings(out_dir, runs, best, datasets, x, tuning)
    draw_all(drawings, pool)
    return [d.path.name for d in drawings]


def compare_drawings(out_dir: Path, runs: dict[str, list[dict]], best: str | None, datasets: Datasets,
                     x: str = "auto", tuning: dict | None = None) -> list[Drawing]:
    """The compare's plots, in report order (the keys of PLOT_SOURCES). ``runs`` maps each arm to its
    runs: seed, metrics and ``result``, a RunResult (whose model or history may be missing); ``tuning``
    maps each arm to its ``lr_tuning`` record (summary.json's)."""
    from dnncli import plots

    curves = {}
    for arm, rs in runs.items():
        histories = [r["result"].history.cost for r in rs if r["result"].history is not None]
        width = max((len(h) for h in histories), default=0)
        rows = np.full((max(len(histories), 1), max(width, 1)), np.nan)
        for i, h in enumerate(histories):
            rows[i, : len(h)] = h
        curves[arm] = rows
    x_per_epoch, x_label = _x_axis(runs, x)
    drawings = [Drawing(plots.plot_compare_costs, out_dir / "costs.png", (curves,),
                        {"title": f"compare {', '.join(curves)}: train cost (incl. any L2 term) by {x_label}",
                         "x_per_epoch": x_per_epoch, "x_label": x_label})]

    def per_seed(key):
        return {a: [r[key] for r in runs[a] if r[key] is not None] for a in runs}

    drawings.append(Drawing(plots.plot_accuracy, out_dir / "accuracy.png",
                            (list(runs), per_seed("train_accuracy"), per_seed("test_accuracy")),
                            {"best": best if len(runs) > 1 else None, "title": "accuracy per arm (dots: seeds)"}))
    panels = []
    for arm, rs in runs.items():
        if not rs:
            continue
        first = rs[0]
        result: RunResult = first["result"]
        ds = datasets.of(result.config) if result.config is not None else None
        if ds is None:  # an arm whose data cannot be loaded has no panel
            continue
        if ds.n_features != 2:
            panels = []
            break
        predict, title = None, f"{arm}: {result.status}"
        if result.model is not None and result.model.finite:
            predict = result.model.predict
            title = f"{arm} (seed {first['seed']}): train {first['train_accuracy']:.3f}"
            if first["test_accuracy"] is not None:
                title += f", test {first['test_accuracy']:.3f}"
        panels.append({"title": title, "predict": predict, "X_train": ds.X_train, "labels_train": ds.labels_train,
                       "X_test": ds.X_test, "labels_test": ds.labels_test})
    if panels:
        drawings.append(Drawing(plots.plot_boundaries_grid, out_dir / "boundaries.png", (panels,),
                                {"title": "decision boundaries (first seed)"}))
    if tuning:
        tables = {name: [(row["learning_rate"], row["val_accuracy"] if row["status"] == Status.COMPLETED else None)
                         for row in choice["candidates"]] for name, choice in tuning.items()}
        chosen = {name: choice["learning_rate"] for name, choice in tuning.items()}
        drawings.append(Drawing(plots.plot_tuned_rates, out_dir / "lr.png", (tables, chosen),
                                {"title": "each arm's learning rate, chosen on validation accuracy"}))
    return drawings


def compare_report(summary: dict, images: list[str], axis) -> str:
    from dnncli.report import fmt, pm

    goal = summary.get("target")
    lines = [f"# compare: {summary['axis']}", ""]
    if axis is not None:
        lines += [f"Question: {axis.question}", ""]
    lines += [f"{summary['seeds']} seeds per arm, run on {summary['executor']}"
              + (f" ({summary['reruns']} runs re-run after a worker died)" if summary["reruns"] else "")
              + f". **{summary['verdict']}**", "",
              "| arm | train acc (mean ± std) | test acc (mean ± std) | final cost | best / worst seed | s per run | failed |"
              + (" epochs to target | updates to target | reached |" if goal else ""),
              "| --- | --- | --- | --- | --- | --- | --- |" + (" --- | --- | --- |" if goal else "")]
    for arm, e in summary["arms"].items():
        star = " ★" if arm == summary["best"] and len(summary["arms"]) > 1 else ""
        line = (f"| {arm}{star} | {pm(e['train_accuracy'])} | {pm(e['test_accuracy'])} | {fmt(e['final_cost']['mean'])} "
                f"| {fmt(e['best_seed'])} / {fmt(e['worst_seed'])} | {e['seconds']:.2f} | {e['failed']} |")
        if goal:
            t = e["to_target"]
            line += f" {fmt(t['epochs']['mean'], 0)} | {fmt(t['updates']['mean'], 0)} | {t['reached']} of {t['runs']} |"
        lines.append(line)
    if goal:
        lines += ["", f"Target: {target_note(goal, summary)}. Epochs and updates are means over the seeds "
                      "that reached it (`-`: none did)."]
    lines += ["", "What each arm sets on the base config:", ""]
    lines += [f"- {arm}: {', '.join(f'`{c}`' for c in e.get('changes', [])) or 'nothing (the config as written)'}"
              for arm, e in summary["arms"].items()]
    lines.append("")
    if summary.get("lr_protocol"):
        lines += ["Learning rates: " + summary["lr_protocol"], ""]
        for arm, e in summary["arms"].items():
            if "lr_tuning" in e:
                tried = e["lr_tuning"]
                edge = lr_tuning.at_edge(tried)
                lines.append(f"- {arm}: {e['learning_rate']:.3g} (tried {len(tried['candidates'])} from {tried['range'][0]:.3g} "
                             f"to {tried['range'][1]:.3g})" + (f"; at the {edge} end of the grid: a wider --lr-range may do better"
                                                               if edge else ""))
        lines.append("")
    lines += [f"![{image}]({image})\n" for image in images]
    return "\n".join(lines)
