"""The training loop (dnncli/engine/training.py): the course's published moons accuracies, trained by fit alone.

Course cases: the assignments' public test cases, inputs drawn from ``np.random.RandomState(1)`` in the
order the reference lists them (the course's ``np.random.seed(1)``), expected numbers copied from the
reference file or computed by a formula written out here.
"""

import numpy as np
import pytest
from sklearn.datasets import make_moons

from dnncli.engine.activations import ReLU, SigmoidOutput
from dnncli.engine.initializers import He
from dnncli.engine.network import Network
from dnncli.engine.optimizers import Adam, GradientDescent, Momentum
from dnncli.engine.schedules import Constant
from dnncli.engine.seeding import CourseSeeding
from dnncli.engine.training import fit


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
