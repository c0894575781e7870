"""Contract tests over every registry entry, and one formula test per entry.

Every expected value is written out in this file (the rule from the docstring, coded
independently of the engine, or a number computed by hand), never recorded from the code.
"""

import ast
import inspect
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dnncli.engine
from dnncli.data import DATASETS, Dataset
from dnncli.engine.activations import ACTIVATIONS, SigmoidOutput, SoftmaxOutput, output_for
from dnncli.engine.initializers import INITIALIZERS, FromArrays
from dnncli.engine.network import Layout
from dnncli.engine.optimizers import OPTIMIZERS
from dnncli.engine.schedules import SCHEDULES
from dnncli.engine.seeding import SEEDINGS
from dnncli.errors import DataError

ENGINE_REGISTRIES = {
    "optimizer": OPTIMIZERS,
    "init": INITIALIZERS,
    "schedule": SCHEDULES,
    "activation": ACTIVATIONS,
}
ALL_REGISTRIES = {**ENGINE_REGISTRIES, "data": DATASETS, "seeding": SEEDINGS}
# Entries whose constructor cannot work without an argument (a path, a seed).
NEEDS_ARGUMENTS = {("init", "file"), ("data", "h5"), ("data", "csv")}


def entries(registries):
    return [(family, name, obj) for family, reg in registries.items() for name, obj in reg.items()]


def entry_id(entry):
    return f"{entry[0]}:{entry[1]}"


def parameters(obj):
    """The constructor's (or function's) parameters (for a class: without self)."""
    return list(inspect.signature(obj).parameters.values())


# ------------------------------------------------------------------ contract over every entry


@pytest.mark.parametrize("entry", entries(ALL_REGISTRIES), ids=entry_id)
def test_entry_has_its_own_docstring(entry):
    family, name, obj = entry
    doc = obj.__doc__  # a class's own __doc__ is not inherited from its base class
    assert doc and doc.strip(), f"{family} {name!r} has no docstring"
    assert getattr(obj, "registry_name", name) == name


@pytest.mark.parametrize(
    "entry", [e for e in entries(ENGINE_REGISTRIES) if e[:2] != ("init", "file")], ids=entry_id
)
def test_engine_entry_docstring_states_a_formula(entry):
    """Every rule is stated in its docstring (``init: file`` loads arrays and has no formula)."""
    family, name, obj = entry
    assert "=" in obj.__doc__, f"{family} {name!r}: the docstring should state the rule"


@pytest.mark.parametrize("entry", entries(ALL_REGISTRIES), ids=entry_id)
def test_parameters_are_annotated_keywords_without_sinks(entry):
    """The config schema is generated from signatures: every parameter named and annotated."""
    family, name, obj = entry
    for p in parameters(obj):
        assert p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD), f"{family} {name!r}: *{p.name} sink"
        assert p.annotation is not p.empty, f"{family} {name!r}: parameter {p.name!r} has no annotation"


@pytest.mark.parametrize(
    "entry", [e for e in entries({**ENGINE_REGISTRIES, "data": DATASETS})], ids=entry_id
)
def test_defaults_work_without_arguments(entry):
    family, name, obj = entry
    required = [p.name for p in parameters(obj) if p.default is p.empty]
    if (family, name) in NEEDS_ARGUMENTS:
        assert required, f"{family} {name!r} was expected to need an argument"
        return
    assert not required, f"{family} {name!r} needs {required}"
    built = obj()
    if family == "data":
        assert isinstance(built, Dataset)
        assert built.X_train.dtype == np.float64 and built.X_train.shape[1] == built.Y_train.shape[1]


def test_seedings_take_a_seed():
    for _name, cls in SEEDINGS.items():
        seeding = cls(0)
        for method in ("init_rng", "dropout_rng"):
            assert hasattr(getattr(seeding, method)(), "standard_normal")
        assert hasattr(seeding.shuffle_rng(0), "permutation")


# ------------------------------------------------------------------ optimizers


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


# ------------------------------------------------------------------ schedules

# name -> [(constructor kwargs, lr0, epoch, expected)], each expected worked out by hand
SCHEDULE_VALUES = {
    "constant": [({}, 0.2, 0, 0.2), ({}, 0.2, 5, 0.2), ({}, 0.2, 1000, 0.2)],
    "inverse_time": [
        ({"decay_rate": 0.5}, 0.2, 0, 0.2),
        ({"decay_rate": 0.5}, 0.2, 2, 0.1),       # 0.2 / (1 + 0.5 * 2)
        ({"decay_rate": 0.5}, 0.2, 6, 0.05),      # 0.2 / 4
        ({}, 0.3, 1, 0.15),                       # default rate 1: 0.3 / 2
    ],
    "exponential": [
        ({"decay_rate": 0.5}, 0.2, 0, 0.2),
        ({"decay_rate": 0.5}, 0.2, 1, 0.1),
        ({"decay_rate": 0.5}, 0.2, 3, 0.025),     # 0.2 * 0.125
        ({}, 1.0, 2, 0.9025),                     # default 0.95 ** 2
    ],
    "inverse_sqrt": [
        ({"decay_rate": 3}, 0.2, 0, 0.2),
        ({"decay_rate": 3}, 0.2, 1, 0.1),         # 0.2 / sqrt(4)
        ({"decay_rate": 3}, 0.2, 5, 0.05),        # 0.2 / sqrt(16)
        ({}, 0.6, 3, 0.3),                        # default rate 1: 0.6 / sqrt(4)
    ],
    "staircase": [
        ({"decay_rate": 1, "time_interval": 10}, 0.2, 9, 0.2),
        ({"decay_rate": 1, "time_interval": 10}, 0.2, 10, 0.1),
        ({"decay_rate": 1, "time_interval": 10}, 0.2, 25, 0.2 / 3),
        ({}, 0.4, 999, 0.4),                      # default interval 1000
        ({}, 0.4, 1000, 0.2),
        ({}, 0.4, 2500, 0.4 / 3),
    ],
    # before any epoch's logs: lr0, whatever the epoch (the rule itself: tests/test_plateau.py)
    "plateau": [({"factor": 0.5}, 0.2, 0, 0.2), ({}, 0.3, 500, 0.3)],
}


def test_every_schedule_has_hand_values():
    assert set(SCHEDULES.names()) == set(SCHEDULE_VALUES)


@pytest.mark.parametrize(
    "name, kwargs, lr0, epoch, expected",
    [(name, *case) for name, cases in SCHEDULE_VALUES.items() for case in cases],
)
def test_schedule_values(name, kwargs, lr0, epoch, expected):
    assert float(SCHEDULES.get(name)(**kwargs)(lr0, epoch)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", sorted(SCHEDULE_VALUES))
def test_schedule_per_model_arrays(name):
    """A (K, 1) array of lr0 and of each parameter gives each model its own scalar result."""
    kwargs = {key: value for key, value in SCHEDULE_VALUES[name][0][0].items() if key != "time_interval"}
    extra = {"time_interval": SCHEDULE_VALUES[name][0][0]["time_interval"]} if name == "staircase" else {}
    lr0 = np.array([0.1, 0.2, 0.4]).reshape(3, 1)
    scale = np.array([1.0, 0.5, 0.25]).reshape(3, 1)
    arrays = {key: value * scale for key, value in kwargs.items()}
    out = SCHEDULES.get(name)(**arrays, **extra)(lr0, 12)
    for k in range(3):
        single = SCHEDULES.get(name)(**{key: float(v[k, 0]) for key, v in arrays.items()}, **extra)
        assert np.broadcast_to(out, (3, 1))[k, 0] == pytest.approx(float(single(float(lr0[k, 0]), 12)), rel=1e-14)


# ------------------------------------------------------------------ initializers

SIZES = [300, 200, 100]


def expected_scale(name, n_prev, n):
    return {
        "zeros": 0.0,
        "random": 10.0,
        "he": math.sqrt(2.0 / n_prev),
        "xavier": math.sqrt(1.0 / n_prev),
        "glorot": math.sqrt(2.0 / (n_prev + n)),
    }[name]


DRAWING = ["random", "he", "xavier", "glorot"]


def test_every_initializer_has_a_scale():
    assert set(INITIALIZERS.names()) == set(DRAWING) | {"zeros", "file"}


@pytest.mark.parametrize("name", DRAWING)
def test_initializer_scale(name):
    layout = Layout(SIZES)
    theta = INITIALIZERS.get(name)()(layout, np.random.default_rng(0))
    views = layout.views(theta)
    for l in range(1, len(SIZES)):
        W, b = views[f"W{l}"], views[f"b{l}"]
        scale = expected_scale(name, SIZES[l - 1], SIZES[l])
        assert W.std() == pytest.approx(scale, rel=0.03)  # 20000+ draws: std within ~0.5 %
        assert abs(W.mean()) < 0.05 * scale
        assert np.all(b == 0)


def test_zeros_initializer_is_all_zero_and_draws_nothing():
    layout = Layout([4, 3, 2])
    rng = np.random.RandomState(7)
    theta = INITIALIZERS.get("zeros")()(layout, rng)
    assert theta.shape == (layout.size,) and np.all(theta == 0)
    assert rng.randn() == np.random.RandomState(7).randn()


@pytest.mark.parametrize("name", DRAWING)
def test_initializer_same_seed_same_draws(name):
    layout = Layout([5, 4, 3, 1])
    init = INITIALIZERS.get(name)()
    for make in (np.random.RandomState, np.random.default_rng):
        np.testing.assert_array_equal(init(layout, make(11)), init(layout, make(11)))
    assert not np.array_equal(init(layout, np.random.default_rng(11)), init(layout, np.random.default_rng(12)))


@pytest.mark.parametrize("name", DRAWING)
def test_initializer_reproduces_the_course_global_seed(name):
    """RandomState(3) == np.random.seed(3); W_l = np.random.randn(n_l, n_prev) * scale; b_l = 0, no draws."""
    sizes = [2, 10, 5, 1]
    layout = Layout(sizes)
    theta = INITIALIZERS.get(name)()(layout, np.random.RandomState(3))
    views = layout.views(theta)
    saved = np.random.get_state()
    try:
        np.random.seed(3)
        for l in range(1, len(sizes)):
            W = np.random.randn(sizes[l], sizes[l - 1]) * expected_scale(name, sizes[l - 1], sizes[l])
            np.testing.assert_array_equal(views[f"W{l}"], W)
            np.testing.assert_array_equal(views[f"b{l}"], np.zeros((sizes[l], 1)))
    finally:
        np.random.set_state(saved)


def test_random_initializer_scale_parameter():
    layout = Layout([400, 300])
    theta = INITIALIZERS.get("random")(scale=0.5)(layout, np.random.default_rng(1))
    assert layout.views(theta)["W1"].std() == pytest.approx(0.5, rel=0.02)


def test_file_initializer_round_trip(tmp_path):
    layout = Layout([3, 2, 1])
    rng = np.random.RandomState(0)
    arrays = {"W1": rng.randn(2, 3), "b1": rng.randn(2, 1), "W2": rng.randn(1, 2), "b2": rng.randn(1, 1)}
    path = tmp_path / "params.npz"
    np.savez(path, **arrays)
    initializer = INITIALIZERS.get("file")(path=str(path))
    with pytest.raises(RuntimeError, match="no arrays"):  # the engine reads no file ...
        initializer(layout, None)
    theta = from_file(initializer, layout)  # ... the build step does
    for name, array in layout.views(theta).items():
        np.testing.assert_array_equal(array, arrays[name])
    np.testing.assert_array_equal(FromArrays(arrays)(layout, None), theta)


def from_file(initializer, layout):
    from dnncli.build import _from_file

    return _from_file(initializer, layout)


def test_file_initializer_errors(tmp_path):
    layout = Layout([3, 2, 1])
    missing = tmp_path / "missing.npz"
    with pytest.raises(DataError):
        from_file(INITIALIZERS.get("file")(path=str(missing)), layout)
    partial = tmp_path / "partial.npz"
    np.savez(partial, W1=np.zeros((2, 3)))
    with pytest.raises(DataError, match="b1"):
        from_file(INITIALIZERS.get("file")(path=str(partial)), layout)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, W1=np.zeros((3, 3)), b1=np.zeros((2, 1)), W2=np.zeros((1, 2)), b2=np.zeros((1, 1)))
    with pytest.raises(DataError, match="W1"):
        from_file(INITIALIZERS.get("file")(path=str(wrong)), layout)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file")
    with pytest.raises(DataError):
        from_file(INITIALIZERS.get("file")(path=str(garbage)), layout)


# ------------------------------------------------------------------ activations


def scalar_sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


# name -> (kwargs, forward g(z), derivative g'(z)), element by element with the math module
ACTIVATION_RULES = {
    "relu": ({}, lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
    "leaky_relu": ({"alpha": 0.2}, lambda z: z if z > 0 else 0.2 * z, lambda z: 1.0 if z > 0 else 0.2),
    "tanh": ({}, math.tanh, lambda z: 1.0 - math.tanh(z) ** 2),
    "sigmoid": ({}, scalar_sigmoid, lambda z: scalar_sigmoid(z) * (1.0 - scalar_sigmoid(z))),
}
Z_VALUES = np.array([[-3.0, -0.5, -1e-3, 0.0], [2e-3, 0.4, 1.5, 4.0]])


def test_every_activation_has_a_rule():
    assert set(ACTIVATIONS.names()) == set(ACTIVATION_RULES)


@pytest.mark.parametrize("name", sorted(ACTIVATION_RULES))
def test_activation_forward_and_backward(name):
    kwargs, g, g_prime = ACTIVATION_RULES[name]
    activation = ACTIVATIONS.get(name)(**kwargs)
    Z = Z_VALUES.copy()
    A = activation.forward(Z)
    np.testing.assert_array_equal(Z, Z_VALUES)  # forward leaves Z alone
    expected_A = np.vectorize(g)(Z_VALUES)
    np.testing.assert_allclose(A, expected_A, rtol=1e-14, atol=1e-300)
    dA = np.arange(1.0, 9.0).reshape(Z.shape)
    dZ = activation.backward(dA.copy(), Z, A)
    np.testing.assert_allclose(dZ, np.arange(1.0, 9.0).reshape(Z.shape) * np.vectorize(g_prime)(Z_VALUES),
                               rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", sorted(ACTIVATION_RULES))
def test_activation_backward_matches_central_differences(name):
    """Away from the kink, backward(1) equals (g(z + h) - g(z - h)) / 2h."""
    kwargs = ACTIVATION_RULES[name][0]
    activation = ACTIVATIONS.get(name)(**kwargs)
    Z = np.random.RandomState(0).randn(2, 4, 6)  # a stack of 2 models
    Z[np.abs(Z) < 1e-3] = 0.5
    h = 1e-6
    numeric = (activation.forward(Z + h) - activation.forward(Z - h)) / (2 * h)
    dZ = activation.backward(np.ones_like(Z), Z, activation.forward(Z))
    np.testing.assert_allclose(dZ, numeric, rtol=1e-7, atol=1e-9)


def test_leaky_relu_default_alpha():
    assert ACTIVATIONS.get("leaky_relu")().alpha == 0.01


def test_sigmoid_output_loss_and_prediction():
    Z = np.array([[-2.0, -0.3, 0.0, 0.7, 3.0]])
    Y = np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    out = SigmoidOutput()
    A = out.forward(Z)
    a = np.array([scalar_sigmoid(z) for z in Z[0]])
    np.testing.assert_allclose(A[0], a, rtol=1e-14)
    expected = -sum(y * math.log(p) + (1 - y) * math.log(1 - p) for y, p in zip(Y[0], a))
    assert float(out.loss_sum(Z, A, Y)) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_array_equal(out.predict(A), [0, 0, 0, 1, 1])  # strict a > 0.5


def test_softmax_output_loss_and_prediction():
    Z = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 0.6], [-1.0, 0.0, 0.2]])
    Y = np.eye(3)[:, [0, 2, 1]]
    out = SoftmaxOutput()
    A = out.forward(Z)
    E = np.array([[math.exp(z) for z in row] for row in Z])
    expected_A = E / E.sum(axis=0)
    np.testing.assert_allclose(A, expected_A, rtol=1e-14)
    expected_loss = -sum(math.log(expected_A[c, i]) for i, c in enumerate([0, 2, 1]))
    assert float(out.loss_sum(Z, A, Y)) == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_array_equal(out.predict(A), [0, 1, 1])
    # Large logits: no overflow, same answer as the shifted ones.
    np.testing.assert_allclose(out.forward(Z + 1000.0), expected_A, rtol=1e-12)


def test_output_for_class_count():
    assert isinstance(output_for(2), SigmoidOutput)
    assert isinstance(output_for(3), SoftmaxOutput)


# ------------------------------------------------------------------ engine imports

ENGINE_DIR = Path(dnncli.engine.__file__).parent
ALLOWED_DNNCLI = {"dnncli.registry", "dnncli.errors", "dnncli.constraints", "dnncli.status"}
THIRD_PARTY_ALLOWED = {"numpy"}
FILE_MODULES = {"os", "pathlib", "io", "zipfile", "shutil", "tempfile", "csv", "json", "pickle", "gzip", "sqlite3"}


def disallowed_imports(source: str, package: str = "dnncli.engine") -> list[str]:
    """Modules imported by ``source`` that the engine may not use."""
    bad = []

    def check(module: str) -> None:
        root = module.split(".")[0]
        if root in FILE_MODULES:  # the engine touches no files (the build step reads them)
            bad.append(module)
            return
        if root == "__future__" or root in sys.stdlib_module_names or root in THIRD_PARTY_ALLOWED:
            return
        if module == "dnncli.engine" or module.startswith("dnncli.engine.") or module in ALLOWED_DNNCLI:
            return
        bad.append(module)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            if module in ("dnncli", "dnncli.engine") or (node.level and not node.module):
                for alias in node.names:
                    check(f"{module}.{alias.name}")
            else:
                check(module)
    return bad


def test_import_checker_catches_bad_imports():
    assert disallowed_imports("import numpy as np\nfrom dnncli.errors import DataError\nimport math") == []
    assert disallowed_imports("import rich") == ["rich"]
    assert disallowed_imports("import os\nfrom pathlib import Path") == ["os", "pathlib"]
    assert disallowed_imports("def f():\n    from pydantic import BaseModel") == ["pydantic"]
    assert disallowed_imports("from dnncli import config") == ["dnncli.config"]
    assert disallowed_imports("from .. import data") == ["dnncli.data"]
    assert disallowed_imports("from . import network") == []


def test_engine_imports_only_numpy_stdlib_and_shared_modules():
    files = sorted(ENGINE_DIR.glob("*.py"))
    assert {f.name for f in files} >= {"network.py", "optimizers.py", "training.py"}
    found = {f.name: disallowed_imports(f.read_text(encoding="utf-8")) for f in files}
    assert {name: bad for name, bad in found.items() if bad} == {}
    opens = [f.name for f in files for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"]
    assert opens == []


def test_importing_the_engine_loads_no_heavy_packages():
    modules = [f"dnncli.engine.{f.stem}" for f in sorted(ENGINE_DIR.glob("*.py")) if f.stem != "__init__"]
    code = (
        f"import sys\nfor m in {modules!r}: __import__(m)\n"
        "heavy = {'pydantic', 'rich', 'typer', 'matplotlib', 'sklearn', 'h5py', 'yaml', 'scipy', 'joblib'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
