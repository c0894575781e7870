"""L-layer fully connected network on one flat parameter vector.

Course notation: for layer l = 1..L, ``Z_l = W_l @ A_{l-1} + b_l`` and ``A_l = g_l(Z_l)``,
with X = A_0 of shape (n_x, m) (examples on the last axis), W_l of shape (n_l, n_{l-1})
and b_l of shape (n_l, 1). Hidden layers use one activation; the output layer is
sigmoid (binary) or softmax (multi-class).

All parameters live in one contiguous float64 vector ``theta`` (shape (..., P); leading
axes are independent models) and :class:`Layout` hands out per-layer views, so an
optimizer step is a few whole-vector operations and saving is one array.

The bias rides in the matrix product: each activation carries a row of ones under it, so
``Z_l = [W_l | b_l] @ [A_{l-1}; 1] = W_l @ A_{l-1} + b_l`` and ``[dW_l | db_l]^T = [A_{l-1}; 1] @ dZ_l^T``
are one product each (on mini-batches a broadcast ``+ b_l`` or a sum over examples costs
as much as the product itself). For that, layer l's n_l * (n_{l-1} + 1) entries are the
row-major matrix ``[W_l | b_l]^T``: W_l column by column, then b_l.

Regularization, in the course's form:
- L2: cost += lambd/(2m) * sum_l sum(W_l^2); dW_l += lambd/m * W_l; biases untouched.
- Inverted dropout on hidden layers only: D_l = (U < keep_prob_l) with U uniform [0, 1),
  A_l = A_l * D_l / keep_prob_l; back-prop applies the same mask: dA_l = dA_l * D_l / keep_prob_l.
  keep_prob is the probability of KEEPING a unit (Keras and PyTorch take the drop rate 1 - keep_prob).
  Evaluation never drops.

Batch normalization (hidden layers flagged in ``batchnorm``), per unit over the m examples:
  mu = mean(Z), var = mean((Z - mu)^2), Z_hat = (Z - mu) / sqrt(var + epsilon),
  Z~ = gamma * Z_hat + beta, A = g(Z~); at evaluation mu and var are the running averages
  running = momentum * running + (1 - momentum) * batch value (momentum 0.9, epsilon 1e-5;
  the biased var, as Keras; PyTorch's momentum 0.1 means our 0.9, and it keeps the unbiased var).
  Backward, with the course's unscaled dZ (m times the per-example gradient):
  dgamma = sum(dZ~ Z_hat)/m, dbeta = sum(dZ~)/m, dZ_hat = gamma dZ~ and
  dZ = (dZ_hat - mean(dZ_hat) - Z_hat mean(dZ_hat Z_hat)) / sqrt(var + epsilon).
  Both passes, on preallocated buffers, are in ``engine/batchnorm.py``.
  gamma_l and beta_l live in the flat vector (gamma starts at 1) and are never L2-penalized.
  b_l of such a layer is cancelled by the normalization: its slot stays a frozen zero (its
  gradient is set to 0, so no optimizer moves it) and it is not saved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dnncli.engine.activations import Activation
from dnncli.engine.batchnorm import BatchNormBuffers, batchnorm_backward, batchnorm_forward
from dnncli.engine.stack import per_model


@dataclass(frozen=True)
class Entry:
    """Tensor ``name`` of ``shape`` fills theta[..., offset : offset + size], in NumPy ``order``."""

    name: str
    shape: tuple[int, ...]
    offset: int
    order: str = "C"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass(frozen=True)
class Tensors:
    """Per-layer views into one flat vector (parameters or gradients), and that vector.

    ``WbT[l]`` is the row-major block [W_l | b_l]^T of layer l, ``Wb[l]`` its transpose, and
    ``W[l]``, ``b[l]`` the columns of ``Wb[l]`` (all views: transposing costs a call).
    """

    W: list
    b: list
    Wb: list
    WbT: list
    flat: np.ndarray
    gamma: list
    beta: list


class Layout:
    """Where each tensor (W1, b1, W2, ...) sits inside the flat parameter vector.

    Layer l takes n_l * (n_{l-1} + 1) consecutive entries, the row-major block [W_l | b_l]^T:
    W_l column by column (``order`` "F" in its :class:`Entry`), then b_l.
    """

    def __init__(self, sizes: list[int], batchnorm: list[bool] | None = None):
        """``batchnorm``: one flag per hidden layer; those layers get gamma_l, beta_l (after every block)."""
        self.sizes = list(sizes)
        self.L = len(sizes) - 1
        self.batchnorm = [False] + list(batchnorm or [False] * (self.L - 1)) + [False]  # index l = 1..L
        entries, offset, self.blocks_at = [], 0, [None]
        for l in range(1, self.L + 1):
            n, n_prev = sizes[l], sizes[l - 1]
            self.blocks_at.append(offset)
            entries.append(Entry(f"W{l}", (n, n_prev), offset, order="F"))
            if not self.batchnorm[l]:
                entries.append(Entry(f"b{l}", (n, 1), offset + n * n_prev))
            offset += n * (n_prev + 1)
        for l in range(1, self.L + 1):
            if self.batchnorm[l]:
                entries.append(Entry(f"gamma{l}", (sizes[l], 1), offset))
                entries.append(Entry(f"beta{l}", (sizes[l], 1), offset + sizes[l]))
                offset += 2 * sizes[l]
        self.entries = entries
        self.size = offset

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def zeros(self, batch_shape: tuple[int, ...] = ()) -> np.ndarray:
        return np.zeros(batch_shape + (self.size,))

    def initial(self, batch_shape: tuple[int, ...] = ()) -> np.ndarray:
        """Zeros, except every batch-norm gamma_l = 1: the starting point before W is drawn."""
        theta = self.zeros(batch_shape)
        for gamma in self.split(theta).gamma:
            if gamma is not None:
                gamma[...] = 1.0
        return theta

    def blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """Views [W_l | b_l]^T of shape (..., n_{l-1} + 1, n_l), for l = 1..L (index 0 unused)."""
        batch, s = theta.shape[:-1], self.sizes
        out = [None]
        for l in range(1, self.L + 1):
            at = self.blocks_at[l]
            block = theta[..., at : at + (s[l - 1] + 1) * s[l]].reshape(batch + (s[l - 1] + 1, s[l]))
            assert np.shares_memory(block, theta)
            out.append(block)
        return out

    def views(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Per-tensor views into ``theta`` (writing a view writes ``theta``)."""
        tensors = self.split(theta)
        named = {}
        for l in range(1, self.L + 1):
            named[f"W{l}"] = tensors.W[l]
            if self.batchnorm[l]:
                named[f"gamma{l}"], named[f"beta{l}"] = tensors.gamma[l], tensors.beta[l]
            else:
                named[f"b{l}"] = tensors.b[l]
        return named

    def split(self, theta: np.ndarray) -> Tensors:
        """Views of theta as lists W[l], b[l], Wb[l], WbT[l] for l = 1..L (index 0 unused)."""
        WbT = self.blocks(theta)
        Wb = [None] + [block.swapaxes(-1, -2) for block in WbT[1:]]
        batch, by_name = theta.shape[:-1], {e.name: e for e in self.entries}

        def view(name):
            e = by_name.get(name)
            return None if e is None else theta[..., e.offset : e.offset + e.size].reshape(batch + e.shape)

        return Tensors(W=[None] + [block[..., :-1] for block in Wb[1:]],
                       b=[None] + [block[..., -1:] for block in Wb[1:]], Wb=Wb, WbT=WbT, flat=theta,
                       gamma=[view(f"gamma{l}") for l in range(self.L + 1)],
                       beta=[view(f"beta{l}") for l in range(self.L + 1)])

    def to_arrays(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Independent copies of every tensor, for saving (``params.npz``)."""
        return {name: view.copy() for name, view in self.views(theta).items()}

    def from_arrays(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """A flat vector built from named arrays; raises KeyError/ValueError on a mismatch."""
        theta = self.zeros()
        for name, view in self.views(theta).items():
            array = np.asarray(arrays[name], dtype=np.float64)
            if array.shape != view.shape:
                raise ValueError(f"{name} has shape {array.shape}, the network needs {view.shape}")
            view[...] = array
        return theta


class Cache(list):
    """``cache[l] = (Z_l, A_l, D_l)`` for l = 1..L and ``cache[0] = (None, X, None)``.

    ``work`` is the :class:`Workspace` whose buffers hold the Z_l and A_l of hidden layers.
    """

    work: Workspace
    bn: dict  # l -> BatchNormBuffers (Z_hat_l, inv_std_l, ...) for batch-normalized layers


class Workspace:
    """Buffers reused by every pass on the same shapes (allocating them costs per call).

    ``ones[l]`` is [A_l; 1] (its last row ones) and ``A[l]`` the view of its first n_l rows,
    for l = 0..L-1; ``Z[l]`` holds Z_l for l = 1..L-1;
    ``dA_ones[l]`` receives [W_{l+1} | b_{l+1}]^T @ dZ_{l+1}, whose first n_l rows ``dA[l]``
    are dA_l, for l = 1..L-1; ``inv_m`` is 1/m.
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
        so one Network object serves one thread at a time. ``X`` may be the input buffer
        ``workspace(batch, X.shape).A[0]`` itself (the rows above [X; 1]'s ones), filled by the
        caller: then no copy is made.
        """
        Wb, L, g = params.Wb, self.L, self.activation.forward
        matmul = matmul_for(Wb[1], X)
        dropout = self.keep_prob is not None and dropout_rng is not None
        work = self.workspace(Wb[1].shape[:-2], X.shape)
        if X is not work.A[0]:  # a caller may gather the batch straight into it: X.take(idx, -1, buf, "clip")
            work.A[0][...] = X  # [X; 1]
        cache = Cache([(None, X, None)])
        cache.bn = {}
        for l in range(1, L):  # hidden layers
            Z, A = work.Z[l], work.A[l]
            matmul(Wb[l], work.ones[l - 1], out=Z)
            if self.layout.batchnorm[l]:
                bn = cache.bn[l] = work.bn[l]
                mu, var = (None, None) if training else self.running[l]
                batchnorm_forward(Z, params.gamma[l], params.beta[l], self.bn_epsilon, bn, matmul, mu, var)
            g(Z, out=A)
            D = None
            if dropout:
                keep = self.keep_prob[l - 1]
                D = dropout_rng.random(A.shape) < keep
                A *= D
                A /= keep
            cache.append((Z, A, D))
        Z = matmul(Wb[L], work.ones[L - 1])  # output layer
        A = self.output.forward(Z)
        cache.append((Z, A, None))
        cache.work = work
        if training and self.bn_layers:
            # running = momentum * running + (1 - momentum) * batch value, every layer's mean and
            # var in three calls (they sit in one array, as the batch statistics do).
            running = self._running_stats(work.stats.shape)
            running *= self.bn_momentum
            np.multiply(work.stats, 1 - self.bn_momentum, work.stats_tmp)
            running += work.stats_tmp
        return A, cache

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
        """lambd/(2m) * sum_l sum(W_l^2), one value per model."""
        # Sums kept as (..., 1, 1) so that a per-model lambd of shape (K, 1, 1) lines up.
        total = sum(np.sum(params.W[l] ** 2, axis=(-2, -1), keepdims=True) for l in range(1, self.L + 1))
        return (self.lambd / (2 * m) * total)[..., 0, 0]

    def cost(self, params: Tensors, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Mean per-example cross-entropy plus the L2 term, without dropout."""
        A, cache = self.forward(params, X)
        m = X.shape[-1]
        return self.loss_sum(A, cache, Y) / m + self.l2_cost(params, m)

    # -- backward --------------------------------------------------------------
    def backward(self, params: Tensors, grads: Tensors, cache: Cache, Y: np.ndarray) -> None:
        """Write dW_l, db_l (averaged over the m examples) into the ``grads`` views.

        dZ_L = A_L - Y; dW_l = 1/m dZ_l @ A_{l-1}^T (+ lambd/m W_l); db_l = 1/m sum over examples
        of dZ_l; dA_{l-1} = W_l^T @ dZ_l (masked as in the forward pass); dZ_{l-1} = g'(dA_{l-1}).
        The 1/m is applied where the course applies it, to the sums dW_l and db_l (not once to
        dZ_L): with zeros init the sum of the +-0.5 errors is then exactly 0, and the cost stays
        exactly log 2 as published.
        """
        m = Y.shape[-1]
        WbT, dWbT, g, work = params.WbT, grads.WbT, self.activation, cache.work
        dZ = cache[-1][1] - Y
        matmul = matmul_for(dWbT[1], dZ)
        two_d = matmul is np.dot  # then .T transposes, at half the cost of .swapaxes(-1, -2)
        for l in range(self.L, 0, -1):
            dZ_T = dZ.T if two_d else dZ.swapaxes(-1, -2)
            matmul(work.ones[l - 1], dZ_T, out=dWbT[l])  # m * [dW_l | db_l]^T
            if l > 1:
                # [W_l | b_l]^T @ dZ_l has dA_{l-1} in its first rows (the last belongs to the ones).
                matmul(WbT[l], dZ, out=work.dA_ones[l - 1])
                dA = work.dA[l - 1]
                Z_prev, A_prev, D_prev = cache[l - 1]
                if D_prev is not None:
                    dA *= D_prev
                    dA /= self.keep_prob[l - 2]
                    A_prev = g.forward(Z_prev)  # g' needs the activation before dropout (tanh: 1 - A^2)
                dZ = g.backward(dA, Z_prev, A_prev)
                if l - 1 in cache.bn:  # dZ~ -> dZ, and m dgamma, m dbeta (engine/batchnorm.py)
                    dZ = batchnorm_backward(dZ, params.gamma[l - 1], grads.gamma[l - 1], grads.beta[l - 1],
                                            work.inv_m, cache.bn[l - 1], matmul)
        for l in self.bn_layers:
            grads.b[l][...] = 0.0  # b_l is cancelled by the normalization: keep it frozen at 0
        np.multiply(grads.flat, work.inv_m, out=grads.flat)  # the 1/m of every dW_l and db_l at once
        if self.has_l2:
            for l in range(1, self.L + 1):
                grads.W[l] += (self.lambd / m) * params.W[l]


def matmul_for(W: np.ndarray, A: np.ndarray):
    """The product ``W @ A`` to use: ``np.dot`` when both are plain 2-D matrices, else ``np.matmul``.

    For 2-D matrices both compute the same BLAS product, bit for bit, but ``np.dot`` has about
    half the per-call overhead, which dominates on mini-batches of 64. Only ``np.matmul``
    broadcasts leading axes (a stack of models), so it takes every other case.
    """
    return np.dot if W.ndim == 2 and A.ndim == 2 else np.matmul
