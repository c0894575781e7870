"""The course assignments' public test cases (their inputs and expected outputs) run on the engine.

Inputs are drawn from ``np.random.RandomState(1)`` in the order the reference lists them
(the same stream as the course's ``np.random.seed(1)``); every expected number below is
copied from the reference file, or computed by a formula written out in this file.
"""

import numpy as np
import pytest
from sklearn.datasets import make_moons

from dnncli.engine.activations import ReLU, SigmoidOutput
from dnncli.engine.initializers import He
from dnncli.engine.network import Layout, Network
from dnncli.engine.optimizers import Adam, GradientDescent, Momentum
from dnncli.engine.program import EpochProgram
from dnncli.engine.schedules import Constant, InverseTime, Staircase
from dnncli.engine.seeding import CourseSeeding
from dnncli.engine.training import fit

ATOL = 1e-8  # the reference prints 8 decimals


# ------------------------------------------------------------------ update rules

UPDATE_SHAPES = [("W1", (2, 3)), ("b1", (2, 1)), ("W2", (3, 3)), ("b2", (3, 1))]


def update_case():
    """theta and g as flat vectors (optimizers are element-wise), plus a splitter back to arrays.

    The reference's W2 is (3, 3), which no Layout produces, so the vector is built by hand.
    """
    rng = np.random.RandomState(1)
    params = {name: rng.randn(*shape) for name, shape in UPDATE_SHAPES}
    grads = {name: rng.randn(*shape) for name, shape in UPDATE_SHAPES}
    theta = np.concatenate([params[n].ravel() for n, _ in UPDATE_SHAPES])
    g = np.concatenate([grads[n].ravel() for n, _ in UPDATE_SHAPES])

    def unflatten(vector):
        out, k = {}, 0
        for name, shape in UPDATE_SHAPES:
            size = int(np.prod(shape))
            out[name] = vector[k : k + size].reshape(shape)
            k += size
        return out

    return theta, g, unflatten


def test_gd_step():
    theta, g, unflatten = update_case()
    opt = GradientDescent(learning_rate=0.01)
    opt.step(theta, g, 0.01)
    p = unflatten(theta)
    np.testing.assert_allclose(p["W1"], [[1.63535156, -0.62320365, -0.53718766],
                                         [-1.07799357, 0.85639907, -2.29470142]], atol=ATOL)
    np.testing.assert_allclose(p["b1"], [[1.74604067], [-0.75184921]], atol=ATOL)
    np.testing.assert_allclose(p["W2"], [[0.32171798, -0.25467393, 1.46902454],
                                         [-2.05617317, -0.31554548, -0.3756023],
                                         [1.1404819, -1.09976462, -0.1612551]], atol=ATOL)
    np.testing.assert_allclose(p["b2"], [[-0.88020257], [0.02561572], [0.57539477]], atol=ATOL)


def test_momentum_step_from_zero_velocity():
    theta, g, unflatten = update_case()
    opt = Momentum(learning_rate=0.01, beta=0.9)
    opt.init_state(theta)
    opt.step(theta, g, 0.01)
    p, v = unflatten(theta), unflatten(opt.state["v"])
    np.testing.assert_allclose(p["W1"], [[1.62544598, -0.61290114, -0.52907334],
                                         [-1.07347112, 0.86450677, -2.30085497]], atol=ATOL)
    np.testing.assert_allclose(p["b1"], [[1.74493465], [-0.76027113]], atol=ATOL)
    np.testing.assert_allclose(p["b2"], [[-0.87809283], [0.04055394], [0.58207317]], atol=ATOL)
    np.testing.assert_allclose(v["W1"], [[-0.11006192, 0.11447237, 0.09015907],
                                         [0.05024943, 0.09008559, -0.06837279]], atol=ATOL)
    np.testing.assert_allclose(v["b2"], [[0.02344157], [0.16598022], [0.07420442]], atol=ATOL)


def test_adam_step_at_t2():
    theta, g, unflatten = update_case()
    opt = Adam(learning_rate=0.02, beta1=0.8, beta2=0.888, epsilon=1e-2)
    opt.init_state(theta)
    opt.t = 1
    opt.step(theta, g, 0.02)
    assert opt.t == 2
    p, v, s = unflatten(theta), unflatten(opt.state["v"]), unflatten(opt.state["s"])
    np.testing.assert_allclose(p["W1"], [[1.63942428, -0.6268425, -0.54320974],
                                         [-1.08782943, 0.85036983, -2.2865723]], atol=ATOL)
    np.testing.assert_allclose(p["b1"], [[1.75854357], [-0.74616067]], atol=ATOL)
    np.testing.assert_allclose(p["b2"], [[-0.89228024], [0.02707193], [0.56782561]], atol=ATOL)
    np.testing.assert_allclose(v["W1"], [[-0.22012384, 0.22894474, 0.18031814],
                                         [0.10049887, 0.18017119, -0.13674557]], atol=ATOL)
    np.testing.assert_allclose(s["W1"], [[0.13567261, 0.14676395, 0.09104097],
                                         [0.02828006, 0.09089264, 0.05235818]], atol=ATOL)


def test_adam_epsilon_is_outside_the_square_root():
    """The reference's wrong variant (epsilon inside the root) gives W1[0,0] = 1.63949493."""
    theta0, g, unflatten = update_case()
    theta = theta0.copy()
    opt = Adam(learning_rate=0.02, beta1=0.8, beta2=0.888, epsilon=1e-2)
    opt.init_state(theta)
    opt.t = 1
    opt.step(theta, g, 0.02)

    # The wrong variant written out, to confirm what the reference's number means.
    t, b1, b2, eps, lr = 2, 0.8, 0.888, 1e-2, 0.02
    v_hat = (1 - b1) * g / (1 - b1**t)
    s_hat = (1 - b2) * g**2 / (1 - b2**t)
    inside = theta0 - lr * v_hat / np.sqrt(s_hat + eps)
    assert unflatten(inside)["W1"][0, 0] == pytest.approx(1.63949493, abs=ATOL)
    assert abs(unflatten(theta)["W1"][0, 0] - 1.63949493) > 1e-5


# ------------------------------------------------------------------ mini-batches and decay


def epoch_batches(X, Y, batch_size, shuffle_rng):
    """The (X_b, Y_b) mini-batches of fit's epoch 0 (engine/program.py), X_b with its row of ones."""

    class Seeding:  # fit asks a seeding for the epoch's generator
        def shuffle_rng(self, epoch):
            return shuffle_rng

        def dropout_rng(self):
            return None

    network = Network([X.shape[0], 1, 1], ReLU(), SigmoidOutput())
    theta = network.layout.zeros()
    params, grads = network.layout.split(theta), network.layout.split(np.zeros_like(theta))
    program = EpochProgram(network, GradientDescent(), params, grads, X, Y, batch_size, Seeding(),
                           np.empty((1, X.shape[1])), np.array(0.0), False)
    Y_e = program.shuffle(0)
    assert np.all(program.X_ones[-1] == 1.0)  # [X; 1]
    return [(program.X_ones[:-1, k], Y_e[:, k]) for k in program.slices]


def test_minibatches_reference_case():
    rng = np.random.RandomState(1)
    X = rng.randn(12288, 148)
    Y = (rng.randn(1, 148) < 0.5).astype(float)
    batches = epoch_batches(X, Y, 64, np.random.RandomState(0))
    assert [b[0].shape[1] for b in batches] == [64, 64, 20]
    assert [b[1].shape for b in batches] == [(1, 64), (1, 64), (1, 20)]
    np.testing.assert_allclose(batches[0][0][0, 0:3], [0.90085595, -0.7612069, 0.2344157], atol=ATOL)
    # Every column appears exactly once, with its label.
    X_all = np.concatenate([b[0] for b in batches], axis=1)
    Y_all = np.concatenate([b[1] for b in batches], axis=1)
    order = np.random.RandomState(0).permutation(148)
    np.testing.assert_array_equal(X_all, X[:, order])
    np.testing.assert_array_equal(Y_all, Y[:, order])


def test_minibatches_course_epoch_split():
    """300 / 64 -> 4 x 64 + 1 x 44; no batch size -> one unshuffled batch."""
    X, Y = np.arange(600.0).reshape(2, 300), np.zeros((1, 300))
    assert [b[0].shape[1] for b in epoch_batches(X, Y, 64, np.random.RandomState(11))] == [64] * 4 + [44]
    ((X_b, Y_b),) = epoch_batches(X, Y, None, None)
    np.testing.assert_array_equal(X_b, X)


def test_inverse_time_decay():
    assert InverseTime(decay_rate=1)(0.5, 2) == pytest.approx(0.16666666666666666, rel=1e-15)


@pytest.mark.parametrize(
    "lr0, epoch, rate, interval, expected",
    [
        (0.5, 100, 1, 100, 0.25),
        (0.5, 10, 1, 100, 0.5),
        (0.3, 1000, 0.25, 100, 0.0857142857),
        (0.3, 100, 0.25, 100, 0.24),
    ],
)
def test_staircase_decay(lr0, epoch, rate, interval, expected):
    assert Staircase(decay_rate=rate, time_interval=interval)(lr0, epoch) == pytest.approx(expected, abs=1e-10)


# ------------------------------------------------------------------ L2 and dropout


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


# ------------------------------------------------------------------ gradient check (three_layer model)


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


def difference(grad, approx):
    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))


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


# ------------------------------------------------------------------ published moons results


def course_moons_accuracy(optimizer) -> tuple[float, float]:
    """Train [2, 5, 2, 1] on the course's moons; return (accuracy from fit, recomputed accuracy)."""
    X, y = make_moons(300, noise=0.2, random_state=3)
    X, Y = X.T, y.reshape(1, -1).astype(float)
    network = Network([2, 5, 2, 1], ReLU(), SigmoidOutput())
    seeding = CourseSeeding(3)
    theta = He()(network.layout, seeding.init_rng())
    result = fit(network, theta, X, Y, optimizer=optimizer, schedule=Constant(), epochs=10000,
                 batch_size=64, seeding=seeding, eval_every=10000)
    assert result.status == ("completed",) and result.epochs_run == (10000,)
    A, _ = network.forward(network.layout.split(result.theta), X)
    recomputed = float(np.mean((A > 0.5).astype(int) == Y))
    return float(result.member(0).history.train_accuracy[-1]), recomputed


@pytest.mark.slow
@pytest.mark.parametrize(
    "optimizer, expected",
    [
        (lambda: GradientDescent(learning_rate=0.0007), 0.7966666666666666),
        (lambda: Momentum(learning_rate=0.0007, beta=0.9), 0.7966666666666666),
        (lambda: Adam(learning_rate=0.0007), 0.94),
    ],
    ids=["gd", "momentum", "adam"],
)
def test_course_moons_accuracy(optimizer, expected):
    from_fit, recomputed = course_moons_accuracy(optimizer())
    assert recomputed == pytest.approx(expected, abs=1e-12)
    assert from_fit == pytest.approx(expected, abs=1e-12)


