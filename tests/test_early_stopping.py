"""Validation split and early stopping: per model in a stack, the best weights restored."""

import csv
import json

import numpy as np
import pytest

from dnncli import pipeline
from dnncli.config import load_config, validate
from dnncli.engine.callbacks import EarlyStopping
from dnncli.errors import ConfigError
from dnncli.experiments.train import train

OVERFIT = "configs/none_overfit_moons.yaml"
STOP = ["data.validation=0.2", "training.early_stopping={monitor: val_cost, patience: 200}"]


def test_early_stopping_on_the_overfit_config_beats_training_on(tmp_path):
    """The done-when of the issue: stops early, restores the best weights, tests at least as well."""
    plain = train(load_config(OVERFIT), tmp_path, plots=False)
    stopped = train(load_config(OVERFIT, STOP), tmp_path)
    m = stopped.metrics
    assert m["status"] == "completed" and m["epochs_run"] < 3000 and m["stopped_epoch"] == m["epochs_run"] - 1
    assert m["restored_best"] and m["best_epoch"] == m["stopped_epoch"] - 200
    assert m["test_accuracy"] >= plain.metrics["test_accuracy"]
    assert m["n_train"] == 80 and m["n_validation"] == 20
    rows = list(csv.DictReader((stopped.run_dir / "history.csv").open()))
    val = [float(r["val_cost"]) for r in rows]
    assert len(val) == m["epochs_run"] and m["val_cost"] == min(val) == val[m["best_epoch"]]  # the best epoch's weights


def test_members_of_a_stack_stop_on_their_own_and_equal_solo_runs():
    base = validate({"seed": 1, "data": {"name": "moons", "n_samples": 100, "noise": 0.35, "seed": 2, "n_test": 100,
                                         "validation": 0.2},
                     "model": {"hidden": [30, 10]}, "optimizer": {"name": "adam", "learning_rate": 0.01},
                     "training": {"epochs": 800, "batch_size": None, "eval_every": 50,
                                  "early_stopping": {"monitor": "val_cost", "patience": 60}}}).to_dict()
    configs = [validate({**base, "seed": k, "optimizer": {"name": "adam", "learning_rate": lr}})
               for k, lr in enumerate([0.01, 0.003, 0.0003])]
    stacked = pipeline.run_configs(configs, parts=1)
    assert stacked[0].stack == 3 and len({r.epochs_run for r in stacked}) > 1  # each stopped at its own epoch
    for config, member in zip(configs, stacked):
        solo = pipeline.run_configs([config])[0]
        assert (member.stopped_epoch, member.best_epoch, member.epochs_run) == (solo.stopped_epoch, solo.best_epoch,
                                                                               solo.epochs_run)
        assert member.val_cost == pytest.approx(solo.val_cost, rel=1e-9)
        np.testing.assert_allclose(member.model.theta, solo.model.theta, rtol=1e-9, atol=1e-12)


def test_the_rule_by_hand():
    """Keras' rule on made-up values: improvement beyond min_delta resets the wait, patience stops."""
    es = EarlyStopping(monitor="val_accuracy", patience=2, min_delta=0.01, restore_best=False, start_from_epoch=1)
    es.on_train_begin(2)
    values = [[0.9, 0.5], [0.6, 0.6], [0.605, 0.7], [0.62, 0.7], [0.62, 0.8], [0.62, 0.8]]
    stops = []
    for epoch, v in enumerate(values):
        logs = {"val_accuracy": np.array(v), "active": np.array([True, True]), "theta": np.zeros((2, 3)),
                "state": dict}
        stop = es.on_epoch_end(epoch, logs)  # None before start_from_epoch
        stops.append([False, False] if stop is None else stop.tolist())
    # model 0: epoch 0 ignored (start_from_epoch); best 0.6 at 1, 0.605 is not +0.01, 0.62 is (epoch 3), then 2 waits
    assert es.best_epoch[0] == 3 and stops[5][0] and not any(s[0] for s in stops[:5])
    # model 1: improves at 1, 2, 4; 0.7 at epoch 3 is no improvement; never waits 2 epochs
    assert es.best_epoch[1] == 4 and not any(s[1] for s in stops)
    assert es.stopped_epoch == [5, None]


def test_a_val_monitor_needs_a_validation_split_and_the_keys_are_checked():
    with pytest.raises(ConfigError, match="data.validation"):
        validate({"training": {"early_stopping": {"monitor": "val_cost"}}})
    validate({"training": {"early_stopping": {"monitor": "cost"}}})
    with pytest.raises(ConfigError, match="training.early_stopping.patience"):
        validate({"data": {"validation": 0.2}, "training": {"early_stopping": {"patience": 0}}})
    with pytest.raises(ConfigError, match="data.validation"):
        validate({"data": {"validation": 1.0}})


def test_the_shipped_config_stops_early(tmp_path):
    result = train(load_config("configs/early_stopping_overfit_moons.yaml"), tmp_path, plots=False)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["stopped_epoch"] is not None and metrics["restored_best"] and metrics["test_accuracy"] > 0.85
