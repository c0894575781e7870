"""`dnn tune`: random search on the right scale, coarse to fine, trials in parallel.

Stage 1 samples the whole ``search:`` space; each later stage narrows every numeric range
to span the best 20% of the trials so far, on the parameter's own scale (see
:mod:`dnncli.search`), and samples again. A trial trains on the training columns minus a
stratified, seeded validation split and is scored there: the test set plays no part in the
choice. Optuna stays in this process (ask and tell) and only samples; its study lives in
``study.db`` inside the tune directory, so an interrupted tune resumes where it stopped.
Trials run through the execution seam of every multi-run command and come back as values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dnncli import execution
from dnncli.build import build, build_dataset
from dnncli.config import RunConfig, apply_overrides, read_yaml, validate
from dnncli.data import Dataset, decode_labels
from dnncli.errors import ConfigError, DataError, DnnError, choice_hint
from dnncli.experiments.train import Outcome, base_metrics, execute, write_run
from dnncli.files import write_text
from dnncli.runs import create_run_dir, write_history_csv
from dnncli.search import Param, flow_yaml, narrow, parse_params, parse_space, space_to_yaml

# metric -> True when higher is better. The test set is deliberately not offered.
METRICS = {"val_accuracy": True, "val_cost": False, "train_accuracy": True, "final_cost": False}
SAMPLERS = ("random", "tpe")
DEFAULTS = {"trials": 40, "stages": 2, "validation": 0.2, "metric": "val_accuracy", "sampler": "random", "top": 5}
TOP_FRACTION = 0.2
COUNTED = ("completed", "diverged", "failed")  # an interrupted trial is sampled again
NUMBERS = ("val_accuracy", "val_cost", "train_accuracy", "test_accuracy", "final_cost", "epochs_run", "seconds")
STUDY, DB = "tune", "study.db"


class TuneInterrupted(DnnError):
    """Ctrl-C: what finished is saved; the message says how to resume."""

    exit_code = 130


# -- one trial (runs in a worker process) -------------------------------------------
@dataclass(frozen=True)
class Task:
    number: int | None  # the Optuna trial number; None for the baseline (the config as written)
    config: RunConfig
    validation: float
    split_seed: int


def split_validation(ds: Dataset, fraction: float, seed: int) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """Hold out ``fraction`` of the training columns, stratified by class, seeded: (rest, X_val, Y_val)."""
    import dataclasses

    from sklearn.model_selection import train_test_split

    m = ds.X_train.shape[-1]
    try:
        keep, held = train_test_split(np.arange(m), test_size=fraction, stratify=ds.labels_train, random_state=seed)
    except ValueError as exc:
        raise DataError(f"--validation {fraction}: cannot hold out a stratified split of {m} training examples ({exc})") from None
    keep, held = np.sort(keep), np.sort(held)
    rest = dataclasses.replace(ds, X_train=ds.X_train[:, keep], Y_train=ds.Y_train[:, keep])
    return rest, ds.X_train[:, held], ds.Y_train[:, held]


def run_trial(task: Task) -> Outcome:
    """Train on the training split, score on the validation split; an exception becomes a failed outcome."""
    try:
        rest, X_val, Y_val = split_validation(build_dataset(task.config), task.validation, task.split_seed)
        built = build(task.config, dataset=rest)
        outcome = execute(task.config, built=built)
        metrics = {**outcome.metrics, "val_accuracy": None, "val_cost": None,
                   "n_train": rest.X_train.shape[-1], "n_validation": X_val.shape[-1]}
        theta = outcome.fit.theta
        if np.all(np.isfinite(theta)):
            network, params = built.network, built.network.layout.split(theta)
            if outcome.fit.extra.get("state"):
                network.load_state(outcome.fit.extra["state"])
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # a wild trial may saturate
                A, cache = network.forward(params, X_val)
                cost = float(np.mean(network.loss_sum(A, cache, Y_val))) / X_val.shape[-1]  # no L2 term
                metrics["val_accuracy"] = float(np.mean(network.predict(params, X_val) == decode_labels(Y_val)))
            metrics["val_cost"] = cost if math.isfinite(cost) else None
        return Outcome(task.config, metrics, outcome.fit)
    except Exception as exc:  # noqa: BLE001 - recorded in trials.csv, not fatal to the tune
        return Outcome(task.config, {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}, None)


# -- the search space against the config --------------------------------------------
def trial_config(base: dict, values: dict, name: str | None = None) -> RunConfig:
    """The base config (a resolved dict) with ``values`` set as ``--set PATH=VALUE`` would."""
    raw = apply_overrides(base, [f"{path}={flow_yaml(value)}" for path, value in values.items()])
    return validate({**raw, "name": name or base["name"]})


def check_space(space: dict[str, Param], base: dict) -> None:
    """Every path must exist and every range end (every choice) must be a valid value there."""
    for path, param in space.items():
        probes = param.choices if param.kind == "choice" else (param.low, param.high)
        for value in probes:
            try:
                trial_config(base, {path: value})
            except ConfigError as exc:
                why = exc.allowed if exc.key == path else str(exc)
                raise ConfigError(f"search.{path}", param.spec(), f"at {flow_yaml(value)}: {why}") from None


def read_tune_config(path: str | Path, overrides: list[str] = (), params: list[str] = ()) -> tuple[RunConfig, dict[str, Param]]:
    """A config file's ``search:`` block (plus ``--param``) and the rest of it (plus ``--set``), checked."""
    import re

    raw = apply_overrides(read_yaml(path), list(overrides))
    search = raw.pop("search", None)
    search = {} if search is None else search
    if isinstance(search, dict):
        search = {**search, **parse_params(list(params))}
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).stem).lstrip(".-") or "tune"
    config = validate(raw, default_name=name)
    if search == {}:
        raise ConfigError("search", search, "a search: block in the config or --param PATH=SPEC, "
                                          "e.g. --param 'optimizer.learning_rate={log: [1.0e-4, 1.0]}'")
    space = parse_space(search)
    check_space(space, config.to_dict())
    return config, space


# -- ranking and narrowing ----------------------------------------------------------
def rank(rows: list[dict], metric: str) -> list[dict]:
    """Scored rows best first: by ``metric``, ties broken by the lower validation cost."""
    sign = 1.0 if METRICS[metric] else -1.0
    scored = [r for r in rows if r["status"] == "completed" and r.get(metric) is not None]
    return sorted(scored, key=lambda r: (-sign * r[metric], r["val_cost"] if r.get("val_cost") is not None else math.inf,
                                         r["trial"]))


def narrowed_space(space: dict[str, Param], rows: list[dict], metric: str, fraction: float = TOP_FRACTION) -> dict[str, Param]:
    """Every numeric range narrowed to span the top ``fraction`` of the scored rows (at least two)."""
    ranked = rank(rows, metric)
    if not ranked:
        return space
    top = ranked[: min(len(ranked), max(2, math.ceil(fraction * len(ranked))))]
    return {path: narrow(p, [r[path] for r in top]) for path, p in space.items()}


def stage_ends(trials: int, stages: int) -> list[int]:
    """Trial counts at the end of each stage: 40 trials in 2 stages -> [20, 40]."""
    return [round(trials * s / stages) for s in range(1, stages + 1)]


# -- the study ----------------------------------------------------------------------
def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the library never prints
    return optuna


def _sampler(name: str, seed: int, number: int):
    """A sampler seeded by the tune's seed and the round's first trial number (a resume never repeats a round)."""
    samplers = _optuna().samplers
    seed = int(np.random.SeedSequence([seed, number]).generate_state(1)[0])
    return samplers.TPESampler(seed=seed) if name == "tpe" else samplers.RandomSampler(seed=seed)


def trial_rows(study, space: dict[str, Param]) -> list[dict]:
    """One row per trial of the study (every state), in trial order."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        ua = t.user_attrs
        row = {"trial": t.number, "stage": ua.get("stage")}
        row.update({path: p.decode(t.params[path]) if path in t.params else None for path, p in space.items()})
        row["status"] = ua.get("status", "running" if t.state.name == "RUNNING" else "interrupted")
        row.update({k: ua.get(k) for k in NUMBERS})
        row["message"] = ua.get("message", "")
        row["ranges"] = {path: _decoded_range(space[path], d) for path, d in t.distributions.items() if path in space}
        rows.append(row)
    return rows


def _decoded_range(param: Param, dist) -> tuple | None:
    if param.kind == "choice":
        return None
    return (1.0 - dist.high, 1.0 - dist.low) if param.kind == "one_minus_log" else (dist.low, dist.high)


def _record(study, trial, outcome, metric: str) -> None:
    """Store a finished trial's metrics as user attributes, then tell Optuna its value (or that it failed)."""
    if isinstance(outcome, execution.Failure):
        metrics = {"status": "failed", "message": outcome.error}
    else:
        metrics = outcome.metrics
    trial.set_user_attr("status", metrics.get("status", "failed"))
    trial.set_user_attr("message", metrics.get("message") or "")
    for key in NUMBERS:
        value = metrics.get(key)
        trial.set_user_attr(key, value if value is None or math.isfinite(value) else None)
    value = metrics.get(metric)
    state = _optuna().trial.TrialState
    if metrics.get("status") == "completed" and value is not None and math.isfinite(value):
        study.tell(trial, value)
    else:
        study.tell(trial, state=state.FAIL)


def _open_study(out_dir: Path, *, create: bool):
    optuna = _optuna()
    storage = f"sqlite:///{(out_dir / DB).resolve()}"
    if create:
        return optuna.create_study(storage=storage, study_name=STUDY, direction="maximize")
    if not (out_dir / DB).is_file():
        raise DnnError(f"--resume {out_dir}: no {DB} there (is it a `dnn tune` directory?)")
    return optuna.load_study(storage=storage, study_name=STUDY)


# -- the command ----------------------------------------------------------------------
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


def tune(
    config: str | Path | None = None,
    *,
    params: list[str] = (),
    overrides: list[str] = (),
    trials: int | None = None,
    stages: int | None = None,
    validation: float | None = None,
    metric: str | None = None,
    sampler: str | None = None,
    top: int | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    out: str | Path = "runs",
    resume: str | Path | None = None,
    command: list[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    plots: bool = True,
) -> TuneResult:
    """Run (or resume) a coarse-to-fine search; write the tune directory; return the trials."""
    given = {"trials": trials, "stages": stages, "validation": validation, "metric": metric, "sampler": sampler, "top": top}
    given = {k: v for k, v in given.items() if v is not None}
    pool = execution.executor(jobs, scheduler)  # a bad --jobs or --scheduler fails before any directory
    if resume is None:
        out_dir, study, base, space, settings = _start(config, list(overrides), list(params), given, out)
    else:
        out_dir, study, base, space, settings = _reopen(Path(resume), config, list(overrides), list(params), given)
    outcomes: dict[int, Outcome] = {}
    try:
        _search(study, base, space, settings, pool, jobs, outcomes, progress)
    except KeyboardInterrupt:
        _fail_running(study)
        _write_outputs(out_dir, study, base, space, settings, {}, None, command, plots=False)
        done = sum(r["status"] in COUNTED for r in trial_rows(study, space))
        raise TuneInterrupted(f"interrupted after {done} of {settings['trials']} trials; "
                              f"resume with: dnn tune --resume {out_dir}") from None
    try:
        return _write_outputs(out_dir, study, base, space, settings, outcomes, pool, command, plots=plots)
    finally:
        if scheduler:
            pool.shutdown()


def _start(config, overrides, params, given, out):
    """A new tune: check everything, then claim the directory and create the study in it."""
    if config is None:
        raise ConfigError("CONFIG", None, "a config with a search: block (or --resume DIR)")
    base, space = read_tune_config(config, overrides, params)
    settings = _settings({**DEFAULTS, **given})
    out_dir = create_run_dir(out, base.name, kind="tune")
    study = _open_study(out_dir, create=True)
    study.set_user_attr("settings", settings)
    study.set_user_attr("config", base.to_dict())
    study.set_user_attr("search", space_to_yaml(space))
    write_text(out_dir / "tune.yaml", base.to_yaml() + _yaml({"search": space_to_yaml(space)}))
    return out_dir, study, base, space, settings


def _reopen(out_dir: Path, config, overrides, params, given):
    """A resumed tune: its stored config and space; trials left running by a killed process become interrupted."""
    if config is None and (overrides or params):
        raise ConfigError("--set/--param", [*overrides, *params], "only with CONFIG: a resumed tune keeps its config")
    study = _open_study(out_dir, create=False)
    stored = study.user_attrs
    base, space = validate(stored["config"]), parse_space(stored["search"])
    if config is not None:
        other, other_space = read_tune_config(config, overrides, params)
        if other.to_dict() != base.to_dict() or space_to_yaml(other_space) != stored["search"]:
            raise ConfigError("CONFIG", str(config), f"the config of the tune being resumed (see {out_dir / 'tune.yaml'}); "
                                                     "leave CONFIG out to resume it as it was")
    for key in ("validation", "metric"):
        if key in given and given[key] != stored["settings"][key]:
            raise ConfigError(f"--{key}", given[key], f"{stored['settings'][key]!r}, as in the tune being resumed "
                                                      "(its trials were scored that way)")
    settings = _settings({**stored["settings"], **given})
    study.set_user_attr("settings", settings)
    _fail_running(study)
    return out_dir, study, base, space, settings


def _fail_running(study) -> None:
    """Trials asked but never told (Ctrl-C, a killed process): FAIL without a status, i.e. interrupted."""
    state = _optuna().trial.TrialState
    for t in study.get_trials(deepcopy=False, states=[state.RUNNING]):
        study.tell(t.number, state=state.FAIL)


def _settings(s: dict) -> dict:
    if isinstance(s["trials"], bool) or not isinstance(s["trials"], int) or s["trials"] < 1:
        raise ConfigError("--trials", s["trials"], "at least 1")
    if isinstance(s["stages"], bool) or not isinstance(s["stages"], int) or not 1 <= s["stages"] <= s["trials"]:
        raise ConfigError("--stages", s["stages"], f"from 1 to --trials ({s['trials']})")
    if not isinstance(s["validation"], int | float) or not 0 < s["validation"] < 1:
        raise ConfigError("--validation", s["validation"], "a fraction of the training examples between 0 and 1, e.g. 0.2")
    if s["metric"] not in METRICS:
        raise ConfigError("--metric", s["metric"], choice_hint(s["metric"], METRICS) + " (the test set never chooses)")
    if s["sampler"] not in SAMPLERS:
        raise ConfigError("--sampler", s["sampler"], choice_hint(s["sampler"], SAMPLERS))
    if not isinstance(s["top"], int) or s["top"] < 1:
        raise ConfigError("--top", s["top"], "at least 1")
    return {**s, "validation": float(s["validation"])}


def _search(study, base: RunConfig, space, settings, pool, jobs, outcomes, progress) -> None:
    """Rounds of ask -> run in parallel -> tell, until the study holds ``trials`` finished trials."""
    total, metric, base_dict = settings["trials"], settings["metric"], base.to_dict()
    ends = stage_ends(total, settings["stages"])
    workers = jobs or execution.default_jobs()

    def best_text(rows):
        ranked = rank(rows, metric)
        return f"{ranked[0][metric]:.4f} (trial {ranked[0]['trial']})" if ranked else "-"

    rows = trial_rows(study, space)
    done = sum(r["status"] in COUNTED for r in rows)
    if progress is not None:
        progress(done, total, best_text(rows))
    while done < total:
        stage = next(s for s, end in enumerate(ends, 1) if end > done)
        stage_space = space if stage == 1 else narrowed_space(space, rows, metric)
        n = ends[stage - 1] - done if settings["sampler"] == "random" else min(ends[stage - 1] - done, workers)
        study.sampler = _sampler(settings["sampler"], base.seed, len(rows))
        distributions = {path: p.distribution() for path, p in stage_space.items()}
        asked = [study.ask(distributions) for _ in range(n)]
        for t in asked:
            t.set_user_attr("stage", stage)
        tasks = [Task(t.number, trial_config(base_dict, {p: space[p].decode(v) for p, v in t.params.items()}),
                      settings["validation"], base.seed) for t in asked]
        if "baseline" not in study.user_attrs:
            tasks.insert(0, Task(None, base, settings["validation"], base.seed))
        by_number = {t.number: t for t in asked}

        def on_result(i: int, outcome) -> None:
            nonlocal done
            task = tasks[i]
            if task.number is None:
                metrics = outcome.metrics if isinstance(outcome, Outcome) else {"status": "failed", "message": outcome.error}
                study.set_user_attr("baseline", {k: metrics.get(k) for k in ("status", "message", *NUMBERS)})
                return
            _record(study, by_number[task.number], outcome, metric)
            if isinstance(outcome, Outcome):
                outcomes[task.number] = outcome
            done += outcome.metrics.get("status") in COUNTED if isinstance(outcome, Outcome) else 1
            if progress is not None:
                progress(done, total, best_text(trial_rows(study, space)))

        execution.run_all(run_trial, tasks, pool, on_result)
        rows = trial_rows(study, space)
        done = sum(r["status"] in COUNTED for r in rows)


# -- writers --------------------------------------------------------------------------
def _yaml(obj) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=None)


def _lookup(config: dict, path: str):
    node = config
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _write_outputs(out_dir: Path, study, base: RunConfig, space, settings, outcomes, pool, command, *, plots: bool) -> TuneResult:
    rows = trial_rows(study, space)
    metric = settings["metric"]
    ranked = rank(rows, metric)
    top = [dict(r) for r in ranked[: settings["top"]]]
    baseline = study.user_attrs.get("baseline")
    if baseline is not None:  # the searched values as written, for the table
        baseline = {**baseline, **{path: _lookup(base.to_dict(), path) for path in space}}
    stage_ranges = _stage_ranges(rows, space)
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
        if pool is not None:
            _write_top_runs(out_dir, base, top, space, settings, outcomes, pool, command, plots)
    images = []
    if plots and rows:
        _plot(out_dir / "search.png", rows, space, stage_ranges, top, baseline, metric, base.name)
        images.append("search.png")
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


def _write_top_runs(out_dir, base, top, space, settings, outcomes, pool, command, plots) -> None:
    """A run directory per top trial; trials from an earlier session are trained again (same seed, same result)."""
    missing = [r for r in top if not (out_dir / _run_name(r)).exists() and r["trial"] not in outcomes]
    tasks = [Task(r["trial"], trial_config(base.to_dict(), {p: r[p] for p in space}), settings["validation"], base.seed)
             for r in missing]
    for task, outcome in zip(tasks, execution.run_all(run_trial, tasks, pool)):
        if isinstance(outcome, Outcome):
            outcomes[task.number] = outcome
    for r in top:
        run_dir = out_dir / _run_name(r)
        if not run_dir.exists() and r["trial"] in outcomes:
            run_dir.mkdir()
            outcome = outcomes[r["trial"]]
            write_run(run_dir, outcome, base_metrics(outcome.config, command), plots=plots)
        if run_dir.exists():
            r["dir"] = run_dir.name


def _run_name(row: dict) -> str:
    return f"trial-{row['trial']:04d}"


def _plot(path, rows, space, stage_ranges, top, baseline, metric, name) -> None:
    from dnncli import plots

    panels = []
    for p, param in space.items():
        panel = {"name": p, "scale": param.scale, "x": [r[p] for r in rows if r[p] is not None],
                 "y": [r[metric] if r["status"] == "completed" else None for r in rows if r[p] is not None],
                 "stage": [r["stage"] for r in rows if r[p] is not None],
                 "ranges": {s: rng[p] for s, rng in stage_ranges.items() if p in rng},
                 "best": (top[0][p], top[0][metric]) if top else None}
        if param.kind == "choice":
            panel["categories"] = list(param.choices)
        else:
            panel["limits"] = (param.low, param.high)
        panels.append(panel)
    label = metric.replace("_", " ").replace("val ", "validation ")
    plots.plot_search(path, panels, metric=label, baseline=None if baseline is None else baseline.get(metric),
                      title=f"tune {name}: {label} per trial ({len(rows)} trials)")


def tune_report(result: TuneResult, images: list[str]) -> str:
    from dnncli.report import fmt

    s, metric = result.settings, result.settings["metric"]
    rows = result.rows
    counted = [r for r in rows if r["status"] in COUNTED]
    failed = [r for r in counted if r["status"] != "completed"]
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
