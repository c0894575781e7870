"""`dnn compare` (dnncli/experiments/compare.py): the summary, determinism across job counts, failures as values, the CLI.

The arms themselves: test_arms.py; the statistics against scipy: test_stats.py."""

import json
import math

import pytest

from dnncli.errors import ConfigError, DataError
from dnncli.experiments.compare import compare, pick_best, resolve_arms, summarize
from tests.invoke import dnn, no_traceback

TINY = ["training.epochs=30", "data.n_samples=60", "data.n_test=40"]


def test_bad_arms_exit_2_from_the_cli(tmp_path):
    proc = dnn("compare", "gd", "zeros", "--out", tmp_path)
    assert proc.exit_code == 2 and no_traceback(proc) and "one axis" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def run(seed, train, test, cost=0.5):
    return {"seed": seed, "status": "completed", "train_accuracy": train, "test_accuracy": test,
            "final_cost": cost, "seconds": 1.0, "dir": "x"}


def test_summary_statistics_by_hand():
    summary = summarize("optimizer", {"a": [run(0, 0.8, 0.7, 0.5), run(1, 0.9, 0.9, 0.3)],
                                      "b": [run(0, 0.6, 0.6, 0.6), run(1, 0.6, 0.5, 0.7)]})
    a = summary["a"]["train_accuracy"]
    # sample std of 0.8, 0.9: sqrt(2 * 0.05^2 / 1) = 0.1 / sqrt(2); 95% CI: 0.85 +- t(0.975, 1) * std / sqrt(2)
    assert a["mean"] == pytest.approx(0.85) and a["std"] == pytest.approx(0.1 / math.sqrt(2)) and a["n"] == 2
    assert a["ci95"] == pytest.approx([0.85 - 12.706204736 * 0.05, 0.85 + 12.706204736 * 0.05])
    assert (summary["a"]["test_accuracy"]["min"], summary["a"]["test_accuracy"]["max"]) == (0.7, 0.9)
    assert summary["a"]["best_seed"] == 1 and summary["a"]["worst_seed"] == 0 and summary["b"]["best_seed"] == 0
    best, verdict, p = pick_best(summary)
    # Welch by hand: means 0.8 and 0.55, sample variances 0.02 and 0.005, n = 2 each
    se2 = 0.02 / 2 + 0.005 / 2
    t = 0.25 / math.sqrt(se2)
    df = se2**2 / ((0.02 / 2) ** 2 + (0.005 / 2) ** 2)
    from scipy.special import betainc  # the two-sided p of Student's t: I_{df/(df+t^2)}(df/2, 1/2)

    assert p == pytest.approx(betainc(df / 2, 0.5, df / (df + t * t)), rel=1e-9)
    assert best == "a" and "not significant" in verdict and f"p = {p:.2g}" in verdict


def test_a_clear_lead_is_significant_and_one_seed_claims_nothing():
    clear = summarize("x", {"a": [run(k, 0.9, 0.9 + k / 100) for k in range(4)],
                            "b": [run(k, 0.5, 0.5 + k / 100) for k in range(4)]})
    best, verdict, p = pick_best(clear)
    assert best == "a" and p < 1e-6 and "significant (Welch's t-test" in verdict and "not significant" not in verdict
    one = summarize("x", {"a": [run(0, 0.9, 0.91)], "b": [run(0, 0.9, 0.90)]})
    best, verdict, p = pick_best(one)
    assert best == "a" and p is None and "one seed shows no spread" in verdict
    assert one["a"]["test_accuracy"]["std"] is None and one["a"]["test_accuracy"]["ci95"] is None


def test_same_numbers_with_one_job_or_two(tmp_path):
    one = compare(["gd", "adam"], overrides=TINY, seeds=2, jobs=1, out=tmp_path / "one", plots=False)
    two = compare(["gd", "adam"], overrides=TINY, seeds=2, jobs=2, out=tmp_path / "two", plots=False)
    for arm in ("gd", "adam"):
        for key in ("train_accuracy", "test_accuracy", "final_cost"):
            assert one.summary["arms"][arm][key] == two.summary["arms"][arm][key]
    params = sorted((tmp_path / "one").glob("*/*/params.npz"))
    assert len(params) == 4
    for p in params:
        other = tmp_path / "two" / next((tmp_path / "two").iterdir()).name / p.parent.name / "params.npz"
        assert p.read_bytes() == other.read_bytes()


def test_a_missing_data_file_is_refused_before_any_directory(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(f"data: {{name: h5, train: {tmp_path / 'missing.h5'}}}\n")
    with pytest.raises(DataError, match="missing.h5"):
        compare([str(broken), "configs/adam_moons.yaml"], overrides=["training.epochs=30"], seeds=1, jobs=1,
                out=tmp_path / "out")
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_group_that_raises_fails_only_its_own_runs(tmp_path, monkeypatch):
    from dnncli import pipeline

    real = pipeline.train_built

    def flaky(config, *args, **kwargs):  # fails in the worker only, after the parent's checks passed
        if config.data.n_samples == 61:
            raise RuntimeError("disk on fire")
        return real(config, *args, **kwargs)

    monkeypatch.setattr(pipeline, "train_built", flaky)
    broken = tmp_path / "broken.yaml"
    broken.write_text("data: {n_samples: 61, n_test: 40}\n")
    diverging = tmp_path / "diverging.yaml"
    diverging.write_text("optimizer: {name: gd, learning_rate: 1.0e+300}\ninit: {name: random, scale: 1.0e+6}\n"
                         "training: {epochs: 30}\ndata: {n_samples: 60, n_test: 40}\n")
    result = compare([str(broken), str(diverging), "configs/adam_moons.yaml"], overrides=["training.epochs=30"],
                     seeds=1, jobs=1, out=tmp_path / "out")
    arms = result.summary["arms"]
    assert arms["broken"]["failed"] == 1 and "disk on fire" in arms["broken"]["runs"][0]["message"]
    assert arms["diverging"]["runs"][0]["status"] == "diverged"
    assert arms["adam_moons"]["runs"][0]["status"] == "completed" and result.best == "adam_moons"
    assert result.failed == 1
    summary = json.loads((result.out_dir / "summary.json").read_text())
    assert set(summary["arms"]) == {"broken", "diverging", "adam_moons"}
    assert summary["failed"] == 1 and summary["status"] == "completed"
    for name in ("summary.csv", "report.md", "costs.png", "accuracy.png", "boundaries.png"):
        assert (result.out_dir / name).exists(), name
    assert json.loads((result.out_dir / "broken-seed0" / "metrics.json").read_text())["status"] == "failed"


def test_cli_json_summary(tmp_path):
    proc = dnn("compare", "none", "l2", "--seeds", "2", "--jobs", "1", "--set", "training.epochs=20", "--out", tmp_path, "--json")
    assert proc.exit_code == 0, proc.output
    summary = json.loads(proc.stdout)
    assert summary["axis"] == "regularization" and set(summary["arms"]) == {"none", "l2"}
    for key in ("mean", "std", "min", "max"):
        assert key in summary["arms"]["l2"]["test_accuracy"]
    assert len(summary["arms"]["l2"]["runs"]) == 2


def test_an_interrupted_compare_keeps_the_finished_runs(tmp_path):
    from dnncli.experiments import compare as compare_module

    calls = {"n": 0}

    def progress(done, total, best):
        calls["n"] += 1
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        compare_module.compare(["gd", "adam"], overrides=TINY, seeds=2, jobs=1, out=tmp_path, progress=progress)
    (out_dir,) = tmp_path.iterdir()
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    assert sum(len(e["runs"]) for e in summary["arms"].values()) == 2
    assert (out_dir / "report.md").exists()


def test_jobs_above_the_cores_are_capped_and_the_command_says_so(tmp_path):
    import os

    from typer.testing import CliRunner

    from dnncli.cli.main import app

    jobs = (os.cpu_count() or 1) + 10
    result = CliRunner().invoke(app, ["compare", "gd", "adam", "--seeds", "1", "--jobs", str(jobs), "--quiet",
                                      "--set", "training.epochs=5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"--jobs {jobs}: using {os.cpu_count()} worker process" in result.output


def test_a_tie_is_called_a_tie():
    best, verdict, _ = pick_best(summarize("x", {"a": [run(0, 0.878, 0.878), run(1, 0.878, 0.878)],
                                                 "b": [run(0, 0.878, 0.878), run(1, 0.878, 0.878)]}))
    assert verdict == f"{best} and {'b' if best == 'a' else 'a'} tie in mean test accuracy (0.8780): not a clear difference"


def test_a_full_disk_during_a_compare_is_one_line_and_marks_it_failed(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from dnncli.cli.main import app
    from tests.faults import fill_disk_at

    fill_disk_at(monkeypatch, "history.csv")
    result = CliRunner().invoke(app, ["compare", "gd", "adam", "--seeds", "1", "--jobs", "1", "--set", "training.epochs=5",
                                      "--out", str(tmp_path), "--quiet"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no space left on device while writing") and "history.csv" in lines[0]
    out = next(tmp_path.iterdir())
    assert json.loads((out / "summary.json").read_text())["status"] == "failed"
    assert {json.loads(p.read_text())["status"] for p in out.glob("*/metrics.json")} == {"failed"}


def test_vary_makes_one_arm_per_value(tmp_path):
    from dnncli.experiments.arms import split_values

    assert split_values("16,64,null") == ["16", "64", "null"]
    assert split_values("[5, 2],[10, 5]") == ["[5, 2]", "[10, 5]"]
    result = compare([], vary="training.batch_size=16,64,null", overrides=["training.epochs=20"], seeds=1, jobs=1,
                     out=tmp_path, plots=False)
    arms = result.summary["arms"]
    assert list(arms) == ["training.batch_size=16", "training.batch_size=64", "training.batch_size=null"]
    sizes = [json.loads(next(p for p in (result.out_dir).glob(f"training.batch_size_{v}-seed3/metrics.json")).read_text())
             ["updates"] for v in ("16", "64", "null")]
    assert sizes == [20 * 19, 20 * 5, 20]  # 300 examples: 19 batches of 16, 5 of 64, one full batch per epoch
    with pytest.raises(ConfigError, match="--vary"):
        compare([], vary="training.batch_size", out=tmp_path)
    with pytest.raises(ConfigError, match="no arm names with --vary"):
        compare(["gd"], vary="training.batch_size=16,64", out=tmp_path)


def test_two_train_run_directories_compare_directly(tmp_path):
    from dnncli.config import load_config
    from dnncli.experiments.train import train

    config = load_config("configs/adam_moons.yaml", ["training.epochs=20"])
    first, second = train(config, tmp_path / "runs", plots=False), train(config, tmp_path / "runs", plots=False)
    _, arms = resolve_arms([str(first.run_dir), str(second.run_dir / "config.yaml")])
    assert [a.name for a in arms] == [first.run_dir.name, second.run_dir.name]
    _, same = resolve_arms([str(first.run_dir), str(first.run_dir)])  # the same run twice: two distinct names
    assert [a.name for a in same] == [first.run_dir.name, first.run_dir.name + "-2"]
    result = compare([str(first.run_dir), str(second.run_dir)], seeds=1, jobs=1, out=tmp_path / "c", plots=False)
    assert set(result.summary["arms"]) == {first.run_dir.name, second.run_dir.name} and result.failed == 0


def test_a_bad_x_axis_is_refused_before_any_directory(tmp_path):
    with pytest.raises(ConfigError, match="--x: 'minutes' is not allowed"):
        compare(["gd", "adam"], overrides=["training.epochs=5"], seeds=1, jobs=1, out=tmp_path / "out", x="minutes")
    assert not (tmp_path / "out").exists()
