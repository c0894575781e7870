"""Search spaces of `dnn tune`: parse a ``search:`` block, sample it with Optuna, narrow it.

A space maps dotted config paths (the same as ``--set``) to one of these kinds::

    optimizer.learning_rate: {log: [1.0e-4, 1.0]}        # uniform in log(x); x > 0
    optimizer.beta1:         {one_minus_log: [0.9, 0.999]}  # uniform in log(1 - x); x < 1
    regularization.l2:       {uniform: [0.0, 1.0]}
    training.epochs:         {int: [500, 5000], log: true}  # integers, log optional
    model.hidden:            {choice: [[5, 2], [10, 5]]}

Each numeric kind has a *scale* on which sampling is uniform and ranges are narrowed:
``x`` (uniform, int), ``log(x)`` (log, int with log) or ``log(1 - x)`` (one_minus_log, the
scale of Adam's and momentum's beta: 0.9 -> 0.99 is as big a step as 0.99 -> 0.999).
Optuna samples: log kinds are ``FloatDistribution(log=True)``; one_minus_log samples
``x' = 1 - x`` with ``log=True`` over ``[1 - hi, 1 - lo]`` and converts back.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import yaml

from dnncli.errors import ConfigError, choice_hint

KINDS = ("log", "one_minus_log", "uniform", "int", "choice")
EXAMPLE = "e.g. {log: [1.0e-4, 1.0]}, {one_minus_log: [0.9, 0.999]}, {uniform: [0, 1]}, {int: [1, 64], log: true}, {choice: [32, 64]}"
SCALAR_TYPES = (bool, int, float, str, type(None))  # what Optuna's categorical takes as is


@dataclass(frozen=True)
class Param:
    """One searched config path: its kind, its range (``low``..``high``) or its choices."""

    path: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False  # int only: sample log-uniformly
    choices: tuple = ()

    @property
    def scale(self) -> str:
        """``linear``, ``log``, ``one_minus_log`` or ``category``: how values are sampled and plotted."""
        if self.kind == "choice":
            return "category"
        if self.kind == "log" or (self.kind == "int" and self.log):
            return "log"
        return "one_minus_log" if self.kind == "one_minus_log" else "linear"

    def spec(self) -> dict:
        """The YAML form (as it would be written in a ``search:`` block)."""
        if self.kind == "choice":
            return {"choice": list(self.choices)}
        out: dict[str, Any] = {self.kind: [self.low, self.high]}
        if self.kind == "int" and self.log:
            out["log"] = True
        return out

    def labels(self) -> list:
        """Choices as Optuna categorical values: scalars as is, lists and mappings as flow YAML text."""
        return [c if isinstance(c, SCALAR_TYPES) else flow_yaml(c) for c in self.choices]

    def distribution(self):
        """The Optuna distribution that samples this parameter (in Optuna's value space)."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.kind == "choice":
            return CategoricalDistribution(self.labels())
        if self.kind == "int":
            return IntDistribution(int(self.low), int(self.high), log=self.log)
        if self.kind == "one_minus_log":
            return FloatDistribution(1.0 - self.high, 1.0 - self.low, log=True)
        return FloatDistribution(self.low, self.high, log=self.kind == "log")

    def decode(self, sampled: Any) -> Any:
        """Optuna's value -> the config value."""
        if self.kind == "choice":
            return self.choices[self.labels().index(sampled)]
        if self.kind == "one_minus_log":
            return 1.0 - sampled
        return int(sampled) if self.kind == "int" else float(sampled)

    def to_scale(self, value: float) -> float:
        """The value on the scale where this parameter is sampled uniformly."""
        if self.scale == "log":
            return math.log(value)
        return math.log(1.0 - value) if self.scale == "one_minus_log" else float(value)

    def from_scale(self, u: float) -> float:
        if self.scale == "log":
            return math.exp(u)
        return 1.0 - math.exp(u) if self.scale == "one_minus_log" else u


def flow_yaml(value: Any) -> str:
    """``value`` as one line of YAML that reads back to the same value (floats exactly)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=2**31)
    return text.removesuffix("\n...\n").strip()


def parse_space(raw: Any, key: str = "search") -> dict[str, Param]:
    """Validate a ``search:`` mapping into ``{path: Param}``; every mistake is one ConfigError."""
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(key, raw, "a mapping of dotted config paths to ranges, " + EXAMPLE)
    return {str(path): parse_param(str(path), spec, f"{key}.{path}") for path, spec in raw.items()}


def parse_param(path: str, spec: Any, key: str) -> Param:
    if not path or not all(path.split(".")):
        raise ConfigError(key, spec, "a dotted config path such as optimizer.learning_rate")
    if not isinstance(spec, dict) or not spec:
        raise ConfigError(key, spec, "one of " + ", ".join(KINDS) + "; " + EXAMPLE)
    flag = "int" in spec and "log" in spec  # {int: [lo, hi], log: true}: here log is a flag, not a kind
    kinds = [k for k in spec if k in KINDS and not (flag and k == "log")]
    extra = [k for k in spec if k not in KINDS]
    if extra:
        raise ConfigError(f"{key}.{extra[0]}", spec[extra[0]], choice_hint(str(extra[0]), KINDS))
    if len(kinds) != 1:
        raise ConfigError(key, spec, "exactly one of " + ", ".join(KINDS))
    kind = kinds[0]
    where, value = f"{key}.{kind}", spec[kind]
    if kind == "choice":
        if not isinstance(value, list) or not value:
            raise ConfigError(where, value, "a non-empty list of values, e.g. [32, 64, 128]")
        param = Param(path, kind, choices=tuple(copy.deepcopy(value)))
        if len(set(map(repr, param.labels()))) < len(value):
            raise ConfigError(where, value, "each choice once")
        return param
    low, high = _range(value, where, integer=kind == "int")
    log = spec.get("log", False) if kind == "int" else False
    if not isinstance(log, bool):
        raise ConfigError(f"{key}.log", log, "true or false")
    if low >= high:
        raise ConfigError(where, value, "a range [low, high] with low < high (an empty or inverted range samples nothing)")
    if (kind == "log" or log) and low <= 0:
        raise ConfigError(where, value, "a log range must stay above 0 (log(0) is -inf): e.g. [1.0e-4, 1.0]")
    if kind == "one_minus_log" and high >= 1:
        raise ConfigError(where, value, "a range below 1: 1 - value is sampled on a log scale, so it must stay above 0, e.g. [0.9, 0.999]")
    return Param(path, kind, low, high, log)


def _range(value: Any, key: str, *, integer: bool) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ConfigError(key, value, "a list [low, high]")
    out = []
    for v in value:
        if isinstance(v, str):  # YAML reads 1e-4 (no dot) as text
            try:
                v = float(v)
            except ValueError:
                raise ConfigError(key, value, "two numbers [low, high]") from None
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ConfigError(key, value, "two finite numbers [low, high]")
        if integer and v != int(v):
            raise ConfigError(key, value, "two integers [low, high]")
        out.append(int(v) if integer else float(v))
    return out[0], out[1]


def parse_params(texts: list[str]) -> dict:
    """``--param`` options, ``PATH=SPEC`` with SPEC in YAML (``"optimizer.learning_rate={log: [1e-4, 1]}"``)."""
    out = {}
    for text in texts:
        path, sep, spec = text.partition("=")
        if not sep or not path.strip():
            raise ConfigError("--param", text, "PATH=SPEC, e.g. 'optimizer.learning_rate={log: [1.0e-4, 1.0]}'")
        try:
            out[path.strip()] = yaml.safe_load(spec)
        except yaml.YAMLError:
            raise ConfigError(f"--param {path.strip()}", spec, "a YAML mapping, " + EXAMPLE) from None
    return out


def narrow(param: Param, values: list[float], min_width: float = 0.05) -> Param:
    """A smaller range for ``param``: it spans ``values`` (the best trials' values) on the
    parameter's own scale and stays inside ``param``'s range.

    A span narrower than ``min_width`` of the original range (on the scale) is widened
    around its centre to that width, so a stage never samples a single point. Choices are
    not narrowed.
    """
    values = [v for v in values if v is not None]
    if param.kind == "choice" or not values:
        return param
    u = [param.to_scale(v) for v in values]
    u_lo, u_hi = min(u), max(u)
    full_lo, full_hi = sorted((param.to_scale(param.low), param.to_scale(param.high)))
    width = min_width * (full_hi - full_lo)
    if u_hi - u_lo < width:
        centre = min(max((u_lo + u_hi) / 2, full_lo + width / 2), full_hi - width / 2)
        u_lo, u_hi = centre - width / 2, centre + width / 2
    low, high = sorted((param.from_scale(u_lo), param.from_scale(u_hi)))
    low = max(param.low, min(low, min(values)))  # round-off must not drop an end value
    high = min(param.high, max(high, max(values)))
    if param.kind == "int":
        low, high = math.floor(low), math.ceil(high)
    return dataclasses.replace(param, low=low, high=high)


def space_to_yaml(space: dict[str, Param]) -> dict:
    return {path: p.spec() for path, p in space.items()}
