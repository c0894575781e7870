"""The network (dnncli/engine/network.py): forward, cost and backward, checked against central differences.

Central differences with eps 1e-7 on float64 theta, relative difference
||g - g~|| / (||g|| + ||g~||) < 1e-7, for every hidden activation x output layer x L2,
with and without dropout (fixed masks: a fresh RandomState(0) at every forward pass).
Cases that must FAIL the check (corrupted gradients, mismatched masks) show the check bites.

Course cases: the assignments' public test cases, inputs drawn from ``np.random.RandomState(1)`` in the
order the reference lists them (the course's ``np.random.seed(1)``), expected numbers copied from the
reference file or computed by a formula written out here.
"""

import numpy as np
import pytest

from dnncli.engine.activations import ACTIVATIONS, ReLU, SigmoidOutput, SoftmaxOutput
from dnncli.engine.layout import Layout
from dnncli.engine.network import Network

EPS = 1e-7
THRESHOLD = 1e-7
SIZES_HIDDEN = [4, 5, 4]  # n_x, then two hidden layers
M = 7
KEEP_PROB = [0.8, 0.6]
HIDDEN = ["relu", "leaky_relu", "tanh", "sigmoid"]


def make_case(activation: str, output: str, lambd: float = 0.0, keep_prob=None, seed: int = 1):
    """A small random network, theta and data (X, Y) of the requested kind."""
    rng = np.random.RandomState(seed)
    n_out = 1 if output == "sigmoid" else 3
    network = Network(
        SIZES_HIDDEN + [n_out],
        ACTIVATIONS.get(activation)(),
        SigmoidOutput() if output == "sigmoid" else SoftmaxOutput(),
        lambd=lambd,
        keep_prob=keep_prob,
    )
    theta = rng.randn(network.layout.size) * 0.8
    X = rng.randn(SIZES_HIDDEN[0], M)
    if output == "sigmoid":
        Y = (rng.rand(1, M) < 0.5).astype(float)
    else:
        Y = np.eye(n_out)[:, rng.randint(n_out, size=M)]
    return network, theta, X, Y


def dropout_rng(network):
    """The same masks at every call: a fresh generator per forward pass (None: no dropout)."""
    return np.random.RandomState(0) if network.keep_prob is not None else None


def cost(network, theta, X, Y, rng_factory=dropout_rng):
    params = network.layout.split(theta)
    A, cache = network.forward(params, X, rng_factory(network))
    m = X.shape[-1]
    return network.loss_sum(A, cache, Y) / m + network.l2_cost(params, m)


def backprop(network, theta, X, Y, rng_factory=dropout_rng):
    params = network.layout.split(theta)
    dtheta = np.full_like(theta, np.nan)  # backward must write every entry
    A, cache = network.forward(params, X, rng_factory(network))
    network.backward(params, network.layout.split(dtheta), cache, Y)
    return dtheta, cache


def numerical(network, theta, X, Y, rng_factory=dropout_rng):
    approx = np.zeros_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += EPS
        minus[i] -= EPS
        approx[i] = (cost(network, plus, X, Y, rng_factory) - cost(network, minus, X, Y, rng_factory)) / (2 * EPS)
    return approx


def difference(grad, approx):
    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))


def min_abs_hidden_Z(cache):
    return min(np.min(np.abs(Z)) for Z, _, _ in cache[1:-1])


@pytest.mark.parametrize("keep_prob", [None, KEEP_PROB], ids=["no_dropout", "dropout"])
@pytest.mark.parametrize("lambd", [0.0, 0.7], ids=["no_l2", "l2"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("activation", HIDDEN)
def test_gradient_check(activation, output, lambd, keep_prob):
    network, theta, X, Y = make_case(activation, output, lambd, keep_prob)
    grad, cache = backprop(network, theta, X, Y)
    # Stay away from the relu / leaky relu kink, where the derivative is not defined.
    assert min_abs_hidden_Z(cache) > 1e-4
    if keep_prob is not None:  # the masks really drop something
        assert any(not D.all() for _, _, D in cache[1:-1])
    assert np.all(np.isfinite(grad))
    approx = numerical(network, theta, X, Y)
    assert difference(grad, approx) < THRESHOLD


def test_every_hidden_activation_is_checked():
    assert set(ACTIVATIONS.names()) == set(HIDDEN)


@pytest.mark.parametrize("corruption", ["one_entry", "one_tensor_doubled", "bias_ignored"])
def test_corrupted_gradient_is_caught(corruption):
    network, theta, X, Y = make_case("leaky_relu", "softmax", lambd=0.7, keep_prob=KEEP_PROB)
    grad, _ = backprop(network, theta, X, Y)
    approx = numerical(network, theta, X, Y)
    assert difference(grad, approx) < THRESHOLD
    views = network.layout.views(grad)
    if corruption == "one_entry":
        views["W2"][1, 2] += 1e-5
    elif corruption == "one_tensor_doubled":
        views["W2"] *= 2
    else:
        views["b1"][...] = 0
    assert difference(grad, approx) > THRESHOLD


def test_l2_term_missing_is_caught():
    """Backprop without the L2 term against the cost with it fails the check."""
    with_l2, theta, X, Y = make_case("relu", "sigmoid", lambd=0.7)
    without_l2, _, _, _ = make_case("relu", "sigmoid", lambd=0.0)
    grad, _ = backprop(without_l2, theta, X, Y)
    assert difference(grad, numerical(with_l2, theta, X, Y)) > THRESHOLD


def test_different_masks_are_caught():
    """Numerical gradient with other masks than backprop's: the check must fail."""
    network, theta, X, Y = make_case("relu", "sigmoid", keep_prob=KEEP_PROB)
    grad, _ = backprop(network, theta, X, Y)
    approx = numerical(network, theta, X, Y, rng_factory=lambda net: np.random.RandomState(1))
    assert difference(grad, approx) > THRESHOLD


# ------------------------------------------------------------------ stacked models


K = 3
PER_MODEL_LAMBDS = np.array([0.0, 0.3, 0.7])


def stack_case(activation, output, per_model_lambd):
    """K single-model networks and thetas, and the stacked network over theta (K, P)."""
    lambds = PER_MODEL_LAMBDS if per_model_lambd else np.full(K, 0.7)
    singles, thetas = [], []
    for k in range(K):
        network, _, X, Y = make_case(activation, output, lambd=float(lambds[k]))
        singles.append(network)
        thetas.append(np.random.RandomState(10 + k).randn(network.layout.size))
    stacked = Network(network.sizes, ACTIVATIONS.get(activation)(),
                      SigmoidOutput() if output == "sigmoid" else SoftmaxOutput(),
                      lambd=lambds if per_model_lambd else 0.7)
    theta_K = np.stack(thetas)
    assert theta_K.shape == (K, stacked.layout.size)
    return singles, thetas, stacked, theta_K, X, Y


STACK_CASES = pytest.mark.parametrize(
    "activation, output", [("relu", "sigmoid"), ("tanh", "softmax"), ("leaky_relu", "softmax")]
)
LAMBD_KINDS = pytest.mark.parametrize("per_model_lambd", [False, True], ids=["shared_lambd", "lambd_K11"])


@LAMBD_KINDS
@STACK_CASES
def test_stack_forward_and_gradients_match_one_at_a_time(activation, output, per_model_lambd):
    """theta (3, P), lambd scalar or (3, 1, 1): outputs and gradients == the models run separately."""
    singles, thetas, stacked, theta_K, X, Y = stack_case(activation, output, per_model_lambd)
    params_K = stacked.layout.split(theta_K)
    A_K, cache_K = stacked.forward(params_K, X)
    dtheta_K = np.full_like(theta_K, np.nan)
    stacked.backward(params_K, stacked.layout.split(dtheta_K), cache_K, Y)
    assert A_K.shape == (K, Y.shape[0], M)
    for k in range(K):
        A, _ = singles[k].forward(singles[k].layout.split(thetas[k]), X)
        np.testing.assert_allclose(A_K[k], A, rtol=1e-12, atol=1e-14)
        grad, _ = backprop(singles[k], thetas[k], X, Y)
        np.testing.assert_allclose(dtheta_K[k], grad, rtol=1e-10, atol=1e-14)


@LAMBD_KINDS
@STACK_CASES
def test_stack_cost_matches_one_at_a_time(activation, output, per_model_lambd):
    """One cost per model, shape (3,), equal to each model's own cost (loss + L2)."""
    singles, thetas, stacked, theta_K, X, Y = stack_case(activation, output, per_model_lambd)
    params_K = stacked.layout.split(theta_K)
    A_K, cache_K = stacked.forward(params_K, X)
    loss_K = stacked.loss_sum(A_K, cache_K, Y)
    l2_K = stacked.l2_cost(params_K, M)
    assert np.shape(loss_K) == (K,)
    assert np.shape(l2_K) == (K,)
    for k in range(K):
        params = singles[k].layout.split(thetas[k])
        A, cache = singles[k].forward(params, X)
        np.testing.assert_allclose(loss_K[k], singles[k].loss_sum(A, cache, Y), rtol=1e-12)
        np.testing.assert_allclose(l2_K[k], singles[k].l2_cost(params, M), rtol=1e-12)
        # and the L2 term written out: lambd_k / (2m) * sum of squared weights
        W_sq = sum(np.sum(W**2) for W in params.W[1:])
        np.testing.assert_allclose(l2_K[k], singles[k].lambd / (2 * M) * W_sq, rtol=1e-12)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_stack_gradient_check_with_dropout(activation):
    """A stack of 3 models with dropout and L2: central differences of the summed costs."""
    network, _, X, Y = make_case(activation, "softmax", lambd=0.7, keep_prob=KEEP_PROB)
    theta_K = np.random.RandomState(5).randn(K, network.layout.size)
    grad, cache = backprop(network, theta_K, X, Y)
    assert grad.shape == theta_K.shape and min_abs_hidden_Z(cache) > 1e-4
    approx = np.zeros_like(theta_K)
    for index in np.ndindex(theta_K.shape):
        plus, minus = theta_K.copy(), theta_K.copy()
        plus[index] += EPS
        minus[index] -= EPS
        approx[index] = (np.sum(cost(network, plus, X, Y)) - np.sum(cost(network, minus, X, Y))) / (2 * EPS)
    assert difference(grad, approx) < THRESHOLD


# ------------------------------------------------------------------ the course's L2 and dropout cases


ATOL = 1e-8  # the course reference prints 8 decimals


def course_params(rng):
    """W1 (2,3), b1 (2,1), W2 (3,2), b2 (3,1), W3 (1,3), b3 (1,1) drawn in that order."""
    shapes = [("W1", (2, 3)), ("b1", (2, 1)), ("W2", (3, 2)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]
    return Layout([3, 2, 3, 1]).from_arrays({name: rng.randn(*shape) for name, shape in shapes})


def cross_entropy(A, Y):
    """-(1/m) sum(y log a + (1 - y) log(1 - a)), written out independently."""
    m = Y.shape[1]
    return -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / m


def test_l2_cost():
    rng = np.random.RandomState(1)
    Y = np.array([[1, 1, 0, 1, 0]], dtype=float)
    theta = course_params(rng)
    A3 = np.array([[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    network = Network([3, 2, 3, 1], ReLU(), SigmoidOutput(), lambd=0.1)
    cost = cross_entropy(A3, Y) + network.l2_cost(network.layout.split(theta), 5)
    assert cost == pytest.approx(1.7864859451590758, abs=1e-8)


def test_l2_backward():
    rng = np.random.RandomState(1)
    X = rng.randn(3, 5)
    Y = np.array([[1, 1, 0, 1, 0]], dtype=float)
    theta = course_params(rng)
    network = Network([3, 2, 3, 1], ReLU(), SigmoidOutput(), lambd=0.7)
    params = network.layout.split(theta)
    dtheta = network.layout.zeros()
    grads = network.layout.split(dtheta)
    A, cache = network.forward(params, X)
    network.backward(params, grads, cache, Y)
    np.testing.assert_allclose(grads.W[1], [[-0.25604646, 0.12298827, -0.28297129],
                                            [-0.17706303, 0.34536094, -0.4410571]], atol=ATOL)
    np.testing.assert_allclose(grads.W[3], [[-1.77691347, -0.11832879, -0.09397446]], atol=ATOL)
    np.testing.assert_allclose(grads.b[3], [[-0.38032981]], atol=ATOL)


def test_dropout_forward():
    rng = np.random.RandomState(1)
    X = rng.randn(3, 5)
    theta = course_params(rng)
    network = Network([3, 2, 3, 1], ReLU(), SigmoidOutput(), keep_prob=[0.7, 0.7])
    A3, cache = network.forward(network.layout.split(theta), X, np.random.RandomState(1))
    np.testing.assert_allclose(A3, [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]], atol=ATOL)
    np.testing.assert_array_equal(cache[1][2], [[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]])


def test_no_dropout_without_a_generator():
    """Evaluation (no dropout_rng) never drops, even when keep_prob is set."""
    rng = np.random.RandomState(1)
    X = rng.randn(3, 5)
    theta = course_params(rng)
    plain = Network([3, 2, 3, 1], ReLU(), SigmoidOutput())
    dropping = Network([3, 2, 3, 1], ReLU(), SigmoidOutput(), keep_prob=[0.7, 0.7])
    np.testing.assert_array_equal(dropping.forward(dropping.layout.split(theta), X)[0],
                                  plain.forward(plain.layout.split(theta), X)[0])


# ------------------------------------------------------------------ the course's gradient check (three_layer model)


def three_layer_case():
    rng = np.random.RandomState(1)
    X = rng.randn(4, 3)
    Y = np.array([[1, 1, 0]], dtype=float)
    shapes = [("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]
    network = Network([4, 5, 3, 1], ReLU(), SigmoidOutput())
    theta = network.layout.from_arrays({name: rng.randn(*shape) for name, shape in shapes})
    return network, theta, X, Y


def three_layer_cost(network, theta, X, Y):
    params = network.layout.split(theta)
    A, cache = network.forward(params, X)
    return float(network.loss_sum(A, cache, Y) / X.shape[1] + network.l2_cost(params, X.shape[1]))


def course_form_cost(network, theta, X, Y):
    """The assignment's cost, 1/m * sum(-log(A3) * Y - log(1 - A3) * (1 - Y)), on the engine's A3.

    Taking log of a sigmoid that is close to 1 loses digits; this is why the assignment's
    gradient check reports 1.189e-07 where the engine's log-sum-exp cost does much better.
    """
    A3, _ = network.forward(network.layout.split(theta), X)
    return float(1.0 / X.shape[1] * np.sum(np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)))


def three_layer_gradients(network, theta, X, Y, cost=three_layer_cost):
    """(backprop gradient, central-difference gradient of ``cost`` with eps 1e-7)."""
    dtheta = network.layout.zeros()
    params = network.layout.split(theta)
    A, cache = network.forward(params, X)
    network.backward(params, network.layout.split(dtheta), cache, Y)
    approx = np.zeros_like(theta)
    eps = 1e-7
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        approx[i] = (cost(network, plus, X, Y) - cost(network, minus, X, Y)) / (2 * eps)
    return dtheta, approx


def test_three_layer_initial_cost():
    network, theta, X, Y = three_layer_case()
    assert theta.size == 47
    assert three_layer_cost(network, theta, X, Y) == pytest.approx(2.407833389834357, rel=1e-12)
    # The same number from the course's formula, A3 from the engine's forward pass.
    assert course_form_cost(network, theta, X, Y) == pytest.approx(2.407833389834357, rel=1e-12)
    A3, _ = network.forward(network.layout.split(theta), X)
    assert cross_entropy(A3, Y) == pytest.approx(2.407833389834357, rel=1e-12)


def test_three_layer_gradient_check_course_cost():
    """Central differences of the assignment's cost against our backprop: about 1.189e-07."""
    network, theta, X, Y = three_layer_case()
    grad, approx = three_layer_gradients(network, theta, X, Y, cost=course_form_cost)
    assert 1e-8 < difference(grad, approx) < 2e-7
    assert difference(grad, approx) == pytest.approx(1.189e-07, rel=0.05)


def test_three_layer_gradient_check_engine_cost():
    """With the engine's stable cost the check is far inside the assignment's 2e-7 bound."""
    network, theta, X, Y = three_layer_case()
    grad, approx = three_layer_gradients(network, theta, X, Y)
    assert difference(grad, approx) < 2e-8


def test_three_layer_broken_backprop_is_caught():
    """The assignment's broken backprop: dW2 doubled and db1 computed with 4/m instead of 1/m."""
    network, theta, X, Y = three_layer_case()
    for cost in (three_layer_cost, course_form_cost):
        grad, approx = three_layer_gradients(network, theta, X, Y, cost=cost)
        broken = network.layout.views(grad)
        broken["W2"] *= 2
        broken["b1"] *= 4
        assert difference(grad, approx) == pytest.approx(0.2850931567761623, rel=1e-6)


# ------------------------------------------------------------------ the input buffer
