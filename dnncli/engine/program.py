"""``fit``'s epoch as prebuilt ops: the shuffled data in fixed buffers, one list of ops per mini-batch.

An update is the NumPy calls of its formulas and nothing else ("program" in docs/speed.md): the
forward pass from the batch's columns of the shuffled [X; 1], its Z_L straight into the batch's
columns of ``Z_epoch`` (the epoch's loss is summed from them), the backward pass, and the
optimizer's step, whose learning rate is read from ``rate``. Every array the ops touch exists
before the first epoch; per epoch :meth:`EpochProgram.shuffle` fills the shuffled data and
:meth:`EpochProgram.run` runs the mini-batches.

Mini-batches: the columns shuffled once per epoch, then consecutive slices. With m examples
and batch size B there are ceil(m / B) batches, the last one the remainder (300 / 64 -> 4 x 64
+ 1 x 44); ``batch_size=None`` is full-batch GD (no shuffle: the order does not change the
gradient), ``1`` is stochastic GD. The shuffled data, by case:
- full batch: [X; 1] once, never shuffled (the order does not change the gradient);
- one model, or a stack whose members share one order: [X; 1] and Y gathered in the epoch's
  order by one ``take`` each, every batch a view of consecutive columns ("gather" in
  docs/speed.md);
- a stack of members with their own orders: X and Y gathered together by one ``take`` into a
  (K, m, n + c) buffer (a third of the time of two fancy indexings), each batch copied into
  the network's input buffer.
"""

from __future__ import annotations

import numpy as np

from dnncli.engine.ops import Op, copyto, run


def batch_slices(m: int, batch_size: int | None) -> list[slice]:
    """The column range of each mini-batch: consecutive slices, the last one the remainder."""
    if batch_size is None:
        return [slice(0, m)]
    return [slice(k, k + batch_size) for k in range(0, m, batch_size)]


class EpochProgram:
    """The mini-batch ops of one ``fit`` call (``theta`` (P,) or (K, P), ``dtheta`` alike)."""

    def __init__(self, network, optimizer, params, grads, X: np.ndarray, Y: np.ndarray, batch_size: int | None,
                 seeding, Z_epoch: np.ndarray, rate: np.ndarray, dropout: bool):
        theta = params.flat
        stacked, m, n = theta.ndim == 2, X.shape[-1], X.shape[0]
        self.X, self.Y, self.seeding, self.m = X, Y, seeding, m
        self.full_batch = batch_size is None
        self.own_orders = stacked and not self.full_batch and not seeding.shared
        self.stacked = stacked
        if self.own_orders:
            self.rows = np.ascontiguousarray(np.concatenate([X, Y]).T)  # (m, n + c)
            self.both = np.empty((theta.shape[0],) + self.rows.shape)
            self.X_e, self.Y_e = self.both.swapaxes(-1, -2)[..., :n, :], self.both.swapaxes(-1, -2)[..., n:, :]
        else:
            self.X_ones = np.ones((n + 1, m))  # [X; 1] in the epoch's order
            self.X_ones[:n] = X
            self.X_e, self.Y_e = self.X_ones[:n], (Y if self.full_batch else np.empty_like(Y))
        step = optimizer.step_ops(theta, grads.flat, rate)  # the same ops after every batch
        self.batches: list[list[Op]] = []
        self.slices = batch_slices(m, batch_size)
        for k in self.slices:
            X_b = self.X_e[..., k]
            work = network.workspace(theta.shape[:-1], X_b.shape)
            ops: list[Op] = []
            if self.own_orders:
                ops.append((copyto, (work.A[0], X_b)))
                X_ones = work.ones[0]
            else:
                X_ones = self.X_ones[:, k]
            forward, cache = network.forward_ops(params, X_ones, work, training=True,
                                                 dropout=seeding.dropout_rng if dropout else None, Z_out=Z_epoch[..., k])
            self.batches.append(ops + forward + network.backward_ops(params, grads, cache, self.Y_e[..., k]) + step)

    def shuffle(self, epoch: int) -> np.ndarray:
        """Put the data in epoch ``epoch``'s order (``X_e``, ``Y_e``: batch k is their columns
        ``slices[k]``); returns ``Y_e``."""
        if self.full_batch:
            return self.Y_e
        if self.own_orders:
            self.rows.take(self.seeding.permutations(epoch, self.m), 0, self.both, "clip")
            return self.Y_e
        if self.stacked:
            order = self.seeding.permutations(epoch, self.m)
        else:
            order = self.seeding.shuffle_rng(epoch).permutation(self.m)
        self.X.take(order, -1, self.X_e, "clip")  # positional: a quarter of np.take(..., out=)'s cost
        self.Y.take(order, -1, self.Y_e, "clip")
        return self.Y_e

    def run(self) -> None:
        """One epoch: every mini-batch's forward pass, backward pass and step."""
        for ops in self.batches:
            run(ops)
