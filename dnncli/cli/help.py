"""Help text read from the registries: every optimizer, initializer, schedule, activation,
data set, seeding, compare preset, gradcheck model and tune metric or sampler is named in the
``--help`` it belongs to, and a new registry entry shows up there with no other edit.

The registries are imported only when a command's ``--help`` is asked for (see
:func:`fill`), so ``dnn --help`` and every normal run import none of them.
"""

from __future__ import annotations


def _names(registry) -> str:
    return ", ".join(registry.names())


def config_keys() -> str:
    """The config's named choices, one line per key (for ``train``)."""
    from dnncli.data import DATASETS
    from dnncli.engine.activations import ACTIVATIONS
    from dnncli.engine.initializers import INITIALIZERS
    from dnncli.engine.optimizers import OPTIMIZERS
    from dnncli.engine.schedules import SCHEDULES
    from dnncli.engine.seeding import SEEDINGS

    keys = {"data.name": DATASETS, "model.activation": ACTIVATIONS, "init.name": INITIALIZERS,
            "optimizer.name": OPTIMIZERS, "schedule.name": SCHEDULES, "seeding": SEEDINGS}
    return "\n\n".join(f"{key}: {_names(registry)}" for key, registry in keys.items())


def compare_arms() -> str:
    """The presets of each axis (for ``compare``'s ARMS)."""
    from dnncli.presets import AXES, PRESETS

    by_axis = {axis: [name for name, p in PRESETS.items() if p.axis == axis] for axis in AXES}
    return "; ".join(f"{axis}: {' '.join(names)}" for axis, names in by_axis.items())


def gradcheck_models() -> str:
    from dnncli.experiments.gradcheck import MODELS

    return _names(MODELS)


def tune_choices() -> dict[str, str]:
    from dnncli.experiments.tune.settings import METRICS, SAMPLERS

    return {"metric": " | ".join(METRICS), "sampler": " | ".join(SAMPLERS)}


def texts() -> dict[str, dict[str, str]]:
    """command -> parameter (or "epilog") -> the text to add to that help."""
    tune = tune_choices()
    return {
        "train": {"epilog": "Named choices in a config:\n\n" + config_keys()},
        "compare": {"arms": "Presets by axis: " + compare_arms() + "."},
        "gradcheck": {"model": "Named models: " + gradcheck_models() + "."},
        "tune": {"metric": "Metrics: " + tune["metric"] + ".", "sampler": "Samplers: " + tune["sampler"] + "."},
    }


def fill(command, name: str) -> None:
    """Add the registry text to ``command`` (a click command about to print its help)."""
    extra = texts().get(name, {})
    if "epilog" in extra:
        command.epilog = extra["epilog"]
    for param in command.params:
        if param.name in extra:
            base = getattr(param, "help", None) or ""
            if extra[param.name] not in base:
                param.help = f"{base} {extra[param.name]}".strip()
