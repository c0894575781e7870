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
    stopped = train(load_config(OVERFIT, STOP), tmp_path, plots=False)
    m = stopped.metrics
    assert m["status"] == "completed" and m["epochs_run"] < 3000 and m["stopped_epoch"] == m["epochs_run"] - 1
    assert m["restored_best"] and m["best_epoch"] == m["stopped_epoch"] - 200
    assert m["test_accuracy"] >= plain.metrics["test_accuracy"]
    assert m["n_train"] == 80 and m["n_validation"] == 20
    rows = list(csv.DictReader((stopped.run_dir / "history.csv").open()))
    val = [float(r["val_cost"]) for r in rows]
    assert len(val) == m["epochs_run"] and m["val_cost"] == min(val) == val[m["best_epoch"]]  # the best epoch's weights
    assert m["final_cost"] == float(rows[m["best_epoch"]]["cost"])  # the training cost of the epoch restored


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


def test_the_vanishing_gradient_shows_in_history_and_gradients_png(tmp_path):
    """deep_sigmoid_moons: the first layer's gradient orders of magnitude below the last's; batch norm closes it."""
    ratios = {}
    for name in ("deep_sigmoid_moons", "batchnorm_deep_sigmoid_moons"):
        result = train(load_config(f"configs/{name}.yaml", ["training.epochs=100"]), tmp_path)
        rows = list(csv.DictReader((result.run_dir / "history.csv").open()))
        columns = [c for c in rows[0] if c.startswith("grad_norm_W")]
        assert columns == [f"grad_norm_W{l}" for l in range(1, 10)] and len(rows) == 100
        norms = np.array([[float(r[c]) for c in columns] for r in rows])
        ratios[name] = np.median(norms[:, 0] / norms[:, -1])
        for image in ("gradients.png", "accuracy.png"):
            assert (result.run_dir / image).read_bytes()[:4] == b"\x89PNG"
    assert ratios["deep_sigmoid_moons"] < 1e-3 and ratios["batchnorm_deep_sigmoid_moons"] > 0.05


def test_gradient_norms_are_the_norms_of_dW():
    """One full-batch epoch of GD: the recorded ||dW_l|| is the Frobenius norm of the gradient backward gives."""
    from dnncli.build import build
    from dnncli.engine.training import fit

    config = validate({"model": {"hidden": [4, 3]}, "optimizer": {"name": "gd", "learning_rate": 0.1},
                       "training": {"epochs": 1, "batch_size": None}})
    built = build(config)
    network, theta = built.network, built.theta.copy()
    params = network.layout.split(theta)
    grads_vector = np.zeros_like(theta)
    _, cache = network.forward(params, built.dataset.X_train, training=True)
    network.backward(params, network.layout.split(grads_vector), cache, built.dataset.Y_train)
    expected = [np.linalg.norm(network.layout.views(grads_vector)[f"W{l}"]) for l in (1, 2, 3)]
    result = fit(network, built.theta, built.dataset.X_train, built.dataset.Y_train, optimizer=built.optimizer,
                 schedule=built.schedule, epochs=1, batch_size=None, seeding=built.seeding)
    np.testing.assert_allclose(result.member(0).history.grad_norm[0], expected, rtol=1e-12)
