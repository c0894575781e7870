"""Weight initializers: W_l = randn(n_l, n_{l-1}) * scale, layer by layer from one generator.

Biases start at zero and draw nothing, as in the course, so one seeded generator gives the
course's exact weights. Scales (n_prev = n_{l-1}, n = n_l):

| name    | scale                    | note |
| ------- | ------------------------ | ---- |
| zeros   | 0 (no draws)             | every unit stays identical: symmetry is never broken |
| random  | ``scale`` (default 10)   | the course's "large random" init |
| he      | sqrt(2 / n_prev)         | He et al. 2015; Keras ``he_normal`` truncates, we don't |
| xavier  | sqrt(1 / n_prev)         | the course's "Xavier"; Keras calls this ``lecun_normal`` |
| glorot  | sqrt(2 / (n_prev + n))   | Glorot & Bengio 2010 (Keras ``glorot_normal``, untruncated) |
| file    | -                        | start from a saved ``params.npz`` (arrays W1, b1, ...) |
"""

from __future__ import annotations

import math

import numpy as np

from dnncli.constraints import FilePath, Positive
from dnncli.engine.layout import Layout
from dnncli.registry import Registry

INITIALIZERS: Registry[type] = Registry("initializers")


class Initializer:
    """Fill a flat parameter vector; subclasses give the scale of W_l."""

    def scale(self, n_prev: int, n: int) -> float:
        raise NotImplementedError

    def __call__(self, layout: Layout, rng) -> np.ndarray:
        theta = layout.initial()
        views = layout.views(theta)
        for l in range(1, len(layout.sizes)):
            n, n_prev = layout.sizes[l], layout.sizes[l - 1]
            views[f"W{l}"][...] = rng.standard_normal((n, n_prev)) * self.scale(n_prev, n)
        return theta


@INITIALIZERS.register("zeros")
class Zeros(Initializer):
    """W_l = 0, b_l = 0 (no random draws)."""

    def __call__(self, layout, rng):
        return layout.initial()


@INITIALIZERS.register("random")
class Random(Initializer):
    """W_l = randn(n_l, n_prev) * scale (default 10, the course's large init)."""

    def __init__(self, scale: Positive = 10.0):
        self._scale = scale

    def scale(self, n_prev, n):
        return self._scale


@INITIALIZERS.register("he")
class He(Initializer):
    """W_l = randn(n_l, n_prev) * sqrt(2 / n_prev)."""

    def scale(self, n_prev, n):
        return math.sqrt(2.0 / n_prev)


@INITIALIZERS.register("xavier")
class Xavier(Initializer):
    """W_l = randn(n_l, n_prev) * sqrt(1 / n_prev) (the course's Xavier; Keras: lecun_normal)."""

    def scale(self, n_prev, n):
        return math.sqrt(1.0 / n_prev)


@INITIALIZERS.register("glorot")
class Glorot(Initializer):
    """W_l = randn(n_l, n_prev) * sqrt(2 / (n_prev + n_l)) (Glorot normal, untruncated)."""

    def scale(self, n_prev, n):
        return math.sqrt(2.0 / (n_prev + n))


class FromArrays(Initializer):
    """Start from given arrays W1, b1, ... in course shapes (``Layout.from_arrays``: a KeyError
    names a missing array, a ValueError a wrong shape)."""

    def __init__(self, arrays: dict[str, np.ndarray] | None):
        self.arrays = arrays

    def __call__(self, layout, rng):
        if self.arrays is None:
            raise RuntimeError(f"{type(self).__name__}: no arrays were given")
        return layout.from_arrays(self.arrays)


@INITIALIZERS.register("file")
class FromFile(FromArrays):
    """Start from a saved ``params.npz``. The config names the file; the engine reads no file:
    the build step reads it (``dnncli.runs.read_npz``: no pickle, every array checked) into
    ``arrays`` before the initializer is called."""

    def __init__(self, path: FilePath):
        super().__init__(None)
        self.path = path
