"""Learning-rate schedules (dnncli/engine/schedules.py): values by hand, per-model arrays, course cases, plateau.

Every expected value is worked out by hand (beside it) or copied from the course reference. Plateau (Keras'
ReduceLROnPlateau): the rule by hand, in fit, per member of a stack, in the config.
"""

import numpy as np
import pytest

from dnncli import pipeline
from dnncli.config import validate
from dnncli.engine.schedules import SCHEDULES, InverseTime, Plateau, Staircase
from dnncli.errors import ConfigError

# name -> [(constructor kwargs, lr0, epoch, expected)], each expected worked out by hand
SCHEDULE_VALUES = {
    "constant": [({}, 0.2, 0, 0.2), ({}, 0.2, 5, 0.2), ({}, 0.2, 1000, 0.2)],
    "inverse_time": [
        ({"decay_rate": 0.5}, 0.2, 0, 0.2),
        ({"decay_rate": 0.5}, 0.2, 2, 0.1),       # 0.2 / (1 + 0.5 * 2)
        ({"decay_rate": 0.5}, 0.2, 6, 0.05),      # 0.2 / 4
        ({}, 0.3, 1, 0.15),                       # default rate 1: 0.3 / 2
    ],
    "exponential": [
        ({"decay_rate": 0.5}, 0.2, 0, 0.2),
        ({"decay_rate": 0.5}, 0.2, 1, 0.1),
        ({"decay_rate": 0.5}, 0.2, 3, 0.025),     # 0.2 * 0.125
        ({}, 1.0, 2, 0.9025),                     # default 0.95 ** 2
    ],
    "inverse_sqrt": [
        ({"decay_rate": 3}, 0.2, 0, 0.2),
        ({"decay_rate": 3}, 0.2, 1, 0.1),         # 0.2 / sqrt(4)
        ({"decay_rate": 3}, 0.2, 5, 0.05),        # 0.2 / sqrt(16)
        ({}, 0.6, 3, 0.3),                        # default rate 1: 0.6 / sqrt(4)
    ],
    "staircase": [
        ({"decay_rate": 1, "time_interval": 10}, 0.2, 9, 0.2),
        ({"decay_rate": 1, "time_interval": 10}, 0.2, 10, 0.1),
        ({"decay_rate": 1, "time_interval": 10}, 0.2, 25, 0.2 / 3),
        ({}, 0.4, 999, 0.4),                      # default interval 1000
        ({}, 0.4, 1000, 0.2),
        ({}, 0.4, 2500, 0.4 / 3),
    ],
    # before any epoch's logs: lr0, whatever the epoch (the rule itself: the plateau section below)
    "plateau": [({"factor": 0.5}, 0.2, 0, 0.2), ({}, 0.3, 500, 0.3)],
}


def test_every_schedule_has_hand_values():
    assert set(SCHEDULES.names()) == set(SCHEDULE_VALUES)


@pytest.mark.parametrize(
    "name, kwargs, lr0, epoch, expected",
    [(name, *case) for name, cases in SCHEDULE_VALUES.items() for case in cases],
)
def test_schedule_values(name, kwargs, lr0, epoch, expected):
    assert float(SCHEDULES.get(name)(**kwargs)(lr0, epoch)) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", sorted(SCHEDULE_VALUES))
def test_schedule_per_model_arrays(name):
    """A (K, 1) array of lr0 and of each parameter gives each model its own scalar result."""
    kwargs = {key: value for key, value in SCHEDULE_VALUES[name][0][0].items() if key != "time_interval"}
    extra = {"time_interval": SCHEDULE_VALUES[name][0][0]["time_interval"]} if name == "staircase" else {}
    lr0 = np.array([0.1, 0.2, 0.4]).reshape(3, 1)
    scale = np.array([1.0, 0.5, 0.25]).reshape(3, 1)
    arrays = {key: value * scale for key, value in kwargs.items()}
    out = SCHEDULES.get(name)(**arrays, **extra)(lr0, 12)
    for k in range(3):
        single = SCHEDULES.get(name)(**{key: float(v[k, 0]) for key, v in arrays.items()}, **extra)
        assert np.broadcast_to(out, (3, 1))[k, 0] == pytest.approx(float(single(float(lr0[k, 0]), 12)), rel=1e-14)


# ------------------------------------------------------------------ the course's decay cases


def test_inverse_time_decay():
    assert InverseTime(decay_rate=1)(0.5, 2) == pytest.approx(0.16666666666666666, rel=1e-15)


@pytest.mark.parametrize(
    "lr0, epoch, rate, interval, expected",
    [
        (0.5, 100, 1, 100, 0.25),
        (0.5, 10, 1, 100, 0.5),
        (0.3, 1000, 0.25, 100, 0.0857142857),
        (0.3, 100, 0.25, 100, 0.24),
    ],
)
def test_staircase_decay(lr0, epoch, rate, interval, expected):
    assert Staircase(decay_rate=rate, time_interval=interval)(lr0, epoch) == pytest.approx(expected, abs=1e-10)


# ------------------------------------------------------------------ plateau


def feed(schedule, values, lr0=1.0, stacked=False):
    """Run the schedule over per-epoch monitor values; the rate it gives each next epoch."""
    K = len(values[0]) if stacked else 1
    schedule.on_train_begin(K)
    rates, lr = [], np.full(K, lr0)
    for epoch, value in enumerate(values):
        logs = {"cost": np.reshape(value, K), "learning_rate": lr, "active": np.ones(K, dtype=bool),
                "theta": np.zeros((K, 3) if stacked else 3)}
        schedule.on_epoch_end(epoch, logs)
        lr = np.reshape(schedule(lr0, epoch + 1), K)
        rates.append(lr.tolist() if stacked else float(lr[0]))
    return rates


def test_the_rule_by_hand():
    """factor 0.5, patience 2, min_delta 0.1, cooldown 2, min 0.3, from lr 1, worked out epoch by epoch:

    0: 1.0 best (from inf)                 4: cooldown 1 -> 0, wait 0, then counts: wait 1
    1: 0.95 not below 0.9: wait 1          5: 0.85 < 0.9: best, wait 0
    2: 0.93: wait 2 = patience -> lr 0.5,  6: 0.80 not below 0.75: wait 1
       cooldown 2, wait 0                  7: wait 2 -> lr max(0.25, 0.3) = 0.3, cooldown 2
    3: cooldown 2 -> 1: wait stays 0       8, 9: as 3, 4;  10, 11: wait 2, 3, but lr 0.3 is not above 0.3
    """
    schedule = Plateau(factor=0.5, patience=2, min_delta=0.1, cooldown=2, min_learning_rate=0.3, monitor="cost")
    values = [1.0, 0.95, 0.93, 0.92, 0.92, 0.85, 0.80, 0.80, 0.80, 0.80, 0.80, 0.80]
    assert schedule(1.0, 0) == 1.0  # before any epoch: lr0
    assert feed(schedule, values) == [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3]
    assert schedule.wait.tolist() == [3] and schedule.best.tolist() == [0.85]


def test_an_accuracy_is_maximized_and_nan_is_no_improvement():
    schedule = Plateau(factor=0.1, patience=1, min_delta=0.0, monitor="val_accuracy")
    schedule.on_train_begin(1)
    lr = np.array([1.0])
    rates = []
    for value in [0.5, 0.6, 0.6, np.nan, 0.7]:  # 0.6 again: no improvement (wait 1 -> x0.1); nan: again
        schedule.on_epoch_end(0, {"val_accuracy": np.array([value]), "learning_rate": lr,
                                  "active": np.array([True]), "theta": np.zeros(3)})
        lr = np.array([schedule(1.0, 0)])
        rates.append(float(lr[0]))
    assert rates == pytest.approx([1.0, 1.0, 0.1, 0.01, 0.01], rel=1e-15)


def test_each_model_of_a_stack_has_its_own_rule_and_values():
    """Two models, per-model factor and patience: model 0 as alone with (0.5, 1), model 1 with (0.1, 2)."""
    values = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [0.5, 1.0]]
    stacked = Plateau(factor=np.array([0.5, 0.1]).reshape(2, 1), patience=np.array([1, 2]).reshape(2, 1),
                      min_delta=0.0, monitor="cost")
    rates = feed(stacked, values, stacked=True)
    alone = [feed(Plateau(factor=f, patience=p, min_delta=0.0, monitor="cost"), [v[k] for v in values])
             for k, (f, p) in enumerate([(0.5, 1), (0.1, 2)])]
    assert [r[0] for r in rates] == alone[0] == [1.0, 0.5, 0.25, 0.25]
    assert [r[1] for r in rates] == pytest.approx(alone[1]) and alone[1] == pytest.approx([1.0, 1.0, 0.1, 0.1])


MOONS = {"seed": 1, "data": {"name": "moons", "n_samples": 100, "noise": 0.3, "seed": 2, "n_test": 50, "validation": 0.2},
         "model": {"hidden": [10, 5]}, "training": {"epochs": 300, "batch_size": 32, "eval_every": 50}}


def test_in_fit_the_rate_steps_down_and_stacked_members_equal_solo_runs():
    configs = [validate({**MOONS, "seed": k, "optimizer": {"name": name, "learning_rate": lr},
                         "schedule": {"name": "plateau", "factor": factor, "patience": patience, "monitor": "val_cost"}})
               for k, (name, lr, factor, patience) in enumerate([("adam", 0.02, 0.5, 15), ("adam", 0.05, 0.2, 25),
                                                                  ("momentum", 0.3, 0.5, 20)])]
    stacked = pipeline.run_configs(configs, parts=1)
    assert stacked[0].stack == 3
    for config, member in zip(configs, stacked):
        rates = member.history.learning_rate
        steps = rates[1:][np.diff(rates) != 0] / rates[:-1][np.diff(rates) != 0]
        s = config.schedule
        assert len(steps) >= 1 and np.allclose(steps, s.factor), (s.factor, steps)  # each step is x factor
        solo = pipeline.run_configs([config])[0]
        np.testing.assert_array_equal(member.history.learning_rate, solo.history.learning_rate)
        np.testing.assert_allclose(member.model.theta, solo.model.theta, rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(member.history.activation_share, solo.history.activation_share)


def test_the_config_keys_and_a_val_monitor_without_validation():
    schedule = validate({"data": {"validation": 0.2}, "schedule": {"name": "plateau"}}).schedule
    assert schedule.model_dump() == {"name": "plateau", "factor": 0.5, "patience": 50, "min_delta": 1e-4,
                                     "cooldown": 0, "min_learning_rate": 0.0, "monitor": "val_cost"}
    with pytest.raises(ConfigError, match="schedule.monitor: 'val_cost' .*data.validation"):
        validate({"schedule": {"name": "plateau"}})
    validate({"schedule": {"name": "plateau", "monitor": "cost"}})
    for key, value in [("factor", 1.0), ("patience", 0), ("cooldown", -1), ("monitor", "loss"), ("min_delta", -1)]:
        with pytest.raises(ConfigError, match=f"schedule.{key}"):
            validate({"schedule": {"name": "plateau", "monitor": "cost", key: value}})


def test_plateau_configs_with_other_monitors_do_not_share_a_stack():
    a, b = (validate({**MOONS, "schedule": {"name": "plateau", "monitor": m}}) for m in ("val_cost", "cost"))
    assert pipeline.stack_key(a) != pipeline.stack_key(b)
    c = validate({**MOONS, "schedule": {"name": "plateau", "monitor": "cost", "factor": 0.1}})
    assert pipeline.stack_key(b) == pipeline.stack_key(c)  # numbers become per-model arrays
