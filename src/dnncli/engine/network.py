"""L-layer fully connected network on one flat parameter vector.

Course notation: for layer l = 1..L, ``Z_l = W_l @ A_{l-1} + b_l`` and ``A_l = g_l(Z_l)``,
with X = A_0 of shape (n_x, m) (examples on the last axis), W_l of shape (n_l, n_{l-1})
and b_l of shape (n_l, 1). Hidden layers use one activation; the output layer is
sigmoid (binary) or softmax (multi-class).

All parameters live in one contiguous float64 vector ``theta`` (shape (..., P); leading
axes are independent models) and :class:`Layout` hands out per-layer views, so an
optimizer step is a few whole-vector operations and saving is one array.

Regularization, in the course's form:
- L2: cost += lambd/(2m) * sum_l sum(W_l^2); dW_l += lambd/m * W_l; biases untouched.
- Inverted dropout on hidden layers only: D_l = (U < keep_prob_l) with U uniform [0, 1),
  A_l = A_l * D_l / keep_prob_l; back-prop applies the same mask: dA_l = dA_l * D_l / keep_prob_l.
  keep_prob is the probability of KEEPING a unit (Keras and PyTorch take the drop rate 1 - keep_prob).
  Evaluation never drops.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dnncli.engine.activations import Activation


@dataclass(frozen=True)
class Entry:
    name: str
    shape: tuple[int, ...]
    offset: int

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass(frozen=True)
class Tensors:
    """Per-layer views into one flat vector (parameters or gradients)."""

    W: list
    b: list


class Layout:
    """Where each tensor (W1, b1, W2, ...) sits inside the flat parameter vector."""

    def __init__(self, sizes: list[int]):
        self.sizes = list(sizes)
        entries, offset = [], 0
        for l in range(1, len(sizes)):
            for name, shape in ((f"W{l}", (sizes[l], sizes[l - 1])), (f"b{l}", (sizes[l], 1))):
                entries.append(Entry(name, shape, offset))
                offset += entries[-1].size
        self.entries = entries
        self.size = offset

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def zeros(self, batch_shape: tuple[int, ...] = ()) -> np.ndarray:
        return np.zeros(batch_shape + (self.size,))

    def views(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Per-tensor views into ``theta`` (writing a view writes ``theta``)."""
        batch = theta.shape[:-1]
        out = {}
        for e in self.entries:
            view = theta[..., e.offset : e.offset + e.size].reshape(batch + e.shape)
            assert np.shares_memory(view, theta)
            out[e.name] = view
        return out

    def split(self, theta: np.ndarray) -> "Tensors":
        """Views of theta as lists W[l], b[l] for l = 1..L (index 0 unused), for the hot loop."""
        views = self.views(theta)
        L = len(self.sizes) - 1
        return Tensors(
            W=[None] + [views[f"W{l}"] for l in range(1, L + 1)],
            b=[None] + [views[f"b{l}"] for l in range(1, L + 1)],
        )

    def to_arrays(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Independent copies of every tensor, for saving (``params.npz``)."""
        return {name: view.copy() for name, view in self.views(theta).items()}

    def from_arrays(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """A flat vector built from named arrays; raises KeyError/ValueError on a mismatch."""
        theta = self.zeros()
        views = self.views(theta)
        for e in self.entries:
            array = np.asarray(arrays[e.name], dtype=np.float64)
            if array.shape != e.shape:
                raise ValueError(f"{e.name} has shape {array.shape}, the network needs {e.shape}")
            views[e.name][...] = array
        return theta


class Network:
    """Forward and backward passes of one architecture (shared by every stacked model)."""

    def __init__(self, sizes: list[int], activation: Activation, output, *, lambd=0.0, keep_prob=None):
        """``keep_prob``: None (no dropout) or one value per hidden layer (scalars or arrays)."""
        self.layout = Layout(sizes)
        self.sizes = list(sizes)
        self.L = len(sizes) - 1
        self.activation = activation
        self.output = output
        self.lambd = lambd
        self.has_l2 = bool(np.any(np.asarray(lambd) != 0))
        self.keep_prob = None if keep_prob is None else list(keep_prob)

    # -- forward ---------------------------------------------------------------
    def forward(self, params: Tensors, X: np.ndarray, dropout_rng=None):
        """Return (A_L, cache). With ``dropout_rng`` (training) hidden units are dropped.

        ``cache[l] = (Z_l, A_l, D_l)`` for l = 1..L (D_l the dropout mask or None) and
        ``cache[0] = (None, X, None)``.
        """
        matmul = matmul_for(params.W[1], X)
        dropout = self.keep_prob is not None and dropout_rng is not None
        L, W, b, g = self.L, params.W, params.b, self.activation.forward
        A = X
        cache = [(None, X, None)]
        for l in range(1, L):  # hidden layers
            Z = matmul(W[l], A)
            Z += b[l]
            A = g(Z)
            D = None
            if dropout:
                keep = self.keep_prob[l - 1]
                D = dropout_rng.random(A.shape) < keep
                A = A * D
                A /= keep
            cache.append((Z, A, D))
        Z = matmul(W[L], A)  # output layer
        Z += b[L]
        A = self.output.forward(Z)
        cache.append((Z, A, None))
        return A, cache

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
    def backward(self, params: Tensors, grads: Tensors, cache, Y: np.ndarray) -> None:
        """Write dW_l, db_l (averaged over the m examples) into the ``grads`` views.

        dZ_L = A_L - Y; dW_l = 1/m dZ_l @ A_{l-1}^T (+ lambd/m W_l); db_l = 1/m sum over examples
        of dZ_l; dA_{l-1} = W_l^T @ dZ_l (masked as in the forward pass); dZ_{l-1} = g'(dA_{l-1}).
        The 1/m is applied where the course applies it (not once to dZ_L): with zeros init the
        sum of the +-0.5 errors is then exactly 0, and the cost stays exactly log 2 as published.
        """
        m = Y.shape[-1]
        inv_m = 1.0 / m
        W, dW, db, g = params.W, grads.W, grads.b, self.activation
        dZ = cache[-1][1] - Y
        matmul = matmul_for(W[1], dZ)
        for l in range(self.L, 0, -1):
            A_prev = cache[l - 1][1]
            matmul(dZ, A_prev.swapaxes(-1, -2), out=dW[l])
            dW[l] *= inv_m
            if self.has_l2:
                dW[l] += (self.lambd / m) * W[l]
            # np.add.reduce is what np.sum calls, without np.sum's Python-level dispatch.
            np.add.reduce(dZ, axis=-1, keepdims=True, out=db[l])
            db[l] *= inv_m
            if l > 1:
                dA = matmul(W[l].swapaxes(-1, -2), dZ)
                Z_prev, A_prev, D_prev = cache[l - 1]
                if D_prev is not None:
                    dA *= D_prev
                    dA /= self.keep_prob[l - 2]
                    A_prev = g.forward(Z_prev)  # g' needs the activation before dropout (tanh: 1 - A^2)
                dZ = g.backward(dA, Z_prev, A_prev)


def matmul_for(W: np.ndarray, A: np.ndarray):
    """The product ``W @ A`` to use: ``np.dot`` when both are plain 2-D matrices, else ``np.matmul``.

    For 2-D matrices both compute the same BLAS product, bit for bit, but ``np.dot`` has about
    half the per-call overhead, which dominates on mini-batches of 64. Only ``np.matmul``
    broadcasts leading axes (a stack of models), so it takes every other case.
    """
    return np.dot if W.ndim == 2 and A.ndim == 2 else np.matmul
