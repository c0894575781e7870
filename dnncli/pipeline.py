"""The run pipeline of every command: configs -> groups -> executor tasks -> per-run results.

``train``, ``compare`` and ``tune`` all hand their configs to :func:`run_configs`. Configs
that can share one pass (:func:`stack_key`) form a group; a group is one task, trained in one
``fit`` call as a stack of models (one row of theta each), locally or on a Dask worker. Every
run comes back as a frozen :class:`RunResult` that carries its trained model, so no writer
rebuilds a network.

What a group shares (the stack key): the data (and its seed and split), the architecture
(sizes, activation, batch-norm flags), batch size, epochs, eval_every, the schedule's class (and
its words: plateau's monitor) and the seeding mode. Every number inside (learning rate, betas,
epsilon, decay rate, l2, keep_prob, batch-norm momentum and epsilon, seed, plateau's factor and
patience) becomes a per-model array, and optimizers
of different classes share the pass through :class:`~dnncli.engine.optimizers.Composite`
(each steps its own rows). The initializer is not in the key: each member draws its own
weights before the pass. A group holds at most ``GROUP_CAP`` (64) models: beyond that the
work per model hardly falls (bench/bench_population.py: 7.9 us per member-update at K = 64, 7.5 at 256), and memory stays bounded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dnncli.build import Built, build, build_dataset, build_network, build_optimizer, build_schedule, initial_theta
from dnncli.config import RunConfig
from dnncli.data import Dataset, Inputs
from dnncli.engine.network import Network
from dnncli.engine.optimizers import Composite
from dnncli.engine.stack import StackedSeeding
from dnncli.engine.training import History, fit, held_out_metrics
from dnncli.errors import DnnError
from dnncli.status import Status
from dnncli.validation import Split, split_validation

GROUP_CAP = 64


# -- results ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainedModel:
    """A trained network: its layout and activation (``network``), ``theta``, batch-norm state,
    and what it expects of new data (``inputs``: features, classes, standardization)."""

    network: Network
    theta: np.ndarray
    state: dict = field(default_factory=dict)
    inputs: Inputs | None = None

    def __post_init__(self):
        if self.state:
            self.network.load_state(self.state)

    @property
    def finite(self) -> bool:
        return bool(np.all(np.isfinite(self.theta)))

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Class index per example (batch norm uses its running statistics)."""
        return self.network.predict(self.network.layout.split(self.theta), X)

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """The output layer's A_L: (1, m) P(class 1) for two classes, (C, m) softmax otherwise."""
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            A, _ = self.network.forward(self.network.layout.split(self.theta), X)
        return A

    def evaluate(self, X: np.ndarray, Y: np.ndarray) -> tuple[float | None, float]:
        """(cost, accuracy) on (X, Y), as :func:`dnncli.engine.training.held_out_metrics` defines them."""
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            cost, acc = held_out_metrics(self.network, self.network.layout.split(self.theta), X, Y)
        cost = float(cost)
        return (cost if math.isfinite(cost) else None), float(acc)

    def confusion(self, X: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
        """Counts (n_classes, n_classes): row i, column j = examples of class i predicted as j."""
        cell = np.asarray(labels, dtype=np.int64) * n_classes + self.predict(X)
        return np.bincount(cell, minlength=n_classes * n_classes).reshape(n_classes, n_classes)

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything ``params.npz`` holds: W1, b1, ... (gamma/beta) and running statistics."""
        return {**self.network.layout.to_arrays(self.theta), **self.state}

    def __getstate__(self):  # the network's buffers are scratch space: don't ship them between processes
        self.network._workspaces.clear()
        return self.__dict__


@dataclass(frozen=True)
class RunResult:
    """One finished (or failed) run: what it was, how it ended, its numbers and its model."""

    config: RunConfig
    status: Status
    message: str = ""
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    val_accuracy: float | None = None
    final_cost: float | None = None
    test_cost: float | None = None
    val_cost: float | None = None
    epochs_run: int = 0
    updates: int = 0
    seconds: float = 0.0
    stack: int = 1
    n_train: int | None = None
    n_validation: int | None = None
    stopped_epoch: int | None = None  # early stopping: the epoch it stopped (None: it ran to the end)
    best_epoch: int | None = None
    restored_best: bool | None = None
    classes: tuple[str, ...] | None = None  # more than two classes: their names and the confusion counts
    confusion: dict[str, list[list[int]]] | None = None  # split ("train", "test") -> rows true, columns predicted
    model: TrainedModel | None = None
    history: History | None = None
    training_state: dict | None = None  # dnn train's: what state.npz holds (engine/resume.py)

    @classmethod
    def failed(cls, config: RunConfig, message: str) -> RunResult:
        """The one way to record a run that raised."""
        return cls(config, Status.FAILED, message)

    def metrics(self) -> dict:
        """The numbers for metrics.json (JSON types only)."""
        out = {"status": str(self.status), "message": self.message,
               "train_accuracy": self.train_accuracy, "test_accuracy": self.test_accuracy,
               "final_cost": self.final_cost, "test_cost": self.test_cost,
               "epochs_run": self.epochs_run, "seconds": round(self.seconds, 4), "updates": self.updates,
               "us_per_update": round(self.seconds / self.updates * 1e6, 2) if self.updates else None,
               "stack": self.stack}
        if self.model is not None and self.model.inputs is not None:
            out["classes"] = list(self.model.inputs.classes)
        if self.n_validation:
            out.update(val_accuracy=self.val_accuracy, val_cost=self.val_cost,
                       n_train=self.n_train, n_validation=self.n_validation)
        if self.restored_best is not None:
            out.update(stopped_epoch=self.stopped_epoch, best_epoch=self.best_epoch, restored_best=self.restored_best)
        if self.confusion:
            out.setdefault("classes", list(self.classes))
            out.update(per_class_accuracy=per_class_accuracy(self.confusion, self.classes), confusion=self.confusion)
        return out


def per_class_accuracy(confusion: dict[str, list[list[int]]], classes) -> dict[str, dict[str, float | None]]:
    """Per split, per class: the fraction of that class's examples predicted as it (None for a class with none)."""
    out = {}
    for split, counts in confusion.items():
        counts = np.asarray(counts)
        n = counts.sum(axis=1)
        out[split] = {str(c): (float(counts[i, i] / n[i]) if n[i] else None) for i, c in enumerate(classes)}
    return out


# -- grouping -----------------------------------------------------------------------------
def stack_key(config: RunConfig) -> str:
    """Configs with equal keys can train in one pass (see the module docstring)."""
    d = config.to_dict()
    reg = d["regularization"]
    key = {"data": d["data"], "model": d["model"], "batchnorm": reg["batchnorm"],
           "training": d["training"], "seeding": d["seeding"],
           # the schedule's class and its words (plateau's monitor): numbers become per-model arrays
           "schedule": {k: v for k, v in d["schedule"].items() if isinstance(v, str)}}
    return json.dumps(key, sort_keys=True, default=str)


def plan_groups(configs: Sequence[RunConfig], *, stack: bool = True, cap: int = GROUP_CAP,
                parts: int = 1) -> list[list[int]]:
    """Indices of ``configs`` per task: by stack key, at most ``cap`` each, and split further
    (largest first) until there are at least ``parts`` tasks, so every worker has one.

    A member's numbers do not depend on the plan beyond float rounding of the batched
    products (the tests find them equal to the bit on the shipped configs), so ``--jobs 1`` and
    ``--jobs 2`` agree.
    """
    if not stack:
        return [[i] for i in range(len(configs))]
    by_key: dict[str, list[int]] = {}
    for i, config in enumerate(configs):
        by_key.setdefault(stack_key(config), []).append(i)
    groups = []
    for members in by_key.values():
        n = math.ceil(len(members) / cap)
        groups += [list(chunk) for chunk in np.array_split(members, n)]
    while groups and len(groups) < parts:
        largest = max(range(len(groups)), key=lambda g: len(groups[g]))
        if len(groups[largest]) < 2:
            break
        half = groups.pop(largest)
        groups += [half[: len(half) // 2], half[len(half) // 2:]]
    return [[int(i) for i in g] for g in groups]


# -- one group, in one process --------------------------------------------------------------
@dataclass(frozen=True)
class GroupTask:
    """The unit of work sent to a worker: configs of one stack key (and an optional split)."""

    indices: tuple[int, ...]
    configs: tuple[RunConfig, ...]
    validation: Split | None = None


def train_group(task: GroupTask, callbacks=()) -> list[RunResult]:
    """Train every config of the task in one pass; a group that raises fails only its own runs."""
    try:
        return _train_group(task, callbacks)
    except Exception as exc:  # noqa: BLE001 - reported per run, not fatal to the other groups
        return [RunResult.failed(c, f"{type(exc).__name__}: {exc}") for c in task.configs]


def _train_group(task: GroupTask, callbacks) -> list[RunResult]:
    from dnncli.execution import tune_malloc

    tune_malloc()
    configs = list(task.configs)
    dataset, X_val, Y_val = held_out(configs[0], task.validation)
    if len(configs) == 1:
        return [train_built(configs[0], build(configs[0], dataset), callbacks, X_val, Y_val)]
    order = sorted(range(len(configs)), key=lambda k: configs[k].optimizer.name)  # one block of rows per class
    network, theta, optimizer, schedule, seeding = build_stack([configs[k] for k in order], dataset)
    stopping = early_stopping(configs[0])
    result = _fit(configs[0], dataset, network, theta, optimizer, schedule, seeding, [*callbacks, *stopping], X_val, Y_val)
    out: list[RunResult | None] = [None] * len(configs)
    for row, k in enumerate(order):
        out[k] = member_result(configs[k], dataset, result.member(row), len(configs), X_val, Y_val, stopping, row)
    return out


def held_out(config: RunConfig, split: Split | None = None) -> tuple[Dataset, np.ndarray | None, np.ndarray | None]:
    """The config's data as (training set without the validation examples, X_val, Y_val).

    ``split`` (tune's) wins; else ``data.validation`` holds out that fraction, stratified and
    seeded by 0 (the same examples for every run of the data, so runs of a stack share them).
    """
    full = build_dataset(config)
    if split is None and config.data.validation:
        split = Split(config.data.validation, 0)
    return (full, None, None) if split is None else split_validation(full, split)


def early_stopping(config: RunConfig) -> list:
    """The config's early-stopping callback, as a list of none or one."""
    from dnncli.engine.callbacks import EarlyStopping

    settings = config.training.early_stopping
    return [] if settings is None else [EarlyStopping(**settings.model_dump())]


def train_built(config: RunConfig, built: Built, callbacks=(), X_val=None, Y_val=None, *, keep_state: bool = False,
                resume: dict | None = None) -> RunResult:
    """One model alone (theta (P,)): the path of ``dnn train`` and of every group of one.

    ``keep_state``: the result carries its training state; ``resume``: continue from one
    (see :mod:`dnncli.engine.resume`).
    """
    stopping = early_stopping(config)
    result = _fit(config, built.dataset, built.network, built.theta, built.optimizer, built.schedule,
                  built.seeding, [*callbacks, *stopping], X_val, Y_val, keep_state=keep_state, resume=resume)
    first = 0 if resume is None else int(resume["epoch"])
    return member_result(config, built.dataset, result.member(0), 1, X_val, Y_val, stopping, 0, first_epoch=first)


def _fit(config: RunConfig, dataset: Dataset, network, theta, optimizer, schedule, seeding, callbacks, X_val, Y_val,
         keep_state: bool = False, resume: dict | None = None):
    training = config.training
    return fit(network, theta, dataset.X_train, dataset.Y_train, optimizer=optimizer, schedule=schedule,
               epochs=training.epochs, batch_size=training.batch_size, seeding=seeding,
               X_test=dataset.X_test, Y_test=dataset.Y_test, eval_every=training.eval_every, callbacks=callbacks,
               X_val=X_val, Y_val=Y_val, keep_state=keep_state, resume=resume)


def build_stack(configs: list[RunConfig], dataset: Dataset):
    """Network, theta (K, P), optimizer, schedule and seeding of K configs of one stack key."""
    first, K = configs[0], len(configs)
    network = build_network(first, dataset, [c.regularization for c in configs])
    thetas, seedings = [], []
    for config in configs:
        theta, seeding = initial_theta(config, network.layout)
        thetas.append(theta)
        seedings.append(seeding)
    names = [c.optimizer.name for c in configs]
    parts = []
    for name in dict.fromkeys(names):
        members = [c for c in configs if c.optimizer.name == name]
        parts.append((build_optimizer(members), len(members)))
    optimizer = parts[0][0] if len(parts) == 1 else Composite(parts)
    schedule = build_schedule(configs)
    assert K == sum(k for _, k in parts)
    return network, np.stack(thetas), optimizer, schedule, StackedSeeding(seedings)


def member_result(config: RunConfig, dataset: Dataset, member, stack: int, X_val=None, Y_val=None,
                  stopping=(), row: int = 0, first_epoch: int = 0) -> RunResult:
    """A member of a fit as a :class:`RunResult`, its metrics computed on its own network
    (``first_epoch``: where a resumed run took up; its updates are counted from there)."""
    model = TrainedModel(build_network(config, dataset), member.theta, member.state, Inputs.of(dataset))
    numbers: dict = {}
    if model.finite:
        _, numbers["train_accuracy"] = model.evaluate(dataset.X_train, dataset.Y_train)
        if dataset.has_test:
            numbers["test_cost"], numbers["test_accuracy"] = model.evaluate(dataset.X_test, dataset.Y_test)
        if X_val is not None:
            numbers["val_cost"], numbers["val_accuracy"] = model.evaluate(X_val, Y_val)
        if dataset.n_classes > 2:
            numbers["classes"] = dataset.classes
            numbers["confusion"] = {"train": model.confusion(dataset.X_train, dataset.labels_train, dataset.n_classes).tolist()}
            if dataset.has_test:
                numbers["confusion"]["test"] = model.confusion(dataset.X_test, dataset.labels_test, dataset.n_classes).tolist()
    cost = member.history.cost
    at = -1
    if stopping and stopping[0].restored_best[row]:  # the weights are the best epoch's: so is the cost shown
        at = stopping[0].best_epoch[row]
    final = float(cost[at]) if len(cost) and math.isfinite(cost[at]) else None
    m = dataset.X_train.shape[-1]
    updates = (member.epochs_run - first_epoch) * math.ceil(m / (config.training.batch_size or m))
    if stopping:
        es = stopping[0]
        numbers.update(stopped_epoch=es.stopped_epoch[row], best_epoch=es.best_epoch[row],
                       restored_best=es.restored_best[row])
    message = member.message
    if member.status == Status.DIVERGED:
        message += ": try a smaller optimizer.learning_rate or a smaller init scale"
    return RunResult(config, member.status, message, final_cost=final, epochs_run=member.epochs_run,
                     updates=updates, seconds=member.seconds / stack, stack=stack, n_train=m,
                     n_validation=None if X_val is None else X_val.shape[-1], model=model, history=member.history,
                     training_state=member.training_state, **numbers)


def check_memory(tasks: Sequence[GroupTask]) -> None:
    """Refuse (one line, exit 2) a group whose stack would not fit the memory budget, before any
    work starts: the data is loaded here once per distinct data config to know its shape."""
    from dnncli import budget

    datasets: dict[str, Dataset | None] = {}
    for task in tasks:
        key = json.dumps(task.configs[0].to_dict()["data"], sort_keys=True, default=str)
        if key not in datasets:
            try:
                datasets[key] = build_dataset(task.configs[0])
            except DnnError:  # data that cannot load fails its own runs, in their task
                datasets[key] = None
        if datasets[key] is not None:
            budget.check_run(task.configs[0], datasets[key], k=len(task.configs))


# -- many groups, through an executor ---------------------------------------------------------
def run_configs(
    configs: Sequence[RunConfig],
    *,
    pool=None,
    stack: bool = True,
    validation: Split | None = None,
    on_result: Callable[[int, RunResult], None] | None = None,
    parts: int | None = None,
    callbacks=(),
) -> list[RunResult]:
    """Train every config (grouped unless ``stack`` is False); results in input order.

    ``on_result(i, result)`` is called as each run is back. Without a pool (or with the inline
    one) groups run here, one after another, with ``callbacks`` (Ctrl-C); through a process
    pool, a Ctrl-C stops the workers at once (see :func:`dnncli.execution.run_all`).
    """
    from dnncli import execution

    configs = list(configs)
    if parts is None:  # one task per worker at least, so every worker has work
        parts = execution.workers(pool)
    groups = plan_groups(configs, stack=stack, parts=parts)
    tasks = [GroupTask(tuple(g), tuple(configs[i] for i in g), validation) for g in groups]
    check_memory(tasks)
    results: list[RunResult | None] = [None] * len(configs)

    def done(task: GroupTask, outcome) -> None:
        if isinstance(outcome, execution.Failure):
            outcome = [RunResult.failed(c, outcome.error) for c in task.configs]
        for i, result in zip(task.indices, outcome):
            results[i] = result
            if on_result is not None:
                on_result(i, result)

    if pool is None or isinstance(pool, execution.InlineExecutor):
        stoppers = [cb for cb in callbacks if hasattr(cb, "stop_training")]
        for task in tasks:
            done(task, train_group(task, callbacks))
            if any(cb.stop_training for cb in stoppers):
                raise KeyboardInterrupt
    else:
        execution.run_all(train_group, tasks, pool, lambda i, outcome: done(tasks[i], outcome))
    return results

