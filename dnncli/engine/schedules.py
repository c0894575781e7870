"""Learning-rate schedules: functions of (learning_rate0, epoch), epoch from 0.

| name          | learning rate at epoch e                                   | defaults |
| ------------- | ---------------------------------------------------------- | -------- |
| constant      | lr0                                                        | |
| inverse_time  | lr0 / (1 + decay_rate * e)                                 | decay_rate 1 |
| exponential   | lr0 * decay_rate ** e                                      | decay_rate 0.95 |
| inverse_sqrt  | lr0 / sqrt(1 + decay_rate * e)                             | decay_rate 1 |
| staircase     | lr0 / (1 + decay_rate * floor(e / time_interval))          | decay_rate 1, time_interval 1000 |
| plateau       | lr_{e+1} = max(factor * lr_e, min_learning_rate) after ``patience`` epochs without improvement, else lr_e | see below |

The first five are the course's forms and stateless. Keras' ``InverseTimeDecay`` and
``ExponentialDecay`` count optimizer *steps* and divide by ``decay_steps``; PyTorch's ``StepLR``
multiplies by gamma. ``plateau`` is Keras' ``ReduceLROnPlateau`` (its rule and key names, but
``min_learning_rate`` for ``min_lr``; defaults factor 0.5, patience 50, min_delta 1e-4, cooldown 0,
min_learning_rate 0, monitor val_cost): the one schedule with state, a callback that reads each
epoch's logs (see :mod:`dnncli.engine.callbacks`); ``fit`` adds it to its callbacks.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from dnncli.constraints import NonNegative, NonNegativeInt, PositiveInt, Range
from dnncli.engine.callbacks import Callback
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


@SCHEDULES.register("plateau")
class Plateau(Callback):
    """Reduce the rate when ``monitor`` stops improving (Keras' ``ReduceLROnPlateau``, its rule):

    lr_0 = lr0; after epoch e, lr_{e+1} = max(factor * lr_e, min_learning_rate) when the monitor
    has not improved for ``patience`` epochs and lr_e > min_learning_rate, else lr_{e+1} = lr_e.
    Improvement: value < best - min_delta for a cost, value > best + min_delta for an accuracy.
    After a reduction the wait restarts; each of the next ``cooldown`` epochs resets it to 0 (the
    last of them counts again, as in Keras). Per model: every hyperparameter may be a (K,) array,
    and each model of a stack keeps its own best, wait, cooldown and rate (a frozen model's are
    left as they are).
    """

    def __init__(self, factor: Annotated[float, Range(gt=0, lt=1)] = 0.5, patience: PositiveInt = 50,
                 min_delta: NonNegative = 1e-4, cooldown: NonNegativeInt = 0, min_learning_rate: NonNegative = 0.0,
                 monitor: Literal["val_cost", "val_accuracy", "cost"] = "val_cost"):
        self.factor, self.patience, self.min_delta = factor, patience, min_delta
        self.cooldown, self.min_learning_rate, self.monitor = cooldown, min_learning_rate, monitor
        self.sign = -1.0 if "acc" in monitor else 1.0  # sign * value: lower is better
        self.evaluate_every_epoch = monitor.startswith("val_")
        self.rate = None  # the rate of the next epoch once one was computed: a float, or (K, 1) for a stack

    def __call__(self, learning_rate0, epoch):
        return learning_rate0 if self.rate is None else self.rate

    def on_train_begin(self, n_models):
        # per-model hyperparameters are (K, 1) once fit has reshaped them: as (K,) here
        self._k = {name: np.broadcast_to(np.ravel(getattr(self, name)).astype(float), (n_models,))
                   for name in ("factor", "patience", "min_delta", "cooldown", "min_learning_rate")}
        self.best = np.full(n_models, np.inf)
        self.wait = np.zeros(n_models, dtype=int)
        self.cooldown_counter = np.zeros(n_models, dtype=int)
        self.rate = None

    def on_epoch_end(self, epoch, logs):
        k, active = self._k, logs["active"]
        value = self.sign * np.asarray(logs[self.monitor], dtype=float)
        lr = np.array(logs["learning_rate"], dtype=float)  # the rate this epoch used, (K,)
        cooling = active & (self.cooldown_counter > 0)
        self.cooldown_counter[cooling] -= 1
        self.wait[cooling] = 0
        improved = active & np.isfinite(value) & (value < self.best - k["min_delta"])
        self.best[improved] = value[improved]
        self.wait[improved] = 0
        counting = active & ~improved & (self.cooldown_counter <= 0)
        self.wait[counting] += 1
        reduce = counting & (self.wait >= k["patience"]) & (lr > k["min_learning_rate"])
        lr = np.where(reduce, np.maximum(lr * k["factor"], k["min_learning_rate"]), lr)
        self.cooldown_counter[reduce] = k["cooldown"][reduce]
        self.wait[reduce] = 0
        self.rate = lr.reshape(-1, 1) if logs["theta"].ndim == 2 else float(lr[0])

    def state_dict(self) -> dict[str, np.ndarray]:
        """best, wait, cooldown_counter and the next epoch's rate (when one was computed), for resuming."""
        out = {"best": self.best.copy(), "wait": self.wait.copy(), "cooldown_counter": self.cooldown_counter.copy()}
        if self.rate is not None:
            out["rate"] = np.array(self.rate, dtype=float)
        return out

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        self.best[...], self.wait[...] = arrays["best"], arrays["wait"]
        self.cooldown_counter[...] = arrays["cooldown_counter"]
        rate = arrays.get("rate")
        self.rate = None if rate is None else (float(rate) if np.ndim(rate) == 0 else np.array(rate, dtype=float))
