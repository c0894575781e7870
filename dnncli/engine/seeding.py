"""Where randomness comes from: one strategy object per ``seeding`` mode.

Every random draw of a run (initial weights, mini-batch shuffles, dropout masks) comes
from a generator handed out here, never from NumPy's global state.

- ``numpy`` (default): one ``numpy.random.Generator`` per purpose, spawned from
  ``SeedSequence(seed)``; a schedule's learning rate for epoch e is ``schedule(lr0, e)``.
- ``course``: reproduces the assignments' streams, which used NumPy's legacy global
  generator: weights from ``RandomState(seed)`` layer by layer; epoch e shuffled by
  ``RandomState(11 + e)``; dropout masks from a ``RandomState(1)`` re-seeded at every
  forward pass (so every iteration uses the same masks); the learning-rate decay is
  applied at the END of epoch e, so epochs 0 and 1 both use lr0 and epoch e >= 1 uses
  ``schedule(lr0, e - 1)``.
"""

from __future__ import annotations

import numpy as np

from dnncli.registry import Registry

SEEDINGS: Registry[type] = Registry("seedings")


@SEEDINGS.register("numpy")
class NumpySeeding:
    """Independent modern generators for init, shuffles and dropout, from one seed."""

    def __init__(self, seed: int):
        self.seed = seed
        init, shuffle, dropout = np.random.SeedSequence(seed).spawn(3)
        self._init = np.random.default_rng(init)
        self._shuffle = np.random.default_rng(shuffle)
        self._dropout = np.random.default_rng(dropout)

    def init_rng(self):
        return self._init

    def shuffle_rng(self, epoch: int):
        return self._shuffle

    def dropout_rng(self):
        return self._dropout

    def schedule_epoch(self, epoch: int) -> int:
        return epoch

    def generators(self) -> dict[str, np.random.Generator]:
        """Every stream by name, whose states a resumed run takes up."""
        return {"init": self._init, "shuffle": self._shuffle, "dropout": self._dropout}


@SEEDINGS.register("course")
class CourseSeeding:
    """The assignments' legacy streams (see the module docstring)."""

    shared_streams = True  # shuffles and dropout masks do not depend on the seed: a stack draws them once

    def __init__(self, seed: int):
        self.seed = seed
        # Re-seeding one RandomState gives the same stream as a new RandomState(s), at a
        # fraction of the cost (a new one costs ~90 µs, paid every epoch or forward pass).
        self._shuffle = np.random.RandomState(11)
        self._dropout = np.random.RandomState(1)

    def init_rng(self):
        return np.random.RandomState(self.seed)

    def shuffle_rng(self, epoch: int):
        self._shuffle.seed(11 + epoch)
        return self._shuffle

    def dropout_rng(self):
        self._dropout.seed(1)
        return self._dropout

    def schedule_epoch(self, epoch: int) -> int:
        return max(epoch - 1, 0)

    def generators(self) -> dict[str, np.random.Generator]:
        """None to save: every draw comes from a generator re-seeded just before it (shuffles from
        the epoch counter, dropout masks at every forward pass, weights once), so the epoch counter
        is all the state a resumed run needs."""
        return {}
