"""Mini-batches (dnncli/engine/minibatches.py): the course's reference case and epoch split.

Course cases: the assignments' public test cases, inputs drawn from ``np.random.RandomState(1)`` in the
order the reference lists them (the course's ``np.random.seed(1)``), expected numbers copied from the
reference file or computed by a formula written out here.
"""

import numpy as np

from dnncli.engine.minibatches import minibatches

ATOL = 1e-8  # the course reference prints 8 decimals


def test_minibatches_reference_case():
    rng = np.random.RandomState(1)
    X = rng.randn(12288, 148)
    Y = rng.randn(1, 148) < 0.5
    batches = minibatches(X, Y, 64, np.random.RandomState(0))
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
    assert [b[0].shape[1] for b in minibatches(X, Y, 64, np.random.RandomState(11))] == [64] * 4 + [44]
    ((X_b, Y_b),) = minibatches(X, Y, None, None)
    np.testing.assert_array_equal(X_b, X)
