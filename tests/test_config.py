"""Config validation: defaults, overrides, and one-line errors naming key, value and choices."""

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dnncli.config import TOP_KEYS, apply_overrides, load_config, validate
from dnncli.errors import ConfigError, DnnError


def test_defaults_are_the_course_moons_setup():
    cfg = validate({})
    assert cfg.optimizer.name == "adam" and cfg.optimizer.learning_rate == 0.0007
    assert (cfg.optimizer.beta1, cfg.optimizer.beta2, cfg.optimizer.epsilon) == (0.9, 0.999, 1e-8)
    assert cfg.model.hidden == [5, 2] and cfg.init.name == "he"
    assert cfg.training.batch_size == 64 and cfg.training.epochs == 10000
    data = cfg.to_dict()["data"]  # the course's Optimization set: 300 moons points, noise 0.2, seed 3
    assert (data["name"], data["n_samples"], data["noise"], data["seed"]) == ("moons", 300, 0.2, 3)


def test_resolved_config_round_trips_through_yaml():
    cfg = validate({"optimizer": {"name": "momentum"}, "schedule": {"name": "staircase"}})
    again = validate(yaml.safe_load(cfg.to_yaml()))
    assert again.to_dict() == cfg.to_dict()
    assert again.optimizer.beta == 0.9 and again.schedule.time_interval == 1000


@pytest.mark.parametrize(
    "raw, key, fragment",
    [
        ({"optimizer": {"name": "adamm"}}, "optimizer.name", "did you mean 'adam'"),
        ({"optimizer": {"learning_rate": 0}}, "optimizer.learning_rate", "greater than 0"),
        ({"optimizer": {"learning_rate": -1e-3}}, "optimizer.learning_rate", "greater than 0"),
        ({"optimizer": {"name": "momentum", "beta1": 0.9}}, "optimizer.beta1", "did you mean 'beta'"),
        ({"optimizer": {"beta1": 1.0}}, "optimizer.beta1", "less than 1"),
        ({"regularization": {"keep_prob": 0}}, "regularization.keep_prob", "greater than 0"),
        ({"regularization": {"keep_prob": 1.2}}, "regularization.keep_prob", "less than or equal to 1"),
        ({"regularization": {"keep_prob": [0.5, 1.5]}}, "regularization.keep_prob.1", "less than or equal to 1"),
        ({"regularization": {"keep_prob": [0.5]}}, "regularization.keep_prob", "one per hidden layer"),
        ({"training": {"batch_size": 0}}, "training.batch_size", "greater than or equal to 1"),
        ({"training": {"epochs": 0}}, "training.epochs", "greater than or equal to 1"),
        ({"training": {"epochs": "many"}}, "training.epochs", "valid integer"),
        ({"trainig": {}}, "trainig", "did you mean 'training'"),
        ({"model": {"activation": "rellu"}}, "model.activation", "did you mean 'relu'"),
        ({"model": {"hiden": [3]}}, "model.hiden", "did you mean 'hidden'"),
        ({"data": {"name": "moon"}}, "data.name", "did you mean 'moons'"),
        ({"data": {"name": "h5"}}, "data.train", "required"),
        ({"init": {"name": "random", "scale": -1}}, "init.scale", "greater than 0"),
        ({"schedule": {"name": "staircase", "time_interval": 0}}, "schedule.time_interval", "greater than or equal to 1"),
        ({"seeding": "legacy"}, "seeding", "one of numpy, course"),
        ({"name": "../../etc"}, "name", "letters, digits"),
        ({"seed": -1}, "seed", "integer"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(raw, key, fragment):
    with pytest.raises(ConfigError) as info:
        validate(raw)
    message = str(info.value)
    assert message.startswith(f"{key}: ")
    assert fragment in message
    assert "\n" not in message


def test_set_overrides_parse_values_as_yaml():
    raw = apply_overrides({"optimizer": {"name": "adam"}}, ["optimizer.learning_rate=1.0e-3", "training.batch_size=null",
                                                          "model.hidden=[8, 4]"])
    cfg = validate(raw)
    assert cfg.optimizer.learning_rate == 0.001 and cfg.training.batch_size is None and cfg.model.hidden == [8, 4]


def test_changing_an_entry_name_drops_keys_the_new_entry_does_not_take():
    raw = {"optimizer": {"name": "adam", "learning_rate": 0.01, "beta1": 0.8}}
    cfg = validate(apply_overrides(raw, ["optimizer.name=momentum"]))
    assert cfg.optimizer.name == "momentum" and cfg.optimizer.learning_rate == 0.01
    with pytest.raises(ConfigError, match="optimizer.beta1"):  # unless asked for explicitly
        validate(apply_overrides(raw, ["optimizer.name=momentum", "optimizer.beta1=0.5"]))


def test_bad_override_syntax():
    with pytest.raises(ConfigError, match="--set"):
        apply_overrides({}, ["optimizer.learning_rate"])


def test_load_config_names_the_run_after_the_file(tmp_path):
    path = tmp_path / "my run.yaml"
    path.write_text("optimizer: {name: gd}\n")
    assert load_config(path).name == "my_run"
    with pytest.raises(DnnError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "broken.yaml").write_text("optimizer: {name: gd\n")
    with pytest.raises(DnnError, match="broken.yaml"):
        load_config(tmp_path / "broken.yaml")


values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
sections = st.dictionaries(st.sampled_from(TOP_KEYS + ["bogus"]), values, max_size=4)


@settings(max_examples=300, deadline=None)
@given(sections)
def test_malformed_configs_end_in_a_config_error_never_a_crash(raw):
    try:
        validate(raw)
    except DnnError as exc:
        assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["data", "init", "optimizer", "schedule", "model", "regularization", "training"]),
       st.dictionaries(st.sampled_from(["name", "learning_rate", "beta", "hidden", "keep_prob", "epochs", "noise",
                                        "batch_size", "scale", "decay_rate", "n_samples", "l2"]), values, max_size=3))
def test_malformed_sections_end_in_a_config_error_never_a_crash(section, body):
    try:
        validate({section: body})
    except DnnError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("raw", [{"data": {"standardize": 0}}, {"regularization": {"batchnorm": 1}},
                                 {"regularization": {"batchnorm": [True, 0]}, "model": {"hidden": [3, 2]}}])
def test_a_number_for_a_true_false_key_is_refused(raw):
    """As true is refused for a number; pydantic alone would take 0 and 1 (the JSON Schema does not)."""
    with pytest.raises(ConfigError, match="true or false, not a number"):
        validate(raw)
