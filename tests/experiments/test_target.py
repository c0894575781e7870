"""`dnn compare`: time to target (--target, --target-cost), one-arm seed studies, a table that fits 80 columns."""

import csv
import json
import math

import numpy as np
import pytest

from dnncli.engine.training import History
from dnncli.errors import ConfigError
from dnncli.experiments.compare import compare
from dnncli.experiments.stats import describe
from dnncli.experiments.target import Target, arm_summary, cell

TINY = ["training.epochs=60", "training.eval_every=10", "data.n_samples=60", "data.n_test=40"]


def history(cost, eval_epochs, train_accuracy):
    nan = np.full(len(eval_epochs), np.nan)
    return History(np.array(cost, float), np.zeros(len(cost)), np.array(eval_epochs), np.array(train_accuracy, float),
                   nan, nan)


def test_the_first_epoch_and_update_at_the_target_by_hand():
    h = history([0.9, 0.5, np.nan, 0.3, 0.2], [1, 3, 4], [0.5, 0.92, 0.95])
    # accuracy is known at epoch indices 1, 3, 4: first >= 0.9 at index 3, i.e. after 4 epochs of 5 updates
    assert Target("train_accuracy", 0.9).reached(h, 5) == (4, 20)
    assert Target("train_accuracy", 0.92).reached(h, 5) == (4, 20)  # "reaches" includes equality
    assert Target("train_accuracy", 0.96).reached(h, 5) == (None, None)
    # cost per epoch: first <= 0.3 at index 3 (the NaN at index 2 never counts)
    assert Target("cost", 0.3).reached(h, 1) == (4, 4)
    assert Target("cost", 0.5).reached(h, 2) == (2, 4)
    assert Target("cost", 0.1).reached(h, 2) == (None, None)
    assert Target("cost", 0.1).reached(None, 2) == (None, None)


def test_per_arm_mean_over_the_seeds_that_reached_it():
    runs = [{"epochs_to_target": 200, "updates_to_target": 1000}, {"epochs_to_target": None, "updates_to_target": None},
            {"epochs_to_target": 400, "updates_to_target": 2000}]
    entry = arm_summary(runs)
    assert entry["epochs"]["mean"] == 300 and entry["updates"]["mean"] == 1500
    assert (entry["reached"], entry["runs"]) == (2, 3) and cell(entry) == "300 2/3"
    never = arm_summary([{"epochs_to_target": None, "updates_to_target": None}] * 2)
    assert never["epochs"]["mean"] is None and cell(never) == "never"
    assert cell(arm_summary(runs[:1])) == "200"


@pytest.mark.parametrize("accuracy, cost, key", [(0.9, 0.2, "not both"), (0.0, None, "--target"), (1.5, None, "--target"),
                                                 (True, None, "--target"), (None, -1.0, "--target-cost"),
                                                 (None, math.inf, "--target-cost")])
def test_bad_targets_are_refused(accuracy, cost, key):
    with pytest.raises(ConfigError, match=key):
        Target.parse(accuracy, cost)


def test_compare_with_a_target_agrees_with_each_runs_history_csv(tmp_path):
    result = compare(["gd", "adam"], overrides=TINY + ["adam:optimizer.learning_rate=0.05"], seeds=2, jobs=1,
                     out=tmp_path, plots=False, target=0.8)
    summary = json.loads((result.out_dir / "summary.json").read_text())
    assert summary["target"] == {"metric": "train_accuracy", "value": 0.8} and summary["eval_every"] == 10
    reached = 0
    for arm, entry in summary["arms"].items():
        for run in entry["runs"]:
            rows = list(csv.DictReader((result.out_dir / run["dir"] / "history.csv").open()))
            hits = [int(r["epoch"]) + 1 for r in rows if r["train_accuracy"] and float(r["train_accuracy"]) >= 0.8]
            expected = hits[0] if hits else None
            assert run["epochs_to_target"] == expected, (arm, run["seed"])
            # 60 examples in mini-batches of 64: one update per epoch
            assert run["updates_to_target"] == expected
            reached += expected is not None
        values = [r["epochs_to_target"] for r in entry["runs"] if r["epochs_to_target"] is not None]
        assert entry["to_target"]["epochs"] == describe(values)
        assert entry["to_target"]["reached"] == len(values)
    assert reached  # adam at lr 0.05 gets there, so the test looks at a real answer
    report = (result.out_dir / "report.md").read_text()
    assert "| epochs to target | updates to target | reached |" in report
    assert "train accuracy first reached 0.8, evaluated every 10 epochs" in report
    header = (result.out_dir / "summary.csv").read_text().splitlines()[0]
    assert "epochs_to_target_mean" in header and "reached_target" in header


def test_a_cost_target_counts_epochs_and_updates(tmp_path):
    result = compare(["adam"], overrides=TINY + ["data.n_samples=200", "optimizer.learning_rate=0.05"], seeds=2,
                     jobs=1, out=tmp_path, plots=False, target_cost=0.5)
    for run in result.summary["arms"]["adam"]["runs"]:
        rows = list(csv.DictReader((result.out_dir / run["dir"] / "history.csv").open()))
        epochs = next(int(r["epoch"]) + 1 for r in rows if float(r["cost"]) <= 0.5)
        assert (run["epochs_to_target"], run["updates_to_target"]) == (epochs, epochs * 4)  # 200 = 3 x 64 + 8: 4 updates


def test_one_arm_is_a_seed_study(tmp_path):
    result = compare(["adam"], overrides=TINY, seeds=3, jobs=1, out=tmp_path)
    assert result.out_dir.name.endswith("-compare-adam")
    stat = result.summary["arms"]["adam"]["test_accuracy"]
    assert stat["n"] == 3 and stat["ci95"] is not None
    low, high = stat["ci95"]
    assert result.verdict == (f"adam over 3 seeds: mean test accuracy {stat['mean']:.4f}, 95% CI [{low:.4f}, {high:.4f}] "
                              f"(std {stat['std']:.4f}, seeds from {stat['min']:.4f} to {stat['max']:.4f})")
    for name in ("costs.png", "accuracy.png", "report.md"):
        assert (result.out_dir / name).exists()
    with pytest.raises(ConfigError, match="2 or more for one arm"):
        compare(["adam"], overrides=TINY, seeds=1, jobs=1, out=tmp_path)
    with pytest.raises(ConfigError, match="at least one arm"):
        compare([], overrides=TINY, seeds=3, jobs=1, out=tmp_path)


def test_the_table_fits_80_columns_and_keeps_the_seed_information(tmp_path, monkeypatch):
    from rich.console import Console
    from typer.testing import CliRunner

    from dnncli.cli import compare as compare_cli
    from dnncli.cli.main import app

    # what an 80-column terminal (or COLUMNS=80 on one) gets; a pipe gets 160 columns
    monkeypatch.setattr(compare_cli, "out_console", lambda: Console(highlight=False, width=80))
    result = CliRunner().invoke(app, ["compare", "gd_decay", "momentum_decay", "adam_decay", "--seeds", "2", "--jobs", "1",
                                      "--target", "0.8", "--out", str(tmp_path), *[f"--set={s}" for s in TINY]])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # every line fits, but the directory's: a path is never broken (the terminal wraps it, a copy stays whole)
    assert lines[-1] == f"compare directory: {next(tmp_path.iterdir())}"
    assert max(len(line) for line in lines[:-1]) <= 80, "\n".join(lines)
    header = next(line for line in lines if line.startswith("arm"))
    assert header.split() == ["arm", "train", "acc", "test", "acc", "final", "cost", "s/run", "to", "0.8"]
    for arm in ("gd_decay", "momentum_decay", "adam_decay"):
        assert any(line.startswith(arm) for line in lines)
    summary = json.loads(next(tmp_path.glob("*/summary.json")).read_text())
    text = " ".join(lines)  # the lines under the table wrap at 80 columns
    assert "seeds 3, 4; best/worst by test acc:" in text
    for arm, entry in summary["arms"].items():
        if entry["best_seed"] is not None:
            assert f"{arm} {entry['best_seed']}/{entry['worst_seed']}" in text
