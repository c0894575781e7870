"""Dead ReLUs and saturated sigmoid / tanh units per hidden layer, at the evaluated epochs, in history.csv."""

import csv

import numpy as np
import pytest

from dnncli.build import build_dataset
from dnncli.config import validate
from dnncli.experiments.train import train
from dnncli.runs import load_npz

# He-style weights 3x too large: some ReLUs die, sigmoid and tanh units saturate
CONFIG = {"seed": 5, "data": {"name": "moons", "n_samples": 80, "n_test": 20}, "model": {"hidden": [8, 4]},
          "init": {"name": "random", "scale": 3.0}, "optimizer": {"name": "gd", "learning_rate": 0.05},
          "training": {"epochs": 20, "batch_size": 32, "eval_every": 10}}
G = {"relu": lambda Z: np.maximum(Z, 0), "leaky_relu": lambda Z: np.where(Z > 0, Z, 0.01 * Z),
     "tanh": np.tanh, "sigmoid": lambda Z: 1 / (1 + np.exp(-Z))}
# the definitions (README, engine/diagnostics.py), written out again
SHARE = {"dead": lambda A: np.mean(np.all(A <= 0, axis=1)),
         "sigmoid": lambda A: np.mean((A < 0.01) | (A > 0.99)), "tanh": lambda A: np.mean(np.abs(A) > 0.99)}


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_the_last_evaluation_is_the_definition_on_the_saved_weights(tmp_path, activation):
    config = validate({**CONFIG, "model": {**CONFIG["model"], "activation": activation}})
    run = train(config, tmp_path, plots=False).run_dir
    kind = "dead" if "relu" in activation else "saturated"
    rows = list(csv.DictReader((run / "history.csv").open()))
    columns = [c for c in rows[0] if c.endswith(("_A1", "_A2"))]
    assert columns == [f"{kind}_A1", f"{kind}_A2"]
    assert [r["epoch"] for r in rows if r[columns[0]]] == ["9", "19"]  # at the evaluated epochs only
    p, A = load_npz(run / "params.npz"), build_dataset(config).X_train  # epoch 19 is the last: its weights are saved
    expected = []
    for l in (1, 2):
        A = G[activation](p[f"W{l}"] @ A + p[f"b{l}"])
        expected.append(SHARE["dead" if kind == "dead" else activation](A))
    assert [float(rows[-1][c]) for c in columns] == pytest.approx(expected, abs=1e-15)
    assert any(0 < e < 1 for e in expected), expected  # the weights were chosen to give shares of both kinds


def test_batch_norm_and_dropout_measure_the_evaluation_pass():
    """Evaluation uses batch norm's running statistics and never drops a unit: the shares are of that pass."""
    from dnncli.experiments.train import execute

    config = validate({**CONFIG, "regularization": {"batchnorm": True, "keep_prob": 0.5}})
    result = execute(config)
    model, X = result.model, build_dataset(config).X_train
    network = model.network
    _, cache = network.forward(network.layout.split(model.theta), X)  # evaluation: no dropout, running stats
    shares = [np.mean(np.all(cache[l][1] <= 0, axis=1)) for l in (1, 2)]
    np.testing.assert_array_equal(result.history.activation_share[-1], shares)
    assert result.history.activation_share_kind == "dead"
