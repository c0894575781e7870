"""The arms of a compare (dnncli/experiments/arms.py, dnncli/presets.py): presets of one axis, arm-scoped overrides."""

import pytest

from dnncli.errors import ConfigError
from dnncli.experiments.arms import resolve_arms
from dnncli.presets import AXES, PRESETS


@pytest.mark.parametrize("names, axis", [(["gd", "momentum", "adam"], "optimizer"), (["zeros", "random", "he"], "init"),
                                         (["none", "l2", "dropout"], "regularization"), (["adam", "adam_decay"], "optimizer")])
def test_axis_detection_and_each_arm_changes_only_its_meaning(names, axis):
    found, arms = resolve_arms(names)
    assert found == axis and [a.name for a in arms] == names
    base = AXES[axis].base
    for arm in arms:
        d = arm.config.to_dict()
        assert d["data"]["name"] == base["data"]["name"] and d["model"]["hidden"] == base["model"]["hidden"]
        untouched = {"optimizer": ["init", "regularization"], "init": ["optimizer", "regularization"],
                     "regularization": ["init", "optimizer"]}[axis]
        for section in untouched:
            assert d[section]["name" if section != "regularization" else "l2"] == \
                arms[0].config.to_dict()[section]["name" if section != "regularization" else "l2"]
    if axis == "optimizer" and "gd" in names:
        assert [a.config.optimizer.name for a in arms] == names
        assert all(a.config.optimizer.learning_rate == 0.0007 for a in arms)


def test_decay_presets_are_the_course_schedules():
    _, arms = resolve_arms(["gd_decay", "momentum_decay", "adam_decay"])
    assert [(a.config.optimizer.learning_rate, a.config.schedule.name) for a in arms] == [
        (0.1, "staircase"), (0.1, "staircase"), (0.01, "staircase")]


@pytest.mark.parametrize("names, fragment", [
    (["gd", "he"], "one axis"), (["gd", "adamm"], "did you mean 'adam'"), ([], "at least one"), (["gd", "gd"], "each arm once")])
def test_bad_arms(names, fragment):
    with pytest.raises(ConfigError, match=fragment):
        resolve_arms(names)


def test_every_preset_belongs_to_a_known_axis_and_validates():
    for name, preset in PRESETS.items():
        assert preset.axis in AXES and preset.doc
        resolve_arms([name, next(n for n, p in PRESETS.items() if p.axis == preset.axis and n != name)])


def test_an_arm_scoped_override_changes_only_that_arm():
    _, arms = resolve_arms(["none", "l2"], overrides=["l2:regularization.l2=0.1", "training.epochs=50"])
    by_name = {a.name: a for a in arms}
    assert by_name["l2"].config.regularization.l2 == 0.1 and by_name["none"].config.regularization.l2 == 0.0
    assert all(a.config.training.epochs == 50 for a in arms)
    assert by_name["l2"].changes[-1] == "regularization.l2=0.1"


def test_a_plain_set_of_a_preset_key_is_refused_with_the_arm_form():
    with pytest.raises(ConfigError, match=r"regularization.l2 is what none, l2, dropout set; .*--set l2:regularization.l2=0.1"):
        resolve_arms(["none", "l2", "dropout"], overrides=["regularization.l2=0.1"])
    with pytest.raises(ConfigError, match="ARM:KEY=VALUE with ARM"):
        resolve_arms(["none", "l2"], overrides=["l3:regularization.l2=0.1"])
    _, arms = resolve_arms(["gd", "adam"], overrides=["optimizer.learning_rate=0.01"])  # no preset sets it
    assert {a.config.optimizer.learning_rate for a in arms} == {0.01}
