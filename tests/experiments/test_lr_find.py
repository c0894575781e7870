"""`dnn lr-find`: the rate grid, the population, the suggestion rule, the files, the CLI."""

import csv
import json
import math

import numpy as np
import pytest

from dnncli.build import build_dataset
from dnncli.config import load_config
from dnncli.errors import ConfigError
from dnncli.experiments.lr_find import grid, lr_find, population, suggest
from dnncli.experiments.train import execute

SMALL = ["data.n_samples=100", "data.n_test=50"]


# -- the grid and the population ------------------------------------------------------------
def test_the_grid_is_log_spaced_and_printable():
    assert grid(1e-5, 1.0, 6) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    rates = grid(1e-5, 1.0, 24)
    assert len(rates) == 24 and rates[0] == 1e-5 and rates[-1] == 1.0
    # 3 significant digits: each within half a unit of the third digit of the exact log-spaced rate
    np.testing.assert_allclose(rates, 10.0 ** np.linspace(-5, 0, 24), rtol=5e-3)
    assert all(r == float(f"{r:.3g}") for r in rates)  # what is printed is what is trained
    dense = grid(1.0, 1.001, 5)  # 3 digits would merge them: more are kept
    assert len(set(dense)) == 5


@pytest.mark.parametrize("args, key", [((0.0, 1.0, 5), "--min"), ((1e-3, 1e-3, 5), "--max"), ((1e-3, math.inf, 5), "--max"),
                                       ((1e-3, 1.0, 2), "--points"), ((True, 1.0, 5), "--min")])
def test_bad_grids_are_refused(args, key):
    with pytest.raises(ConfigError, match=key):
        grid(*args)


def test_members_of_one_seed_start_from_the_same_weights_and_batches():
    from dnncli.pipeline import build_stack

    base = load_config("configs/adam_moons.yaml", SMALL)
    rates = [1e-3, 1e-2, 1e-1]
    configs = population(base, rates, seeds=2, epochs=7)
    assert [(c.seed, c.optimizer.learning_rate) for c in configs] == [(3, r) for r in rates] + [(4, r) for r in rates]
    assert all(c.training.epochs == 7 and c.training.eval_every == 7 and c.training.early_stopping is None for c in configs)
    assert {c.optimizer.name for c in configs} == {"adam"} and configs[0].data == base.data
    network, theta, optimizer, _, seeding = build_stack(configs, build_dataset(base))
    for row in (1, 2):
        np.testing.assert_array_equal(theta[row], theta[0])  # seed 3: the same initial weights, bit for bit
        np.testing.assert_array_equal(theta[3 + row], theta[3])
    assert not np.array_equal(theta[0], theta[3])
    np.testing.assert_array_equal(optimizer.learning_rate, rates * 2)  # one rate per member
    orders = seeding.permutations(0, build_dataset(base).X_train.shape[-1])
    np.testing.assert_array_equal(orders[0], orders[2])  # the same mini-batches within a seed
    assert not np.array_equal(orders[0], orders[3])


def test_early_stopping_is_switched_off_so_every_model_gets_the_budget(tmp_path):
    path = tmp_path / "es.yaml"
    path.write_text("data: {name: moons, n_samples: 100, validation: 0.2}\n"
                    "training: {epochs: 50, early_stopping: {monitor: val_cost, patience: 1}}\n")
    configs = population(load_config(path), [1e-3], seeds=1, epochs=20)
    assert configs[0].training.early_stopping is None and configs[0].data.validation == 0.2


# -- the rule ---------------------------------------------------------------------------------
def test_the_rule_by_hand():
    rates = [1, 2, 3, 4, 5, 6, 7]
    costs = [[1.0, 0.5, 0.2, 0.2, 0.21, 0.3, 1.0]]
    found = suggest(rates, costs, np.zeros((1, 7), bool), tolerance=0.2)
    # smoothed: the ends average two points, the rest three
    np.testing.assert_allclose(found.smoothed, [0.75, 1.7 / 3, 0.3, 0.61 / 3, 0.71 / 3, 1.51 / 3, 0.65])
    # lowest 0.61/3 at index 3; threshold 1.2 * that = 0.244; index 4 (0.2367) is in, 2 (0.3) is out
    assert found.threshold == pytest.approx(1.2 * 0.61 / 3)
    assert found.valley == (3, 4) and found.index == 4 and found.note == ""
    assert suggest(rates, costs, np.zeros((1, 7), bool), tolerance=0.05).index == 3  # 0.2367 > 1.05 * 0.2033


def test_a_divergence_keeps_the_suggestion_below_it_and_away_from_it():
    rates = [1, 2, 3, 4, 5, 6, 7]
    costs = np.array([[1.0, 0.5, 0.2, 0.2, 0.21, 0.3, 1.0],
                      [1.0, 0.5, 0.2, 0.2, 0.21, np.nan, 1.0]])  # seed 1 diverged at rate 6, not at 7
    diverged = ~np.isfinite(costs)
    found = suggest(rates, costs, diverged, tolerance=0.2)
    assert found.first_diverged == 5 and np.isnan(found.mean[5])
    assert np.isnan(found.smoothed[4:7]).all()  # next to the missing mean: no smoothed value
    assert found.index == 3  # rate 5 would be in the valley, but it borders the divergence
    # above a divergence nothing is a candidate, however low its cost
    costs = np.array([[0.9, 0.5, 0.4, 0.45, np.nan, 0.5, 0.1, 0.1, 0.1]])
    beyond = suggest(list(range(9)), costs, ~np.isfinite(costs))
    assert np.isfinite(beyond.smoothed[6:]).all() and beyond.first_diverged == 4
    assert beyond.index == 2 and beyond.valley == (2, 2)  # smoothed 0.7, 0.6, 0.45, then NaN next to rate 4


def test_no_suggestion_when_the_smallest_rate_diverges_and_notes_at_the_edges():
    costs = np.array([[np.nan, 0.3, 0.2]])
    found = suggest([1, 2, 3], costs, ~np.isfinite(costs))
    assert found.index is None and "lower --min" in found.note
    falling = suggest([1, 2, 3, 4], [[0.9, 0.7, 0.5, 0.3]], np.zeros((1, 4), bool))
    assert falling.index == 3 and "a larger --max" in falling.note
    rising = suggest([1, 2, 3, 4], [[0.3, 0.3, 0.5, 0.9]], np.zeros((1, 4), bool))
    assert rising.index == 0 and "a smaller --min" in rising.note


# -- the command -------------------------------------------------------------------------------
def test_a_member_equals_its_config_trained_alone(tmp_path):
    result = lr_find("configs/adam_moons.yaml", overrides=SMALL, min_lr=1e-3, max_lr=1e-1, points=3, epochs=40,
                     seeds=2, jobs=1, out=tmp_path, plots=False)
    for row in (result.runs[1], result.runs[5]):  # lr 0.01 seed 3, lr 0.1 seed 4
        alone = execute(load_config("configs/adam_moons.yaml", [*SMALL, f"optimizer.learning_rate={row['lr']!r}",
                                                                f"seed={row['seed']}", "training.epochs=40"]))
        assert row["final_cost"] == pytest.approx(alone.final_cost, rel=1e-9)
        assert row["train_accuracy"] == alone.train_accuracy


def test_files_and_a_diverging_range(tmp_path):
    result = lr_find("configs/gd_moons.yaml", overrides=SMALL, min_lr=1e-2, max_lr=1e3, points=11, epochs=50, seeds=2,
                     jobs=1, out=tmp_path)
    out = result.out_dir
    assert out.name.endswith("-lr_find-gd_moons")
    for name in ("lr_find.csv", "lr_find.json", "lr_find.png", "report.md", "config.yaml"):
        assert (out / name).is_file(), name
    rows = list(csv.DictReader((out / "lr_find.csv").open()))
    assert len(rows) == 22 and list(rows[0])[:6] == ["lr", "seed", "status", "final_cost", "train_accuracy", "test_accuracy"]
    summary = json.loads((out / "lr_find.json").read_text())
    assert summary["status"] == "completed" and summary["suggested_learning_rate"] == result.suggested_learning_rate
    diverged = sorted({float(r["lr"]) for r in rows if r["status"] == "diverged"})
    assert diverged and summary["first_diverged"] == diverged[0]
    lr = result.suggested_learning_rate
    assert lr is not None and lr < diverged[0]
    assert result.rates.index(lr) < result.rates.index(diverged[0]) - 1  # never next to a divergence
    by_rate = {row["lr"]: row for row in summary["rates"]}
    assert by_rate[diverged[0]]["mean_cost"] is None and by_rate[diverged[0]]["diverged"] >= 1
    for lr_value, row in by_rate.items():  # the table's means are the csv's
        costs = [float(r["final_cost"]) for r in rows if float(r["lr"]) == lr_value and r["status"] == "completed"]
        if row["mean_cost"] is not None:
            assert row["mean_cost"] == pytest.approx(np.mean(costs), rel=1e-12)
    assert result.command == f"dnn train configs/gd_moons.yaml --set data.n_samples=100 --set data.n_test=50 " \
                             f"--set optimizer.learning_rate={lr!r}"
    report = (out / "report.md").read_text()
    assert f"**Suggested learning rate: {lr:g}**" in report and result.command in report and "![lr_find.png]" in report


def test_the_suggestion_trains_adam_moons_at_small_scale(tmp_path):
    """The issue's check, small: lr-find on adam_moons, then train with its rate for 1000 epochs."""
    result = lr_find("configs/adam_moons.yaml", min_lr=1e-4, max_lr=1.0, points=10, epochs=200, seeds=2, jobs=1,
                     out=tmp_path, plots=False)
    lr = result.suggested_learning_rate
    assert 1e-3 < lr < 0.3
    trained = execute(load_config("configs/adam_moons.yaml", [f"optimizer.learning_rate={lr!r}", "training.epochs=1000"]))
    as_written = execute(load_config("configs/adam_moons.yaml", ["training.epochs=1000"]))
    assert trained.train_accuracy >= 0.9 > as_written.train_accuracy  # the config's own 0.0007 is not there yet


def test_cli_json_quiet_and_bad_input(tmp_path):
    from typer.testing import CliRunner

    import dnncli
    from dnncli.cli.main import app

    runner = CliRunner()
    args = ["lr-find", "configs/adam_moons.yaml", "--min", "1e-3", "--max", "0.1", "--points", "3", "--epochs", "10",
            "--seeds", "1", "--jobs", "1", "--out", str(tmp_path), *[f"--set={s}" for s in SMALL]]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    stored = json.loads(next(tmp_path.glob("*/lr_find.json")).read_text())
    assert printed["suggested_learning_rate"] == stored["suggested_learning_rate"] is not None
    assert printed["train_command"].endswith(f"--set optimizer.learning_rate={printed['suggested_learning_rate']!r}")
    quiet = runner.invoke(app, [*args, "--quiet", "--name", "lr_quiet"])
    (made,) = tmp_path.glob("*-lr_find-lr_quiet")
    assert quiet.exit_code == 0 and quiet.stdout == f"{made}\n"  # only the directory, as train, compare and tune
    for bad, key in ((["--min", "0"], "--min"), (["--points", "2"], "--points"), (["--seeds", "0"], "--seeds"),
                     (["--epochs", "0"], "--epochs"), (["--set", "optimizer.name=adamm"], "optimizer.name")):
        refused = runner.invoke(app, ["lr-find", "configs/adam_moons.yaml", *bad, "--out", str(tmp_path / "bad")])
        assert refused.exit_code == 2 and key in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "bad").exists()
    assert dnncli.lr_find is lr_find


def test_an_interrupted_lr_find_says_so_and_dnn_runs_lists_both(tmp_path):
    from dnncli.experiments.signals import Interrupted
    from dnncli.runs import list_top

    def progress(done, total, best):
        if done == 2:
            raise KeyboardInterrupt

    settings = dict(overrides=SMALL, min_lr=1e-3, max_lr=1e-1, points=3, epochs=10, seeds=2, jobs=1, out=tmp_path)
    with pytest.raises(Interrupted) as stopped:
        lr_find("configs/adam_moons.yaml", progress=progress, name="stopped", **settings)
    assert stopped.value.exit_code == 130
    (out,) = tmp_path.glob("*-stopped")
    summary = json.loads((out / "lr_find.json").read_text())
    assert summary["status"] == "interrupted" and "of 6 models" in summary["message"]
    done = lr_find("configs/adam_moons.yaml", plots=False, name="done", **settings)
    rows = {row["dir"].rsplit("-", 1)[-1]: row for row in list_top(tmp_path)}
    assert rows["done"]["kind"] == rows["stopped"]["kind"] == "lr-find"
    assert rows["done"]["summary"] == f"suggested lr {done.suggested_learning_rate:g}"
    assert rows["stopped"]["status"] == "interrupted" and rows["done"]["optimizer"] == "adam"
