"""Compare presets: named arms of one axis, each a few ``--set`` overrides on the axis' base.

``dnn compare gd momentum adam`` trains the optimizer axis' base config once per arm, each
arm changing only what its name means. Adding a preset is one ``register`` line.
"""

from __future__ import annotations

from dataclasses import dataclass

from dnncli.registry import Registry


@dataclass(frozen=True)
class Axis:
    name: str
    question: str
    base: dict


@dataclass(frozen=True)
class Preset:
    axis: str
    overrides: tuple[str, ...]
    doc: str


MOONS = {
    "name": "moons", "seed": 3,
    "data": {"name": "moons", "n_samples": 300, "noise": 0.2, "seed": 3, "n_test": 100},
    "model": {"hidden": [5, 2], "activation": "relu"}, "init": {"name": "he"},
    "optimizer": {"name": "adam", "learning_rate": 0.0007},
    "training": {"epochs": 10000, "batch_size": 64, "eval_every": 100},
}
CIRCLES = {
    "name": "circles", "seed": 3,
    "data": {"name": "circles", "n_samples": 300, "noise": 0.05, "seed": 1, "n_test": 100},
    "model": {"hidden": [10, 5], "activation": "relu"}, "init": {"name": "he"},
    "optimizer": {"name": "gd", "learning_rate": 0.01},
    "training": {"epochs": 15000, "batch_size": None, "eval_every": 100},
}
OVERFIT_MOONS = {
    "name": "overfit_moons", "seed": 1,
    "data": {"name": "moons", "n_samples": 100, "noise": 0.35, "seed": 2, "n_test": 500},
    "model": {"hidden": [100, 50, 20], "activation": "relu"}, "init": {"name": "he"},
    "optimizer": {"name": "adam", "learning_rate": 0.01},
    "training": {"epochs": 3000, "batch_size": None, "eval_every": 50},
}

AXES = {
    "optimizer": Axis("optimizer", "how much does the optimizer buy? (the course's moons setup)", MOONS),
    "init": Axis("init", "why does He beat zeros? (the course's circles setup)", CIRCLES),
    "regularization": Axis("regularization", "does L2 or dropout close the train/test gap? (a big net on few points)",
                           OVERFIT_MOONS),
}

PRESETS: Registry[Preset] = Registry("compare arm")


def preset(name: str, axis: str, *overrides: str, doc: str) -> None:
    PRESETS.register(name)(Preset(axis, overrides, doc))


STAIRCASE = ("schedule.name=staircase", "schedule.decay_rate=1", "schedule.time_interval=1000")
for _name in ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
    preset(_name, "optimizer", f"optimizer.name={_name}", "schedule.name=constant",
           doc=f"optimizer {_name} at the base's learning rate, no decay")
preset("gd_decay", "optimizer", "optimizer.name=gd", "optimizer.learning_rate=0.1", *STAIRCASE,
       doc="gd at lr 0.1 with staircase decay (the course's decay experiment)")
preset("momentum_decay", "optimizer", "optimizer.name=momentum", "optimizer.learning_rate=0.1", *STAIRCASE,
       doc="momentum at lr 0.1 with staircase decay")
preset("adam_decay", "optimizer", "optimizer.name=adam", "optimizer.learning_rate=0.01", *STAIRCASE,
       doc="adam at lr 0.01 with staircase decay")
preset("zeros", "init", "init.name=zeros", doc="all weights zero: symmetry is never broken")
preset("random", "init", "init.name=random", "init.scale=10", doc="randn * 10: too large")
preset("he", "init", "init.name=he", doc="randn * sqrt(2 / n_prev)")
preset("xavier", "init", "init.name=xavier", doc="randn * sqrt(1 / n_prev) (the course's Xavier)")
preset("glorot", "init", "init.name=glorot", doc="randn * sqrt(2 / (n_prev + n))")
preset("none", "regularization", "regularization.l2=0", "regularization.keep_prob=1", doc="no regularization")
preset("l2", "regularization", "regularization.l2=1.0", "regularization.keep_prob=1", doc="L2, lambd 1.0")
preset("dropout", "regularization", "regularization.l2=0", "regularization.keep_prob=0.5",
       doc="inverted dropout, keep_prob 0.5")
