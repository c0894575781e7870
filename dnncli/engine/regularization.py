"""Dropout and L2, each forward formula beside its backward one (batch norm: engine/batchnorm.py).

The course's forms:
- Inverted dropout, hidden layers only, with a mask D_l = (U < keep_prob_l), U uniform [0, 1)
  (keep_prob is the probability of KEEPING a unit; Keras and PyTorch take the drop rate
  1 - keep_prob); evaluation never drops:
    forward:  A_l = g(Z_l) * D_l / keep_prob_l
    backward: dA_l = dA_l * D_l / keep_prob_l   (g' then needs g(Z_l), kept before the mask)
- L2, on the weights only (biases, batch norm's gamma and beta untouched):
    cost:     + lambd/(2m) * sum_l sum(W_l^2)
    backward: dW_l += lambd/m * W_l
Each returns ops (:mod:`dnncli.engine.ops`) on the network's buffers.
"""

from __future__ import annotations

import numpy as np

from dnncli.engine.ops import Op


def draw_dropout_masks(rng, masks: list[np.ndarray], keep_probs: list) -> None:
    """D_l = (U < keep_prob_l) into each layer's boolean mask, in layer order, from ``rng``."""
    for D, keep in zip(masks, keep_probs):
        np.less(rng.random(D.shape), keep, D)


def dropout_forward_ops(A_kept: np.ndarray, D: np.ndarray, keep_prob, A: np.ndarray) -> list[Op]:
    """A_l = g(Z_l) * D_l / keep_prob_l, from ``A_kept`` = g(Z_l)."""
    return [(np.multiply, (A_kept, D, A)), (np.divide, (A, keep_prob, A))]


def dropout_backward_ops(dA: np.ndarray, D: np.ndarray, keep_prob) -> list[Op]:
    """dA_l = dA_l * D_l / keep_prob_l, in place."""
    return [(np.multiply, (dA, D, dA)), (np.divide, (dA, keep_prob, dA))]


def l2_cost(weights: list[np.ndarray], lambd, m: int) -> np.ndarray:
    """lambd/(2m) * sum_l sum(W_l^2), one value per model (``weights``: W_l of shape (..., n_l, n_{l-1}))."""
    # Sums kept as (..., 1, 1) so that a per-model lambd of shape (K, 1, 1) lines up.
    total = sum(np.sum(W**2, axis=(-2, -1), keepdims=True) for W in weights)
    return (lambd / (2 * m) * total)[..., 0, 0]


def l2_backward_ops(W: np.ndarray, dW: np.ndarray, lambd_m, tmp: np.ndarray) -> list[Op]:
    """dW_l += lambd/m * W_l (``lambd_m`` = lambd/m; ``tmp`` shaped like W_l)."""
    return [(np.multiply, (W, lambd_m, tmp)), (np.add, (dW, tmp, dW))]
