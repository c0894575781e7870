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

A Ctrl-C turned into a callback's flag stops ``fit`` between two epochs, so the state kept
then is that of a whole epoch and nothing has to be copied while training; a
KeyboardInterrupt raised inside a step leaves no state (the run cannot be resumed, like a
killed one).
"""

from __future__ import annotations

import ast

import numpy as np

MAX_STREAM_TEXT = 4096  # characters of one generator's state as text (PCG64's take about 170)


def capture(epoch: int, initial_cost, theta, optimizer, seeding, network, schedule, callbacks) -> dict[str, np.ndarray]:
    """The state after ``epoch`` whole epochs (training stops only between epochs, see ``fit``)."""
    slots = optimizer.state_dict()
    streams = {name: g.bit_generator.state for name, g in seeding.generators().items()}
    bn = network.state()
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
