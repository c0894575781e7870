"""Where each tensor (W1, b1, W2, ...) sits inside one flat parameter vector, and views of it.

All parameters live in one contiguous float64 vector ``theta`` (shape (..., P); leading axes
are independent models) and :class:`Layout` hands out per-layer views, so an optimizer step is
a few whole-vector operations and saving is one array. Layer l's n_l * (n_{l-1} + 1) entries
are the row-major matrix ``[W_l | b_l]^T`` (W_l column by column, then b_l), the block that
multiplies [A_{l-1}; 1] (see :mod:`dnncli.engine.network`); batch norm's gamma_l and beta_l
come after every block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
