"""Optimizers (dnncli/engine/optimizers.py): every rule against a reference written out in this file.

Every expected value is the rule from the docstring coded independently of the engine, or a course case.
Course cases: the assignments' public test cases, inputs drawn from ``np.random.RandomState(1)`` in the
order the reference lists them (the course's ``np.random.seed(1)``), expected numbers copied from the
reference file or computed by a formula written out here.
"""

import numpy as np
import pytest

from dnncli.engine.optimizers import OPTIMIZERS, Adam, GradientDescent, Momentum


def ref_gd(theta, gs, lr):
    for g in gs:
        theta = theta - lr * g
    return theta


def ref_momentum(theta, gs, lr, beta):
    v = np.zeros_like(theta)
    for g in gs:
        v = beta * v + (1 - beta) * g
        theta = theta - lr * v
    return theta


def ref_nesterov(theta, gs, lr, beta):
    v = np.zeros_like(theta)
    for g in gs:
        v = beta * v + (1 - beta) * g
        theta = theta - lr * (beta * v + (1 - beta) * g)
    return theta


def ref_adagrad(theta, gs, lr, epsilon):
    s = np.zeros_like(theta)
    for g in gs:
        s = s + g**2
        theta = theta - lr * g / (np.sqrt(s) + epsilon)
    return theta


def ref_rmsprop(theta, gs, lr, beta, epsilon):
    s = np.zeros_like(theta)
    for g in gs:
        s = beta * s + (1 - beta) * g**2
        theta = theta - lr * g / (np.sqrt(s) + epsilon)
    return theta


def ref_adam(theta, gs, lr, beta1, beta2, epsilon):
    v, s = np.zeros_like(theta), np.zeros_like(theta)
    for t, g in enumerate(gs, start=1):
        v = beta1 * v + (1 - beta1) * g
        s = beta2 * s + (1 - beta2) * g**2
        v_hat, s_hat = v / (1 - beta1**t), s / (1 - beta2**t)
        theta = theta - lr * v_hat / (np.sqrt(s_hat) + epsilon)
    return theta


# name -> (reference rule, non-default hyperparameters, the course / documented defaults)
OPTIMIZER_RULES = {
    "gd": (ref_gd, {}, {}),
    "momentum": (ref_momentum, {"beta": 0.8}, {"beta": 0.9}),
    "nesterov": (ref_nesterov, {"beta": 0.7}, {"beta": 0.9}),
    "adagrad": (ref_adagrad, {"epsilon": 1e-3}, {"epsilon": 1e-8}),
    "rmsprop": (ref_rmsprop, {"beta": 0.9, "epsilon": 1e-3}, {"beta": 0.999, "epsilon": 1e-8}),
    "adam": (ref_adam, {"beta1": 0.8, "beta2": 0.95, "epsilon": 1e-3},
             {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}),
}


def test_every_optimizer_has_a_reference_rule():
    assert set(OPTIMIZERS.names()) == set(OPTIMIZER_RULES)


def random_problem(shape, n_steps, seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(*shape), [rng.randn(*shape) for _ in range(n_steps)]


@pytest.mark.parametrize("n_steps", [1, 3])
@pytest.mark.parametrize("name", sorted(OPTIMIZER_RULES))
def test_optimizer_steps_follow_the_formula(name, n_steps):
    rule, hyper, _ = OPTIMIZER_RULES[name]
    theta0, gs = random_problem((17,), n_steps)
    lr = 0.05
    opt = OPTIMIZERS.get(name)(learning_rate=lr, **hyper)
    theta = theta0.copy()
    opt.init_state(theta)
    assert opt.t == 0
    for g in gs:
        opt.step(theta, g.copy(), lr)
    assert opt.t == n_steps
    np.testing.assert_allclose(theta, rule(theta0, gs, lr, **hyper), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZER_RULES))
def test_optimizer_step_uses_the_learning_rate_passed_in(name):
    """step(theta, g, lr) uses lr (the schedule's), not the constructor's learning_rate."""
    rule, hyper, _ = OPTIMIZER_RULES[name]
    theta0, gs = random_problem((9,), 1, seed=4)
    opt = OPTIMIZERS.get(name)(learning_rate=123.0, **hyper)
    theta = theta0.copy()
    opt.step(theta, gs[0], 0.01)  # no init_state: the first step builds the state
    np.testing.assert_allclose(theta, rule(theta0, gs, 0.01, **hyper), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZER_RULES))
def test_optimizer_defaults(name):
    _, _, defaults = OPTIMIZER_RULES[name]
    opt = OPTIMIZERS.get(name)()
    assert opt.learning_rate > 0
    for key, value in defaults.items():
        assert getattr(opt, key) == value


@pytest.mark.parametrize("name", sorted(OPTIMIZER_RULES))
def test_optimizer_per_model_hyperparameters(name):
    """theta (K, P) with (K,) arrays of hyperparameters == K scalar runs, model by model."""
    rule, hyper, _ = OPTIMIZER_RULES[name]
    K, P, n_steps = 3, 11, 3
    theta0, gs = random_problem((K, P), n_steps, seed=1)
    lrs = np.array([0.01, 0.05, 0.2])
    scale = np.array([1.0, 0.9, 1.1])  # different per-model values around the chosen ones
    per_model = {key: np.minimum(value * scale, 0.99) for key, value in hyper.items()}

    opt = OPTIMIZERS.get(name)(learning_rate=lrs, **per_model)
    theta = theta0.copy()
    opt.init_state(theta)
    for g in gs:
        opt.step(theta, g, lrs.reshape(K, 1))

    for k in range(K):
        scalar_hyper = {key: float(v[k]) for key, v in per_model.items()}
        expected = rule(theta0[k], [g[k] for g in gs], lrs[k], **scalar_hyper)
        np.testing.assert_allclose(theta[k], expected, rtol=1e-13, atol=1e-15)
        single = OPTIMIZERS.get(name)(learning_rate=lrs[k], **scalar_hyper)
        theta_k = theta0[k].copy()
        for g in gs:
            single.step(theta_k, g[k], lrs[k])
        np.testing.assert_allclose(theta[k], theta_k, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(OPTIMIZER_RULES))
def test_optimizer_refuses_per_model_values_of_another_shape(name):
    """(K, 1) or (K, 1, 1) hyperparameters would broadcast silently against theta (K, P): refused."""
    from dnncli.engine.stack import ShapeError

    for shape in ((3, 1), (3, 1, 1)):
        opt = OPTIMIZERS.get(name)(learning_rate=np.full(shape, 0.01))
        with pytest.raises(ShapeError, match=r"learning_rate.*1-D array of length K"):
            opt.init_state(np.zeros((3, 5)))


def test_adam_counter_is_not_reset_between_steps():
    """t counts every step (the bias correction of step 3 uses t = 3)."""
    theta0, gs = random_problem((5,), 3, seed=2)
    opt = OPTIMIZERS.get("adam")(learning_rate=0.1, beta1=0.5, beta2=0.6, epsilon=1e-8)
    theta = theta0.copy()
    for g in gs:
        opt.step(theta, g, 0.1)
    assert opt.t == 3
    np.testing.assert_allclose(theta, ref_adam(theta0, gs, 0.1, 0.5, 0.6, 1e-8), rtol=1e-13)


# ------------------------------------------------------------------ the course's update cases


ATOL = 1e-8  # the course reference prints 8 decimals


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
