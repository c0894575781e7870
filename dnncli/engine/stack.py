"""The model axis: K independent models trained in one pass of the same code.

A **per-model hyperparameter** is a scalar (shared by every model) or a 1-D array of length
K (one value per model). Each consumer reshapes it once, with :func:`per_model`, so that it
lines up with the arrays it meets: the network's ``(K, n, n_prev)`` weights take ``(K, 1, 1)``,
the optimizers' and schedules' ``(K, P)`` vectors take ``(K, 1)``. Any other shape is refused:
a ``(K, 1)`` value against ``(K, 1, 1)`` would broadcast silently to ``(K, K, 1)``.

:class:`StackedSeeding` gives every member of a stack the random streams it would get alone
(initial weights, mini-batch order, dropout masks), so a member equals its solo run up to the
float rounding of batched products.
"""

from __future__ import annotations

import inspect

import numpy as np


class ShapeError(ValueError):
    """A per-model hyperparameter of a shape other than () or (K,)."""


def per_model(value, trailing: int, name: str = "value"):
    """``value`` as a scalar, or as an array of shape (K,) + (1,) * trailing from a 1-D array."""
    array = np.asarray(value)
    if array.ndim == 0:
        return value
    if array.ndim != 1:
        raise ShapeError(f"{name}: a per-model value is a scalar or a 1-D array of length K; got shape {array.shape}")
    return array.astype(np.float64).reshape(array.shape + (1,) * trailing)


def n_models(value) -> int | None:
    """K of a per-model value (None for a scalar)."""
    shape = np.shape(value)
    return shape[0] if shape else None


def reshape_hyperparameters(obj, trailing: int) -> None:
    """Reshape every constructor argument of ``obj`` (stored under its own name) with :func:`per_model`."""
    for name in inspect.signature(type(obj).__init__).parameters:
        if name != "self" and hasattr(obj, name) and not isinstance(getattr(obj, name), str | bool):
            setattr(obj, name, per_model(getattr(obj, name), trailing, name))


class _StackedDraws:
    """``random(shape)`` for a stack: member k draws ``shape[1:]`` from its own generator."""

    def __init__(self, rngs, shared: bool):
        self.rngs, self.shared = rngs, shared

    def random(self, shape):
        if self.shared:  # every member's stream is the same one (course seeding, or one seed): draw once
            return np.broadcast_to(self.rngs[0].random(shape[1:]), shape)
        return np.stack([rng.random(shape[1:]) for rng in self.rngs])


class StackedSeeding:
    """K seedings (one per member) behind the interface of one.

    ``shuffle_rng`` is not offered: a stack shuffles with :meth:`permutations`, one order per
    member (or one shared order when every member's shuffle stream is the same one).
    """

    def __init__(self, seedings: list):
        self.members = list(seedings)
        kinds = {type(s) for s in self.members}
        if len(kinds) != 1:
            raise ValueError("a stack takes members of one seeding mode")
        # one stream serves every member when the streams do not depend on the seed (course
        # seeding) or when every member has the same seed (a tune's trials): draw it once
        seeds = {getattr(s, "seed", None) for s in self.members}
        self.shared = getattr(self.members[0], "shared_streams", False) or (len(seeds) == 1 and None not in seeds)
        self._orders, self._first, self._m = None, 0, 0

    CHUNK = 32  # epochs of mini-batch orders drawn at once per member

    def init_rng(self):
        raise TypeError("a stack draws its members' weights one by one: use members[k].init_rng()")

    def permutations(self, epoch: int, m: int) -> np.ndarray:
        """(K, m) orders, or (m,) when the members share one stream.

        A ``numpy.random.Generator`` gives the orders of ``CHUNK`` epochs in one ``permuted``
        call per member (the same numbers as that many ``permutation(m)`` calls, a test checks
        it, at 3 instead of 5 microseconds each); streams of other kinds draw epoch by epoch.
        """
        if self.shared:
            return self.members[0].shuffle_rng(epoch).permutation(m)
        if self._orders is None or not self._first <= epoch < self._first + len(self._orders) or self._m != m:
            self._first, self._m = epoch, m
            rngs = [s.shuffle_rng(epoch) for s in self.members]
            if all(isinstance(rng, np.random.Generator) for rng in rngs):
                rows = np.tile(np.arange(m), (self.CHUNK, 1))
                self._orders = np.stack([rng.permuted(rows, axis=1) for rng in rngs], axis=1)  # (CHUNK, K, m)
            else:
                self._orders = np.stack([rng.permutation(m) for rng in rngs])[None]
        return self._orders[epoch - self._first]

    def dropout_rng(self):
        if self.shared:
            return _StackedDraws([self.members[0].dropout_rng()], shared=True)
        return _StackedDraws([s.dropout_rng() for s in self.members], shared=False)

    def schedule_epoch(self, epoch: int) -> int:
        return self.members[0].schedule_epoch(epoch)
