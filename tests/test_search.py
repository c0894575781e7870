"""Search spaces of dnn tune (dnncli/search.py): parsing, sampling on the right scale, narrowing."""

import math

import numpy as np
import pytest

from dnncli.search import Param, narrow, parse_space


def test_parse_every_kind():
    space = parse_space({
        "optimizer.learning_rate": {"log": [1.0e-4, 1.0]},
        "optimizer.beta1": {"one_minus_log": [0.9, 0.999]},
        "regularization.l2": {"uniform": [0.0, 1.0]},
        "training.epochs": {"int": [10, 1000], "log": True},
        "model.hidden": {"choice": [[5, 2], [10, 5], [20, 10, 5]]},
        "training.batch_size": {"choice": [32, 64, 128]},
        "optimizer.beta2": {"log": ["1e-4", "0.5"]},  # YAML reads 1e-4 (no dot) as text
    })
    assert space["optimizer.learning_rate"].scale == "log" and space["optimizer.beta1"].scale == "one_minus_log"
    assert space["regularization.l2"].scale == "linear" and space["training.epochs"].scale == "log"
    assert space["model.hidden"].scale == "category" and space["optimizer.beta2"].low == 1e-4
    hidden = space["model.hidden"]
    assert hidden.decode(hidden.labels()[2]) == [20, 10, 5] and hidden.labels()[0] == "[5, 2]"
    beta1 = space["optimizer.beta1"].distribution()
    assert beta1.log and (beta1.low, beta1.high) == pytest.approx((0.001, 0.1))


def sample(params: list[Param], n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Sample as the tune does: Optuna's random sampler, ask with our distributions, decode."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    dists = {p.path: p.distribution() for p in params}
    asked = [study.ask(dists).params for _ in range(n)]
    return {p.path: np.array([p.decode(a[p.path]) for a in asked]) for p in params}


def test_log_is_uniform_per_decade_and_one_minus_log_per_nine():
    lr = Param("optimizer.learning_rate", "log", 1e-4, 1.0)
    beta = Param("optimizer.beta1", "one_minus_log", 0.9, 0.999)
    n = 4000
    s = sample([lr, beta], n)
    assert np.all((s[lr.path] >= 1e-4) & (s[lr.path] <= 1.0))
    counts = np.histogram(np.log10(s[lr.path]), bins=4, range=(-4, 0))[0]
    expected = n / 4
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert chi2 < 16.3, counts  # chi-square, 3 degrees of freedom: p = 0.001
    b = s[beta.path]
    assert np.all((b >= 0.9) & (b <= 0.999))
    low, high = np.sum(b < 0.99), np.sum(b >= 0.99)
    assert abs(low - high) < 3.3 * math.sqrt(n), (low, high)  # as many in [0.99, 0.999] as in [0.9, 0.99]
    uniform = sample([Param("x", "uniform", 0.9, 0.999)], n)["x"]
    assert np.sum(uniform >= 0.99) < n / 5  # a uniform beta would leave the top decade almost empty


def test_narrow_spans_the_values_on_their_own_scale_inside_the_range():
    lr = Param("lr", "log", 1e-4, 1.0)
    assert (narrow(lr, [1e-3, 3e-3, 1e-2]).low, narrow(lr, [1e-3, 3e-3, 1e-2]).high) == pytest.approx((1e-3, 1e-2))
    one = narrow(lr, [1e-3])  # a single value: widened to 5% of the 4 decades, geometrically around it
    assert (one.low, one.high) == pytest.approx((1e-3 / 10**0.1, 1e-3 * 10**0.1))
    edge = narrow(lr, [1.0])
    assert edge.high == 1.0 and edge.low == pytest.approx(10**-0.2)  # shifted inside, never past the end
    beta = Param("b", "one_minus_log", 0.9, 0.999)
    near = narrow(beta, [0.99])
    assert (1 - near.high, 1 - near.low) == pytest.approx((0.01 / 10**0.05, 0.01 * 10**0.05))
    assert narrow(Param("e", "int", 1, 1000, log=True), [10, 20]).low == 10
    assert narrow(Param("e", "int", 1, 100), [10.4, 20.2]).high == 21
    choice = Param("c", "choice", choices=(1, 2))
    assert narrow(choice, [1]) is choice
