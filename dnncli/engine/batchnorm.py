"""Batch normalization of one hidden layer, forward and backward side by side, on buffers.

Per unit, over the m examples of the batch (course notation, Z of shape (..., n_l, m)):

  forward:  mu = mean(Z), var = mean((Z - mu)^2), inv_std = 1 / sqrt(var + epsilon),
            Z_hat = (Z - mu) * inv_std,  Z~ = gamma * Z_hat + beta
  backward: with dZ~ the course's unscaled gradient (m times the per-example one),
            m dgamma = sum(dZ~ Z_hat),  m dbeta = sum(dZ~),  dZ_hat = gamma dZ~,
            dZ = (dZ_hat - mean(dZ_hat) - Z_hat mean(dZ_hat Z_hat)) * inv_std
               = gamma inv_std (dZ~ - dbeta - Z_hat dgamma)

The second form of dZ reuses the two sums the parameters need anyway: mean(dZ_hat) =
gamma dbeta and mean(dZ_hat Z_hat) = gamma dgamma, so the backward pass takes no reduction
of its own. The network scales every gradient sum by 1/m at the end, so dgamma and dbeta
are written here as sums.

Every array is a preallocated buffer (see ``BatchNormBuffers``) and every step one ufunc
or product writing into its last argument (ops, :mod:`dnncli.engine.ops`); on mini-batches of 64 a step costs per call, not per element.
Tricks, one line each where they are used:
- a mean over examples is a product with a column of 1/m (1.1 µs against 8.2 for ``np.mean``
  on (20, 64));
- a sum over examples is a product with a column of ones (1.1 µs against 2.5 for ``np.add.reduce``);
- an operation on a small (n_l, 1) array costs a quarter of a broadcast over (n_l, m) (0.5 µs
  against 2), so the per-unit factors are combined first and the big arrays touched as few
  times as possible.
Measured effect of the whole (docs/speed.md): batch norm per update 4.4x the plain network -> 1.8-2.2x.
"""

from __future__ import annotations

import numpy as np

from dnncli.engine.ops import Op


class BatchNormBuffers:
    """The buffers of one batch-normalized layer, for Z of shape ``batch + (n, m)``.

    ``Z_hat``, ``tmp``: (..., n, m); ``inv_std``, ``s``, ``q``: (..., n, 1); ``ones`` and
    ``mean_weights`` are columns (m, 1) of ones and of 1/m. ``mu`` and ``var`` are the batch
    statistics, views handed in by the workspace (all layers' statistics sit in one array, so
    the running averages are updated in three calls whatever the depth).
    """

    def __init__(self, batch: tuple[int, ...], n: int, m: int, mu: np.ndarray, var: np.ndarray):
        self.Z_hat, self.tmp = np.empty(batch + (n, m)), np.empty(batch + (n, m))
        self.inv_std, self.s, self.q = (np.empty(batch + (n, 1)) for _ in range(3))
        self.qg, self.qb = np.empty(batch + (n, 1)), np.empty(batch + (n, 1))
        self.ones, self.mean_weights = np.ones((m, 1)), np.full((m, 1), 1.0 / m)
        self.mu, self.var = mu, var


def batchnorm_forward_ops(Z, gamma, beta, epsilon, buf: BatchNormBuffers, matmul, mu=None, var=None) -> list[Op]:
    """Z <- gamma * Z_hat + beta in place; Z_hat and inv_std stay in ``buf`` for the backward pass.

    Training (``mu``, ``var`` None): the batch's statistics, written into ``buf.mu``, ``buf.var``.
    Evaluation: the given (running) ``mu`` and ``var``.
    """
    Z_hat, inv_std = buf.Z_hat, buf.inv_std
    if mu is None:
        mu, var = buf.mu, buf.var
        ops = [(matmul, (Z, buf.mean_weights, mu)),       # mu = mean(Z), as Z @ (1/m, ..., 1/m)^T
               (np.subtract, (Z, mu, Z_hat)),             # Z - mu
               (np.multiply, (Z_hat, Z_hat, buf.tmp)),
               (matmul, (buf.tmp, buf.mean_weights, var))]  # var = mean((Z - mu)^2)
    else:
        ops = [(np.subtract, (Z, mu, Z_hat))]
    return ops + [(np.add, (var, epsilon, inv_std)),      # inv_std = 1 / sqrt(var + epsilon)
                  (np.sqrt, (inv_std, inv_std)),
                  (np.reciprocal, (inv_std, inv_std)),
                  (np.multiply, (Z_hat, inv_std, Z_hat)),  # Z_hat = (Z - mu) * inv_std
                  (np.multiply, (Z_hat, gamma, Z)),        # Z~ = gamma * Z_hat + beta
                  (np.add, (Z, beta, Z))]


def batchnorm_backward_ops(dZ, gamma, dgamma, dbeta, inv_m, buf: BatchNormBuffers, matmul) -> list[Op]:
    """dZ~ -> dZ in place; writes the sums m dgamma and m dbeta into the ``dgamma``, ``dbeta`` views."""
    Z_hat, tmp, s, q, qg, qb = buf.Z_hat, buf.tmp, buf.s, buf.q, buf.qg, buf.qb
    return [(np.multiply, (dZ, Z_hat, tmp)),
            (matmul, (tmp, buf.ones, dgamma)),            # m dgamma = sum(dZ~ Z_hat)
            (matmul, (dZ, buf.ones, dbeta)),              # m dbeta = sum(dZ~)
            (np.multiply, (gamma, buf.inv_std, s)),       # s = gamma inv_std, q = s / m: small arrays
            (np.multiply, (s, inv_m, q)),
            (np.multiply, (q, dgamma, qg)),
            (np.multiply, (q, dbeta, qb)),
            (np.multiply, (dZ, s, dZ)),                   # dZ = s dZ~ - Z_hat (s dgamma) - s dbeta
            (np.multiply, (Z_hat, qg, tmp)),
            (np.subtract, (dZ, tmp, dZ)),
            (np.subtract, (dZ, qb, dZ))]
