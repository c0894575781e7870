"""The pydantic models of a run config, and how their errors read.

A config is the top-level keys (:class:`RunKeys`: name, seed, seeding), three fixed sections
(model, regularization, training) and four registry sections (data, init, optimizer,
schedule), whose model is built from the registered entry's signature (:func:`entry_model`),
so a new optimizer's parameters, defaults and limits are validated without touching this
file. Every limit is a :class:`dnncli.constraints.Range`; a refused value becomes one
:class:`ConfigError` line naming the dotted key, the value and what is allowed (:func:`parse`).
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from typing import Annotated, Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from dnncli.constraints import Beta, Epsilon, IsPath, NonNegative, NonNegativeInt, PositiveInt, Probability, Range, Seed
from dnncli.data import DATASETS
from dnncli.engine.activations import ACTIVATIONS
from dnncli.engine.initializers import INITIALIZERS
from dnncli.engine.optimizers import OPTIMIZERS
from dnncli.engine.schedules import SCHEDULES
from dnncli.engine.seeding import SEEDINGS
from dnncli.errors import ConfigError, choice_hint
from dnncli.registry import Registry

# allow_inf_nan=False: no .inf / .nan anywhere a float is taken (learning rates, l2, betas, ...)
STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _takes_bool(annotation: Any) -> bool:
    """Whether ``bool`` appears anywhere in a field's type (``bool | list[bool]`` does, ``int`` does not)."""
    return annotation is bool or any(_takes_bool(arg) for arg in typing.get_args(annotation))


def _takes_number(annotation: Any) -> bool:
    return annotation in (int, float) or any(_takes_number(arg) for arg in typing.get_args(annotation))


def _holds_number(value: Any) -> bool:
    def number(v):
        return isinstance(v, int | float) and not isinstance(v, bool)

    return number(value) or (isinstance(value, list) and any(number(v) for v in value))


def _holds_bool(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, list) and any(isinstance(v, bool) for v in value))


class Section(BaseModel):
    """Base of every config section: unknown keys, non-finite floats and ``true`` for a number are refused.

    pydantic would take ``epochs: true`` as 1 and ``learning_rate: yes`` as 1.0; a field whose
    type names no ``bool`` refuses a boolean here, so every section (fixed or built from a
    registry entry's signature) follows one rule.
    """

    model_config = STRICT

    @pydantic.field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name)
        if field is not None and _holds_bool(value) and not _takes_bool(field.annotation):
            raise PydanticCustomError("bool_type", "a number, not true/false")
        if field is not None and _takes_bool(field.annotation) and not _takes_number(field.annotation) and _holds_number(value):
            raise PydanticCustomError("bool_type", "true or false, not a number")  # pydantic would take 0 and 1
        return value


# -- the top-level keys ---------------------------------------------------------
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # used with fullmatch: "$" would let "a\n" pass
MAX_NAME = 100  # characters: run directories add a timestamp and suffixes, file names stop at 255 bytes


def check_name(name: Any, key: str = "name") -> str:
    """A run name: safe as a folder name (``name:`` in a config, ``--name`` on the command line)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise ConfigError(key, name, "letters, digits, '_', '-' and '.', not starting with '.' or '-'")
    if len(name) > MAX_NAME:
        raise ConfigError(key, name, f"at most {MAX_NAME} characters (it has {len(name)})")
    return name


def _name_schema(schema: dict) -> None:
    schema.update(pattern=f"^(?:{NAME_PATTERN.pattern})$", maxLength=MAX_NAME, **{"not": {"pattern": r"\.\."}})


def _seeding_names(schema: dict) -> None:
    schema["enum"] = SEEDINGS.names()


class RunKeys(Section):
    """The keys beside the sections. ``name`` has no default here: the loader passes the config
    file's name (:func:`dnncli.config.validate`)."""

    name: Annotated[str, Field(json_schema_extra=_name_schema,
                               description="the run's name (its directory and tables); default: the config file's name")]
    seed: Annotated[Seed, Field(description="training randomness: init, shuffles, dropout")] = 0
    seeding: Annotated[str, Field(json_schema_extra=_seeding_names,
                                  description="numpy, or course: the assignments' exact random streams")] = "numpy"

    @pydantic.field_validator("name", mode="before")
    @classmethod
    def _safe_name(cls, value: Any) -> str:
        return check_name(value)

    @pydantic.field_validator("seeding", mode="before")
    @classmethod
    def _known_seeding(cls, value: Any) -> str:
        SEEDINGS.get(value, "seeding")
        return value


# -- fixed sections -------------------------------------------------------------
def _activation_names(schema: dict) -> None:
    schema["enum"] = ACTIVATIONS.names()  # at schema time: a registered activation shows up


class ModelConfig(Section):
    """Hidden layer sizes and their activation; the output layer (sigmoid or softmax) follows from the data."""

    hidden: list[PositiveInt] = [5, 2]
    activation: Annotated[str, Field(json_schema_extra=_activation_names)] = "relu"

    @pydantic.field_validator("activation")
    @classmethod
    def _known_activation(cls, value: str) -> str:
        ACTIVATIONS.get(value, "model.activation")
        return value


class RegularizationConfig(Section):
    """L2 (lambd/(2m) sum W^2), dropout keep_prob and batch norm; keep_prob and batchnorm take one value or one per hidden layer."""

    l2: NonNegative = 0.0
    keep_prob: Probability | list[Probability] = 1.0
    batchnorm: bool | list[bool] = False
    batchnorm_momentum: Beta = 0.9
    batchnorm_epsilon: Epsilon = 1e-5


class EarlyStoppingConfig(Section):
    """Keras' names: stop a model when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    monitor: Literal["val_cost", "val_accuracy", "cost"] = "val_cost"
    patience: PositiveInt = 100
    min_delta: NonNegative = 0.0
    mode: Literal["auto", "min", "max"] = "auto"
    restore_best: bool = True
    start_from_epoch: NonNegativeInt = 0


class TrainingConfig(Section):
    """Epochs, mini-batch size (null: full batch, 1: SGD), how often held-out sets are evaluated, early stopping."""

    epochs: PositiveInt = 10000
    batch_size: PositiveInt | None = 64
    eval_every: PositiveInt = 100
    early_stopping: EarlyStoppingConfig | None = None


FIXED_SECTIONS: dict[str, type[BaseModel]] = {
    "model": ModelConfig,
    "regularization": RegularizationConfig,
    "training": TrainingConfig,
}

# -- registry sections ----------------------------------------------------------
# section -> (registry, default name, extra keys that are not parameters of the entry)
REGISTRY_SECTIONS: dict[str, tuple[Registry, str, dict[str, Any]]] = {
    "data": (DATASETS, "moons", {"standardize": (bool, False),
                                 "validation": (Annotated[float, Range(ge=0, lt=1)], 0.0)}),
    "init": (INITIALIZERS, "he", {}),
    "optimizer": (OPTIMIZERS, "adam", {}),
    "schedule": (SCHEDULES, "constant", {}),
}


@functools.cache
def entry_model(section: str, name: str) -> type[BaseModel]:
    """The pydantic model of one registry entry, built from its signature (its Range limits included)."""
    registry, _, extra = REGISTRY_SECTIONS[section]
    obj = registry.get(name, f"{section}.name")
    target = obj.__init__ if inspect.isclass(obj) else obj
    hints = typing.get_type_hints(target, include_extras=True)
    fields: dict[str, Any] = {"name": (Literal[name], name)}
    for p in inspect.signature(target).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (hints.get(p.name, Any), default)
    fields.update(extra)
    return pydantic.create_model(f"{section}_{name}", __base__=Section, __doc__=inspect.getdoc(obj), **fields)


def _is_path(annotation: Any) -> bool:
    """Whether a parameter's type carries the :class:`IsPath` mark (``FilePath``, ``FilePath | None``)."""
    if typing.get_origin(annotation) is Annotated and any(isinstance(m, IsPath) for m in annotation.__metadata__):
        return True
    return any(_is_path(arg) for arg in typing.get_args(annotation))


@functools.cache
def path_keys(section: str, name: str) -> tuple[str, ...]:
    """The parameters of one registry entry that are file paths (``data.train``, ``init.path``, ...)."""
    return tuple(key for key, field in entry_model(section, name).model_fields.items()
                 if any(isinstance(m, IsPath) for m in field.metadata) or _is_path(field.annotation))


def entry_params(section_config: BaseModel, section: str) -> dict[str, Any]:
    """The keyword arguments for the registry entry (no ``name``, no extra keys)."""
    skip = {"name", *REGISTRY_SECTIONS[section][2]}
    return {k: v for k, v in section_config.model_dump().items() if k not in skip}


# -- errors ---------------------------------------------------------------------
LIMIT_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def parse(model: type[BaseModel], body: dict, prefix: str) -> BaseModel:
    """``body`` validated by ``model``; a refusal is one ConfigError naming ``prefix.key``."""
    try:
        return model.model_validate(body)
    except pydantic.ValidationError as exc:
        raise _as_config_error(exc, model, prefix) from None


def _as_config_error(exc: pydantic.ValidationError, model: type[BaseModel], prefix: str) -> ConfigError:
    errors = exc.errors(include_url=False)
    error = max(errors, key=lambda e: len(e["loc"]))  # the most specific branch of a union
    loc, field = _key_path(model, [str(part) for part in error["loc"]])
    key = ".".join([prefix, *loc] if prefix else loc)
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        return ConfigError(key, value, f"unknown key; {choice_hint(loc[-1], list(model.model_fields))}")
    if error["type"] == "missing":
        return ConfigError(key, None, "this key is required")
    limits = set(_ranges(field)) if field is not None and error["type"] in LIMIT_ERRORS else set()
    if len(limits) == 1:  # the whole range, where pydantic names only the limit crossed
        base, limit = limits.pop()
        return ConfigError(key, value, limit.describe(integer=base is int))
    return ConfigError(key, value, error["msg"].lower())


def _key_path(model: type[BaseModel], loc: list[str]) -> tuple[list[str], Any]:
    """The location's field names and list indices, without pydantic's union branch names
    ("float", "list[...]", "EarlyStoppingConfig"), descending into nested sections; and the
    last field on the way (its FieldInfo)."""
    path, current, field = [], model, None
    for part in loc:
        fields = getattr(current, "model_fields", {})
        if part in fields:
            path.append(part)
            field = fields[part]
            annotation = field.annotation
            nested = [a for a in (annotation, *typing.get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
            current = nested[0] if nested else None
        elif part.isdigit():
            path.append(part)
    return path or loc[:1], field


def _ranges(field) -> typing.Iterator[tuple[Any, Range]]:
    """(number type, Range) of every limit a field's type carries (``Probability | list[Probability]``: one)."""
    for mark in field.metadata:
        if isinstance(mark, Range):
            yield field.annotation, mark
    yield from _ranges_in(field.annotation)


def _ranges_in(annotation: Any) -> typing.Iterator[tuple[Any, Range]]:
    if typing.get_origin(annotation) is Annotated:
        base = typing.get_args(annotation)[0]
        yield from ((base, m) for m in annotation.__metadata__ if isinstance(m, Range))
        yield from _ranges_in(base)
        return
    for arg in typing.get_args(annotation):
        yield from _ranges_in(arg)
