"""Mini-batches: shuffle the columns once per epoch, then take consecutive slices.

With m examples and batch size B there are ceil(m / B) batches; the last one holds the
remainder (300 / 64 -> 4 x 64 + 1 x 44). ``batch_size=None`` is full-batch GD (no
shuffle: the order does not change the gradient), ``1`` is stochastic GD.
"""

from __future__ import annotations

import numpy as np


def minibatches(X: np.ndarray, Y: np.ndarray, batch_size: int | None, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffled (X_b, Y_b) pairs; ``rng`` is any generator with ``permutation(m)``."""
    m = X.shape[-1]
    if batch_size is None:
        return [(X, Y)]
    permutation = rng.permutation(m)
    X_shuffled, Y_shuffled = shuffle_columns(X, permutation), shuffle_columns(Y, permutation)
    return [
        (X_shuffled[..., k : k + batch_size], Y_shuffled[..., k : k + batch_size])
        for k in range(0, m, batch_size)
    ]


def shuffle_columns(X: np.ndarray, permutation: np.ndarray) -> np.ndarray:
    """``X[..., permutation]``, in the same memory layout, at half the cost of fancy indexing.

    The examples are gathered as rows of the transpose, so each example's features stay
    adjacent in memory, as ``X[..., permutation]`` leaves them. The layout matters beyond
    speed: BLAS picks its kernels by strides, and with this layout one model (``np.dot``)
    and a stack of models (``np.matmul``) train to bit-identical parameters (a C-ordered
    copy, e.g. ``X.take(permutation, axis=-1)``, breaks that on a short last batch).
    """
    return X.swapaxes(-1, -2).take(permutation, axis=-2).swapaxes(-1, -2)
