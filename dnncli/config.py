"""Run configs: YAML -> validated, frozen, fully resolved config.

The schema of every registry-backed section (data, init, optimizer, schedule) is built
from the registered function's or class's signature, so a new optimizer's parameters,
defaults and limits are validated without touching this file. Every user mistake ends
as one :class:`ConfigError` line naming the dotted key, the value and what is allowed.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from dnncli.constraints import IsPath, Range
from dnncli.data import DATASETS
from dnncli.engine.activations import ACTIVATIONS
from dnncli.engine.initializers import INITIALIZERS
from dnncli.engine.optimizers import OPTIMIZERS
from dnncli.engine.schedules import SCHEDULES
from dnncli.engine.seeding import SEEDINGS
from dnncli.errors import ConfigError, choice_hint
from dnncli.registry import Registry
from dnncli.yamlio import load_yaml_text, parse_yaml, read_yaml  # noqa: F401 - load_yaml_text is part of this API

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
Probability = Annotated[float, Field(gt=0, le=1)]


# -- fixed sections -------------------------------------------------------------
def _activation_names(schema: dict) -> None:
    schema["enum"] = ACTIVATIONS.names()  # at schema time: a registered activation shows up


class ModelConfig(Section):
    """Hidden layer sizes and their activation; the output layer (sigmoid or softmax) follows from the data."""

    hidden: list[Annotated[int, Field(ge=1)]] = [5, 2]
    activation: Annotated[str, Field(json_schema_extra=_activation_names)] = "relu"

    @pydantic.field_validator("activation")
    @classmethod
    def _known_activation(cls, value: str) -> str:
        ACTIVATIONS.get(value, "model.activation")
        return value


class RegularizationConfig(Section):
    """L2 (lambd/(2m) sum W^2), dropout keep_prob and batch norm; keep_prob and batchnorm take one value or one per hidden layer."""

    l2: Annotated[float, Field(ge=0)] = 0.0
    keep_prob: Probability | list[Probability] = 1.0
    batchnorm: bool | list[bool] = False
    batchnorm_momentum: Annotated[float, Field(ge=0, lt=1)] = 0.9
    batchnorm_epsilon: Annotated[float, Field(gt=0)] = 1e-5


class EarlyStoppingConfig(Section):
    """Keras' names: stop a model when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    monitor: Literal["val_cost", "val_accuracy", "cost"] = "val_cost"
    patience: Annotated[int, Field(ge=1)] = 100
    min_delta: Annotated[float, Field(ge=0)] = 0.0
    mode: Literal["auto", "min", "max"] = "auto"
    restore_best: bool = True
    start_from_epoch: Annotated[int, Field(ge=0)] = 0


class TrainingConfig(Section):
    """Epochs, mini-batch size (null: full batch, 1: SGD), how often held-out sets are evaluated, early stopping."""

    epochs: Annotated[int, Field(ge=1)] = 10000
    batch_size: Annotated[int, Field(ge=1)] | None = 64
    eval_every: Annotated[int, Field(ge=1)] = 100
    early_stopping: EarlyStoppingConfig | None = None


FIXED_SECTIONS: dict[str, type[BaseModel]] = {
    "model": ModelConfig,
    "regularization": RegularizationConfig,
    "training": TrainingConfig,
}
# section -> (registry, default name, extra keys that are not parameters of the entry)
REGISTRY_SECTIONS: dict[str, tuple[Registry, str, dict[str, Any]]] = {
    "data": (DATASETS, "moons", {"standardize": (bool, False),
                                 "validation": (Annotated[float, Field(ge=0, lt=1)], 0.0)}),
    "init": (INITIALIZERS, "he", {}),
    "optimizer": (OPTIMIZERS, "adam", {}),
    "schedule": (SCHEDULES, "constant", {}),
}
TOP_KEYS = ["name", "seed", "seeding", *REGISTRY_SECTIONS, *FIXED_SECTIONS]
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # used with fullmatch: "$" would let "a\n" pass
MAX_NAME = 100  # characters: run directories add a timestamp and suffixes, file names stop at 255 bytes
SEED_MAX = 2**32 - 2  # the largest seed: data sets draw their test set from seed + 1, and RandomState stops at 2**32 - 1


def _field_type(annotation: Any) -> Any:
    """Turn ``Annotated[T, Range(...)]`` into ``Annotated[T, Field(...)]`` for pydantic."""
    if typing.get_origin(annotation) is Annotated:
        base, *marks = typing.get_args(annotation)
        fields = [Field(**{k: v for k, v in vars(m).items() if v is not None}) if isinstance(m, Range) else m
                  for m in marks]
        return Annotated[(base, *fields)]
    return annotation


@functools.cache
def entry_model(section: str, name: str) -> type[BaseModel]:
    """The pydantic model of one registry entry, built from its signature."""
    registry, _, extra = REGISTRY_SECTIONS[section]
    obj = registry.get(name, f"{section}.name")
    target = obj.__init__ if inspect.isclass(obj) else obj
    hints = typing.get_type_hints(target, include_extras=True)
    fields: dict[str, Any] = {"name": (Literal[name], name)}
    for p in inspect.signature(target).parameters.values():
        if p.name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (_field_type(hints.get(p.name, Any)), default)
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


def resolve_paths(raw: Any, base: str | os.PathLike) -> Any:
    """A copy of a raw config whose relative file paths are made absolute against ``base``.

    Only the parameters marked as paths (:func:`path_keys`) of a known entry, and only string
    (or path-like) values; anything else is left for validation to judge. ``~`` is expanded.
    Absolute paths stay as they are, so resolving twice changes nothing.
    """
    if not isinstance(raw, dict):
        return raw
    out = dict(raw)
    for section, (registry, default, _) in REGISTRY_SECTIONS.items():
        body = raw.get(section)
        name = body.get("name", default) if isinstance(body, dict) else None
        if name not in registry:
            continue
        body = dict(body)
        for key in path_keys(section, name):
            value = body.get(key)
            value = os.fspath(value) if isinstance(value, os.PathLike) else value
            if isinstance(value, str) and value:
                body[key] = os.path.abspath(os.path.join(base, os.path.expanduser(value)))
        out[section] = body
    return out


def entry_params(section_config: BaseModel, section: str) -> dict[str, Any]:
    """The keyword arguments for the registry entry (no ``name``, no extra keys)."""
    skip = {"name", *REGISTRY_SECTIONS[section][2]}
    return {k: v for k, v in section_config.model_dump().items() if k not in skip}


@dataclass(frozen=True)
class RunConfig:
    """A validated config with every default filled in."""

    name: str
    seed: int
    seeding: str
    data: BaseModel
    init: BaseModel
    optimizer: BaseModel
    schedule: BaseModel
    model: ModelConfig
    regularization: RegularizationConfig
    training: TrainingConfig

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "seed": self.seed, "seeding": self.seeding}
        for key in [*REGISTRY_SECTIONS, *FIXED_SECTIONS]:
            out[key] = getattr(self, key).model_dump()
        return out

    def __reduce__(self):
        """Pickle as the resolved dict (section models are built at run time, by signature)."""
        return validate, (self.to_dict(),)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=None)


# -- validation -----------------------------------------------------------------
def check_name(name: Any, key: str = "name") -> str:
    """A run name: safe as a folder name (``name:`` in a config, ``--name`` on the command line)."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise ConfigError(key, name, "letters, digits, '_', '-' and '.', not starting with '.' or '-'")
    if len(name) > MAX_NAME:
        raise ConfigError(key, name, f"at most {MAX_NAME} characters (it has {len(name)})")
    return name


def validate(raw: Any, default_name: str = "run") -> RunConfig:
    """Validate a raw mapping (as read from YAML) into a :class:`RunConfig`."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("config", raw, "a mapping of sections such as data:, model:, optimizer:")
    raw = resolve_paths(raw, os.getcwd())  # a path not read from a config file (--set, Python) is the shell's
    for key in raw:
        if key not in TOP_KEYS and key != "search":  # search: is read by `dnn tune`; train trains the config as written
            raise ConfigError(str(key), raw[key], f"unknown key; {choice_hint(str(key), TOP_KEYS)}")
    name = check_name(raw.get("name", default_name))
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
        raise ConfigError("seed", seed, f"an integer from 0 to {SEED_MAX}")
    seeding = raw.get("seeding", "numpy")
    SEEDINGS.get(seeding, "seeding")
    sections: dict[str, Any] = {}
    for key, (registry, default, _) in REGISTRY_SECTIONS.items():
        body = _mapping(raw.get(key), key)
        entry = body.get("name", default)
        if entry not in registry:
            raise ConfigError(f"{key}.name", entry, choice_hint(str(entry), registry.names()))
        sections[key] = _check(entry_model(key, entry), {"name": entry, **body}, key)
    for key, model in FIXED_SECTIONS.items():
        sections[key] = _check(model, _mapping(raw.get(key), key), key)
    config = RunConfig(name=name, seed=seed, seeding=seeding, **sections)
    _check_cross_fields(config)
    return config


def _mapping(value: Any, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, value, "a mapping of keys to values")
    return value


def _check(model: type[BaseModel], body: dict, prefix: str) -> BaseModel:
    try:
        return model.model_validate(body)
    except pydantic.ValidationError as exc:
        raise _as_config_error(exc, model, prefix) from None


def _as_config_error(exc: pydantic.ValidationError, model: type[BaseModel], prefix: str) -> ConfigError:
    errors = exc.errors(include_url=False)
    error = max(errors, key=lambda e: len(e["loc"]))  # the most specific branch of a union
    loc = _key_path(model, [str(part) for part in error["loc"]])
    key = ".".join([prefix, *loc])
    value = error.get("input")
    if error["type"] == "extra_forbidden":
        return ConfigError(key, value, f"unknown key; {choice_hint(loc[-1], list(model.model_fields))}")
    if error["type"] == "missing":
        return ConfigError(key, None, "this key is required")
    return ConfigError(key, value, error["msg"].lower())


def _key_path(model: type[BaseModel], loc: list[str]) -> list[str]:
    """The location's field names and list indices, without pydantic's union branch names
    ("float", "list[...]", "EarlyStoppingConfig"), descending into nested sections."""
    path, current = [], model
    for part in loc:
        fields = getattr(current, "model_fields", {})
        if part in fields:
            path.append(part)
            annotation = fields[part].annotation
            nested = [a for a in (annotation, *typing.get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)]
            current = nested[0] if nested else None
        elif part.isdigit():
            path.append(part)
    return path or loc[:1]


def _check_cross_fields(config: RunConfig) -> None:
    for key, section in (("training.early_stopping", config.training.early_stopping), ("schedule", config.schedule)):
        monitor = getattr(section, "monitor", None)  # early stopping, schedule: plateau
        if isinstance(monitor, str) and monitor.startswith("val_") and not config.data.validation:
            raise ConfigError(f"{key}.monitor", monitor,
                              "'cost', or a val_ monitor with a validation split: data.validation: 0.2")
    keep = config.regularization.keep_prob
    n_hidden = len(config.model.hidden)
    if isinstance(keep, list) and len(keep) != n_hidden:
        raise ConfigError("regularization.keep_prob", keep,
                          f"one value, or a list of {n_hidden} (one per hidden layer of model.hidden)")
    batchnorm = config.regularization.batchnorm
    if isinstance(batchnorm, list) and len(batchnorm) != n_hidden:
        raise ConfigError("regularization.batchnorm", batchnorm,
                          f"true, false, or a list of {n_hidden} (one per hidden layer of model.hidden)")


# -- loading and overrides ------------------------------------------------------
# YAML itself is read by dnncli.yamlio (bounded, no duplicate keys); read_yaml and load_yaml_text stay importable here.
def read_config(path: str | Path) -> Any:
    """A config file as a raw mapping, its relative file paths resolved against its folder."""
    return resolve_paths(read_yaml(path), Path(path).absolute().parent)


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"optimizer.learning_rate=0.001"`` -> (["optimizer", "learning_rate"], 0.001)."""
    key, sep, value = text.partition("=")
    path = key.strip().split(".")
    if not sep or not all(path):
        raise ConfigError("--set", text, "KEY.PATH=VALUE, e.g. optimizer.learning_rate=0.001")
    try:
        parsed = parse_yaml(value, "--set") if value.strip() else None
    except yaml.YAMLError:
        parsed = value  # not YAML: taken as the string written
    return path, parsed


def apply_overrides(raw: Any, overrides: list[str]) -> dict:
    """Apply ``--set`` overrides to a raw config (a deep copy is returned).

    Changing a registry section's ``name`` (e.g. ``optimizer.name=gd``) drops that section's
    keys the new entry does not take, unless they were set on the command line too.
    """
    import copy

    raw = copy.deepcopy(raw) if isinstance(raw, dict) else ({} if raw is None else raw)
    if not isinstance(raw, dict):
        raise ConfigError("config", raw, "a mapping of sections such as data:, model:, optimizer:")
    parsed = [parse_override(text) for text in overrides]
    explicit = {tuple(path) for path, _ in parsed}
    for path, value in parsed:
        node = raw
        for depth, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                raise ConfigError(".".join(path[: depth + 1]), child, "a mapping, to set a key inside it")
            node = child
        node[path[-1]] = value
    for path, value in parsed:
        if len(path) == 2 and path[1] == "name" and path[0] in REGISTRY_SECTIONS:
            registry = REGISTRY_SECTIONS[path[0]][0]
            if value in registry:
                accepted = entry_model(path[0], value).model_fields
                section = raw[path[0]]
                for key in list(section):
                    if key not in accepted and (path[0], key) not in explicit:
                        del section[key]
    return raw


def load_config(path: str | Path, overrides: list[str] = ()) -> RunConfig:
    """Read, override and validate a config file."""
    raw = apply_overrides(read_config(path), list(overrides))
    return validate(raw, default_name=_safe_stem(Path(path).stem))


def _safe_stem(stem: str) -> str:
    """A default run name from a config file's name: unsafe characters replaced, cut to MAX_NAME."""
    stem = re.sub(r"\.{2,}", ".", re.sub(r"[^A-Za-z0-9_.-]", "_", stem)).lstrip(".-")[:MAX_NAME]
    return stem or "run"
