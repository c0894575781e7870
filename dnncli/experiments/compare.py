"""`dnn compare`: the same question asked of several arms, each over several seeds, in parallel."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dnncli import execution, pipeline
from dnncli.build import build, build_dataset, warn_unscaled
from dnncli.config import RunConfig, check_name
from dnncli.data import Dataset
from dnncli.errors import ConfigError, DnnError
from dnncli.experiments import lr_tuning
from dnncli.experiments.arms import Arm, resolve_arms, safe_name, vary_arms, with_seed
from dnncli.experiments.signals import deferred_signals
from dnncli.experiments.stats import ALPHA, describe, welch
from dnncli.experiments.target import Target, arm_summary, target_note, updates_per_epoch
from dnncli.experiments.writing import Drawing, draw_all, start_run, write_run
from dnncli.files import WriteError, write_json, write_text
from dnncli.pipeline import RunResult
from dnncli.presets import AXES
from dnncli.runs import create_run_dir, write_history_csv, write_metrics
from dnncli.status import Status

STATS = ("train_accuracy", "test_accuracy", "final_cost")


@dataclass(frozen=True)
class CompareResult:
    out_dir: Path
    axis: str
    summary: dict
    best: str | None
    verdict: str
    failed: int = 0


@dataclass(frozen=True)
class Run:
    """One arm x seed: where it is written, and (once back) its result and metrics."""

    arm: str
    config: RunConfig
    run_dir: Path


def compare(
    names: list[str],
    *,
    base: str | Path | None = None,
    overrides: list[str] = (),
    seeds: int = 3,
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path = "runs",
    command: list[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    plots: bool = True,
    stack: bool = True,
    name: str | None = None,
    vary: str | None = None,
    x: str = "auto",
    tune_lr: int | None = None,
    lr_range: str | None = None,
    target: float | None = None,
    target_cost: float | None = None,
) -> CompareResult:
    """Run every arm with ``seeds`` seeds, write a compare directory, return the summary.

    The seeds of every arm train as stacks of models (one pass per group, see
    :mod:`dnncli.pipeline`), spread over ``jobs`` local processes or a Dask cluster;
    ``stack=False`` trains one model per task (bit-identical to ``dnn train`` of each config).
    One arm is a seed study (at least 2 seeds): its mean, confidence interval and spread.
    ``target`` (a train accuracy) or ``target_cost`` adds each run's time to reach it
    (:mod:`dnncli.experiments.target`).
    """
    if seeds < 1:
        raise ConfigError("--seeds", seeds, "at least 1")
    if x not in X_AXES:
        raise ConfigError("--x", x, f"one of {', '.join(X_AXES)}")
    goal = Target.parse(target, target_cost)
    if name is not None:
        check_name(name, "--name")
    if vary is not None:
        if names:
            raise ConfigError("arms", list(names), "no arm names with --vary (its values are the arms)")
        axis, arms = vary_arms(vary, base, list(overrides))
    else:
        axis, arms = resolve_arms(list(names), base, list(overrides))
    if len(arms) == 1 and seeds < 2:
        raise ConfigError("--seeds", seeds, "2 or more for one arm (a seed study: mean, CI and spread), "
                                            "or name two arms to compare")
    data_checked = set()
    for arm in arms:  # bad data or init files fail here, before any directory or worker (exit 2)
        dataset = build(arm.config).dataset
        data = repr(arm.config.to_dict()["data"])
        if data not in data_checked:  # one warning per distinct data config
            data_checked.add(data)
            warn_unscaled(arm.config, dataset)
    span = lr_tuning.parse_range(lr_range)
    if span is not None and tune_lr is None:
        raise ConfigError("--lr-range", lr_range, "only with --tune-lr N")
    pool = execution.executor(jobs, scheduler)  # a bad --jobs or --scheduler fails before any directory
    tuned: dict[str, lr_tuning.LrChoice] = {}
    if tune_lr is not None:  # each arm chooses its own rate first, with the same budget
        with deferred_signals(raising=True):
            tuned = lr_tuning.tune_learning_rates(arms, tune_lr, span, pool=pool, stack=stack)
        arms = lr_tuning.with_rates(arms, tuned)
    out_dir = create_run_dir(out, name or (safe_name(arms[0].name) if len(arms) == 1 else axis), kind="compare")
    runs = [Run(arm.name, config, out_dir / f"{safe_name(arm.name)}-seed{config.seed}")
            for arm in arms for config in (with_seed(arm.config, arm.config.seed + k) for k in range(seeds))]
    metrics = {}
    for run in runs:
        run.run_dir.mkdir()
        metrics[run.run_dir] = start_run(run.run_dir, run.config, command)
    results: list[RunResult | None] = [None] * len(runs)
    datasets = _Datasets()
    best: list = []

    def on_result(i: int, result: RunResult) -> None:
        """Write run i's directory as soon as it is back (overlapping the runs still going)."""
        run = runs[i]
        write_run(run.run_dir, result, metrics[run.run_dir], dataset=datasets.of(run.config), plots=False)
        results[i] = result  # only once its directory is whole
        value = _score(result.metrics())
        if value is not None and (not best or value > best[1]):
            best[:] = [run.arm, value]
        if progress is not None:
            progress(sum(r is not None for r in results), len(runs), f"{best[0]} {best[1]:.4f}" if best else "-")

    reruns, interrupted = 0, None
    with deferred_signals(raising=not isinstance(pool, execution.InlineExecutor)) as stop:
        try:
            pipeline.run_configs([r.config for r in runs], pool=pool, stack=stack, on_result=on_result,
                                 callbacks=[stop])
            reruns = pool.reruns() if isinstance(pool, execution.DaskExecutor) else 0
        except KeyboardInterrupt:
            interrupted = stop.interrupted()  # summarize what finished, then stop as interrupted
        except WriteError as exc:  # a full disk: stop the workers, mark what can still be marked, one line
            execution.stop(pool)
            _mark_failed(out_dir, runs, metrics, results, str(exc))
            raise
        finally:
            stop.raising = False  # from here on a signal only marks the compare interrupted: the writes finish
            if scheduler:
                pool.shutdown()
        for run, result in zip(runs, results):
            if result is None or result.status == Status.INTERRUPTED:
                write_metrics(run.run_dir, {**metrics[run.run_dir], "status": str(Status.INTERRUPTED),
                                            "message": "the compare was interrupted before this run finished"})
        by_arm: dict[str, list[dict]] = {arm.name: [] for arm in arms}
        for run, result in zip(runs, results):
            if result is not None:
                row = {"seed": run.config.seed, "dir": run.run_dir.name, "result": result, **_pick(result.metrics())}
                if goal is not None:
                    row["epochs_to_target"], row["updates_to_target"] = goal.reached(result.history,
                                                                                     updates_per_epoch(result))
                by_arm[run.arm].append(row)
        summary = summarize(axis, by_arm)
        for arm in arms:
            summary[arm.name]["changes"] = list(arm.changes)
            summary[arm.name]["learning_rate"] = arm.config.optimizer.learning_rate
            if tuned:
                summary[arm.name]["lr_tuning"] = tuned[arm.name].to_dict()
            if goal is not None:
                summary[arm.name]["to_target"] = arm_summary(summary[arm.name]["runs"])
        best_arm, verdict, p_value = pick_best(summary)
        failed = sum(r is not None and r.status == Status.FAILED for r in results)
        completed = sum(r is not None and r.status == Status.COMPLETED for r in results)
        status = Status.INTERRUPTED if interrupted else (Status.FAILED if not completed else Status.COMPLETED)
        public = {"axis": axis, "seeds": seeds, "best": best_arm, "verdict": verdict, "p_value": p_value,
                  "significant": None if p_value is None else p_value < ALPHA, "status": str(status),
                  "runs": len(runs), "failed": failed, "executor": scheduler or "local", "stacked": stack,
                  "reruns": reruns, "target": None if goal is None else goal.to_dict(),
                  "eval_every": _eval_every(arms), "arms": summary,
                  "lr_protocol": lr_tuning.protocol(tune_lr, span) if tuned else None, "x": x}
        write_json(out_dir / "summary.json", public)
        write_history_csv(out_dir / "summary.csv", _csv_rows(summary))
        tuning = {name: choice.to_dict() for name, choice in tuned.items()}
        images = _write_plots(out_dir, by_arm, best_arm, datasets, pool, x, tuning) if plots and not interrupted else []
        if stop.stop_training and not interrupted:  # a signal during the plots: they finished, the status says so
            interrupted = stop.interrupted()
            public["status"] = str(Status.INTERRUPTED)
            write_json(out_dir / "summary.json", public)
        write_text(out_dir / "report.md", compare_report(public, images, AXES.get(axis)))
    if interrupted:
        raise interrupted
    return CompareResult(out_dir, axis, public, best_arm, verdict, failed)


def _eval_every(arms: list[Arm]) -> int | None:
    """The arms' training.eval_every when they share one (None otherwise): the resolution of an accuracy target."""
    values = {arm.config.training.eval_every for arm in arms}
    return values.pop() if len(values) == 1 else None


def _mark_failed(out_dir: Path, runs: list[Run], metrics: dict, results: list, message: str) -> None:
    """Status ``failed`` in every run directory not yet written and in summary.json, where the disk still takes it."""
    for run, result in zip(runs, results):
        if result is None:
            with contextlib.suppress(OSError):
                write_metrics(run.run_dir, {**metrics[run.run_dir], "status": str(Status.FAILED), "message": message})
    with contextlib.suppress(OSError):
        write_json(out_dir / "summary.json", {"status": str(Status.FAILED), "message": message, "runs": len(runs)})


class _Datasets:
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


def _pick(metrics: dict) -> dict:
    return {k: metrics.get(k) for k in ("status", "message", *STATS, "seconds", "epochs_run")}


def _score(metrics: dict) -> float | None:
    """What 'best' means: test accuracy when there is a test set, else train accuracy."""
    value = metrics.get("test_accuracy")
    return value if value is not None else metrics.get("train_accuracy")


def summarize(axis: str, runs: dict[str, list[dict]]) -> dict:
    summary = {}
    for arm, rs in runs.items():
        entry = {key: describe([r[key] for r in rs]) for key in STATS}
        scores = [(_score(r), r["seed"]) for r in rs if _score(r) is not None]
        spread = scores and max(scores)[0] > min(scores)[0]  # no best or worst seed when all are equal
        entry["best_seed"] = max(scores)[1] if spread else None
        entry["worst_seed"] = min(scores)[1] if spread else None
        entry["seconds"] = float(np.mean([r["seconds"] for r in rs if r["seconds"] is not None] or [0.0]))
        entry["failed"] = sum(r["status"] != Status.COMPLETED for r in rs)
        entry["runs"] = [{k: v for k, v in r.items() if k != "result"} for r in rs]
        summary[arm] = entry
    return summary


def pick_best(summary: dict) -> tuple[str | None, str, float | None]:
    """Best arm by mean score (test accuracy, else train), ties broken by lower mean cost; the verdict
    compares it with the runner-up by Welch's t-test (see :mod:`dnncli.experiments.stats`)."""
    def key_of(arm):
        e = summary[arm]
        metric = "test_accuracy" if e["test_accuracy"]["mean"] is not None else "train_accuracy"
        cost = e["final_cost"]["mean"]
        return (e[metric]["mean"] if e[metric]["mean"] is not None else -1.0, -(cost if cost is not None else math.inf)), metric

    ranked = sorted(summary, key=lambda a: key_of(a)[0], reverse=True)
    if not ranked or key_of(ranked[0])[0][0] < 0:
        return None, "no arm completed", None
    best, metric = ranked[0], key_of(ranked[0])[1]
    if len(ranked) == 1:
        return best, seed_study(best, metric, summary[best][metric]), None
    runner = ranked[1]
    b, r = summary[best][metric], summary[runner][metric]
    if r["mean"] is None:
        return best, f"{best} is best; {runner} did not complete", None
    gap = b["mean"] - r["mean"]
    label = metric.replace("_", " ")
    if abs(gap) < 5e-5:  # equal to the digits shown
        return best, f"{best} and {runner} tie in mean {label} ({b['mean']:.4f}): not a clear difference", None
    lead = f"{best} leads {runner} by {gap:.4f} in mean {label}"
    if min(b["n"], r["n"]) < 2:
        return best, f"{lead}; one seed shows no spread, so this is no evidence of a difference (use --seeds 3 or more)", None
    p = welch(*([x[metric] for x in summary[a]["runs"] if x[metric] is not None] for a in (best, runner)))
    if p is None:
        return best, f"{lead}; every seed gave the same value in both arms, so no test applies", None
    if p < ALPHA:
        return best, f"{lead}: significant (Welch's t-test, p = {p:.2g} < {ALPHA})", p
    return best, f"{lead}: not significant (Welch's t-test, p = {p:.2g}): not a clear difference", p


def seed_study(arm: str, metric: str, stat: dict) -> str:
    """The verdict of one arm over its seeds: the mean, its 95% confidence interval and the spread."""
    label = metric.replace("_", " ")
    if stat["n"] < 2:
        return f"{arm}: mean {label} {stat['mean']:.4f} from {stat['n']} seed: no spread, no confidence interval"
    low, high = stat["ci95"]
    return (f"{arm} over {stat['n']} seeds: mean {label} {stat['mean']:.4f}, 95% CI [{low:.4f}, {high:.4f}] "
            f"(std {stat['std']:.4f}, seeds from {stat['min']:.4f} to {stat['max']:.4f})")


def _csv_rows(summary: dict) -> list[dict]:
    rows = []
    for arm, e in summary.items():
        row = {"arm": arm}
        for key in STATS:
            for s in ("mean", "std", "min", "max"):
                v = e[key][s]
                row[f"{key}_{s}"] = "" if v is None else repr(v)
            ci = e[key]["ci95"]
            row[f"{key}_ci95_low"], row[f"{key}_ci95_high"] = ("", "") if ci is None else (repr(ci[0]), repr(ci[1]))
        if "to_target" in e:
            t = e["to_target"]
            for key in ("epochs", "updates"):
                row[f"{key}_to_target_mean"] = "" if t[key]["mean"] is None else repr(t[key]["mean"])
            row["reached_target"] = t["reached"]
        row["seconds"] = repr(e["seconds"])
        row["failed"] = e["failed"]
        rows.append(row)
    return rows


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


def _write_plots(out_dir: Path, runs: dict, best: str | None, datasets: _Datasets, pool=None, x: str = "auto",
                 tuning: dict | None = None) -> list[str]:
    """costs.png, accuracy.png, (2-D data) boundaries.png and (--tune-lr) lr.png, drawn side by side by the local workers."""
    drawings = compare_drawings(out_dir, runs, best, datasets, x, tuning)
    draw_all(drawings, pool)
    return [d.path.name for d in drawings]


def compare_drawings(out_dir: Path, runs: dict[str, list[dict]], best: str | None, datasets: _Datasets,
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
