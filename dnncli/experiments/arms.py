"""The arms of a compare: presets of one axis or config files, each with its own overrides.

``--set KEY=VALUE`` applies to every arm; ``--set ARM:KEY=VALUE`` to that arm only. A plain
``--set`` of a key that some arm's preset sets is refused, naming those arms and the ``ARM:``
form, so that two arms never silently become the same (``none l2 --set regularization.l2=0.1``
would make ``none`` L2-regularized too).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dnncli.config import RunConfig, apply_overrides, load_config, parse_override, read_config, validate
from dnncli.errors import ConfigError, choice_hint
from dnncli.presets import AXES, PRESETS


@dataclass(frozen=True)
class Arm:
    name: str
    config: RunConfig  # seed k of the arm is this config with seed + k
    changes: tuple[str, ...] = ()  # what this arm sets on the base: its preset's keys and its ARM: overrides


def safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_.-" else "_" for c in name)


def with_seed(config: RunConfig, seed: int) -> RunConfig:
    return validate({**config.to_dict(), "seed": seed})


def split_overrides(arm_names: list[str], overrides: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(plain overrides, {arm: its own}) from ``--set`` values; ``ARM:`` must name an arm."""
    plain, scoped = [], {name: [] for name in arm_names}
    for text in overrides:
        head, sep, rest = text.partition(":")
        if sep and "=" not in head and "." not in head:
            if head not in scoped:
                raise ConfigError("--set", text, f"ARM:KEY=VALUE with ARM {choice_hint(head, arm_names)}")
            scoped[head].append(rest)
        else:
            plain.append(text)
    return plain, scoped


def split_values(text: str) -> list[str]:
    """``16,64,null`` or ``[5, 2],[10, 5]``: the comma-separated values, commas inside brackets kept."""
    values, depth, current = [], 0, ""
    for char in text:
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        if char == "," and depth == 0:
            values.append(current.strip())
            current = ""
        else:
            current += char
    values.append(current.strip())
    return [v for v in values if v]


def vary_arms(vary: str, base: str | Path | None, overrides: list[str]) -> tuple[str, list[Arm]]:
    """``--vary KEY=V1,V2,...``: one arm per value on the base (``--config``, or the course's moons setup)."""
    key, sep, values = vary.partition("=")
    values = split_values(values)
    if not sep or not key.strip() or len(values) < 1:
        raise ConfigError("--vary", vary, "KEY.PATH=V1,V2,..., e.g. training.batch_size=16,64,null")
    if len(set(values)) < len(values):
        raise ConfigError("--vary", vary, "each value once")
    key = key.strip()
    base_raw = read_config(base) if base else AXES["optimizer"].base
    plain, scoped = split_overrides([f"{key}={v}" for v in values], list(overrides))
    if any(_key(text) == key for text in plain):
        raise ConfigError("--set", next(t for t in plain if _key(t) == key), f"not the key --vary sets ({key})")
    arms = []
    for value in values:
        name = f"{key}={value}"
        raw = apply_overrides(base_raw, [*plain, f"{key}={value}", *scoped[name]])
        arms.append(Arm(name, validate({**raw, "name": safe_name(name)}), (f"{key}={value}", *scoped[name])))
    return "vary", arms


def run_config(name: str) -> str:
    """A run directory stands for its config.yaml (so past runs compare directly)."""
    path = Path(name)
    return str(path / "config.yaml") if path.is_dir() and (path / "config.yaml").is_file() else name


def arm_name(path: str) -> str:
    """A config file's arm name: its stem, or its folder's name for a run directory's config.yaml."""
    p = Path(path)
    return p.parent.name if p.stem == "config" and p.parent.name else p.stem


def distinct(names: list[str]) -> list[str]:
    """Names made unique with -2, -3, ... (two runs of the same config give two arms)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def _key(text: str) -> str:
    return ".".join(parse_override(text)[0])


def resolve_arms(names: list[str], base: str | Path | None = None, overrides: list[str] = ()) -> tuple[str, list[Arm]]:
    """The axis and one config per arm. Names are presets of ONE axis, config files, or run directories."""
    if len(names) < 1:
        raise ConfigError("arms", names, "at least one arm, e.g. dnn compare gd momentum adam "
                                         "(one arm with --seeds 10 is a seed study)")
    names = [run_config(n) for n in names]
    files = [n for n in names if n.endswith((".yaml", ".yml"))]
    presets = [n for n in names if n not in files]
    for name in presets:
        if name not in PRESETS:
            raise ConfigError("arm", name, choice_hint(name, PRESETS.names()) + ", or a config file")
    axes = sorted({PRESETS.get(n).axis for n in presets})
    if len(axes) > 1:
        by_axis = {a: [n for n in presets if PRESETS.get(n).axis == a] for a in axes}
        raise ConfigError("arms", names, "presets of one axis; got " + "; ".join(f"{a}: {', '.join(v)}" for a, v in by_axis.items()))
    axis = axes[0] if axes else "configs"
    base_raw = read_config(base) if base else (AXES[axis].base if axes else {})
    if len(set(presets)) < len(presets):
        raise ConfigError("arms", names, "each arm once")
    arm_names = distinct([arm_name(n) if n in files else n for n in names])
    plain, scoped = split_overrides(arm_names, list(overrides))
    for text in plain:
        setting = [arm for arm, name in zip(arm_names, names) if name in presets
                   and _key(text) in {_key(o) for o in PRESETS.get(name).overrides}]
        if setting:
            hint = next((arm for arm in setting if arm in _key(text).split(".")), setting[0])  # l2 for regularization.l2
            raise ConfigError("--set", text, f"a key no arm's preset sets: {_key(text)} is what "
                                             f"{', '.join(setting)} set{'s' if len(setting) == 1 else ''}; "
                                             f"set it for one arm with --set {hint}:{text}")
    arms = []
    for arm, name in zip(arm_names, names):
        own = scoped[arm]
        if name in files:
            config = load_config(name, [*plain, *own])
            changes = tuple(own)
        else:
            preset = PRESETS.get(name).overrides
            config = validate({**apply_overrides(base_raw, [*preset, *plain, *own]), "name": safe_name(arm)})
            changes = (*preset, *own)
        arms.append(Arm(arm, config, changes))
    return axis, arms
