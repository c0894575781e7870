"""`dnn schema`: the JSON Schema and the config loader agree, on the shipped configs and on bad ones."""

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from dnncli.config import REGISTRY_SECTIONS, entry_model, validate
from dnncli.engine.optimizers import OPTIMIZERS, Optimizer
from dnncli.errors import ConfigError
from dnncli.schema import config_schema

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").rglob("*.yaml"))
VALIDATOR = jsonschema.Draft202012Validator(config_schema())


def schema_accepts(raw) -> bool:
    return VALIDATOR.is_valid(raw)


def loader_accepts(raw) -> bool:
    try:
        validate(raw)
    except ConfigError:
        return False
    return True


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(config_schema())


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT / "configs")))
def test_every_shipped_config_passes_the_schema_and_the_loader(config):
    raw = yaml.safe_load(config.read_text())
    assert [e.message for e in VALIDATOR.iter_errors(raw)] == []
    assert loader_accepts(raw)


GOOD = [
    None,
    {},
    {"optimizer": {"learning_rate": 0.01}},  # name left out: the default entry (adam)
    {"optimizer": {"name": "momentum", "beta": 0.95}, "schedule": {"name": "staircase", "time_interval": 500}},
    {"optimizer": None, "model": None, "training": {"batch_size": None}},
    {"data": {"name": "h5", "train": "train.h5", "standardize": True}, "init": {"name": "file", "path": "params.npz"}},
    {"data": {"name": "digits", "test_size": 0.25}, "model": {"hidden": [], "activation": "tanh"}},
    {"regularization": {"keep_prob": [0.5, 1.0], "batchnorm": [True, False]}},
    {"training": {"early_stopping": {"monitor": "cost", "patience": 5}}},
    {"name": "run_1.b", "seed": 4294967294, "seeding": "course"},
    {"search": {"optimizer.learning_rate": {"log": [1e-4, 1.0]}, "training.epochs": {"int": [10, 100], "log": True}}},
]

BAD = [
    {"optimizer": {"name": "gd", "beta1": 0.9}},  # a key of another optimizer
    {"optimizer": {"name": "momentum", "beta1": 0.9}},
    {"optimizer": {"beta": 0.9}},  # momentum's key on the default entry (adam)
    {"optimizer": {"learnig_rate": 0.1}},  # misspelt
    {"optimizer": {"name": "adamw"}},
    {"optimizer": {"name": 3}},
    {"optimizer": {"beta1": 1.0}},  # Beta: 0 <= beta < 1
    {"optimizer": {"learning_rate": 0}},
    {"optimizer": {"learning_rate": None}},
    {"optimiser": {"name": "adam"}},  # misspelt section
    {"data": {"name": "h5"}},  # train is required
    {"data": {"name": "moons", "test_size": 0.2}},  # a key of another data set
    {"data": {"test_size": 0.2}},
    {"data": {"standardize": "maybe"}},
    {"data": {"validation": 1.0}},
    {"init": {"name": "random", "path": "x.npz"}},
    {"init": {"name": "file"}},
    {"schedule": {"name": "exponential", "decay_rate": 1.5}},
    {"model": {"activation": "relux"}},
    {"model": {"hidden": [0]}},
    {"model": {"hiden": [3]}},
    {"regularization": {"keep_prob": 0}},
    {"regularization": {"l2": -1.0}},
    {"training": {"epochs": True}},  # true is not a number
    {"training": {"epochs": 0}},
    {"training": {"epochs": "many"}},
    {"training": {"early_stopping": {"monitor": "cost", "patience": 0}}},
    {"training": {"early_stopping": {"monitr": "cost"}}},
    {"name": "../x"},
    {"name": "a..b"},
    {"name": "x" * 101},
    {"seed": -1},
    {"seed": 2**32 - 1},
    {"seed": 1.5},
    {"seeding": "torch"},
    {"model": 3},
    [1, 2],
]


@pytest.mark.parametrize("raw", GOOD, ids=range(len(GOOD)))
def test_good_configs_pass_both(raw):
    assert schema_accepts(raw) and loader_accepts(raw)


@pytest.mark.parametrize("raw", BAD, ids=lambda raw: json.dumps(raw)[:60])
def test_bad_configs_fail_both(raw):
    assert not loader_accepts(raw)
    assert not schema_accepts(raw)


def _section_keys(section: str) -> list[str]:
    """Every key any entry of a registry section takes, and a misspelling."""
    keys = {k for name in REGISTRY_SECTIONS[section][0] for k in entry_model(section, name).model_fields}
    return sorted(keys | {"learnig_rate"})


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3000), st.sampled_from([0.0, 0.5, 0.999, 1.0, 1.5, -0.1, 1e-4]),
                   st.sampled_from(["abc", "x.h5", ""]), st.lists(st.integers(0, 3), max_size=2))


@settings(max_examples=300, deadline=None)
@given(section=st.sampled_from(list(REGISTRY_SECTIONS)), data=st.data())
def test_schema_and_loader_agree_on_one_changed_key(section, data):
    """One key of a registry section set to a random value: both accept or both refuse."""
    names = [None, *REGISTRY_SECTIONS[section][0]]
    name = data.draw(st.sampled_from(names), label="name")
    key = data.draw(st.sampled_from(_section_keys(section)), label="key")
    body = {} if name is None else {"name": name}
    if name == "h5" and key != "train":
        body["train"] = "train.h5"
    if name == "file" and key != "path":
        body["path"] = "params.npz"
    body[key] = data.draw(VALUES, label="value")
    raw = {section: body}
    if name == "plateau":  # its val_ monitors need a validation split: a rule across sections, not in the schema
        raw["data"] = {"validation": 0.2}
    assert schema_accepts(raw) == loader_accepts(raw), raw


def test_a_registered_optimizer_shows_up_in_the_schema(monkeypatch):
    class Lion(Optimizer):
        """A test entry: theta = theta - lr * sign(g)."""

        def __init__(self, learning_rate: float = 1e-4, beta: float = 0.99):
            super().__init__(learning_rate)
            self.beta = beta

    monkeypatch.setitem(OPTIMIZERS._entries, "lion", Lion)
    validator = jsonschema.Draft202012Validator(config_schema())
    assert validator.is_valid({"optimizer": {"name": "lion", "beta": 0.9}})
    assert not validator.is_valid({"optimizer": {"name": "lion", "beta1": 0.9}})
    lion = config_schema()["$defs"]["optimizer_lion"]
    assert lion["properties"]["learning_rate"]["default"] == 1e-4 and "sign(g)" in lion["description"]


def test_schema_lists_every_entry_with_its_defaults_and_limits():
    schema = config_schema()
    for section, (registry, _, _) in REGISTRY_SECTIONS.items():
        refs = [b["$ref"] for b in schema["properties"][section]["oneOf"] if "$ref" in b]
        assert refs == [f"#/$defs/{section}_{name}" for name in registry]
    adam = schema["$defs"]["optimizer_adam"]["properties"]
    assert adam["learning_rate"] == {"default": 0.0007, "exclusiveMinimum": 0, "title": "Learning Rate", "type": "number"}
    assert adam["beta1"]["minimum"] == 0 and adam["beta1"]["exclusiveMaximum"] == 1
    assert schema["$defs"]["ModelConfig"]["properties"]["activation"]["enum"] == ["relu", "leaky_relu", "tanh", "sigmoid"]


def test_dnn_schema_prints_it_and_writes_it(tmp_path):
    from typer.testing import CliRunner

    from dnncli.cli.main import app

    printed = CliRunner().invoke(app, ["schema"])
    assert printed.exit_code == 0 and json.loads(printed.stdout) == config_schema()
    written = CliRunner().invoke(app, ["schema", "--out", str(tmp_path / "dnn.schema.json")])
    assert written.exit_code == 0 and json.loads((tmp_path / "dnn.schema.json").read_text()) == config_schema()
    missing = CliRunner().invoke(app, ["schema", "--out", str(tmp_path / "no" / "such" / "dir.json")])
    assert missing.exit_code == 1 and "while writing" in missing.output
