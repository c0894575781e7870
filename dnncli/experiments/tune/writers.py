"""What a tune writes: trials.csv, best.yaml, a run directory per top trial, search.png, report.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dnncli import execution, pipeline
from dnncli.config import RunConfig
from dnncli.experiments.tune.space import rank, trial_config
from dnncli.experiments.tune.study import COUNTED, NUMBERS, trial_rows
from dnncli.experiments.writing import Drawing, draw, start_run, write_run
from dnncli.files import WriteError, write_text
from dnncli.runs import write_history_csv
from dnncli.search import Param, flow_yaml
from dnncli.status import Status
from dnncli.validation import Split


def _yaml(obj) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=None)


def _lookup(config: dict, path: str):
    node = config
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


@dataclass(frozen=True)
class TuneResult:
    out_dir: Path
    settings: dict
    space: dict[str, Param]
    rows: list[dict]          # every trial, in order
    top: list[dict]           # the best trials, best first (with "dir" when a run directory was written)
    baseline: dict | None     # the config as written, scored the same way
    best_config: Path | None  # best.yaml
    stage_ranges: dict = field(default_factory=dict)

    @property
    def best(self) -> dict | None:
        return self.top[0] if self.top else None


def _standing(study, base: RunConfig, space, settings) -> tuple[list[dict], list[dict], dict | None, dict]:
    """Every trial, the best ones, the baseline and the ranges per stage, as the study holds them."""
    rows = trial_rows(study, space)
    top = [dict(r) for r in rank(rows, settings["metric"])[: settings["top"]]]
    baseline = study.user_attrs.get("baseline")
    if baseline is not None:  # the searched values as written, for the table
        baseline = {**baseline, **{path: _lookup(base.to_dict(), path) for path in space}}
    return rows, top, baseline, _stage_ranges(rows, space)


def read_tune(out_dir: Path, key: str = "dnn show") -> tuple[TuneResult, RunConfig]:
    """A tune directory as it stands (its study, read only) and its base config; nothing is written."""
    from dnncli.config import validate
    from dnncli.experiments.tune.study import load_study
    from dnncli.search import parse_space

    study = load_study(out_dir, key)
    stored = study.user_attrs
    base, space, settings = validate(stored["config"]), parse_space(stored["search"]), stored["settings"]
    rows, top, baseline, stage_ranges = _standing(study, base, space, settings)
    for r in top:
        if (out_dir / _run_name(r)).is_dir():
            r["dir"] = _run_name(r)
    best = out_dir / "best.yaml"
    return TuneResult(out_dir, settings, space, rows, top, baseline, best if best.is_file() else None, stage_ranges), base


def redraw_search(result: TuneResult, base: RunConfig) -> list[str]:
    """search.png drawn again from the study, and report.md rewritten with it; the images."""
    images = []
    if result.rows:
        error = draw(_search_drawing(result.out_dir / "search.png", result.rows, result.space, result.stage_ranges,
                                     result.top, result.baseline, result.settings["metric"], base.name))
        if error is not None:
            raise error
        images.append("search.png")
    write_text(result.out_dir / "report.md", tune_report(result, images))
    return images


def write_outputs(out_dir: Path, study, base: RunConfig, space, settings, outcomes, pool, command, *, plots: bool) -> TuneResult:
    rows, top, baseline, stage_ranges = _standing(study, base, space, settings)
    metric = settings["metric"]
    columns = ["trial", "stage", *space, "status", *NUMBERS, "message"]
    write_history_csv(out_dir / "trials.csv", [{c: _cell(r[c]) for c in columns} for r in rows])
    best_config = None
    if top:
        values = {path: top[0][path] for path in space}
        config = trial_config(base.to_dict(), values, name=f"{base.name}_tuned")
        head = (f"# dnn tune {out_dir.name}: best of {len(rows)} trials (trial {top[0]['trial']}, stage {top[0]['stage']}),\n"
                f"# {metric} {top[0][metric]:.4f} on a {settings['validation']:.0%} validation split of the training data.\n"
                f"# Train it on all the training data with: dnn train {out_dir / 'best.yaml'}\n")
        best_config = out_dir / "best.yaml"
        write_text(best_config, head + config.to_yaml())
    search = _search_drawing(out_dir / "search.png", rows, space, stage_ranges, top, baseline, metric, base.name) \
        if plots and rows else None
    if top and pool is not None:  # the search plot is drawn beside the top trials' run directories
        _write_top_runs(out_dir, base, top, space, settings, outcomes, pool, command, plots, [search] if search else [])
    elif search is not None and (error := draw(search)) is not None:
        raise error
    images = ["search.png"] if search is not None else []
    result = TuneResult(out_dir, settings, space, rows, top, baseline, best_config, stage_ranges)
    write_text(out_dir / "report.md", tune_report(result, images))
    return result


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value if isinstance(value, int | str) else flow_yaml(value)


def _stage_ranges(rows: list[dict], space) -> dict[int, dict[str, tuple]]:
    """The range each stage sampled, per numeric parameter (the union over the stage's trials)."""
    out: dict[int, dict[str, tuple]] = {}
    for r in rows:
        if r["stage"] is None:
            continue
        stage = out.setdefault(r["stage"], {})
        for path, rng in r["ranges"].items():
            if rng is not None:
                lo, hi = stage.get(path, rng)
                stage[path] = (min(lo, rng[0]), max(hi, rng[1]))
    return dict(sorted(out.items()))


def _write_top_runs(out_dir, base, top, space, settings, outcomes, pool, command, plots, drawings=()) -> None:
    """A run directory per top trial; trials from an earlier session are trained again (same seed, same result)."""
    from dnncli.build import build_dataset
    from dnncli.validation import split_validation

    split = Split(settings["validation"], base.seed)
    missing = [r for r in top if not (out_dir / _run_name(r)).exists() and r["trial"] not in outcomes]
    configs = [trial_config(base.to_dict(), {p: r[p] for p in space}) for r in missing]
    for r, result in zip(missing, pipeline.run_configs(configs, pool=pool, validation=split)):
        outcomes[r["trial"]] = result
    dataset = None
    tasks = []
    for r in top:
        run_dir = out_dir / _run_name(r)
        if not run_dir.exists() and r["trial"] in outcomes:
            if plots and dataset is None:
                dataset = split_validation(build_dataset(base), split)[0]
            run_dir.mkdir()
            tasks.append(_TopRun(run_dir, outcomes[r["trial"]], command, dataset, plots))
        if run_dir.exists():
            r["dir"] = run_dir.name
    # Their plots (and ``drawings``: the search plot) take most of a tune's writing time: drawn by
    # the local workers, side by side.
    for error in execution.map_local(_write_task, [*drawings, *tasks], pool if plots else None):
        if error is not None:
            raise error


@dataclass(frozen=True)
class _TopRun:
    """A top trial's run directory to write (a task a worker process can take)."""

    run_dir: Path
    result: pipeline.RunResult
    command: list[str] | None
    dataset: object
    plots: bool


def _write_task(task: _TopRun | Drawing) -> WriteError | None:
    """Write a top trial's run directory, or draw a plot; a write failure is returned (and raised by
    the caller), not raised here."""
    if isinstance(task, Drawing):
        return draw(task)
    try:
        write_run(task.run_dir, task.result, start_run(task.run_dir, task.result.config, task.command),
                  dataset=task.dataset, plots=task.plots)
    except WriteError as error:
        return error
    return None


def _run_name(row: dict) -> str:
    return f"trial-{row['trial']:04d}"


def _search_drawing(path, rows, space, stage_ranges, top, baseline, metric, name) -> Drawing:
    from dnncli import plots

    panels = []
    for p, param in space.items():
        panel = {"name": p, "scale": param.scale, "x": [r[p] for r in rows if r[p] is not None],
                 "y": [r[metric] if r["status"] == Status.COMPLETED else None for r in rows if r[p] is not None],
                 "stage": [r["stage"] for r in rows if r[p] is not None],
                 "ranges": {s: rng[p] for s, rng in stage_ranges.items() if p in rng},
                 "best": (top[0][p], top[0][metric]) if top else None}
        if param.kind == "choice":
            panel["categories"] = list(param.choices)
        else:
            panel["limits"] = (param.low, param.high)
        panels.append(panel)
    label = metric.replace("_", " ").replace("val ", "validation ")
    return Drawing(plots.plot_search, path, (panels,), {"metric": label, "baseline": None if baseline is None else baseline.get(metric),
                                                        "title": f"tune {name}: {label} per trial ({len(rows)} trials)"})


def tune_report(result: TuneResult, images: list[str]) -> str:
    from dnncli.report import fmt

    s, metric = result.settings, result.settings["metric"]
    rows = result.rows
    counted = [r for r in rows if r["status"] in COUNTED]
    failed = [r for r in counted if r["status"] != Status.COMPLETED]
    lines = [f"# tune: {result.out_dir.name}", "",
             f"{len(counted)} of {s['trials']} trials in {s['stages']} stage(s), {s['sampler']} sampler; "
             f"scored by {metric} on a stratified {s['validation']:.0%} validation split of the training data "
             f"(the test set played no part in choosing). {len(failed)} failed or diverged.", ""]
    if result.baseline is not None:
        lines += [f"Your config as written scores {metric} {fmt(result.baseline.get(metric))} the same way; "
                  f"the best trial scores {fmt(result.best[metric]) if result.best else '-'}.", ""]
    keys = list(result.space)
    lines += ["## Best trials", "", "| rank | trial | stage | " + " | ".join(keys) + " | val acc | val cost | train acc | test acc | s |",
              "| --- " * (len(keys) + 8) + "|"]
    for i, r in enumerate(result.top, 1):
        cells = [_show(r[k]) for k in keys]
        trial = f"[{r['trial']}]({r['dir']}/report.md)" if r.get("dir") else str(r["trial"])
        lines.append(f"| {i} | {trial} | {r['stage']} | " + " | ".join(cells) + f" | {fmt(r['val_accuracy'])} | "
                     f"{fmt(r['val_cost'])} | {fmt(r['train_accuracy'])} | {fmt(r['test_accuracy'])} | {fmt(r['seconds'], 2)} |")
    lines += ["", "## Ranges sampled per stage", "", "| stage | " + " | ".join(keys) + " |", "| --- " * (len(keys) + 1) + "|"]
    for stage, ranges in result.stage_ranges.items():
        cells = [f"{_show(ranges[k][0])} .. {_show(ranges[k][1])}" if k in ranges else "choice" for k in keys]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines.append("")
    lines += [f"![{image}]({image})\n" for image in images]
    if result.best_config is not None:
        lines += ["## Next", "", f"Train the best config on all the training data: `dnn train {result.best_config}`", "",
                  f"Search further: `dnn tune --resume {result.out_dir} --trials {s['trials'] * 2}`", ""]
    return "\n".join(lines)


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return flow_yaml(value) if isinstance(value, list | dict) else str(value)
