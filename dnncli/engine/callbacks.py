"""Callbacks of the training loop: one protocol, every hook optional.

``fit(..., callbacks=[...])`` calls, for each callback:

- ``on_train_begin(n_models)`` once;
- ``on_epoch_end(epoch, logs)`` after every epoch, where ``logs`` holds per-model arrays of
  shape (K,): ``cost``, ``learning_rate``, ``active`` (models still training) and, at
  evaluated epochs, ``train_accuracy``, ``test_cost``, ``test_accuracy``. It may return a
  boolean stop mask of shape (K,) (or one bool): the models marked True are frozen as they
  are now, while the others go on;
- ``stop_training``, an attribute read after every optimizer step: when it turns True (a
  signal handler sets it, e.g. for Ctrl-C) the loop stops at once, with every step whole.

The engine keeps no process policy: signal handling lives in the caller's callbacks.
"""

from __future__ import annotations


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
