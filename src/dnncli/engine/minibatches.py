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
    X_shuffled, Y_shuffled = X[..., permutation], Y[..., permutation]
    return [
        (X_shuffled[..., k : k + batch_size], Y_shuffled[..., k : k + batch_size])
        for k in range(0, m, batch_size)
    ]
