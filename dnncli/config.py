"""Run configs: YAML -> validated, frozen, fully resolved config.

The sections' pydantic models (and the top-level keys') live in :mod:`dnncli.sections`;
this module reads, overrides and validates a whole config, resolves its file paths and
checks the rules that span sections. Every user mistake ends as one :class:`ConfigError`
line naming the dotted key, the value and what is allowed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from dnncli.constraints import SEED_MAX  # noqa: F401 - importable here, as before
from dnncli.errors import ConfigError, choice_hint
from dnncli.sections import (  # noqa: F401 - the section models and helpers are part of this API
    FIXED_SECTIONS,
    MAX_NAME,
    NAME_PATTERN,
    REGISTRY_SECTIONS,
    ModelConfig,
    RegularizationConfig,
    RunKeys,
    Section,
    TrainingConfig,
    check_name,
    entry_model,
    entry_params,
    parse,
    path_keys,
)
from dnncli.yamlio import load_yaml_text, parse_yaml, read_yaml  # noqa: F401 - load_yaml_text is part of this API

TOP_KEYS = [*RunKeys.model_fields, *REGISTRY_SECTIONS, *FIXED_SECTIONS]


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
    top = parse(RunKeys, {"name": default_name, **{k: raw[k] for k in RunKeys.model_fields if k in raw}}, "")
    sections: dict[str, Any] = {}
    for key, (registry, default, _) in REGISTRY_SECTIONS.items():
        body = _mapping(raw.get(key), key)
        entry = body.get("name", default)
        if entry not in registry:
            raise ConfigError(f"{key}.name", entry, choice_hint(str(entry), registry.names()))
        sections[key] = parse(entry_model(key, entry), {"name": entry, **body}, key)
    for key, model in FIXED_SECTIONS.items():
        sections[key] = parse(model, _mapping(raw.get(key), key), key)
    config = RunConfig(**top.model_dump(), **sections)
    _check_cross_fields(config)
    return config


def _mapping(value: Any, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(key, value, "a mapping of keys to values")
    return value


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
