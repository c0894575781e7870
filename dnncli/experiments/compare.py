"""`dnn compare`: the same question asked of several arms, each over several seeds, in parallel.

This module runs them and writes each run's directory as it comes back; the numbers and the
verdict are :mod:`dnncli.experiments.compare_summary`'s, the plots and report.md
:mod:`dnncli.experiments.compare_report`'s.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dnncli import execution, pipeline
from dnncli.build import build, warn_unscaled
from dnncli.config import RunConfig, check_name
from dnncli.errors import ConfigError
from dnncli.experiments import lr_tuning
from dnncli.experiments.arms import Arm, resolve_arms, safe_name, vary_arms, with_seed
from dnncli.experiments.compare_report import X_AXES, Datasets, compare_report, write_plots
from dnncli.experiments.compare_summary import csv_rows, pick_best, row_metrics, score, summarize
from dnncli.experiments.signals import deferred_signals
from dnncli.experiments.stats import ALPHA
from dnncli.experiments.target import Target, arm_summary, updates_per_epoch
from dnncli.experiments.writing import start_run, write_run
from dnncli.files import WriteError, write_json, write_text
from dnncli.pipeline import RunResult
from dnncli.presets import AXES
from dnncli.runs import create_run_dir, write_history_csv, write_metrics
from dnncli.status import Status


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
    datasets = Datasets()
    best: list = []

    def on_result(i: int, result: RunResult) -> None:
        """Write run i's directory as soon as it is back (overlapping the runs still going)."""
        run = runs[i]
        write_run(run.run_dir, result, metrics[run.run_dir], dataset=datasets.of(run.config), plots=False)
        results[i] = result  # only once its directory is whole
        value = score(result.metrics())
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
                row = {"seed": run.config.seed, "dir": run.run_dir.name, "result": result, **row_metrics(result.metrics())}
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
        write_history_csv(out_dir / "summary.csv", csv_rows(summary))
        tuning = {name: choice.to_dict() for name, choice in tuned.items()}
        images = write_plots(out_dir, by_arm, best_arm, datasets, pool, x, tuning) if plots and not interrupted else []
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
