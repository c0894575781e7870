"""`train()`: the run directory, its statuses, and reproducibility."""

import csv
import json

import numpy as np
import pytest

from dnncli.config import validate
from dnncli.engine.callbacks import LambdaCallback
from dnncli.errors import DataError
from dnncli.experiments.train import train
from dnncli.runs import list_runs, load_npz

SMALL = {"name": "small", "seed": 3, "data": {"name": "moons", "n_samples": 60, "n_test": 40},
         "training": {"epochs": 30, "batch_size": 16, "eval_every": 10}}


def small(**sections):
    return validate({**SMALL, **sections})


def test_run_directory_holds_every_file(tmp_path):
    result = train(small(), tmp_path)
    names = sorted(p.name for p in result.run_dir.iterdir())
    assert names == ["accuracy.png", "config.yaml", "cost.png", "data.json", "decision_boundary.png", "gradients.png",
                     "history.csv", "metrics.json", "params.npz", "report.md", "state.npz"]
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["status"] == "completed" and metrics["epochs_run"] == 30
    for key in ("train_accuracy", "test_accuracy", "final_cost", "seconds", "command", "versions"):
        assert key in metrics
    assert 0 <= metrics["train_accuracy"] <= 1 and metrics["updates"] == 30 * 4  # 60 / 16 -> 4 batches
    rows = list(csv.DictReader((result.run_dir / "history.csv").open()))
    assert len(rows) == 30 and float(rows[0]["learning_rate"]) == 0.0007
    evaluated = [r["epoch"] for r in rows if r["test_accuracy"]]
    assert evaluated == ["9", "19", "29"]
    params = load_npz(result.run_dir / "params.npz")
    assert {k: v.shape for k, v in params.items()} == {"W1": (5, 2), "b1": (5, 1), "W2": (2, 5), "b2": (2, 1),
                                                       "W3": (1, 2), "b3": (1, 1)}
    assert (result.run_dir / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| accuracy |" in (result.run_dir / "report.md").read_text()


def test_same_config_and_seed_give_bit_identical_params(tmp_path):
    cfg = small(regularization={"keep_prob": 0.8, "l2": 0.1})
    first, second = train(cfg, tmp_path, plots=False), train(cfg, tmp_path, plots=False)
    assert first.run_dir != second.run_dir
    assert (first.run_dir / "params.npz").read_bytes() == (second.run_dir / "params.npz").read_bytes()
    other = train(validate({**SMALL, "seed": 4}), tmp_path, plots=False)
    assert not np.array_equal(load_npz(first.run_dir / "params.npz")["W1"], load_npz(other.run_dir / "params.npz")["W1"])


def test_training_continues_from_saved_params(tmp_path):
    first = train(small(), tmp_path, plots=False)
    path = str(first.run_dir / "params.npz")
    resumed = train(small(init={"name": "file", "path": path}, training={"epochs": 1, "batch_size": None}), tmp_path, plots=False)
    # one full-batch step from the saved weights: the first cost equals the saved model's cost
    from dnncli.build import build

    built = build(small(init={"name": "file", "path": path}))
    expected = float(built.network.cost(built.network.layout.split(built.theta), built.dataset.X_train, built.dataset.Y_train)[()])
    assert resumed.result.history.cost[0] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(DataError, match="W1"):
        train(small(init={"name": "file", "path": path}, model={"hidden": [3]}), tmp_path)


def test_a_diverging_run_stops_with_status_diverged(tmp_path):
    cfg = small(init={"name": "random", "scale": 1e6}, optimizer={"name": "gd", "learning_rate": 1e300})
    result = train(cfg, tmp_path, plots=False)  # a diverged run's plots: tests/cli/test_main.py
    assert result.metrics["status"] == "diverged"
    assert "learning_rate" in result.metrics["message"]
    assert result.metrics["epochs_run"] < 30
    assert json.loads((result.run_dir / "metrics.json").read_text())["status"] == "diverged"


def test_an_interrupted_run_keeps_what_it_has(tmp_path):
    def interrupt(epoch, logs):
        if epoch == 4:
            raise KeyboardInterrupt

    result = train(small(), tmp_path, callbacks=[LambdaCallback(interrupt)])
    assert result.metrics["status"] == "interrupted"
    assert (result.run_dir / "params.npz").exists() and (result.run_dir / "cost.png").exists()


def test_a_failing_run_is_marked_failed_and_re_raised(tmp_path):
    def boom(epoch, logs):
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        train(small(), tmp_path, callbacks=[LambdaCallback(boom)])
    (run_dir,) = tmp_path.iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "disk on fire" in metrics["message"]
    assert (run_dir / "config.yaml").exists()


def test_bad_data_input_makes_no_run_directory(tmp_path):
    with pytest.raises(DataError):
        train(validate({"data": {"name": "h5", "train": str(tmp_path / "nope.h5")}}), tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


def test_list_runs_newest_first(tmp_path):
    a = train(validate({**SMALL, "name": "a"}), tmp_path, plots=False)
    b = train(validate({**SMALL, "name": "b"}), tmp_path, plots=False)
    listed = [r["dir"] for r in list_runs(tmp_path)]
    assert set(listed) == {a.run_dir.name, b.run_dir.name}
    assert listed[0] == b.run_dir.name


def test_softmax_and_standardized_data(tmp_path):
    cfg = validate({"data": {"name": "breast_cancer", "standardize": True}, "model": {"hidden": [8]},
                    "training": {"epochs": 20, "batch_size": 32}})
    result = train(cfg, tmp_path)
    assert result.metrics["test_accuracy"] > 0.9
    assert not (result.run_dir / "decision_boundary.png").exists()  # 30 features: no 2-D plot
    spiral = train(validate({"data": {"name": "spiral"}, "model": {"hidden": [16]},
                             "optimizer": {"learning_rate": 0.01}, "training": {"epochs": 30}}), tmp_path, plots=False)
    assert load_npz(spiral.run_dir / "params.npz")["W2"].shape == (3, 16)


def test_a_full_disk_is_one_line_exit_1_and_the_run_is_marked_failed(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from dnncli.cli.main import app
    from tests.faults import fill_disk_at

    fill_disk_at(monkeypatch, "history.csv")
    result = CliRunner().invoke(app, ["train", "configs/adam_moons.yaml", "--set", "training.epochs=20", "--out",
                                      str(tmp_path)])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: no space left on device while writing {next(tmp_path.iterdir()) / 'history.csv'}"]
    metrics = json.loads((next(tmp_path.iterdir()) / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "no space left" in metrics["message"]
