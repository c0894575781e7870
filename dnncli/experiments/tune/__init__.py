"""`dnn tune`: random search on the right scale, coarse to fine, trials trained as populations.

Stage 1 samples the whole ``search:`` space; each later stage narrows every numeric range
to span the best 20% of the trials so far, on the parameter's own scale (see
:mod:`dnncli.search`), and samples again. Trials are asked from Optuna round by round (so the
first training starts at once, however many trials are asked for); the trials of a round
that share a stack key train in one pass (:mod:`dnncli.pipeline`), and every result is told
to Optuna as it comes back. A trial trains on the training columns minus a stratified,
seeded validation split and is scored there: the test set plays no part in the choice.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dnncli import execution, pipeline
from dnncli.config import RunConfig, validate
from dnncli.errors import ConfigError, DnnError
from dnncli.experiments.signals import deferred_signals
from dnncli.experiments.tune import study as studies
from dnncli.experiments.tune.settings import METRICS, SAMPLERS, TuneSettings, stage_ends
from dnncli.experiments.tune.space import narrowed_space, rank, read_tune_config, trial_config
from dnncli.experiments.tune.writers import TuneResult, _yaml, write_outputs
from dnncli.files import write_text
from dnncli.pipeline import GROUP_CAP, RunResult
from dnncli.runs import create_run_dir
from dnncli.search import parse_space, space_to_yaml
from dnncli.validation import Split

__all__ = ["METRICS", "SAMPLERS", "TuneInterrupted", "TuneResult", "narrowed_space", "rank", "read_tune_config",
           "stage_ends", "tune"]


class TuneInterrupted(DnnError):
    """Ctrl-C or SIGTERM: what finished is saved; the message says how to resume."""

    exit_code = 130


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
    stack: bool = True,
) -> TuneResult:
    """Run (or resume) a coarse-to-fine search; write the tune directory; return the trials."""
    given = {"trials": trials, "stages": stages, "validation": validation, "metric": metric, "sampler": sampler, "top": top}
    given = {k: v for k, v in given.items() if v is not None}
    pool = execution.executor(jobs, scheduler)  # a bad --jobs or --scheduler fails before any directory
    if resume is None:
        out_dir, study, base, space, settings = _start(config, list(overrides), list(params), given, out)
    else:
        out_dir, study, base, space, settings = _reopen(Path(resume), config, list(overrides), list(params), given)
    outcomes: dict[int, RunResult] = {}
    with deferred_signals(raising=not isinstance(pool, execution.InlineExecutor)) as stop:
        try:
            _search(study, base, space, settings, pool, stack, outcomes, progress, stop)
        except KeyboardInterrupt:
            studies.fail_running(study)
            write_outputs(out_dir, study, base, space, settings, {}, None, command, plots=False)
            done = sum(r["status"] in studies.COUNTED for r in studies.trial_rows(study, space))
            error = TuneInterrupted(f"interrupted after {done} of {settings['trials']} trials; "
                                    f"resume with: dnn tune --resume {out_dir}")
            error.exit_code = stop.interrupted().exit_code
            raise error from None
        try:
            return write_outputs(out_dir, study, base, space, settings, outcomes, pool, command, plots=plots)
        finally:
            if scheduler:
                pool.shutdown()


def _start(config, overrides, params, given, out):
    """A new tune: check everything, then claim the directory and create the study in it."""
    if config is None:
        raise ConfigError("CONFIG", None, "a config with a search: block (or --resume DIR)")
    base, space = read_tune_config(config, overrides, params)
    settings = TuneSettings.parse(given).model_dump()
    out_dir = create_run_dir(out, base.name, kind="tune")
    study = studies.create_study(out_dir)
    study.set_user_attr("settings", settings)
    study.set_user_attr("config", base.to_dict())
    study.set_user_attr("search", space_to_yaml(space))
    write_text(out_dir / "tune.yaml", base.to_yaml() + _yaml({"search": space_to_yaml(space)}))
    return out_dir, study, base, space, settings


def _reopen(out_dir: Path, config, overrides, params, given):
    """A resumed tune: its stored config and space; trials left running by a killed process become interrupted."""
    if config is None and (overrides or params):
        raise ConfigError("--set/--param", [*overrides, *params], "only with CONFIG: a resumed tune keeps its config")
    study = studies.load_study(out_dir)
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
    settings = TuneSettings.parse({**stored["settings"], **given}).model_dump()
    study.set_user_attr("settings", settings)
    studies.fail_running(study)
    return out_dir, study, base, space, settings


def round_size(sampler: str, workers: int) -> int:
    """Trials asked per round: a full group per worker for random search; fewer for TPE, which
    learns from every told result (its first rounds are random anyway)."""
    return GROUP_CAP * workers if sampler == "random" else 4 * workers


def _search(study, base: RunConfig, space, settings, pool, stack, outcomes, progress, stop) -> None:
    """Rounds of ask -> train the round's groups -> tell, until the study holds ``trials`` finished trials."""
    total, metric, base_dict = settings["trials"], settings["metric"], base.to_dict()
    ends = stage_ends(total, settings["stages"])
    split = Split(settings["validation"], base.seed)
    workers = execution.workers(pool)

    def best_text(rows):
        ranked = rank(rows, metric)
        return f"{ranked[0][metric]:.4f} (trial {ranked[0]['trial']})" if ranked else "-"

    rows = studies.trial_rows(study, space)
    done = sum(r["status"] in studies.COUNTED for r in rows)
    if progress is not None:
        progress(done, total, best_text(rows))
    while done < total:
        stage = next(s for s, end in enumerate(ends, 1) if end > done)
        stage_space = space if stage == 1 else narrowed_space(space, rows, metric)
        n = min(ends[stage - 1] - done, round_size(settings["sampler"], workers))
        study.sampler = studies.sampler(settings["sampler"], base.seed, len(rows))
        distributions = {path: p.distribution() for path, p in stage_space.items()}
        asked = [study.ask(distributions) for _ in range(n)]
        for t in asked:
            t.set_user_attr("stage", stage)
        trials = [(t, trial_config(base_dict, {p: space[p].decode(v) for p, v in t.params.items()})) for t in asked]
        if "baseline" not in study.user_attrs:
            trials.insert(0, (None, base))

        def on_result(i: int, result: RunResult, trials=trials) -> None:
            nonlocal done
            trial = trials[i][0]
            metrics = result.metrics()
            if trial is None:
                study.set_user_attr("baseline", {k: metrics.get(k) for k in ("status", "message", *studies.NUMBERS)})
                return
            studies.record(study, trial, metrics, metric)
            outcomes[trial.number] = result
            done += metrics["status"] in studies.COUNTED
            if progress is not None:
                progress(done, total, best_text(studies.trial_rows(study, space)))

        pipeline.run_configs([c for _, c in trials], pool=pool, stack=stack, validation=split, on_result=on_result,
                             callbacks=[stop])
        rows = studies.trial_rows(study, space)
        done = sum(r["status"] in studies.COUNTED for r in rows)
