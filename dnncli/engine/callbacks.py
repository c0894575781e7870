"""Callbacks of the training loop: one protocol, every hook optional.

``fit(..., callbacks=[...])`` calls, for each callback:

- ``on_train_begin(n_models)`` once;
- ``on_epoch_end(epoch, logs)`` after every epoch, where ``logs`` holds per-model arrays of
  shape (K,): ``cost``, ``learning_rate``, ``active`` (models still training) and, at
  evaluated epochs, ``train_accuracy``, ``test_cost``, ``test_accuracy``. It may return a
  boolean stop mask of shape (K,) (or one bool): the models marked True are frozen as they
  are now, while the others go on;
- ``stop_training``, an attribute read after every epoch: when it turns True (a signal
  handler sets it, e.g. for Ctrl-C) the loop stops there, with the epoch whole;
- ``on_train_end(theta, state)`` once, after the frozen models got their parameters back: it
  may change ``theta`` (K, P) and the batch-norm ``state`` in place (early stopping restores
  each model's best epoch).

``logs`` also holds ``theta`` (the live parameters) and ``state`` (a function returning a copy
of the batch-norm statistics). A callback with ``evaluate_every_epoch = True`` gets the
evaluations every epoch instead of every ``eval_every``. A callback that keeps counters offers
``state_dict()`` / ``load_state_dict(arrays)``, so that a resumed run takes them up (see
:mod:`dnncli.engine.resume`); the ``plateau`` schedule is such a callback too.

The engine keeps no process policy: signal handling lives in the caller's callbacks.
"""

from __future__ import annotations

import numpy as np


class Callback:
    """Base class: does nothing; subclasses override the hooks they need."""

    stop_training: bool = False

    def on_train_begin(self, n_models: int) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict):
        return None


class LambdaCallback(Callback):
    """``on_epoch_end`` from a function ``fn(epoch, logs)`` (progress bars)."""

    def __init__(self, fn):
        self.fn = fn

    def on_epoch_end(self, epoch, logs):
        return self.fn(epoch, logs)


class EarlyStopping(Callback):
    """Freeze each model when ``monitor`` has not improved for ``patience`` epochs (Keras' rule).

    Improvement: ``value < best - min_delta`` for a cost, ``value > best + min_delta`` for an
    accuracy (``mode`` "auto" chooses by the name; "min" or "max" forces it). Epochs before
    ``start_from_epoch`` neither count nor set the best. With ``restore_best`` a stopped model
    (and one still running at the end) gets back its parameters of the best epoch. Per model:
    ``best_epoch``, ``stopped_epoch`` (None when it ran to the end), ``restored_best``.
    """

    def __init__(self, monitor: str = "val_cost", patience: int = 100, min_delta: float = 0.0, mode: str = "auto",
                 restore_best: bool = True, start_from_epoch: int = 0):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.sign = (-1.0 if "acc" in monitor else 1.0) if mode == "auto" else (1.0 if mode == "min" else -1.0)
        self.restore_best, self.start_from_epoch = restore_best, start_from_epoch
        self.evaluate_every_epoch = monitor.startswith("val_")

    def on_train_begin(self, n_models):
        self.best = np.full(n_models, np.inf)  # sign * value: lower is better
        self.best_epoch = [None] * n_models
        self.stopped_epoch = [None] * n_models
        self.wait = np.zeros(n_models, dtype=int)
        self.best_theta = self.best_state = None

    def on_epoch_end(self, epoch, logs):
        if epoch < self.start_from_epoch:
            return None
        value = self.sign * np.asarray(logs[self.monitor], dtype=float)
        improved = logs["active"] & np.isfinite(value) & (value < self.best - self.min_delta)
        self.wait[improved] = 0
        self.wait[~improved & logs["active"]] += 1
        if improved.any():
            self.best[improved] = value[improved]
            for k in np.flatnonzero(improved):
                self.best_epoch[k] = epoch
            if self.restore_best:
                self._keep(improved, logs["theta"], logs["state"]())
        stop = logs["active"] & (self.wait >= self.patience)
        for k in np.flatnonzero(stop):
            self.stopped_epoch[k] = epoch
        return stop

    def _keep(self, rows, theta, state) -> None:
        stacked = theta.ndim == 2
        if self.best_theta is None:
            self.best_theta = np.array(theta, copy=True).reshape(len(rows), -1)
            self.best_state = {name: np.array(a, copy=True).reshape((len(rows),) + (a.shape[-2:] if stacked else a.shape))
                               for name, a in state.items()}
        self.best_theta[rows] = theta.reshape(len(rows), -1)[rows]
        for name, a in state.items():
            self.best_state[name][rows] = a.reshape(self.best_state[name].shape)[rows]

    @property
    def restored_best(self) -> list[bool]:
        return [self.restore_best and e is not None for e in self.best_epoch]

    def state_dict(self) -> dict[str, np.ndarray]:
        """The counters (epochs as -1 for None) and the best weights so far, for resuming."""
        out = {"best": self.best.copy(), "wait": self.wait.copy(),
               "best_epoch": np.array([-1 if e is None else e for e in self.best_epoch]),
               "stopped_epoch": np.array([-1 if e is None else e for e in self.stopped_epoch])}
        if self.best_theta is not None:
            out["best_theta"] = self.best_theta.copy()
            out.update({f"best_state.{name}": a.copy() for name, a in self.best_state.items()})
        return out

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        self.best[...], self.wait[...] = arrays["best"], arrays["wait"]
        self.best_epoch = [None if e < 0 else int(e) for e in arrays["best_epoch"]]
        self.stopped_epoch = [None if e < 0 else int(e) for e in arrays["stopped_epoch"]]
        if "best_theta" in arrays:
            self.best_theta = np.array(arrays["best_theta"])
            self.best_state = {k[len("best_state."):]: np.array(v) for k, v in arrays.items()
                               if k.startswith("best_state.")}

    def on_train_end(self, theta, state):
        if not self.restore_best or self.best_theta is None:
            return
        rows = np.array(self.restored_best)
        flat = theta.reshape(len(rows), -1)
        flat[rows] = self.best_theta[rows]
        for name, a in state.items():
            shaped = a.reshape(self.best_state[name].shape)
            shaped[rows] = self.best_state[name][rows]
