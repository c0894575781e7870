"""Mini-batches as fit makes them (dnncli/engine/program.py): the course's reference case and epoch split.

Course cases: the assignments' public test cases, inputs drawn from ``np.random.RandomState(1)`` in the
order the reference lists them (the course's ``np.random.seed(1)``), expected numbers copied from the
reference file or computed by a formula written out here.
"""

import numpy as np

from dnncli.engine.activations import ReLU, SigmoidOutput
from dnncli.engine.network import Network
from dnncli.engine.optimizers import GradientDescent
from dnncli.engine.program import EpochProgram

ATOL = 1e-8  # the course reference prints 8 decimals


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
