"""Batch normalization: trains where plain GD fails, evaluates with running statistics, checks out."""

import numpy as np
import pytest

from dnncli.build import build
from dnncli.config import load_config, validate
from dnncli.engine import network as network_module
from dnncli.engine.activations import ReLU, SigmoidOutput
from dnncli.engine.network import Network
from dnncli.errors import ConfigError
from dnncli.experiments import gradcheck as gc
from dnncli.experiments.train import execute, train
from dnncli.pipeline import train_built
from dnncli.runs import load_npz


def test_batchnorm_trains_where_the_same_config_without_it_does_not(tmp_path):
    plain = execute(load_config("configs/deep_sigmoid_moons.yaml", ["training.epochs=300"]))
    normed = execute(load_config("configs/batchnorm_deep_sigmoid_moons.yaml", ["training.epochs=300"]))
    assert normed.train_accuracy >= plain.train_accuracy
    assert normed.train_accuracy > 0.85 and plain.train_accuracy == 0.5


def test_parameters_and_running_statistics_are_saved(tmp_path):
    cfg = validate({"model": {"hidden": [6, 4]}, "regularization": {"batchnorm": [True, False]},
                    "training": {"epochs": 20}})
    result = train(cfg, tmp_path, plots=False)
    saved = load_npz(result.run_dir / "params.npz")
    assert set(saved) == {"W1", "gamma1", "beta1", "running_mean1", "running_var1", "W2", "b2", "W3", "b3"}
    assert saved["gamma1"].shape == (6, 1) and not np.allclose(saved["running_mean1"], 0)
    assert not np.allclose(saved["gamma1"], 1.0)  # gamma receives optimizer updates


def test_evaluation_uses_running_statistics_so_one_example_can_be_predicted():
    cfg = validate({"model": {"hidden": [6, 4]}, "regularization": {"batchnorm": True}, "training": {"epochs": 30}})
    built = build(cfg)
    result = train_built(cfg, built)
    network, X = result.model.network, built.dataset.X_train
    params = network.layout.split(result.model.theta)
    batch = network.predict(params, X[:, :50])
    one_by_one = np.array([network.predict(params, X[:, i : i + 1])[0] for i in range(50)])
    assert np.array_equal(batch, one_by_one)  # evaluation does not depend on the other examples
    # the running mean is the exponential average of the batch means (momentum 0.9)
    mean, var = network.running[1]
    assert mean.shape == (6, 1) and np.all(var > 0)


def test_running_average_formula():
    net = Network([2, 3, 1], ReLU(), SigmoidOutput(), batchnorm=[True], bn_momentum=0.8)
    theta = net.layout.initial()
    params = net.layout.split(theta)
    params.W[1][...] = np.arange(6.0).reshape(3, 2)
    X = np.array([[1.0, 2.0, 4.0], [0.0, 1.0, -1.0]])
    net.forward(params, X, training=True)
    Z = params.W[1] @ X
    np.testing.assert_allclose(net.running[1][0], 0.2 * Z.mean(axis=1, keepdims=True))
    np.testing.assert_allclose(net.running[1][1], 0.8 + 0.2 * Z.var(axis=1, keepdims=True))
    assert params.gamma[1].tolist() == [[1.0]] * 3 and net.layout.names == ["W1", "W2", "b2", "gamma1", "beta1"]


def test_gamma_and_beta_are_never_l2_penalized():
    net = Network([2, 3, 1], ReLU(), SigmoidOutput(), lambd=0.5, batchnorm=[True])
    theta = net.layout.initial()
    before = net.l2_cost(net.layout.split(theta), 10)
    net.layout.split(theta).gamma[1][...] = 7.0
    net.layout.split(theta).beta[1][...] = -3.0
    assert net.l2_cost(net.layout.split(theta), 10) == before


def test_gradcheck_passes_and_a_backward_without_the_mean_term_is_caught(monkeypatch):
    assert gc.check(gc.batchnorm()).passed

    def without_mean(dZ, gamma, dgamma, dbeta, inv_m, buf):  # dZ = gamma inv_std (dZ~ - Z_hat dgamma)
        dgamma[...] = np.sum(dZ * buf.Z_hat, axis=-1, keepdims=True)
        dbeta[...] = np.sum(dZ, axis=-1, keepdims=True)
        dZ[...] = gamma * buf.inv_std * (dZ - buf.Z_hat * dgamma * inv_m)

    def without_mean_ops(dZ, gamma, dgamma, dbeta, inv_m, buf, matmul):
        return [(without_mean, (dZ, gamma, dgamma, dbeta, inv_m, buf))]

    monkeypatch.setattr(network_module, "batchnorm_backward_ops", without_mean_ops)
    report = gc.check(gc.batchnorm())
    assert not report.passed
    wrong = {t.name for t in report.tensors if not t.passed}
    assert "W2" in wrong and "W3" not in wrong and "gamma2" not in wrong  # below the broken layer only


def test_config_errors():
    with pytest.raises(ConfigError, match="regularization.batchnorm"):
        validate({"model": {"hidden": [5, 2]}, "regularization": {"batchnorm": [True]}})
    with pytest.raises(ConfigError, match="regularization.batchnorm_momentum"):
        validate({"regularization": {"batchnorm_momentum": 1.0}})


def test_a_stack_of_models_keeps_running_statistics_per_model_and_matches_one_at_a_time():
    """theta (3, P) with batch norm: two training steps, then evaluation, equal the models run alone."""
    sizes, K, rng = [2, 4, 3, 1], 3, np.random.default_rng(0)
    X, Y = rng.normal(size=(2, 16)), (rng.random((1, 16)) < 0.5).astype(float)
    momenta = np.array([0.9, 0.5, 0.0])

    def network(momentum):
        return Network(sizes, ReLU(), SigmoidOutput(), batchnorm=[True, True], bn_momentum=momentum)

    singles = [network(float(mo)) for mo in momenta]
    stacked = network(momenta)
    thetas = [singles[0].layout.initial() + rng.normal(size=singles[0].layout.size) for _ in range(K)]
    theta_K = np.stack(thetas)

    def two_steps(net, theta):
        grads = np.zeros_like(theta)
        for X_b, Y_b in ((X[:, :10], Y[:, :10]), (X[:, 10:], Y[:, 10:])):
            params = net.layout.split(theta)
            _, cache = net.forward(params, X_b, training=True)
            net.backward(params, net.layout.split(grads), cache, Y_b)
            theta -= 0.1 * grads
        return net.forward(net.layout.split(theta), X)[0]  # evaluation: running statistics

    A_K = two_steps(stacked, theta_K)
    for k in range(K):
        A = two_steps(singles[k], thetas[k])
        np.testing.assert_allclose(A_K[k], A, rtol=1e-12)
        np.testing.assert_allclose(theta_K[k], thetas[k], rtol=1e-12)
        for l in (1, 2):
            for i in (0, 1):
                np.testing.assert_allclose(stacked.running[l][i][k], singles[k].running[l][i], rtol=1e-12)
    assert stacked.state()["running_mean1"].shape == (K, 4, 1)
