"""Range: the one way a limit is written, read by pydantic for validation, JSON Schema and error text."""

import ast
from pathlib import Path
from typing import Annotated

import pydantic
import pytest

import dnncli
from dnncli.config import validate
from dnncli.constraints import SEED_MAX, Range
from dnncli.errors import ConfigError
from dnncli.experiments.tune.settings import TuneSettings
from dnncli.schema import config_schema

PACKAGE = Path(dnncli.__file__).parent
LIMIT_KEYWORDS = {"gt", "ge", "lt", "le", "multiple_of"}


class Model(pydantic.BaseModel):
    rate: Annotated[float, Range(gt=0, le=1)] = 0.5
    count: Annotated[int, Range(ge=2)] | None = None


def test_pydantic_checks_each_limit_and_its_edge():
    assert Model(rate=1).rate == 1 and Model(count=2).count == 2 and Model(count=None).count is None
    for bad in ({"rate": 0}, {"rate": 1.0000001}, {"rate": -3}, {"count": 1}):
        with pytest.raises(pydantic.ValidationError):
            Model(**bad)


def test_the_json_schema_carries_the_limits_by_their_json_schema_names():
    properties = Model.model_json_schema()["properties"]
    assert properties["rate"] == {"default": 0.5, "exclusiveMinimum": 0, "maximum": 1, "title": "Rate", "type": "number"}
    assert properties["count"]["anyOf"][0] == {"minimum": 2, "type": "integer"}


def test_describe_names_every_limit():
    assert Range(gt=0).describe() == "a number greater than 0"
    assert Range(ge=0, lt=1).describe() == "a number greater than or equal to 0 and less than 1"
    assert Range(gt=0, le=1).describe() == "a number greater than 0 and less than or equal to 1"
    assert Range(ge=2, le=1000).describe(integer=True) == "an integer from 2 to 1000"
    assert Range(gt=1e-8).describe() == "a number greater than 1e-08"
    assert Range(ge=0.5).describe() == "a number greater than or equal to 0.5"


def test_two_limits_on_one_side_are_a_mistake_of_the_code():
    with pytest.raises(TypeError):
        Range(gt=0, ge=0)
    with pytest.raises(TypeError):
        Range(lt=1, le=1)


def test_a_range_on_a_string_is_refused_when_the_model_is_built():
    with pytest.raises(TypeError, match="int or a float"):
        class Bad(pydantic.BaseModel):
            name: Annotated[str, Range(ge=1)] = "x"


@pytest.mark.parametrize("raw, message", [
    ({"optimizer": {"beta1": -0.1}}, "optimizer.beta1: -0.1 is not allowed (a number greater than or equal to 0 and less than 1)"),
    ({"optimizer": {"beta1": 1.0}}, "optimizer.beta1: 1.0 is not allowed (a number greater than or equal to 0 and less than 1)"),
    ({"regularization": {"keep_prob": [0.5, 0]}},
     "regularization.keep_prob.1: 0 is not allowed (a number greater than 0 and less than or equal to 1)"),
    ({"model": {"hidden": [3, 0]}}, "model.hidden.1: 0 is not allowed (an integer greater than or equal to 1)"),
    ({"data": {"name": "blobs", "centers": 1001}}, "data.centers: 1001 is not allowed (an integer from 2 to 1000)"),
    ({"data": {"name": "csv", "train": "x.csv", "seed": -1}}, f"data.seed: -1 is not allowed (an integer from 0 to {SEED_MAX})"),
    ({"seed": SEED_MAX + 1}, f"seed: {SEED_MAX + 1} is not allowed (an integer from 0 to {SEED_MAX})"),
    ({"schedule": {"name": "plateau", "factor": 1, "monitor": "cost"}},
     "schedule.factor: 1 is not allowed (a number greater than 0 and less than 1)"),
])
def test_a_value_out_of_range_is_told_the_whole_range(raw, message):
    """pydantic names only the limit crossed; the message names both, from the key's Range."""
    with pytest.raises(ConfigError) as info:
        validate(raw)
    assert str(info.value) == message


def test_the_top_level_keys_follow_the_sections_rules():
    """seed is an int key like training.epochs: true is refused, a whole number written as text is read."""
    assert validate({"seed": "7"}).seed == 7 and validate({"seed": SEED_MAX}).seed == SEED_MAX
    with pytest.raises(ConfigError, match=r"^seed: True is not allowed \(a number, not true/false\)$"):
        validate({"seed": True})
    with pytest.raises(ConfigError, match=r"^seeding: 3 is not allowed \(one of numpy, course\)$"):
        validate({"seeding": 3})
    with pytest.raises(ConfigError, match=r"^name: 3 is not allowed \(letters, digits"):
        validate({"name": 3})


def test_the_schema_shows_the_top_level_limits():
    properties = config_schema()["properties"]
    assert (properties["seed"]["minimum"], properties["seed"]["maximum"]) == (0, SEED_MAX)
    assert properties["name"]["maxLength"] == 100 and properties["seeding"]["enum"] == ["numpy", "course"]


def test_tune_options_name_their_range():
    with pytest.raises(ConfigError, match=r"^--top: 0 is not allowed \(an integer greater than or equal to 1\)$"):
        TuneSettings.parse({"top": 0})
    with pytest.raises(ConfigError, match="a number greater than 0 and less than 1"):
        TuneSettings.parse({"validation": 1.0})


def _limits_not_written_with_range(source: str) -> list[str]:
    """Calls that state a numeric limit by keyword (``Field(ge=1)``, ``conint(gt=0)``) instead of a Range."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name != "Range" and any(k.arg in LIMIT_KEYWORDS for k in node.keywords):
                found.append(f"line {node.lineno}: {name}({', '.join(k.arg for k in node.keywords if k.arg)})")
    return found


def test_the_checker_finds_a_limit_written_with_field():
    assert _limits_not_written_with_range("x: Annotated[int, Field(ge=1, description='n')] = 3") == ["line 1: Field(ge, description)"]
    assert _limits_not_written_with_range("x: Annotated[int, Range(ge=1), Field(description='n')] = 3") == []


def test_every_limit_in_the_package_is_a_range():
    found = {str(path.relative_to(PACKAGE)): bad for path in sorted(PACKAGE.rglob("*.py"))
             if (bad := _limits_not_written_with_range(path.read_text(encoding="utf-8")))}
    assert found == {}
