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
import os
import zipfile

import numpy as np

from dnncli.constraints import Positive
from dnncli.engine.network import Layout
from dnncli.errors import DataError
from dnncli.registry import Registry

INITIALIZERS: Registry[type] = Registry("init.name")


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


@INITIALIZERS.register("file")
class FromFile(Initializer):
    """Start from a saved ``params.npz`` (arrays W1, b1, ... in course shapes; no pickle)."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self, layout, rng):
        arrays = read_npz(self.path, "init.path", max_values=layout.size)
        try:
            return layout.from_arrays(arrays)
        except KeyError as exc:
            raise DataError(f"init.path: {self.path!r} has no array {exc.args[0]} (it has {sorted(arrays)})") from None
        except ValueError as exc:
            raise DataError(f"init.path: {self.path!r}: {exc}") from None


def read_npz(path, key: str, max_values: int | None = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file (no pickle), or one :class:`DataError` line naming ``key``.

    Refused: a missing, empty, truncated or non-zip file (an ``.npy`` renamed ``.npz``), a bad
    CRC, members holding more than ``max_values`` numbers in all, complex, non-numeric or
    non-finite arrays.
    """
    where = f"{key}: {str(path)!r}"
    try:
        if not os.path.isfile(path):
            raise DataError(f"{where}: no such file")
        if not zipfile.is_zipfile(path):
            raise DataError(f"{where} is not an .npz file (empty, truncated, or not a zip archive)")
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            if max_values is not None and declared > 16 * max_values + 4096 * (len(archive.infolist()) + 1):
                raise DataError(f"{where} holds {declared} bytes of arrays, far more than the "
                                f"{max_values} parameters of this network")
            bad = archive.testzip()  # reads every member: a bad CRC or a cut member shows here
            if bad is not None:
                raise DataError(f"{where}: member {bad!r} is damaged (bad CRC)")
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise DataError(f"{where}: cannot read it ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not arrays:
        raise DataError(f"{where} holds no arrays")
    for name, array in arrays.items():
        if np.iscomplexobj(array) or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise DataError(f"{where}: array {name!r} is {array.dtype}; real numbers are needed")
        if not np.isfinite(array).all():
            raise DataError(f"{where}: array {name!r} holds NaN or infinite values")
    return arrays
