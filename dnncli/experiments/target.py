"""Time to target for `dnn compare --target ACC` / `--target-cost C`: how soon each run gets there.

- ``--target ACC``: the first evaluation at which the **train accuracy** reaches ``ACC`` or more.
  Train accuracy is evaluated every ``training.eval_every`` epochs (and at the last), so the
  answer is resolved to that many epochs: with ``eval_every: 100``, "500" means it was below
  at epoch 400 and at or above at epoch 500.
- ``--target-cost C``: the first epoch whose training cost (the epoch's mean mini-batch cost,
  plus any L2 term, as in history.csv) is ``C`` or less; resolved to one epoch.

A run's answer is the number of epochs trained when the target is first met (``epoch index +
1``) and the optimizer updates they hold (``epochs * ceil(m / batch_size)``), or None when it
never gets there. Per arm: the mean (and spread) over the seeds that reached it and how many
did; the mean is None when none did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dnncli.errors import ConfigError
from dnncli.experiments.stats import describe


@dataclass(frozen=True)
class Target:
    metric: str  # "train_accuracy" or "cost"
    value: float

    @classmethod
    def parse(cls, accuracy: float | None, cost: float | None) -> Target | None:
        """The target of ``--target`` / ``--target-cost`` (at most one), checked."""
        if accuracy is not None and cost is not None:
            raise ConfigError("--target", accuracy, "one target: --target ACC or --target-cost C, not both")
        if accuracy is not None:
            if isinstance(accuracy, bool) or not isinstance(accuracy, int | float) or not 0 < accuracy <= 1:
                raise ConfigError("--target", accuracy, "a train accuracy in (0, 1], e.g. 0.9")
            return cls("train_accuracy", float(accuracy))
        if cost is not None:
            if isinstance(cost, bool) or not isinstance(cost, int | float) or not (math.isfinite(cost) and cost > 0):
                raise ConfigError("--target-cost", cost, "a training cost above 0, e.g. 0.2")
            return cls("cost", float(cost))
        return None

    @property
    def label(self) -> str:
        """Short, for a table header: ``to 0.9``."""
        return f"to {self.value:g}"

    def describe(self, eval_every: int | None = None) -> str:
        if self.metric == "cost":
            return f"epochs until the training cost first fell to {self.value:g} or below"
        every = f", evaluated every {eval_every} epochs" if eval_every else ""
        return f"epochs until the train accuracy first reached {self.value:g}{every}"

    def reached(self, history, updates_per_epoch: int) -> tuple[int | None, int | None]:
        """(epochs, updates) when ``history`` (one run's) first meets the target, or (None, None)."""
        if history is None:
            return None, None
        if self.metric == "cost":
            epochs = np.asarray(history.epochs)
            with np.errstate(invalid="ignore"):
                hit = np.flatnonzero(np.asarray(history.cost) <= self.value)
        else:
            epochs = np.asarray(history.eval_epochs)
            with np.errstate(invalid="ignore"):
                hit = np.flatnonzero(np.asarray(history.train_accuracy) >= self.value)
        if not hit.size:
            return None, None
        n = int(epochs[hit[0]]) + 1
        return n, n * updates_per_epoch

    def to_dict(self) -> dict:
        return {"metric": self.metric, "value": self.value}


def updates_per_epoch(result) -> int:
    """Optimizer updates in one epoch of a run: ``ceil(m / batch_size)`` (1 for full batch)."""
    m = result.n_train or 0
    batch = result.config.training.batch_size or m
    return math.ceil(m / batch) if m and batch else 0


def arm_summary(runs: list[dict]) -> dict:
    """Per arm: epochs and updates to the target over the seeds that reached it, and how many did."""
    epochs = [r.get("epochs_to_target") for r in runs]
    return {"epochs": describe([e for e in epochs if e is not None]),
            "updates": describe([r.get("updates_to_target") for r in runs if r.get("updates_to_target") is not None]),
            "reached": sum(e is not None for e in epochs), "runs": len(runs)}


def cell(entry: dict | None) -> str:
    """A table cell: mean epochs, with ``k/n`` when only k of n seeds reached it; ``never`` when none did."""
    if not entry or not entry["runs"]:
        return "-"
    mean = entry["epochs"]["mean"]
    if mean is None:
        return "never"
    text = f"{mean:.0f}"
    return text if entry["reached"] == entry["runs"] else f"{text} {entry['reached']}/{entry['runs']}"


def target_note(target: dict, summary: dict) -> str:
    """``to 0.9``: what the column means, from summary.json's ``target`` and ``eval_every``."""
    goal = Target(target["metric"], target["value"])
    return f"{goal.label}: {goal.describe(summary.get('eval_every'))}"
