"""Learning-rate schedules: stateless functions of (learning_rate0, epoch), epoch from 0.

| name          | learning rate at epoch e                                   | defaults |
| ------------- | ---------------------------------------------------------- | -------- |
| constant      | lr0                                                        | |
| inverse_time  | lr0 / (1 + decay_rate * e)                                 | decay_rate 1 |
| exponential   | lr0 * decay_rate ** e                                      | decay_rate 0.95 |
| inverse_sqrt  | lr0 / sqrt(1 + decay_rate * e)                             | decay_rate 1 |
| staircase     | lr0 / (1 + decay_rate * floor(e / time_interval))          | decay_rate 1, time_interval 1000 |

These are the course's forms. Keras' ``InverseTimeDecay`` and ``ExponentialDecay`` count
optimizer *steps* and divide by ``decay_steps``; PyTorch's ``StepLR`` multiplies by gamma.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from dnncli.constraints import NonNegative, PositiveInt, Range
from dnncli.registry import Registry

SCHEDULES: Registry[type] = Registry("schedules")


@SCHEDULES.register("constant")
class Constant:
    """lr = lr0."""

    def __call__(self, learning_rate0, epoch):
        return learning_rate0


@SCHEDULES.register("inverse_time")
class InverseTime:
    """lr = lr0 / (1 + decay_rate * epoch)."""

    def __init__(self, decay_rate: NonNegative = 1.0):
        self.decay_rate = decay_rate

    def __call__(self, learning_rate0, epoch):
        return learning_rate0 / (1 + self.decay_rate * epoch)


@SCHEDULES.register("exponential")
class Exponential:
    """lr = lr0 * decay_rate ** epoch."""

    def __init__(self, decay_rate: Annotated[float, Range(gt=0, le=1)] = 0.95):
        self.decay_rate = decay_rate

    def __call__(self, learning_rate0, epoch):
        return learning_rate0 * self.decay_rate**epoch


@SCHEDULES.register("inverse_sqrt")
class InverseSqrt:
    """lr = lr0 / sqrt(1 + decay_rate * epoch)."""

    def __init__(self, decay_rate: NonNegative = 1.0):
        self.decay_rate = decay_rate

    def __call__(self, learning_rate0, epoch):
        return learning_rate0 / np.sqrt(1 + self.decay_rate * epoch)


@SCHEDULES.register("staircase")
class Staircase:
    """lr = lr0 / (1 + decay_rate * floor(epoch / time_interval))  (the course's scheduled decay)."""

    def __init__(self, decay_rate: NonNegative = 1.0, time_interval: PositiveInt = 1000):
        self.decay_rate = decay_rate
        self.time_interval = time_interval

    def __call__(self, learning_rate0, epoch):
        return learning_rate0 / (1 + self.decay_rate * np.floor(epoch / self.time_interval))
