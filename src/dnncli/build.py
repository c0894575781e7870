"""The one place that turns a validated config into engine objects (and calls registries)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dnncli import budget
from dnncli.config import RunConfig, entry_params
from dnncli.data import Dataset, load_dataset
from dnncli.engine.activations import ACTIVATIONS, output_for
from dnncli.engine.initializers import INITIALIZERS
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


def build_network(config: RunConfig, dataset: Dataset) -> Network:
    sizes = [dataset.n_features, *config.model.hidden, 1 if dataset.binary else dataset.n_classes]
    reg, n_hidden = config.regularization, len(config.model.hidden)
    keep = reg.keep_prob
    keep_prob = keep if isinstance(keep, list) else [keep] * n_hidden
    batchnorm = reg.batchnorm if isinstance(reg.batchnorm, list) else [reg.batchnorm] * n_hidden
    return Network(
        sizes,
        ACTIVATIONS.get(config.model.activation, "model.activation")(),
        output_for(dataset.n_classes),
        lambd=config.regularization.l2,
        keep_prob=None if all(k == 1.0 for k in keep_prob) else keep_prob,
        batchnorm=batchnorm if any(batchnorm) else None,
        bn_momentum=reg.batchnorm_momentum,
        bn_epsilon=reg.batchnorm_epsilon,
    )


def build(config: RunConfig, dataset: Dataset | None = None) -> Built:
    dataset = dataset if dataset is not None else build_dataset(config)
    budget.check_run(config, dataset)  # before the parameters are allocated; a stack of K calls it with k=K
    network = build_network(config, dataset)
    seeding = SEEDINGS.get(config.seeding, "seeding")(config.seed)
    initializer = INITIALIZERS.get(config.init.name, "init.name")(**entry_params(config.init, "init"))
    theta = initializer(network.layout, seeding.init_rng())
    optimizer = OPTIMIZERS.get(config.optimizer.name, "optimizer.name")(**entry_params(config.optimizer, "optimizer"))
    schedule = SCHEDULES.get(config.schedule.name, "schedule.name")(**entry_params(config.schedule, "schedule"))
    return Built(dataset, network, theta, optimizer, schedule, seeding)
