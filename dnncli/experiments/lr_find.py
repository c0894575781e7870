"""`dnn lr-find CONFIG`: which learning rate to train a config with, measured on a population.

For every seed (``seed, seed + 1, ...``) and every rate of a log-spaced grid from ``min_lr`` to
``max_lr``, a fresh model is trained for a short budget (``epochs``; default a tenth of the
config's epochs): the config with only ``optimizer.learning_rate`` changed (and early stopping
switched off, so every model gets the same budget). The models of one seed start from the same
initial weights and see the same mini-batches (both come from the seed alone), so the learning
rate is the only difference between them; every model is new, so no state passes from one rate
to the next. They train as stacks of models (:mod:`dnncli.pipeline`), one pass per group.

**The rule** (:func:`suggest`). Per rate, the mean over the seeds of the final training cost
(the last epoch's mean mini-batch cost, with any L2 term); a rate at which a seed diverged or
failed has no mean. The means are smoothed over each rate and its two neighbours on the grid
(a rate next to one without a mean gets none: it is next to a cliff). The suggestion is the
**largest rate of the valley**: the rates next to the smoothed minimum, going up from it, whose
smoothed mean cost is within ``tolerance`` (5%) of that minimum, all of them below the smallest
rate at which any seed diverged. Within a few percent of the best cost it is the fastest rate,
and the smoothing keeps it one grid step away from any rate where the cost shoots up. The test
set plays no part in the choice.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dnncli import execution, pipeline
from dnncli.build import build
from dnncli.config import RunConfig, check_name, load_config, validate
from dnncli.errors import ConfigError
from dnncli.experiments.signals import deferred_signals
from dnncli.files import write_json, write_text
from dnncli.pipeline import RunResult
from dnncli.processes import process_marker
from dnncli.runs import PROCESS_KEY, create_run_dir, write_history_csv
from dnncli.status import Status

TOLERANCE = 0.05
EPOCH_FRACTION = 10  # default budget: the config's epochs / 10
MAX_MODELS = 10_000  # points x seeds: each is a config validated up front


@dataclass(frozen=True)
class Suggestion:
    """What :func:`suggest` found: the index of the suggested rate (None: no rate qualifies) and why."""

    index: int | None
    mean: np.ndarray  # per rate: mean final cost over the seeds (NaN where a seed diverged or failed)
    smoothed: np.ndarray  # the 3-point moving average of ``mean`` (NaN next to a missing mean)
    threshold: float | None  # (1 + tolerance) * the smoothed minimum
    valley: tuple[int, int] | None  # first and last index of the valley
    first_diverged: int | None  # the smallest rate index at which a seed diverged
    note: str = ""


@dataclass(frozen=True)
class LrFindResult:
    out_dir: Path
    suggested_learning_rate: float | None
    rates: list[float]
    table: list[dict]  # per rate: lr, mean/smoothed/min/max cost, diverged, completed, train accuracy
    runs: list[dict]  # per model: lr, seed, status, final_cost, train_accuracy, test_accuracy
    command: str | None  # the line that trains the config with the suggestion
    note: str
    settings: dict
    failed: int = 0
    summary: dict = field(default_factory=dict)


def grid(min_lr: float, max_lr: float, points: int) -> list[float]:
    """``points`` log-spaced rates from ``min_lr`` to ``max_lr``, each with as few significant
    digits as keep them distinct (3 or more), so the printed rate is the rate trained."""
    for name, value in (("--min", min_lr), ("--max", max_lr)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not (math.isfinite(value) and value > 0):
            raise ConfigError(name, value, "a learning rate above 0, e.g. 1e-5")
    if not max_lr > min_lr:
        raise ConfigError("--max", max_lr, f"a rate above --min ({min_lr:g})")
    if isinstance(points, bool) or not isinstance(points, int) or not 3 <= points <= 1000:
        raise ConfigError("--points", points, "an integer from 3 to 1000 (3 are needed to smooth)")
    rates = log_rates(min_lr, max_lr, points)
    if len(set(rates)) < points:  # pragma: no cover
        raise ConfigError("--points", points, "fewer points: the rates are not distinct")
    return rates


def log_rates(low: float, high: float, points: int) -> list[float]:
    """``points`` log-spaced rates from ``low`` to ``high`` (one point: their geometric mean), each
    with as few significant digits (3 or more) as keep them distinct: the printed rate is the rate trained."""
    exact = np.geomspace(low, high, points) if points > 1 else np.array([math.sqrt(low * high)])
    for digits in range(3, 18):
        rates = [float(f"{r:.{digits}g}") for r in exact]
        if len(set(rates)) == points:
            return rates
    return [float(r) for r in exact]


def population(base: RunConfig, rates: list[float], seeds: int, epochs: int) -> list[RunConfig]:
    """One config per (seed, rate), seed-major: the base with its learning rate, seed and budget."""
    d = base.to_dict()
    training = {**d["training"], "epochs": epochs, "eval_every": min(d["training"]["eval_every"], epochs),
                "early_stopping": None}
    return [validate({**d, "seed": base.seed + k, "training": training,
                      "optimizer": {**d["optimizer"], "learning_rate": lr}})
            for k in range(seeds) for lr in rates]


def suggest(rates, costs, diverged, tolerance: float = TOLERANCE) -> Suggestion:
    """The rule of the module docstring. ``costs`` and ``diverged`` are (seeds, rates) arrays:
    each model's final cost (NaN when it has none: diverged or failed) and whether it diverged."""
    costs, diverged = np.atleast_2d(np.asarray(costs, float)), np.atleast_2d(np.asarray(diverged, bool))
    n = costs.shape[1]
    ok = np.isfinite(costs).all(axis=0)
    mean = np.where(ok, np.where(np.isfinite(costs), costs, 0.0).mean(axis=0), np.nan)
    padded = np.concatenate([[np.nan], mean, [np.nan]])
    windows = np.stack([padded[:-2], padded[1:-1], padded[2:]])  # each rate with its neighbours
    edge = np.zeros((3, n), bool)
    edge[0, 0] = edge[2, -1] = True  # the grid's ends have one neighbour: not a missing mean
    complete = (np.isfinite(windows) | edge).all(axis=0)
    inside = ~edge & complete
    smoothed = np.where(complete, np.where(inside, windows, 0.0).sum(axis=0) / np.maximum(inside.sum(axis=0), 1), np.nan)
    any_diverged = diverged.any(axis=0)
    first = int(np.argmax(any_diverged)) if any_diverged.any() else None
    eligible = np.isfinite(smoothed) & (np.arange(n) < (n if first is None else first))
    if not eligible.any():
        why = ("a seed diverged already at the smallest rate: lower --min" if first == 0
               else "no rate has a finite cost for every seed")
        return Suggestion(None, mean, smoothed, None, None, first, why)
    best = int(np.flatnonzero(eligible)[np.argmin(smoothed[eligible])])
    threshold = float(smoothed[best] * (1 + tolerance))
    lo = hi = best
    while lo > 0 and eligible[lo - 1] and smoothed[lo - 1] <= threshold:
        lo -= 1
    while hi < n - 1 and eligible[hi + 1] and smoothed[hi + 1] <= threshold:
        hi += 1
    note = ""
    if hi == n - 1:
        note = f"the cost is still near its lowest at the largest rate tried ({rates[-1]:g}): a larger --max may find more"
    elif lo == 0:
        note = f"the valley reaches the smallest rate tried ({rates[0]:g}): a smaller --min may find more"
    return Suggestion(hi, mean, smoothed, threshold, (lo, hi), first, note)


def lr_find(
    config: str | Path | RunConfig,
    *,
    overrides: list[str] = (),
    min_lr: float = 1e-5,
    max_lr: float = 1.0,
    points: int = 24,
    epochs: int | None = None,
    seeds: int = 3,
    tolerance: float = TOLERANCE,
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path = "runs",
    name: str | None = None,
    command: list[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    plots: bool = True,
) -> LrFindResult:
    """Train the population, write ``out/<stamp>-lr_find-<name>/`` and return the suggestion.

    Files: ``lr_find.csv`` (one row per model), ``lr_find.json`` (the suggestion, the rule's
    numbers per rate, the settings), ``lr_find.png``, ``report.md`` and ``config.yaml`` (the
    config as given, resolved). A Ctrl-C stops the workers; lr_find.json then says ``interrupted``.
    """
    base = config if isinstance(config, RunConfig) else load_config(config, list(overrides))
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ConfigError("--seeds", seeds, "at least 1")
    if epochs is None:
        epochs = max(1, base.training.epochs // EPOCH_FRACTION)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ConfigError("--epochs", epochs, "at least 1")
    if not (isinstance(tolerance, int | float) and 0 <= tolerance < 1):
        raise ConfigError("tolerance", tolerance, "a fraction from 0 to 1, e.g. 0.05")
    if name is not None:
        check_name(name, "--name")
    rates = grid(min_lr, max_lr, points)
    if points * seeds > MAX_MODELS:
        raise ConfigError("--seeds", seeds, f"at most {MAX_MODELS // points} with --points {points} "
                                            f"(at most {MAX_MODELS} models in all)")
    configs = population(base, rates, seeds, epochs)
    build(configs[0])  # a bad data or init file fails here, before any directory or worker (exit 2)
    pool = execution.executor(jobs, scheduler)
    settings = {"config": None if isinstance(config, RunConfig) else str(config), "overrides": list(overrides),
                "min": min_lr, "max": max_lr, "points": points, "epochs": epochs, "seeds": seeds,
                "tolerance": tolerance, "optimizer": base.optimizer.name, "executor": scheduler or "local"}
    out_dir = create_run_dir(out, name or base.name, kind="lr_find")
    write_text(out_dir / "config.yaml", base.to_yaml())
    write_json(out_dir / "lr_find.json", {"status": str(Status.RUNNING), "settings": settings, "command": command,
                                          PROCESS_KEY: process_marker()})  # `dnn runs`: stale once this process is gone
    results: list[RunResult | None] = [None] * len(configs)
    lowest: list = []

    def on_result(i: int, result: RunResult) -> None:
        results[i] = result
        if result.status == Status.COMPLETED and result.final_cost is not None and (not lowest or result.final_cost < lowest[0]):
            lowest[:] = [result.final_cost, result.config.optimizer.learning_rate]
        if progress is not None:
            done = sum(r is not None for r in results)
            progress(done, len(results), f"cost {lowest[0]:.4f} at lr {lowest[1]:g}" if lowest else "-")

    with deferred_signals(raising=not isinstance(pool, execution.InlineExecutor)) as stop:
        try:
            pipeline.run_configs(configs, pool=pool, on_result=on_result, callbacks=[stop])
        except KeyboardInterrupt:
            stop.raising = False
            done = sum(r is not None and r.status != Status.INTERRUPTED for r in results)
            write_json(out_dir / "lr_find.json", {"status": str(Status.INTERRUPTED), "settings": settings,
                                                  "message": f"interrupted after {done} of {len(configs)} models",
                                                  "command": command})
            raise stop.interrupted() from None
        finally:
            stop.raising = False
            if scheduler:
                pool.shutdown()
        return write_outputs(out_dir, base, rates, seeds, results, settings, tolerance, command, plots)


# -- writers ---------------------------------------------------------------------------------
def write_outputs(out_dir: Path, base: RunConfig, rates: list[float], seeds: int, results: list[RunResult],
                  settings: dict, tolerance: float, command: list[str] | None, plots: bool) -> LrFindResult:
    """lr_find.csv, lr_find.json, lr_find.png and report.md from the finished population."""
    n = len(rates)
    runs = [_run_row(r) for r in results]
    costs = np.array([[np.nan if r["final_cost"] is None or r["status"] != Status.COMPLETED else r["final_cost"]
                       for r in runs[k * n:(k + 1) * n]] for k in range(seeds)])
    diverged = np.array([[r["status"] == Status.DIVERGED for r in runs[k * n:(k + 1) * n]] for k in range(seeds)])
    found = suggest(rates, costs, diverged, tolerance)
    lr = None if found.index is None else rates[found.index]
    table = _rate_table(rates, runs, seeds, found)
    train_line = None if lr is None else train_command(settings, out_dir, lr)
    failed = sum(r["status"] == Status.FAILED for r in runs)
    summary = {"suggested_learning_rate": lr, "status": str(Status.COMPLETED), "note": found.note,
               "train_command": train_line, "rule": RULE.format(tolerance=tolerance),
               "threshold": found.threshold, "valley": None if found.valley is None else [rates[i] for i in found.valley],
               "first_diverged": None if found.first_diverged is None else rates[found.first_diverged],
               "failed": failed, "settings": settings, "command": command, "rates": table}
    write_history_csv(out_dir / "lr_find.csv", [{k: _csv(v) for k, v in r.items()} for r in runs])
    write_json(out_dir / "lr_find.json", summary)
    images = []
    if plots:
        from dnncli import plots as figures

        title = (f"lr-find {base.name}: final training cost after {settings['epochs']} epochs "
                 f"({base.optimizer.name}, {seeds} seed{'s' * (seeds != 1)} per rate)")
        figures.plot_lr_find(out_dir / "lr_find.png", rates, costs, diverged=diverged, smoothed=found.smoothed,
                             threshold=found.threshold, tolerance=tolerance, suggested=lr, title=title,
                             valley=None if found.valley is None else tuple(rates[i] for i in found.valley))
        images.append("lr_find.png")
    write_text(out_dir / "report.md", report(base, summary, images))
    return LrFindResult(out_dir, lr, rates, table, runs, train_line, found.note, settings, failed, summary)


RULE = ("the largest rate of the valley around the lowest smoothed mean final cost (mean over seeds, then a "
        "3-point moving average over the rates) whose smoothed cost is within {tolerance:.0%} of that lowest, "
        "below the smallest rate at which any seed diverged and not next to a rate without a mean")


def train_command(settings: dict, out_dir: Path, lr: float) -> str:
    """``dnn train CONFIG [--set ...] --set optimizer.learning_rate=LR`` for the suggested rate."""
    import shlex

    config = settings["config"] or str(out_dir / "config.yaml")
    sets = [] if settings["config"] is None else settings["overrides"]
    parts = ["dnn", "train", config, *(x for o in sets for x in ("--set", o)), "--set", f"optimizer.learning_rate={lr!r}"]
    return " ".join(shlex.quote(p) for p in parts)


def _run_row(result: RunResult) -> dict:
    return {"lr": result.config.optimizer.learning_rate, "seed": result.config.seed, "status": str(result.status),
            "final_cost": result.final_cost, "train_accuracy": result.train_accuracy,
            "test_accuracy": result.test_accuracy, "epochs_run": result.epochs_run, "message": result.message}


def _csv(value) -> str:
    return "" if value is None else (repr(value) if isinstance(value, float) else str(value))


def _finite(value) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def _rate_table(rates: list[float], runs: list[dict], seeds: int, found: Suggestion) -> list[dict]:
    n, table = len(rates), []
    for i, lr in enumerate(rates):
        own = [runs[k * n + i] for k in range(seeds)]
        done = [r for r in own if r["status"] == Status.COMPLETED and r["final_cost"] is not None]
        accuracy = [r["train_accuracy"] for r in done if r["train_accuracy"] is not None]
        table.append({"lr": lr, "mean_cost": _finite(found.mean[i]), "smoothed_cost": _finite(found.smoothed[i]),
                      "min_cost": min((r["final_cost"] for r in done), default=None),
                      "max_cost": max((r["final_cost"] for r in done), default=None),
                      "train_accuracy": float(np.mean(accuracy)) if accuracy else None,
                      "completed": len(done), "diverged": sum(r["status"] == Status.DIVERGED for r in own),
                      "in_valley": found.valley is not None and found.valley[0] <= i <= found.valley[1]})
    return table


def report(base: RunConfig, summary: dict, images: list[str]) -> str:
    from dnncli.report import fmt

    s, lr = summary["settings"], summary["suggested_learning_rate"]
    lines = [f"# lr-find: {base.name}", "",
             f"{s['points']} learning rates from {s['min']:g} to {s['max']:g} (log-spaced) x {s['seeds']} seeds, "
             f"each a fresh model trained for {s['epochs']} epochs ({s['optimizer']}; every model of one seed starts "
             "from the same weights and sees the same mini-batches).", ""]
    if lr is None:
        lines += [f"**No suggestion**: {summary['note']}.", ""]
    else:
        lines += [f"**Suggested learning rate: {lr:g}**" + (f" ({summary['note']})" if summary["note"] else ""), "",
                  "```", summary["train_command"], "```", ""]
    lines += [f"Rule: {summary['rule']}.", ""]
    lines += [f"![{image}]({image})\n" for image in images]
    lines += ["| lr | mean cost | smoothed | min .. max over seeds | train acc | completed | diverged | |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in summary["rates"]:
        mark = "suggested" if row["lr"] == lr else ("valley" if row["in_valley"] else "")
        lines.append(f"| {row['lr']:g} | {fmt(row['mean_cost'])} | {fmt(row['smoothed_cost'])} | "
                     f"{fmt(row['min_cost'])} .. {fmt(row['max_cost'])} | {fmt(row['train_accuracy'])} | "
                     f"{row['completed']} | {row['diverged']} | {mark} |")
    lines.append("")
    return "\n".join(lines)
