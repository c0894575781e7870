"""L-layer fully connected network on one flat parameter vector.

Course notation: for layer l = 1..L, ``Z_l = W_l @ A_{l-1} + b_l`` and ``A_l = g_l(Z_l)``,
with X = A_0 of shape (n_x, m) (examples on the last axis), W_l of shape (n_l, n_{l-1})
and b_l of shape (n_l, 1). Hidden layers use one activation; the output layer is
sigmoid (binary) or softmax (multi-class).

All parameters live in one contiguous float64 vector ``theta`` (shape (..., P); leading
axes are independent models); :class:`Layout` (engine/layout.py) hands out per-layer views.

The bias rides in the matrix product: each activation carries a row of ones under it, so
``Z_l = [W_l | b_l] @ [A_{l-1}; 1] = W_l @ A_{l-1} + b_l`` and ``[dW_l | db_l]^T = [A_{l-1}; 1] @ dZ_l^T``
are one product each (on mini-batches a broadcast ``+ b_l`` or a sum over examples costs
as much as the product itself). For that, layer l's n_l * (n_{l-1} + 1) entries are the
row-major matrix ``[W_l | b_l]^T``: W_l column by column, then b_l.

Each pass is built as ops (engine/ops.py) on buffers this network keeps (:class:`Workspace`):
``forward_ops`` and ``backward_ops`` walk the layers; each layer operation's forward and backward
formulas sit side by side in their own module, in course notation: activations in
engine/activations.py, dropout and L2 in engine/regularization.py, batch norm in
engine/batchnorm.py.

Batch normalization (hidden layers flagged in ``batchnorm``): gamma_l and beta_l live in the
flat vector (gamma starts at 1) and are never L2-penalized; b_l of such a layer is cancelled by
the normalization: its slot stays a frozen zero (its gradient is set to 0, so no optimizer
moves it) and it is not saved. At evaluation mu and var are the running averages
running = momentum * running + (1 - momentum) * batch value (momentum 0.9, epsilon 1e-5; the
biased var, as Keras; PyTorch's momentum 0.1 means our 0.9, and it keeps the unbiased var).
"""

from __future__ import annotations

import numpy as np

from dnncli.engine.activations import Activation
from dnncli.engine.batchnorm import BatchNormBuffers, batchnorm_backward_ops, batchnorm_forward_ops
from dnncli.engine.layout import Layout, Tensors
from dnncli.engine.ops import Op, copyto, dot, run
from dnncli.engine.regularization import draw_dropout_masks, dropout_backward_ops, dropout_forward_ops, l2_backward_ops, l2_cost
from dnncli.engine.stack import per_model


class Cache(list):
    """``cache[l] = (Z_l, A_l, D_l)`` for l = 1..L and ``cache[0] = (None, [X; 1], None)``.

    ``work`` is the :class:`Workspace` whose buffers hold the Z_l and A_l of hidden layers;
    ``ones[l]`` is [A_l; 1], the input of layer l + 1.
    """

    work: Workspace
    ones: list
    bn: dict  # l -> BatchNormBuffers (Z_hat_l, inv_std_l, ...) for batch-normalized layers


class Workspace:
    """Buffers reused by every pass on the same shapes (allocating them costs per call).

    ``ones[l]`` is [A_l; 1] (its last row ones) and ``A[l]`` the view of its first n_l rows,
    for l = 0..L-1; ``Z[l]`` holds Z_l for l = 1..L-1;
    ``dA_ones[l]`` receives [W_{l+1} | b_{l+1}]^T @ dZ_{l+1}, whose first n_l rows ``dA[l]``
    are dA_l, for l = 1..L-1; ``inv_m`` is 1/m. ``Z_L``, ``A_L``, ``dZ_L`` are the output
    layer's; ``tmp[l]``, ``pre[l]`` (A_l before dropout), ``D[l]`` (its mask) and ``l2[l]``
    (lambd/m W_l) are scratch of the passes.
    Batch norm: ``bn[l]`` holds layer l's :class:`BatchNormBuffers`, and ``stats`` the batch
    mean and variance of every such layer, stacked as (2, ..., sum n_l, 1) (rows ``bn_rows[l]``).
    """

    def __init__(self, sizes: list[int], batch: tuple[int, ...], X_shape: tuple[int, ...],
                 batchnorm: list[bool] | None = None):
        """``batch``: the leading axes of the hidden layers' arrays (models and X's own)."""
        L, m = len(sizes) - 1, X_shape[-1]
        self.ones = [np.empty((X_shape[:-2] if l == 0 else batch) + (sizes[l] + 1, m)) for l in range(L)]
        for A_ones in self.ones:
            A_ones[..., -1, :] = 1.0
        self.A = [A_ones[..., :-1, :] for A_ones in self.ones]
        self.Z = [None] + [np.empty(batch + (n, m)) for n in sizes[1:L]]
        self.dA_ones = [None] + [np.empty(batch + (n + 1, m)) for n in sizes[1:L]]
        self.dA = [None] + [dA_ones[..., :-1, :] for dA_ones in self.dA_ones[1:]]
        self.inv_m = np.array(1.0 / m)  # 1/m as a 0-d array, which a ufunc takes faster than a float
        n_out = sizes[L]
        self.Z_L, self.A_L, self.dZ_L = (np.empty(batch + (n_out, m)) for _ in range(3))
        self.tmp = [None] + [np.empty(batch + (n, m)) for n in sizes[1:L]]  # scratch of g'(Z_l)
        self.pre = [None] + [np.empty(batch + (n, m)) for n in sizes[1:L]]  # A_l before dropout
        self.D = [None] + [np.empty(batch + (n, m), dtype=bool) for n in sizes[1:L]]  # dropout masks
        self.l2 = [None] + [np.empty(batch + (sizes[l], sizes[l - 1])) for l in range(1, L + 1)]  # lambd/m W_l
        layers = [l for l in range(1, L) if batchnorm and batchnorm[l]]
        self.bn_rows, rows = {}, 0
        for l in layers:
            self.bn_rows[l], rows = slice(rows, rows + sizes[l]), rows + sizes[l]
        self.stats, self.stats_tmp = np.empty((2,) + batch + (rows, 1)), np.empty((2,) + batch + (rows, 1))
        self.bn = {l: BatchNormBuffers(batch, sizes[l], m, self.stats[0][..., k, :], self.stats[1][..., k, :])
                   for l, k in self.bn_rows.items()}


class Network:
    """Forward and backward passes of one architecture (shared by every stacked model)."""

    def __init__(self, sizes: list[int], activation: Activation, output, *, lambd=0.0, keep_prob=None,
                 batchnorm: list[bool] | None = None, bn_momentum=0.9, bn_epsilon=1e-5):
        """``keep_prob``: None (no dropout) or one value per hidden layer (scalars or arrays).

        ``batchnorm``: None or one flag per hidden layer (see the module docstring).
        """
        self.layout = Layout(sizes, batchnorm)
        self.bn_layers = [l for l in range(1, len(sizes) - 1) if self.layout.batchnorm[l]]
        # per-model values (K,) meet the (K, n, m) arrays as (K, 1, 1) (see engine/stack.py)
        lambd, bn_momentum, bn_epsilon = (per_model(v, 2, name) for v, name in
                                          ((lambd, "lambd"), (bn_momentum, "bn_momentum"), (bn_epsilon, "bn_epsilon")))
        self.bn_momentum, self.bn_epsilon = bn_momentum, bn_epsilon
        # running statistics per batch-normalized layer: l -> [mean, var], shaped (..., n_l, 1)
        self.running = {l: [np.zeros((sizes[l], 1)), np.ones((sizes[l], 1))] for l in self.bn_layers}
        self.sizes = list(sizes)
        self.L = len(sizes) - 1
        self.activation = activation
        self.output = output
        self.lambd = lambd
        self.has_l2 = bool(np.any(np.asarray(lambd) != 0))
        self.keep_prob = None if keep_prob is None else [per_model(k, 2, "keep_prob") for k in keep_prob]
        self._workspaces: dict[tuple, Workspace] = {}
        self._running_stack: np.ndarray | None = None  # self.running as views of one array (see forward)

    # -- forward ---------------------------------------------------------------
    def forward(self, params: Tensors, X: np.ndarray, dropout_rng=None, training: bool = False):
        """Return (A_L, cache), a :class:`Cache`. With ``dropout_rng`` hidden units drop.

        ``training``: batch norm uses (and updates the running averages with) the batch's
        statistics; otherwise the running averages (evaluation: a single example works).

        The hidden layers' Z_l and A_l live in buffers this network reuses: they stay valid
        until its next forward pass on the same shapes (A_L and Z_L are always new arrays),
        so one Network object serves one thread at a time.
        """
        work = self.workspace(params.Wb[1].shape[:-2], X.shape)
        draws = None if dropout_rng is None else (lambda: dropout_rng)
        ops, cache = self.forward_ops(params, work.ones[0], work, training=training, dropout=draws)
        work.A[0][...] = X  # [X; 1]
        run(ops)
        Z_L, A_L, _ = cache[-1]
        cache[-1] = (Z_L.copy(), A_L.copy(), None)
        return cache[-1][1], cache

    def forward_ops(self, params: Tensors, X_ones: np.ndarray, work: Workspace, *, training: bool,
                    dropout=None, Z_out: np.ndarray | None = None) -> tuple[list[Op], Cache]:
        """The ops of a forward pass (:mod:`dnncli.engine.ops`) from ``X_ones`` = [X; 1], and its cache.

        Z_l = [W_l | b_l] @ [A_{l-1}; 1]; batch norm (``training``: the batch's statistics, and
        the running averages updated); A_l = g(Z_l); inverted dropout when ``dropout`` is given,
        a function returning the generator of this pass' masks (called once per pass, before the
        first draw). Z_L goes into ``Z_out`` when given (or into a buffer, then copied there).
        """
        Wb, L, g, matmul = params.Wb, self.L, self.activation, matmul_for(params.Wb[1], X_ones)
        cache = Cache([(None, X_ones, None)])
        cache.work, cache.bn, cache.ones = work, {}, [X_ones] + work.ones[1:]
        ops: list[Op] = []
        if dropout is not None and self.keep_prob is not None:  # every hidden layer's mask, in layer order
            ops.append((self._draw_masks, (dropout, work.D[1:L])))
        else:
            dropout = None
        for l in range(1, L):  # hidden layers
            Z, A = work.Z[l], work.A[l]
            ops.append((matmul, (Wb[l], cache.ones[l - 1], Z)))
            if self.layout.batchnorm[l]:
                bn = cache.bn[l] = work.bn[l]
                mu, var = (None, None) if training else self.running[l]
                ops += batchnorm_forward_ops(Z, params.gamma[l], params.beta[l], self.bn_epsilon, bn, matmul, mu, var)
            if dropout is None:
                ops += g.forward_ops(Z, A)
                cache.append((Z, A, None))
            else:  # A_l = g(Z_l) * D_l / keep_prob_l; g(Z_l) is kept for g'
                D = work.D[l]
                ops += g.forward_ops(Z, work.pre[l]) + dropout_forward_ops(work.pre[l], D, self.keep_prob[l - 1], A)
                cache.append((Z, A, D))
        Z = Z_out if Z_out is not None and Z_out.flags.c_contiguous else work.Z_L
        ops.append((matmul, (Wb[L], cache.ones[L - 1], Z)))  # output layer
        if Z_out is not None and Z is not Z_out:
            ops.append((copyto, (Z_out, Z)))
        ops += self.output.forward_ops(Z, work.A_L)
        cache.append((Z, work.A_L, None))
        if training and self.bn_layers:
            # running = momentum * running + (1 - momentum) * batch value, every layer's mean and
            # var in three calls (they sit in one array, as the batch statistics do).
            running = self._running_stats(work.stats.shape)
            ops += [(np.multiply, (running, self.bn_momentum, running)),
                    (np.multiply, (work.stats, 1 - self.bn_momentum, work.stats_tmp)),
                    (np.add, (running, work.stats_tmp, running))]
        return ops, cache

    def _draw_masks(self, dropout, masks: list[np.ndarray]) -> None:
        """Every hidden layer's dropout mask D_l, from the pass' generator ``dropout()``."""
        draw_dropout_masks(dropout(), masks, self.keep_prob)

    def _running_stats(self, shape: tuple[int, ...]) -> np.ndarray:
        """All running means and variances as one array of ``shape`` (as ``Workspace.stats``).

        ``self.running[l]`` become views of its rows; on the first pass (or after
        ``load_state``, or on a stack of models) the current values are broadcast into it.
        """
        stack = self._running_stack
        if stack is None or stack.shape != shape:
            stack, rows = np.empty(shape), 0
            for l in self.bn_layers:
                k, rows = slice(rows, rows + self.sizes[l]), rows + self.sizes[l]
                for i in (0, 1):
                    stack[i][..., k, :] = self.running[l][i]
                self.running[l] = [stack[0][..., k, :], stack[1][..., k, :]]
            self._running_stack = stack
        return stack

    def state(self) -> dict[str, np.ndarray]:
        """The running statistics, for saving (``running_mean1``, ``running_var1``, ...)."""
        out = {}
        for l, (mean, var) in self.running.items():
            out[f"running_mean{l}"], out[f"running_var{l}"] = mean.copy(), var.copy()
        return out

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Set the running statistics (set them here, not by assigning ``running[l]``: see ``_running_stats``)."""
        for l in self.running:
            self.running[l] = [np.array(arrays[f"running_mean{l}"]), np.array(arrays[f"running_var{l}"])]
        self._running_stack = None  # the next training pass stacks them again

    def workspace(self, batch: tuple[int, ...], X_shape: tuple[int, ...]) -> Workspace:
        """The buffers for parameters with leading axes ``batch`` and an input X of ``X_shape``."""
        work = self._workspaces.get((batch, X_shape))
        if work is None:
            batch_shape = np.broadcast_shapes(batch, X_shape[:-2])
            work = self._workspaces[(batch, X_shape)] = Workspace(self.sizes, batch_shape, X_shape,
                                                                  self.layout.batchnorm)
        return work

    def predict(self, params: Tensors, X: np.ndarray) -> np.ndarray:
        A, _ = self.forward(params, X)
        return self.output.predict(A)

    # -- cost ------------------------------------------------------------------
    def loss_sum(self, A_L: np.ndarray, cache, Y: np.ndarray) -> np.ndarray:
        """Sum of the per-example losses (no L2 term), one value per model."""
        return self.output.loss_sum(cache[-1][0], A_L, Y)

    def l2_cost(self, params: Tensors, m: int) -> np.ndarray:
        """lambd/(2m) * sum_l sum(W_l^2), one value per model (engine/regularization.py)."""
        return l2_cost(params.W[1:], self.lambd, m)

    def cost(self, params: Tensors, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Mean per-example cross-entropy plus the L2 term, without dropout."""
        A, cache = self.forward(params, X)
        m = X.shape[-1]
        return self.loss_sum(A, cache, Y) / m + self.l2_cost(params, m)

    # -- backward --------------------------------------------------------------
    def backward(self, params: Tensors, grads: Tensors, cache: Cache, Y: np.ndarray) -> None:
        """Write dW_l, db_l (averaged over the m examples) into the ``grads`` views."""
        run(self.backward_ops(params, grads, cache, Y))

    def backward_ops(self, params: Tensors, grads: Tensors, cache: Cache, Y: np.ndarray) -> list[Op]:
        """The ops of the backward pass after the forward pass of ``cache``.

        dZ_L = A_L - Y; dW_l = 1/m dZ_l @ A_{l-1}^T (+ lambd/m W_l); db_l = 1/m sum over examples
        of dZ_l; dA_{l-1} = W_l^T @ dZ_l (masked as in the forward pass); dZ_{l-1} = g'(dA_{l-1}).
        The 1/m is applied where the course applies it, to the sums dW_l and db_l (not once to
        dZ_L): with zeros init the sum of the +-0.5 errors is then exactly 0, and the cost stays
        exactly log 2 as published.
        """
        WbT, dWbT, g, work = params.WbT, grads.WbT, self.activation, cache.work
        dZ = work.dZ_L
        ops: list[Op] = [(np.subtract, (cache[-1][1], Y, dZ))]
        matmul = matmul_for(dWbT[1], dZ)
        two_d = matmul is dot  # then .T transposes, at half the cost of .swapaxes(-1, -2)
        for l in range(self.L, 0, -1):
            ops.append((matmul, (cache.ones[l - 1], dZ.T if two_d else dZ.swapaxes(-1, -2), dWbT[l])))  # m [dW_l | db_l]^T
            if l > 1:
                # [W_l | b_l]^T @ dZ_l has dA_{l-1} in its first rows (the last belongs to the ones).
                ops.append((matmul, (WbT[l], dZ, work.dA_ones[l - 1])))
                dA = work.dA[l - 1]
                Z_prev, A_prev, D_prev = cache[l - 1]
                if D_prev is not None:
                    ops += dropout_backward_ops(dA, D_prev, self.keep_prob[l - 2])
                    A_prev = work.pre[l - 1]  # g' needs the activation before dropout (tanh: 1 - A^2)
                ops += g.backward_ops(dA, Z_prev, A_prev, work.tmp[l - 1])
                dZ = dA
                if l - 1 in cache.bn:  # dZ~ -> dZ, and m dgamma, m dbeta (engine/batchnorm.py)
                    ops += batchnorm_backward_ops(dZ, params.gamma[l - 1], grads.gamma[l - 1], grads.beta[l - 1],
                                                  work.inv_m, cache.bn[l - 1], matmul)
        for l in self.bn_layers:
            ops.append((copyto, (grads.b[l], 0.0)))  # b_l is cancelled by the normalization: keep it frozen at 0
        ops.append((np.multiply, (grads.flat, work.inv_m, grads.flat)))  # the 1/m of every dW_l and db_l at once
        if self.has_l2:
            lambd_m = self.lambd / Y.shape[-1]
            for l in range(1, self.L + 1):
                ops += l2_backward_ops(params.W[l], grads.W[l], lambd_m, work.l2[l])
        return ops


def matmul_for(W: np.ndarray, A: np.ndarray):
    """The product ``W @ A`` to use: ``np.dot`` (without its dispatcher: engine/ops.py) when both are
    plain 2-D matrices, else ``np.matmul``.

    For 2-D matrices both compute the same BLAS product, bit for bit, but ``np.dot`` has about
    half the per-call overhead, which dominates on mini-batches of 64. Only ``np.matmul``
    broadcasts leading axes (a stack of models), so it takes every other case.
    """
    return dot if W.ndim == 2 and A.ndim == 2 else np.matmul
