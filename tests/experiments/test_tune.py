"""`dnn tune` (dnncli/experiments/tune/): the search block of a config, narrowing around the best trials, the tune
directory, failures, resume, CLI. Parsing, sampling and narrowing one parameter: tests/test_search.py."""

import csv
import json

import numpy as np
import pytest

from dnncli.config import load_config
from dnncli.errors import ConfigError
from dnncli.experiments.tune import TuneInterrupted, narrowed_space, rank, read_tune_config, stage_ends, tune
from dnncli.search import Param, parse_params
from tests.invoke import dnn, no_traceback

TINY = ["training.epochs=30", "data.n_samples=80", "data.n_test=40", "training.eval_every=10"]
CONFIG = "configs/tune_moons.yaml"


def write_config(tmp_path, search: str, base: str = "") -> str:
    path = tmp_path / "tune_me.yaml"
    path.write_text((base or "data: {name: moons, n_samples: 80, n_test: 40}\ntraining: {epochs: 30, eval_every: 10}\n")
                    + "search:\n" + search)
    return str(path)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# -- the search block ---------------------------------------------------------------------
@pytest.mark.parametrize("search, fragment", [
    ("  optimizer.learing_rate: {log: [1.0e-4, 1.0]}\n", "did you mean 'learning_rate'"),
    ("  optimizer.learning_rate.x: {log: [1.0e-4, 1.0]}\n", "a mapping, to set a key inside it"),
    ("  optimizer.learning_rate: {log: [0.1, 0.1]}\n", "empty or inverted"),
    ("  optimizer.learning_rate: {log: [1.0, 1.0e-4]}\n", "empty or inverted"),
    ("  optimizer.learning_rate: {log: [0.0, 1.0]}\n", "must stay above 0"),
    ("  training.epochs: {int: [0, 100], log: true}\n", "must stay above 0"),
    ("  optimizer.beta1: {one_minus_log: [0.9, 1.0]}\n", "below 1"),
    ("  optimizer.learning_rate: {logg: [1.0e-4, 1.0]}\n", "did you mean 'log'"),
    ("  optimizer.learning_rate: {log: [1.0e-4, 1.0], uniform: [0, 1]}\n", "exactly one of"),
    ("  optimizer.learning_rate: {log: [1.0e-4]}\n", "a list [low, high]"),
    ("  optimizer.learning_rate: {log: [a, 1]}\n", "two numbers"),
    ("  optimizer.learning_rate: 0.1\n", "one of log, one_minus_log"),
    ("  training.epochs: {int: [1.5, 10]}\n", "two integers"),
    ("  training.batch_size: {choice: []}\n", "non-empty list"),
    ("  training.batch_size: {choice: [32, 32]}\n", "each choice once"),
    ("  training.batch_size: {choice: [32, 0]}\n", "at 0: an integer greater than or equal to 1"),
    ("  regularization.keep_prob: {uniform: [0.5, 1.5]}\n", "at 1.5"),
    ("  {}\n", "a search: block in the config or --param"),
    ("  [optimizer.learning_rate]\n", "a mapping of dotted config paths"),
])
def test_every_bad_space_is_one_config_error(tmp_path, search, fragment):
    with pytest.raises(ConfigError, match=re_escape(fragment)) as info:
        read_tune_config(write_config(tmp_path, search))
    assert "\n" not in str(info.value)


def re_escape(text):
    import re

    return re.escape(text)


def test_no_search_block_and_param_options(tmp_path):
    path = tmp_path / "plain.yaml"
    path.write_text("training: {epochs: 30}\n")
    with pytest.raises(ConfigError, match="search"):
        read_tune_config(path)
    config, space = read_tune_config(path, params=["optimizer.learning_rate={log: [1e-4, 1]}"])
    assert list(space) == ["optimizer.learning_rate"] and space["optimizer.learning_rate"].low == 1e-4
    with pytest.raises(ConfigError, match="PATH=SPEC"):
        parse_params(["optimizer.learning_rate"])


# -- narrowing ----------------------------------------------------------------------------
def test_narrowed_space_spans_the_top_fifth_with_ties_broken_by_cost():
    rng = np.random.default_rng(0)
    space = {"lr": Param("lr", "log", 1e-4, 1.0), "beta": Param("beta", "one_minus_log", 0.8, 0.999)}
    rows = [{"trial": i, "status": "completed", "lr": float(10 ** rng.uniform(-4, 0)), "beta": float(1 - 10 ** rng.uniform(-3, np.log10(0.2))),
             "val_accuracy": round(float(rng.uniform(0.5, 1.0)), 1), "val_cost": float(rng.uniform(0.1, 1))} for i in range(20)]
    rows.append({"trial": 20, "status": "diverged", "lr": 0.9, "beta": 0.81, "val_accuracy": None, "val_cost": None})
    ranked = rank(rows, "val_accuracy")
    assert all((a["val_accuracy"], -a["val_cost"]) >= (b["val_accuracy"], -b["val_cost"]) for a, b in zip(ranked, ranked[1:]))
    top = ranked[:4]  # 20% of the 20 scored trials
    narrowed = narrowed_space(space, rows, "val_accuracy")
    for key in space:
        values = [r[key] for r in top]
        assert narrowed[key].low == pytest.approx(min(values)) and narrowed[key].high == pytest.approx(max(values))
        assert space[key].low <= narrowed[key].low < narrowed[key].high <= space[key].high
    assert narrowed_space(space, rows[-1:], "val_accuracy") == space  # nothing scored: nothing to narrow around
    assert stage_ends(40, 2) == [20, 40] and stage_ends(7, 3) == [2, 5, 7]


# -- end to end ------------------------------------------------------------------------------
def test_tiny_tune_writes_every_file(tmp_path):
    result = tune(CONFIG, overrides=TINY, trials=6, stages=2, top=2, jobs=2, out=tmp_path)
    out = result.out_dir
    assert out.parent == tmp_path and "-tune-tune_moons" in out.name
    for name in ("trials.csv", "best.yaml", "report.md", "search.png", "tune.yaml", "study.journal"):
        assert (out / name).is_file(), name
    rows = read_csv(out / "trials.csv")
    assert len(rows) == 6 and [r["stage"] for r in rows] == ["1"] * 3 + ["2"] * 3
    for column in ("optimizer.learning_rate", "optimizer.beta1", "val_accuracy", "status", "seconds"):
        assert column in rows[0]
    ranges = result.stage_ranges[2]
    for r in rows[3:]:  # stage 2 sampled inside its narrowed range
        lo, hi = ranges["optimizer.learning_rate"]
        assert lo <= float(r["optimizer.learning_rate"]) <= hi
    best = load_config(out / "best.yaml")
    assert best.optimizer.learning_rate == pytest.approx(result.best["optimizer.learning_rate"])
    assert best.training.epochs == 30 and best.name == "tune_moons_tuned"
    assert [r["dir"] for r in result.top] == [f"trial-{r['trial']:04d}" for r in result.top]
    for r in result.top:
        metrics = json.loads((out / r["dir"] / "metrics.json").read_text())
        assert metrics["val_accuracy"] == r["val_accuracy"] and (out / r["dir"] / "params.npz").is_file()
    assert result.baseline["status"] == "completed" and result.baseline["val_accuracy"] is not None
    assert "dnn train" in (out / "report.md").read_text()


def test_failed_and_diverged_trials_are_recorded_and_skipped(tmp_path):
    base = ("data: {name: blobs, n_samples: 40, centers: 2, n_test: 0}\noptimizer: {name: gd, learning_rate: 0.01}\n"
            "training: {epochs: 20, eval_every: 10}\n")
    path = write_config(tmp_path, "  data.centers: {choice: [2, 3, 50]}\n  optimizer.learning_rate: {choice: [0.01, 0.02, 1.0e+300]}\n", base)
    result = tune(path, trials=10, stages=1, top=1, jobs=1, out=tmp_path, plots=False)
    statuses = [r["status"] for r in result.rows]
    assert len(statuses) == 10 and {"completed", "failed", "diverged"} <= set(statuses)
    failed = next(r for r in result.rows if r["status"] == "failed")
    assert failed["data.centers"] == 50 and "50" in failed["message"]
    assert result.best["status"] == "completed" and result.best["data.centers"] in (2, 3)
    assert result.best["optimizer.learning_rate"] < 1
    csv_rows = read_csv(result.out_dir / "trials.csv")
    assert sorted(r["status"] for r in csv_rows) == sorted(statuses)


def test_resume_continues_without_redoing_finished_trials(tmp_path):
    first = tune(CONFIG, overrides=TINY, trials=4, stages=2, top=1, jobs=1, out=tmp_path, plots=False)
    before = read_csv(first.out_dir / "trials.csv")
    again = tune(resume=first.out_dir, trials=8, jobs=1, plots=False)
    after = read_csv(first.out_dir / "trials.csv")
    assert again.out_dir == first.out_dir and len(after) == 8 and after[:4] == before
    assert again.settings["trials"] == 8 and again.settings["stages"] == 2
    assert len({r["optimizer.learning_rate"] for r in after}) == 8  # new samples, not the first ones again
    with pytest.raises(ConfigError, match="validation"):
        tune(resume=first.out_dir, validation=0.3)


def test_an_interrupted_tune_resumes_and_resamples_only_what_did_not_finish(tmp_path):
    def stop_after_two(done, total, best):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(TuneInterrupted, match="resume with: dnn tune --resume"):
        tune(CONFIG, overrides=TINY, trials=5, stages=1, jobs=1, out=tmp_path, plots=False, progress=stop_after_two)
    out = next(tmp_path.iterdir())
    rows = read_csv(out / "trials.csv")
    assert sorted(r["status"] for r in rows) == ["completed"] * 2 + ["interrupted"] * 3
    tune(resume=out, jobs=1, plots=False)
    after = read_csv(out / "trials.csv")
    assert len(after) == 8 and sum(r["status"] == "completed" for r in after) == 5  # 3 sampled again
    assert [r for r in after[:5] if r["status"] == "completed"] == [r for r in rows if r["status"] == "completed"]
    assert [r["status"] for r in after[5:]] == ["completed"] * 3


# -- CLI -----------------------------------------------------------------------------------------
def test_cli_bad_search_space_exits_2(tmp_path):
    path = write_config(tmp_path, "  optimizer.learning_rate: {log: [0, 1]}\n")
    proc = dnn("tune", path, "--out", tmp_path)
    assert proc.exit_code == 2 and "search.optimizer.learning_rate" in proc.stderr and "above 0" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and no_traceback(proc)
    assert not list(tmp_path.glob("*-tune-*"))


def test_cli_json(tmp_path):
    proc = dnn("tune", CONFIG, *sum((["--set", s] for s in TINY), []), "--trials", "3", "--stages", "1", "--top", "1",
               "--jobs", "1", "--out", tmp_path, "--json")
    assert proc.exit_code == 0, proc.output
    summary = json.loads(proc.stdout)
    assert len(summary["top"]) == 1 and summary["settings"]["trials"] == 3 and summary["best_config"].endswith("best.yaml")


@pytest.mark.parametrize("option, fragment", [({"trials": 0}, "--trials"), ({"stages": 5, "trials": 4}, "--stages"),
                                              ({"validation": 1.0}, "--validation"), ({"metric": "test_accuracy"}, "never chooses"),
                                              ({"sampler": "grid"}, "--sampler")])
def test_bad_options_are_config_errors_before_any_directory(tmp_path, option, fragment):
    with pytest.raises(ConfigError, match=re_escape(fragment)):
        tune(CONFIG, overrides=TINY, out=tmp_path, **option)
    assert not list(tmp_path.iterdir())


def test_tpe_sampler_runs_both_stages(tmp_path):
    """TPE through the two stages (its round size: test_tpe_asks_small_rounds)."""
    result = tune(CONFIG, overrides=TINY, trials=6, stages=2, sampler="tpe", top=1, jobs=1, out=tmp_path, plots=False)
    assert [r["stage"] for r in result.rows] == [1, 1, 1, 2, 2, 2] and result.best is not None


def test_trials_are_asked_round_by_round(tmp_path):
    """--trials 20000 asks one round (a group per worker), trains it, and only then asks again."""
    from dnncli.experiments.tune import round_size

    calls = []

    def stop_at_first_result(done, total, best):
        calls.append(done)
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(TuneInterrupted):
        tune(CONFIG, overrides=TINY, trials=20000, stages=1, jobs=1, out=tmp_path, plots=False,
             progress=stop_at_first_result)
    rows = read_csv(next(tmp_path.iterdir()) / "trials.csv")
    assert len(rows) == round_size("random", 1) == 64  # one round asked (--jobs 1: one worker), not 20000
    assert sum(r["status"] == "completed" for r in rows) == 1


def test_tpe_asks_small_rounds(tmp_path):
    from dnncli.experiments.tune import round_size

    seen = []
    result = tune(CONFIG, overrides=TINY, trials=20, stages=1, sampler="tpe", top=1, jobs=1, out=tmp_path, plots=False,
                  progress=lambda done, total, best: seen.append(done))
    assert round_size("tpe", 1) == 4 and len(result.rows) == 20
    stacks = [json.loads(p.read_text())["stack"] for p in result.out_dir.glob("trial-*/metrics.json")]
    assert stacks and all(1 <= s <= 4 for s in stacks)  # trained in groups of one round at most


@pytest.mark.parametrize("content", [b"", b"not a journal at all\n\x00\x01", b"SQLite format 3\x00garbage" * 4])
def test_resume_refuses_a_damaged_empty_or_foreign_study_and_leaves_it_alone(tmp_path, content):
    from dnncli.errors import DnnError

    folder = tmp_path / "t"
    folder.mkdir()
    name = "study.db" if content.startswith(b"SQLite") else "study.journal"
    (folder / name).write_bytes(content)
    with pytest.raises(DnnError, match=f"--resume .*{name}"):
        tune(resume=folder, jobs=1)
    assert (folder / name).read_bytes() == content  # resume never changes a file it cannot read
    assert sorted(p.name for p in folder.iterdir()) == [name]


def test_a_trial_whose_tell_never_happened_is_sampled_again(tmp_path):
    """A result stored but not told (the process died between the two) counts as interrupted."""
    from dnncli.experiments.tune import study as studies

    first = tune(CONFIG, overrides=TINY, trials=3, stages=1, top=1, jobs=1, out=tmp_path, plots=False)
    study = studies.load_study(first.out_dir)
    trial = study.ask(study.trials[0].distributions)
    trial.set_user_attr("result", {"status": "completed", "val_accuracy": 0.99})  # ... and then a kill -9
    rows = studies.trial_rows(study, first.space)
    assert [r["status"] for r in rows] == ["completed"] * 3 + ["running"]
    again = tune(resume=first.out_dir, trials=4, jobs=1, plots=False)
    statuses = [r["status"] for r in again.rows]
    assert statuses[3] == "interrupted" and statuses.count("completed") == 4
    assert again.best["val_accuracy"] != 0.99 or again.best["trial"] != 3


def test_top_runs_written_by_workers_report_a_write_failure_as_one_line(tmp_path):
    """The top trials' run directories are written by the local workers; a failed write comes back
    to the parent as the same one-line WriteError (exit 1), not as a worker's traceback."""
    from dnncli import execution
    from dnncli.experiments.tune.writers import _TopRun, _write_task
    from dnncli.files import WriteError
    from dnncli.pipeline import RunResult

    config = load_config("configs/adam_moons.yaml", TINY)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    tasks = [_TopRun(blocked / f"trial-{k}", RunResult.failed(config, "x"), None, None, False) for k in range(2)]
    pool = execution.executor(jobs=2, n_tasks=2)
    try:
        outcomes = execution.run_all(_write_task, tasks, pool)
    finally:
        execution.stop(pool)
    assert [type(o) for o in outcomes] == [WriteError, WriteError]
    assert all(f"while writing {blocked}/trial-" in str(o) and o.exit_code == 1 for o in outcomes)
