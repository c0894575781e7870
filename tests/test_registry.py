"""Contract tests over every registry entry (dnncli/registry.py): its own docstring, a formula where the engine
has one, annotated keyword parameters without sinks, defaults that work without arguments.

The formula test of each entry is in tests/engine/test_<family>.py (optimizers, schedules, initializers,
activations); whether --help names every entry, in tests/cli/test_main.py.
"""

import inspect

import numpy as np
import pytest

from dnncli.data import DATASETS, Dataset
from dnncli.engine.activations import ACTIVATIONS
from dnncli.engine.initializers import INITIALIZERS
from dnncli.engine.optimizers import OPTIMIZERS
from dnncli.engine.schedules import SCHEDULES
from dnncli.engine.seeding import SEEDINGS

ENGINE_REGISTRIES = {
    "optimizer": OPTIMIZERS,
    "init": INITIALIZERS,
    "schedule": SCHEDULES,
    "activation": ACTIVATIONS,
}
ALL_REGISTRIES = {**ENGINE_REGISTRIES, "data": DATASETS, "seeding": SEEDINGS}
# Entries whose constructor cannot work without an argument (a path, a seed).
NEEDS_ARGUMENTS = {("init", "file"), ("data", "h5"), ("data", "csv")}


def entries(registries):
    return [(family, name, obj) for family, reg in registries.items() for name, obj in reg.items()]


def entry_id(entry):
    return f"{entry[0]}:{entry[1]}"


def parameters(obj):
    """The constructor's (or function's) parameters (for a class: without self)."""
    return list(inspect.signature(obj).parameters.values())


# ------------------------------------------------------------------ contract over every entry


@pytest.mark.parametrize("entry", entries(ALL_REGISTRIES), ids=entry_id)
def test_entry_has_its_own_docstring(entry):
    family, name, obj = entry
    doc = obj.__doc__  # a class's own __doc__ is not inherited from its base class
    assert doc and doc.strip(), f"{family} {name!r} has no docstring"
    assert getattr(obj, "registry_name", name) == name


@pytest.mark.parametrize(
    "entry", [e for e in entries(ENGINE_REGISTRIES) if e[:2] != ("init", "file")], ids=entry_id
)
def test_engine_entry_docstring_states_a_formula(entry):
    """Every rule is stated in its docstring (``init: file`` loads arrays and has no formula)."""
    family, name, obj = entry
    assert "=" in obj.__doc__, f"{family} {name!r}: the docstring should state the rule"


@pytest.mark.parametrize("entry", entries(ALL_REGISTRIES), ids=entry_id)
def test_parameters_are_annotated_keywords_without_sinks(entry):
    """The config schema is generated from signatures: every parameter named and annotated."""
    family, name, obj = entry
    for p in parameters(obj):
        assert p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD), f"{family} {name!r}: *{p.name} sink"
        assert p.annotation is not p.empty, f"{family} {name!r}: parameter {p.name!r} has no annotation"


@pytest.mark.parametrize(
    "entry", [e for e in entries({**ENGINE_REGISTRIES, "data": DATASETS})], ids=entry_id
)
def test_defaults_work_without_arguments(entry):
    family, name, obj = entry
    required = [p.name for p in parameters(obj) if p.default is p.empty]
    if (family, name) in NEEDS_ARGUMENTS:
        assert required, f"{family} {name!r} was expected to need an argument"
        return
    assert not required, f"{family} {name!r} needs {required}"
    built = obj()
    if family == "data":
        assert isinstance(built, Dataset)
        assert built.X_train.dtype == np.float64 and built.X_train.shape[1] == built.Y_train.shape[1]


def test_seedings_take_a_seed():
    for _name, cls in SEEDINGS.items():
        seeding = cls(0)
        for method in ("init_rng", "dropout_rng"):
            assert hasattr(getattr(seeding, method)(), "standard_normal")
        assert hasattr(seeding.shuffle_rng(0), "permutation")
