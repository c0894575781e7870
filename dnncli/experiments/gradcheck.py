"""`dnn gradcheck`: compare back-propagation with central differences, tensor by tensor.

The cost differentiated numerically is the textbook cross-entropy written here on the
network's output A_L (-(y log a + (1-y) log(1-a)) or -sum y log a, averaged over m): the
course's formula, independent of the engine's own loss code. The L2 term's central
difference is exact in closed form (lambd/m W) and added to it, so that a large L2 term
does not drown the differences in rounding. For each
parameter theta_i: g~_i = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps), and a set of
entries passes when ||g - g~|| / (||g|| + ||g~||) is below the threshold (the course: 2e-7).

Dropout: the masks are held fixed for every forward pass of one check (a generator
re-seeded before each pass), so J is a smooth function of theta and can be checked.
ReLU kinks: an entry whose +-eps perturbation flips the sign of a hidden pre-activation is
not differentiable there; it is flagged and left out of the verdict instead of failing it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dnncli.engine.activations import ReLU, SigmoidOutput, SoftmaxOutput, Tanh
from dnncli.engine.network import Network
from dnncli.errors import ConfigError
from dnncli.registry import Registry

FULL_LIMIT = 5000  # parameters: above it, --mode auto checks directions instead of every entry


@dataclass
class Problem:
    """A network, its parameters and a small batch to check on."""

    network: Network
    theta: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    description: str
    dropout_seed: int | None = None


MODELS: Registry[Callable[[], Problem]] = Registry("--model")


@MODELS.register("three_layer")
def three_layer() -> Problem:
    """The course's test case: LINEAR-RELU-LINEAR-RELU-LINEAR-SIGMOID, 4-5-3-1, 3 examples, seed 1."""
    rng = np.random.RandomState(1)
    X = rng.randn(4, 3)
    Y = np.array([[1.0, 1.0, 0.0]])
    network = Network([4, 5, 3, 1], ReLU(), SigmoidOutput())
    arrays = {}
    for l, (n, p) in enumerate([(5, 4), (3, 5), (1, 3)], start=1):
        arrays[f"W{l}"] = rng.randn(n, p)
        arrays[f"b{l}"] = rng.randn(n, 1)
    return Problem(network, network.layout.from_arrays(arrays), X, Y, "course test case 4-5-3-1, relu, sigmoid, 3 examples")


def random_problem(sizes, activation, output, *, lambd=0.0, keep_prob=None, batchnorm=None, m=8, seed=0,
                   description="") -> Problem:
    """A network with parameters drawn N(0, 0.5^2) and a random batch of ``m`` examples: the named
    models below, and any variant a test wants to check (every activation, output, L2, dropout)."""
    rng = np.random.default_rng(seed)
    network = Network(sizes, activation, output, lambd=lambd, keep_prob=keep_prob, batchnorm=batchnorm)
    theta = network.layout.initial()
    for _name, view in network.layout.views(theta).items():
        view += rng.standard_normal(view.shape) * 0.5
    X = rng.standard_normal((sizes[0], m))
    classes = sizes[-1] if sizes[-1] > 1 else 2
    labels = rng.integers(0, classes, m)
    Y = labels[None, :].astype(float) if classes == 2 else np.eye(classes)[:, labels]
    return Problem(network, theta, X, Y, description, dropout_seed=0 if keep_prob else None)


@MODELS.register("deep")
def deep() -> Problem:
    """A deeper tanh network 5-8-8-8-8-1 with L2 (lambd 0.7)."""
    return random_problem([5, 8, 8, 8, 8, 1], Tanh(), SigmoidOutput(), lambd=0.7, seed=1,
                           description="deep 5-8-8-8-8-1, tanh, sigmoid, L2 0.7, 8 examples")


@MODELS.register("softmax")
def softmax() -> Problem:
    """A 4-class softmax network 6-7-4 with relu."""
    return random_problem([6, 7, 4], ReLU(), SoftmaxOutput(), seed=2,
                           description="softmax 6-7-4, relu, 4 classes, 8 examples")


@MODELS.register("dropout")
def dropout() -> Problem:
    """relu 4-6-5-1 with dropout (keep_prob 0.8, 0.6) and L2 0.3; masks held fixed."""
    return random_problem([4, 6, 5, 1], ReLU(), SigmoidOutput(), lambd=0.3, keep_prob=[0.8, 0.6], seed=3,
                           description="4-6-5-1, relu, dropout keep_prob [0.8, 0.6], L2 0.3")


@MODELS.register("batchnorm")
def batchnorm() -> Problem:
    """tanh 4-6-5-1 with batch norm on both hidden layers and L2 0.3 (gamma, beta checked too)."""
    return random_problem([4, 6, 5, 1], Tanh(), SigmoidOutput(), lambd=0.3, batchnorm=[True, True], seed=4,
                           description="4-6-5-1, tanh, batch norm on both hidden layers, L2 0.3")


# -- the check -----------------------------------------------------------------------
@dataclass(frozen=True)
class TensorReport:
    """One tensor: its own relative difference, and its share of the overall one (the verdict)."""

    name: str
    difference: float
    share: float
    worst_index: tuple[int, ...]
    worst_error: float
    kinks: int
    checked: int
    passed: bool


@dataclass(frozen=True)
class Report:
    description: str
    mode: str
    mode_reason: str
    epsilon: float
    threshold: float
    difference: float
    passed: bool
    tensors: list[TensorReport] = field(default_factory=list)
    directions: list[float] = field(default_factory=list)
    cost: float = float("nan")
    n_parameters: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)


def data_cost_fn(problem: Problem) -> Callable[[np.ndarray], float]:
    """The textbook cross-entropy on A_L (no L2 term), with the dropout masks held fixed."""
    return lambda theta: _cost_and_kinks(problem, theta)[0]


def _cost_and_kinks(problem: Problem, theta: np.ndarray) -> tuple[float, np.ndarray | None]:
    """One forward pass at ``theta``: the textbook cross-entropy on A_L, and (for an activation
    with a kink, such as ReLU) the signs Z_l > 0 of every hidden pre-activation."""
    network, X, Y = problem.network, problem.X, problem.Y
    A, cache = network.forward(network.layout.split(theta), X, _masks(problem), training=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        if isinstance(network.output, SigmoidOutput):
            loss = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A))
        else:
            loss = -np.sum(Y * np.log(A))
    signs = None
    if getattr(network.activation, "has_kink", False) and network.L >= 2:
        signs = np.concatenate([np.ravel(Z > 0) for Z, _, _ in cache[1:-1]])
    return float(loss / X.shape[-1]), signs


def cost_fn(problem: Problem) -> Callable[[np.ndarray], float]:
    """J(theta) = cross-entropy + lambd/(2m) sum W^2 (reported; the check differences J_data)."""
    J_data, network, m = data_cost_fn(problem), problem.network, problem.X.shape[-1]
    if not network.has_l2:
        return J_data
    return lambda theta: J_data(theta) + float(network.l2_cost(network.layout.split(theta), m))


def l2_slope(problem: Problem) -> np.ndarray:
    """The central difference of the L2 term, in closed form: lambd/m * W (0 for other entries).

    For the quadratic lambd/(2m) w^2 the central difference is exact:
    lambd/(2m) ((w + eps)^2 - (w - eps)^2) / (2 eps) = lambd/m w. Computing it this way keeps
    a large L2 term (a big network) from drowning the cross-entropy's differences in rounding.
    """
    network, theta = problem.network, problem.theta
    slope = np.zeros_like(theta)
    if network.has_l2:
        m = problem.X.shape[-1]
        for entry in network.layout.entries:
            if entry.name.startswith("W"):
                part = slice(entry.offset, entry.offset + entry.size)
                slope[part] = network.lambd / m * theta[part]
    return slope


def _masks(problem: Problem):
    return None if problem.dropout_seed is None else np.random.RandomState(problem.dropout_seed)


def backprop(problem: Problem) -> np.ndarray:
    """The engine's gradient (the thing under test), same masks as :func:`cost_fn`."""
    network = problem.network
    grads = np.zeros_like(problem.theta)
    params = network.layout.split(problem.theta)
    _, cache = network.forward(params, problem.X, _masks(problem), training=True)
    network.backward(params, network.layout.split(grads), cache, problem.Y)
    return grads


def relative_difference(g: np.ndarray, approx: np.ndarray) -> float:
    denominator = np.linalg.norm(g) + np.linalg.norm(approx)
    return float(np.linalg.norm(g - approx) / denominator) if denominator > 0 else 0.0


def check(problem: Problem, *, epsilon: float = 1e-7, threshold: float = 2e-7, mode: str = "auto",
          directions: int = 10, grad: np.ndarray | None = None, seed: int = 0) -> Report:
    """Gradient check of ``problem``; ``grad`` overrides the engine's gradient (tests inject bugs).

    Two forward passes per checked entry (theta +- epsilon e_i): each gives the cost and the kink signs.
    """
    # `not 0 < x < inf` also refuses NaN, for which every comparison is False (a NaN step gave "PASS")
    if not 0 < epsilon < math.inf:
        raise ConfigError("--epsilon", epsilon, "a finite positive number such as 1e-7")
    if not 0 < threshold < math.inf:
        raise ConfigError("--threshold", threshold, "a finite positive number such as 2e-7")
    if directions < 1:
        raise ConfigError("--directions", directions, "at least 1")
    if mode not in ("auto", "full", "directional"):
        raise ConfigError("--mode", mode, "one of auto, full, directional")
    theta = problem.theta
    P = theta.size
    if mode == "auto":
        mode, reason = ("full", f"{P} parameters <= {FULL_LIMIT}") if P <= FULL_LIMIT else (
            "directional", f"{P} parameters > {FULL_LIMIT}: {directions} random directions")
    else:
        reason = "asked for"
    J, J_data, slope = cost_fn(problem), data_cost_fn(problem), l2_slope(problem)
    g = backprop(problem) if grad is None else grad
    notes = ["dropout masks held fixed for every forward pass of this check"] if problem.dropout_seed is not None else []
    if mode == "directional":
        rng = np.random.default_rng(seed)
        exact, numeric = [], []
        for _ in range(directions):
            u = rng.standard_normal(P)
            u /= np.linalg.norm(u)
            exact.append(g @ u)
            numeric.append((J_data(theta + epsilon * u) - J_data(theta - epsilon * u)) / (2 * epsilon) + slope @ u)
        exact, numeric = np.array(exact), np.array(numeric)
        # the verdict: the course's formula over the vector of directional derivatives
        overall = relative_difference(exact, numeric)
        diffs = [relative_difference(exact[i : i + 1], numeric[i : i + 1]) for i in range(directions)]
        return Report(problem.description, mode, reason, epsilon, threshold, overall, overall < threshold,
                      directions=diffs, cost=J(theta), n_parameters=P, notes=notes)
    approx = np.zeros(P)
    kink = np.zeros(P, dtype=bool)
    for i in range(P):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += epsilon
        minus[i] -= epsilon
        (J_plus, signs_plus), (J_minus, signs_minus) = _cost_and_kinks(problem, plus), _cost_and_kinks(problem, minus)
        approx[i] = (J_plus - J_minus) / (2 * epsilon) + slope[i]
        kink[i] = signs_plus is not None and bool(np.any(signs_plus != signs_minus))
    tensors = []
    scale = np.linalg.norm(g[~kink]) + np.linalg.norm(approx[~kink])
    for entry in problem.network.layout.entries:
        part = slice(entry.offset, entry.offset + entry.size)
        ok = ~kink[part]
        diff = relative_difference(g[part][ok], approx[part][ok])
        errors = np.abs(g[part] - approx[part])
        worst = int(np.argmax(np.where(ok, errors, -1.0)))
        # A tensor with tiny gradients has a noisy relative difference of its own; its verdict is
        # its share of the overall difference ||g_t - g~_t|| / (||g|| + ||g~||), which sums (in
        # squares) to the overall difference, so the tensors that fail are the ones to blame.
        share = float(np.linalg.norm((g[part] - approx[part])[ok]) / scale) if scale > 0 else 0.0
        tensors.append(TensorReport(entry.name, diff, share, tuple(int(i) for i in np.unravel_index(worst, entry.shape, order=entry.order)),
                                    float(errors[worst]), int(np.sum(kink[part])), int(np.sum(ok)), share < threshold))
    overall = relative_difference(g[~kink], approx[~kink])
    if kink.any():
        notes.append(f"{int(kink.sum())} entries sit within epsilon of a ReLU kink: flagged, left out of the verdict")
    return Report(problem.description, mode, reason, epsilon, threshold, overall,
                  overall < threshold and all(t.passed for t in tensors), tensors, cost=J(theta), n_parameters=P,
                  notes=notes)


def problem_from_config(config, examples: int = 8) -> Problem:
    """The network a training config describes, on its first ``examples`` training examples."""
    from dnncli.build import build

    built = build(config)
    ds = built.dataset
    m = min(examples, ds.X_train.shape[-1])
    keep = built.network.keep_prob
    return Problem(built.network, built.theta, ds.X_train[:, :m], ds.Y_train[:, :m],
                   f"{config.name}: {built.network.sizes}, {config.model.activation}, {m} examples",
                   dropout_seed=0 if keep is not None else None)


def gradcheck(model: str | None = None, *, config=None, overrides=(), examples: int = 8, epsilon: float = 1e-7,
              threshold: float = 2e-7, mode: str = "auto", directions: int = 10) -> Report:
    """``dnn gradcheck`` as a library call: check a named model (``model="three_layer"``) or the
    network a training config describes (``config``: a path or a RunConfig, with ``overrides``
    as ``--set`` gives them), on its first ``examples`` training examples.

        >>> dnncli.gradcheck("three_layer").passed
        True
    """
    if (model is None) == (config is None):
        raise ConfigError("--model/--config", "both" if model is not None else "neither",
                          "exactly one of them, e.g. --model three_layer")
    if model is not None:
        problem = MODELS.get(model)()
    else:
        if examples < 1:
            raise ConfigError("--examples", examples, "at least 1")
        from dnncli.config import RunConfig, load_config

        run_config = config if isinstance(config, RunConfig) else load_config(config, list(overrides))
        problem = problem_from_config(run_config, examples)
    return check(problem, epsilon=epsilon, threshold=threshold, mode=mode, directions=directions)
