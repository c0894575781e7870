"""The one place that turns validated configs into engine objects (and calls registries).

A stack of configs (one stack key, see :mod:`dnncli.pipeline`) is built by the same functions:
every number that differs between the configs becomes a per-model array of length K.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dnncli import budget
from dnncli.config import RegularizationConfig, RunConfig, entry_params
from dnncli.data import Dataset, Inputs, UnscaledInputWarning, load_dataset, scale_warning
from dnncli.engine.activations import ACTIVATIONS, output_for
from dnncli.engine.initializers import INITIALIZERS, FromFile
from dnncli.engine.layout import Layout
from dnncli.engine.network import Network
from dnncli.engine.optimizers import OPTIMIZERS
from dnncli.engine.schedules import SCHEDULES
from dnncli.engine.seeding import SEEDINGS


@dataclass(frozen=True)
class Built:
    """Everything a training run needs, built from one config."""

    dataset: Dataset
    network: Network
    theta: np.ndarray
    optimizer: object
    schedule: object
    seeding: object


def build_dataset(config: RunConfig) -> Dataset:
    return load_dataset(config.data.name, entry_params(config.data, "data"), standardize=config.data.standardize)


def per_model(values: Sequence):
    """One value when all K are equal, else a 1-D array of the K values."""
    values = list(values)
    return values[0] if all(v == values[0] for v in values[1:]) else np.array(values, dtype=float)


def _keep_probs(reg: RegularizationConfig, n_hidden: int) -> list[float]:
    return list(reg.keep_prob) if isinstance(reg.keep_prob, list) else [reg.keep_prob] * n_hidden


def build_network(config: RunConfig, dataset: Dataset | Inputs,
                  regs: Sequence[RegularizationConfig] | None = None) -> Network:
    """The network of ``config`` for data of ``dataset``'s shape (its features and classes: a
    :class:`Dataset`, or a trained model's :class:`Inputs`); with ``regs``, one regularization
    per member of a stack."""
    regs = list(regs or [config.regularization])
    sizes = [dataset.n_features, *config.model.hidden, 1 if dataset.binary else dataset.n_classes]
    n_hidden = len(config.model.hidden)
    reg = config.regularization
    batchnorm = reg.batchnorm if isinstance(reg.batchnorm, list) else [reg.batchnorm] * n_hidden
    keeps = [_keep_probs(r, n_hidden) for r in regs]
    keep_prob = [per_model(keeps[k][layer] for k in range(len(regs))) for layer in range(n_hidden)]
    return Network(
        sizes,
        ACTIVATIONS.get(config.model.activation, "model.activation")(),
        output_for(dataset.n_classes),
        lambd=per_model(r.l2 for r in regs),
        keep_prob=None if all(k == 1.0 for ks in keeps for k in ks) else keep_prob,
        batchnorm=batchnorm if any(batchnorm) else None,
        bn_momentum=per_model(r.batchnorm_momentum for r in regs),
        bn_epsilon=per_model(r.batchnorm_epsilon for r in regs),
    )



def initial_theta(config: RunConfig, layout: Layout) -> tuple[np.ndarray, object]:
    """The config's initial parameters and its seeding (whose init stream drew them)."""
    seeding = SEEDINGS.get(config.seeding, "seeding")(config.seed)
    initializer = INITIALIZERS.get(config.init.name, "init.name")(**entry_params(config.init, "init"))
    if isinstance(initializer, FromFile):
        return _from_file(initializer, layout), seeding
    return initializer(layout, seeding.init_rng()), seeding


def _from_file(initializer: FromFile, layout: Layout) -> np.ndarray:
    """``init: {name: file, path: ...}``: the file is read here (the engine reads no files)."""
    from dnncli.errors import DataError
    from dnncli.runs import read_npz

    initializer.arrays = read_npz(initializer.path, "init.path", max_values=layout.size)
    try:
        return initializer(layout, None)
    except KeyError as exc:
        raise DataError(f"init.path: {initializer.path!r} has no array {exc.args[0]} "
                        f"(it has {sorted(initializer.arrays)})") from None
    except ValueError as exc:
        raise DataError(f"init.path: {initializer.path!r}: {exc}") from None


def build_optimizer(configs: Sequence[RunConfig]):
    """One optimizer for configs of one optimizer class (per-model arrays where they differ)."""
    name = configs[0].optimizer.name
    params = [entry_params(c.optimizer, "optimizer") for c in configs]
    return OPTIMIZERS.get(name, "optimizer.name")(**{key: per_model(p[key] for p in params) for key in params[0]})


def build_schedule(configs: Sequence[RunConfig]):
    name = configs[0].schedule.name
    params = [entry_params(c.schedule, "schedule") for c in configs]
    return SCHEDULES.get(name, "schedule.name")(**{key: per_model(p[key] for p in params) for key in params[0]})


def warn_unscaled(config: RunConfig, dataset: Dataset) -> None:
    """An :class:`~dnncli.data.UnscaledInputWarning` (a Python warning: the library never prints) when
    ``data.standardize`` is off and the features' ranges differ more than ``data.SCALE_RATIO``.
    Called by the commands before training, in the main process only."""
    import warnings

    message = None if config.data.standardize else scale_warning(dataset)
    if message:
        warnings.warn(message, UnscaledInputWarning, stacklevel=3)


def build(config: RunConfig, dataset: Dataset | None = None) -> Built:
    dataset = dataset if dataset is not None else build_dataset(config)
    budget.check_run(config, dataset)  # before the parameters are allocated; a stack of K calls it with k=K
    network = build_network(config, dataset)
    theta, seeding = initial_theta(config, network.layout)
    return Built(dataset, network, theta, build_optimizer([config]), build_schedule([config]), seeding)
