"""The search space against the config: trial configs, checks, ranking and narrowing."""

from __future__ import annotations

import math
import re
from pathlib import Path

from dnncli.config import RunConfig, apply_overrides, read_config, validate
from dnncli.errors import ConfigError
from dnncli.experiments.tune.settings import METRICS, TOP_FRACTION
from dnncli.search import Param, flow_yaml, narrow, parse_params, parse_space
from dnncli.status import Status


def trial_config(base: dict, values: dict, name: str | None = None) -> RunConfig:
    """The base config (a resolved dict) with ``values`` set as ``--set PATH=VALUE`` would."""
    raw = apply_overrides(base, [f"{path}={flow_yaml(value)}" for path, value in values.items()])
    return validate({**raw, "name": name or base["name"]})


def check_space(space: dict[str, Param], base: dict) -> None:
    """Every path must exist and every range end (every choice) must be a valid value there."""
    for path, param in space.items():
        probes = param.choices if param.kind == "choice" else (param.low, param.high)
        for value in probes:
            try:
                trial_config(base, {path: value})
            except ConfigError as exc:
                why = exc.allowed if exc.key == path else str(exc)
                raise ConfigError(f"search.{path}", param.spec(), f"at {flow_yaml(value)}: {why}") from None


def read_tune_config(path: str | Path, overrides: list[str] = (), params: list[str] = ()) -> tuple[RunConfig, dict[str, Param]]:
    """A config file's ``search:`` block (plus ``--param``) and the rest of it (plus ``--set``), checked."""
    raw = apply_overrides(read_config(path), list(overrides))
    search = raw.pop("search", None)
    search = {} if search is None else search
    if isinstance(search, dict):
        search = {**search, **parse_params(list(params))}
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", Path(path).stem).lstrip(".-") or "tune"
    config = validate(raw, default_name=name)
    if search == {}:
        raise ConfigError("search", search, "a search: block in the config or --param PATH=SPEC, "
                                          "e.g. --param 'optimizer.learning_rate={log: [1.0e-4, 1.0]}'")
    space = parse_space(search)
    check_space(space, config.to_dict())
    return config, space


def rank(rows: list[dict], metric: str) -> list[dict]:
    """Scored rows best first: by ``metric``, ties broken by the lower validation cost."""
    sign = 1.0 if METRICS[metric] else -1.0
    scored = [r for r in rows if r["status"] == Status.COMPLETED and r.get(metric) is not None]
    return sorted(scored, key=lambda r: (-sign * r[metric], r["val_cost"] if r.get("val_cost") is not None else math.inf,
                                         r["trial"]))


def narrowed_space(space: dict[str, Param], rows: list[dict], metric: str, fraction: float = TOP_FRACTION) -> dict[str, Param]:
    """Every numeric range narrowed to span the top ``fraction`` of the scored rows (at least two)."""
    ranked = rank(rows, metric)
    if not ranked:
        return space
    top = ranked[: min(len(ranked), max(2, math.ceil(fraction * len(ranked))))]
    return {path: narrow(p, [r[path] for r in top]) for path, p in space.items()}
