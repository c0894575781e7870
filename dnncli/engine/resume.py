"""A run's training state as named arrays: what ``fit`` needs to go on as if it had never stopped.

``fit(..., keep_state=True)`` returns it (``FitResult.training_state``) and ``fit(..., resume=state)``
continues from it; the engine never touches files (the caller saves it, e.g. as ``state.npz``).
One model only (theta of shape (P,)). The keys:

| key | what |
| --- | --- |
| ``epoch`` | the epochs completed: the next one to run |
| ``initial_cost`` | the cost at the run's initial parameters (the divergence limit is 1000 times it) |
| ``theta`` | the parameters, as training left them (before early stopping puts back its best epoch's) |
| ``optimizer.t``, ``optimizer.v``, ... | the step counter and the optimizer's slots |
| ``seeding.shuffle``, ... | each random generator's state (``bit_generator.state``, a dict of numbers, as text) |
| ``network.running_mean1``, ... | batch norm's running statistics |
| ``schedule.*``, ``callback.EarlyStopping.*`` | plateau's and early stopping's counters (and best weights) |
| ``history.*`` | the history so far, to which the new epochs are joined |

An interrupt arrives in the middle of an epoch, where the state is that of no whole epoch.
So that the state saved then is the one of the last whole epoch, ``fit`` with ``keep_state``
keeps a :class:`Snapshot` taken at the start of every epoch (a copy of theta and of the
optimizer's slots, the generators' states and batch norm's statistics: a few microseconds per
epoch); the interrupted epoch runs again, whole, when the run is resumed.
"""

from __future__ import annotations

import ast

import numpy as np

MAX_STREAM_TEXT = 4096  # characters of one generator's state as text (PCG64's take about 170)


class Snapshot:
    """The state at the start of the current epoch (what an interrupt saves; see the module docstring).

    ``drawn``: the purposes of the generators an epoch draws from (``shuffle``, ``dropout``); the
    others do not move during training and are read at the end. The arrays are copied into
    buffers made once (a copy of theta costs less than a microsecond on small networks).
    """

    def __init__(self, theta: np.ndarray, optimizer, seeding, network, drawn: list[str]):
        self.optimizer, self.network = optimizer, network
        self.pairs = [(live, np.empty_like(live)) for live in (theta, *optimizer.state.values())]
        self.theta = self.pairs[0][1]
        self.generators = {name: g for name, g in seeding.generators().items() if name in drawn}
        self.batchnorm = bool(network.bn_layers)

    def take(self) -> None:
        for live, copy in self.pairs:
            np.copyto(copy, live)
        self.t = self.optimizer.t
        self.streams = {name: g.bit_generator.state for name, g in self.generators.items()}
        if self.batchnorm:
            self.bn = self.network.state()

    def slots(self) -> dict[str, np.ndarray]:
        return {"t": np.array(self.t), **{name: copy for name, (_, copy) in zip(self.optimizer.state, self.pairs[1:])}}


def capture(epoch: int, initial_cost, theta, optimizer, seeding, network, schedule, callbacks,
            snapshot: Snapshot | None = None) -> dict[str, np.ndarray]:
    """The state after ``epoch`` whole epochs: the live objects' or, after an interrupt, ``snapshot``'s."""
    slots = optimizer.state_dict()
    streams = {name: g.bit_generator.state for name, g in seeding.generators().items()}
    bn = network.state()
    if snapshot is not None:
        theta, slots, bn = snapshot.theta, snapshot.slots(), (snapshot.bn if snapshot.batchnorm else bn)
        streams.update(snapshot.streams)
    out = {"epoch": np.array(epoch), "initial_cost": np.array(initial_cost, dtype=float), "theta": theta.copy(),
           **{f"optimizer.{k}": v for k, v in slots.items()},
           **{f"seeding.{name}": np.array(repr(state)) for name, state in streams.items()},
           **{f"network.{k}": v for k, v in bn.items()}}
    for prefix, obj in _stateful(schedule, callbacks):
        out.update({f"{prefix}.{k}": v for k, v in obj.state_dict().items()})
    return out


def restore(state: dict[str, np.ndarray], theta, optimizer, seeding, network, schedule, callbacks):
    """Load ``state`` into the live objects (after ``init_state`` and ``on_train_begin``).

    Returns (epoch, initial cost, the history so far as arrays). A state that does not fit
    (other shapes, missing keys) raises ``ValueError`` naming the key.
    """
    try:
        if state["theta"].shape != theta.shape:
            raise ValueError(f"theta has shape {state['theta'].shape}, the network needs {theta.shape}")
        theta[...] = state["theta"]
        optimizer.load_state_dict(_part(state, "optimizer"))
        for name, g in seeding.generators().items():
            g.bit_generator.state = _stream(state[f"seeding.{name}"], name)
        if network.bn_layers:
            network.load_state(_part(state, "network"))
        for prefix, obj in _stateful(schedule, callbacks):
            obj.load_state_dict(_part(state, prefix))
        return int(state["epoch"]), np.reshape(state["initial_cost"], -1), _part(state, "history")
    except KeyError as exc:
        raise ValueError(f"the training state has no {exc.args[0]!r}") from None


def _stream(text: np.ndarray, name: str) -> dict:
    """A generator's state back from its text: literals only (``ast.literal_eval`` runs no code)."""
    text = str(text)
    try:
        if len(text) > MAX_STREAM_TEXT:
            raise ValueError(f"{len(text)} characters")
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, RecursionError, MemoryError) as exc:
        raise ValueError(f"seeding.{name} is not a generator's state ({exc})") from None


def _part(state: dict, prefix: str) -> dict[str, np.ndarray]:
    n = len(prefix) + 1
    return {key[n:]: value for key, value in state.items() if key.startswith(prefix + ".")}


def _stateful(schedule, callbacks) -> list[tuple[str, object]]:
    """(prefix, object) of the schedule and callbacks that keep a state (plateau, early stopping)."""
    found = [("schedule", schedule)] if hasattr(schedule, "state_dict") else []
    found += [(f"callback.{type(cb).__name__}", cb) for cb in callbacks
              if cb is not schedule and hasattr(cb, "state_dict")]
    return found
