"""`dnn compare --tune-lr N`: every arm gets the same budget to choose its own learning rate.

Serious optimizer benchmarks (DeepOBS, AlgoPerf) tune each optimizer's learning rate with
the same budget before they compare: an arm run at another arm's rate (Momentum at Adam's
0.0007) says little about the optimizer. The protocol, stated in the report:

1. Each arm tries ``N`` learning rates on a log grid: by default two decades either side of
   its optimizer's own default rate (the registry entry's ``learning_rate`` default), or
   ``--lr-range LOW,HIGH`` for every arm.
2. Each candidate trains once (the arm's first seed, its full epochs) on the training data
   minus a stratified validation split (:data:`VALIDATION` of it, seed 0); the test set takes
   no part.
3. The chosen rate has the highest validation accuracy (ties: the lower validation cost, then
   the smaller rate); a diverged or failed candidate is never chosen.
4. The arm then runs its seeds at the chosen rate on all its training data, as without
   tuning.

All candidates of all arms train as populations (one stack per arm's grid), like any compare.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, replace

from dnncli import pipeline
from dnncli.config import RunConfig, validate
from dnncli.engine.optimizers import OPTIMIZERS
from dnncli.errors import ConfigError
from dnncli.experiments.arms import Arm
from dnncli.experiments.lr_find import log_rates
from dnncli.status import Status
from dnncli.validation import Split

VALIDATION = 0.2  # fraction of the training examples that scores the candidates
DECADES = 2.0  # default grid: the optimizer's own rate times 10^-2 .. 10^2


@dataclass(frozen=True)
class LrChoice:
    """One arm's tuning: the rates tried (with their validation numbers) and the chosen one."""

    arm: str
    learning_rate: float | None  # None: every candidate diverged or failed (the arm keeps its rate)
    low: float
    high: float
    table: tuple[dict, ...]  # {"learning_rate", "val_accuracy", "val_cost", "status"} per candidate

    def to_dict(self) -> dict:
        return {"learning_rate": self.learning_rate, "range": [self.low, self.high], "candidates": list(self.table)}


def default_rate(optimizer: str) -> float:
    """The optimizer's own default learning rate (its registry entry's signature)."""
    return float(inspect.signature(OPTIMIZERS.get(optimizer, "optimizer.name")).parameters["learning_rate"].default)


def parse_range(text: str | None) -> tuple[float, float] | None:
    """``--lr-range LOW,HIGH`` as two floats, 0 < LOW < HIGH."""
    if text is None:
        return None
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise ConfigError("--lr-range", text, "LOW,HIGH, e.g. 1e-4,1") from None
    if not (0 < low < high < math.inf):
        raise ConfigError("--lr-range", text, "0 < LOW < HIGH, both finite, e.g. 1e-4,1")
    return low, high


def tune_learning_rates(arms: list[Arm], points: int, lr_range: tuple[float, float] | None, *, pool=None,
                        stack: bool = True, callbacks=()) -> dict[str, LrChoice]:
    """Each arm's chosen rate (see the module docstring), from one batch of populations."""
    if points < 1:
        raise ConfigError("--tune-lr", points, "at least 1 learning rate per arm")
    plans, configs = [], []
    for arm in arms:
        own = default_rate(arm.config.optimizer.name)
        low, high = lr_range or (own / 10**DECADES, own * 10**DECADES)
        rates = log_rates(low, high, points)
        plans.append((arm, low, high, rates))
        configs += [with_rate(arm.config, lr) for lr in rates]
    results = pipeline.run_configs(configs, pool=pool, stack=stack, validation=Split(VALIDATION, 0), callbacks=callbacks)
    choices, at = {}, 0
    for arm, low, high, rates in plans:
        mine, at = results[at: at + len(rates)], at + len(rates)
        table = tuple({"learning_rate": lr, "val_accuracy": r.val_accuracy, "val_cost": r.val_cost, "status": str(r.status)}
                      for lr, r in zip(rates, mine))
        good = [row for row in table if row["status"] == Status.COMPLETED and row["val_accuracy"] is not None]
        best = min(good, key=lambda row: (-row["val_accuracy"], _or_inf(row["val_cost"]), row["learning_rate"]), default=None)
        choices[arm.name] = LrChoice(arm.name, None if best is None else best["learning_rate"], low, high, table)
    return choices


def with_rate(config: RunConfig, learning_rate: float) -> RunConfig:
    d = config.to_dict()
    return validate({**d, "optimizer": {**d["optimizer"], "learning_rate": learning_rate}})


def _or_inf(value: float | None) -> float:
    return math.inf if value is None or not math.isfinite(value) else value


def with_rates(arms: list[Arm], choices: dict[str, LrChoice]) -> list[Arm]:
    """The arms at their chosen rates (an arm with no usable candidate keeps its own)."""
    out = []
    for arm in arms:
        lr = choices[arm.name].learning_rate
        if lr is None:
            out.append(arm)
            continue
        out.append(replace(arm, config=with_rate(arm.config, lr), changes=(*arm.changes, f"optimizer.learning_rate={lr:.3g} (tuned)")))
    return out


def at_edge(tuning: dict) -> str | None:
    """"low" or "high" when the chosen rate is the grid's smallest or largest (the best may lie beyond)."""
    rates = [c["learning_rate"] for c in tuning["candidates"]]
    chosen = tuning["learning_rate"]
    if chosen is None or len(rates) < 3:
        return None
    return "low" if chosen == rates[0] else ("high" if chosen == rates[-1] else None)


def protocol(points: int, lr_range: tuple[float, float] | None) -> str:
    """The report's one sentence."""
    where = (f"on a log grid from {lr_range[0]:g} to {lr_range[1]:g}" if lr_range
             else f"on a log grid {DECADES:g} decades either side of its optimizer's own default rate")
    return (f"Each arm first tried {points} learning rates {where}, each trained once on the training data "
            f"minus a stratified {VALIDATION:.0%} validation split, and runs its seeds at the rate with the best "
            "validation accuracy; the test set took no part in the choice.")
