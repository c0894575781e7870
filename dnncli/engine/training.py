"""The training loop: epochs of shuffled mini-batches, one optimizer step per batch.

``theta`` is one model's vector (P,) or a stack of K models (K, P) trained in one pass (see
:mod:`dnncli.engine.stack`). The cost recorded for an epoch is, per model, the mean
per-example loss over all the epoch's mini-batches (summed, divided by m), plus the L2 term at
the start of the epoch, so curves of different batch sizes are comparable (the course's
Optimization assignment). Each batch's loss is that of its forward pass (the parameters
before its update step).

A model **diverges** when its cost is NaN or infinite, or exceeds ``DIVERGENCE_FACTOR`` (1000)
times the larger of its cost at the initial parameters and 1 (a learning rate of 1e6 keeps
the cross-entropy finite but huge: 1e5). A diverged model, or one a callback stops, is frozen: its
parameters are kept as they were at that epoch, its history ends there, and the other models
go on (models never mix: a NaN in one stays in its own rows). When every model is frozen the
loop ends. A callback's ``stop_training`` (Ctrl-C) ends the loop after the current epoch (at
most a few milliseconds on these workloads), as ``interrupted``: the parameters, the optimizer
and the random streams are then those of a whole epoch, so the run can go on from them
(``keep_state``). A KeyboardInterrupt raised inside a step (no handler turned the signal into a
flag) ends it at once: that epoch does not count, and no training state is kept.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from dnncli.engine.diagnostics import measure_for
from dnncli.engine.network import Network
from dnncli.engine.ops import vdot
from dnncli.engine.program import EpochProgram
from dnncli.engine.resume import capture, restore
from dnncli.engine.stack import StackedSeeding, reshape_hyperparameters
from dnncli.status import Status

DIVERGENCE_FACTOR = 1000.0


@dataclass(frozen=True)
class History:
    """Per-epoch cost and learning rate; evaluations every ``eval_every`` epochs.

    ``fit`` gives arrays of shape (epochs, K) and (evaluations, K) (K = 1 for one model); one
    member's (:meth:`member`) are 1-D. Entries after a model was frozen are NaN.
    """

    cost: np.ndarray
    learning_rate: np.ndarray
    eval_epochs: np.ndarray
    train_accuracy: np.ndarray
    test_cost: np.ndarray
    test_accuracy: np.ndarray
    val_cost: np.ndarray | None = None  # with a validation set
    val_accuracy: np.ndarray | None = None
    grad_norm: np.ndarray | None = None  # ||dW_l|| of each epoch's last mini-batch: (epochs, K, L), one member (epochs, L)
    # per hidden layer at the evaluations, the share of dead or saturated units (engine/diagnostics.py):
    # (evaluations, K, L - 1), one member (evaluations, L - 1); the kind is "dead" or "saturated"
    activation_share: np.ndarray | None = None
    activation_share_kind: str | None = None

    @property
    def epochs(self) -> np.ndarray:
        return np.arange(len(self.cost))

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fields as named arrays (None left out), e.g. for a training state."""
        return {name: np.array(value) for name, value in vars(self).items() if value is not None}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> History:
        kind = arrays.get("activation_share_kind")
        return cls(**{name: np.array(a) for name, a in arrays.items() if name != "activation_share_kind"},
                   activation_share_kind=None if kind is None else str(kind))

    def then(self, later: History, start: int) -> History:
        """This history's first ``start`` epochs followed by ``later``'s epochs from ``start`` on
        (a run resumed at epoch ``start``: ``later`` has no values before it)."""
        keep = later.eval_epochs >= start
        evals = self.eval_epochs < start

        def join(a, b, by_eval: bool):
            if a is None or b is None:  # the same config gives both or neither
                return None
            return np.concatenate([a[evals], b[keep]] if by_eval else [a[:start], b[start:]])

        return History(join(self.cost, later.cost, False), join(self.learning_rate, later.learning_rate, False),
                       join(self.eval_epochs, later.eval_epochs, True),
                       *(join(getattr(self, f), getattr(later, f), True)
                         for f in ("train_accuracy", "test_cost", "test_accuracy", "val_cost", "val_accuracy")),
                       grad_norm=join(self.grad_norm, later.grad_norm, False),
                       activation_share=join(self.activation_share, later.activation_share, True),
                       activation_share_kind=later.activation_share_kind)

    def member(self, k: int, n: int | None = None) -> History:
        """Model k's columns (its first ``n`` epochs, and the evaluations among them)."""
        n = len(self.cost) if n is None else min(n, len(self.cost))
        keep = self.eval_epochs < n
        return History(self.cost[:n, k].copy(), self.learning_rate[:n, k].copy(), self.eval_epochs[keep].copy(),
                       self.train_accuracy[keep, k].copy(), self.test_cost[keep, k].copy(),
                       self.test_accuracy[keep, k].copy(),
                       None if self.val_cost is None else self.val_cost[keep, k].copy(),
                       None if self.val_accuracy is None else self.val_accuracy[keep, k].copy(),
                       None if self.grad_norm is None else self.grad_norm[:n, k].copy(),
                       None if self.activation_share is None else self.activation_share[keep, k].copy(),
                       self.activation_share_kind)


@dataclass(frozen=True)
class FitResult:
    """What ``fit`` returns: per model a status, a message and its epochs run (tuples of length K)."""

    status: tuple[Status, ...]
    message: tuple[str, ...]
    theta: np.ndarray
    history: History
    epochs_run: tuple[int, ...]
    seconds: float
    state: dict  # batch norm's running statistics, arrays with the model axis first for a stack
    training_state: dict | None = None  # fit(keep_state=True): everything needed to go on (engine/resume.py)

    def member(self, k: int) -> Member:
        """Model k alone (theta (P,), history 1-D), as if it had been trained by itself."""
        stacked = self.theta.ndim == 2
        return Member(self.status[k], self.message[k], self.theta[k].copy() if stacked else self.theta,
                      self.history.member(k, self.epochs_run[k] + (self.status[k] == Status.DIVERGED)),
                      self.epochs_run[k], self.seconds,
                      {name: (a[k].copy() if stacked else a) for name, a in self.state.items()},
                      None if stacked else self.training_state)


@dataclass(frozen=True)
class Member:
    """One model of a :class:`FitResult`: theta (P,), a 1-D history."""

    status: Status
    message: str
    theta: np.ndarray
    history: History
    epochs_run: int
    seconds: float
    state: dict
    training_state: dict | None = None


def held_out_metrics(network: Network, params, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cost, accuracy) per model on data it is evaluated on (test, validation): the mean
    cross-entropy WITHOUT the L2 term (that term is part of what training minimizes, not of how
    well a model predicts), and the fraction of examples whose predicted class is the label.
    The one definition of both, for the history and for a trained model's metrics."""
    A, cache = network.forward(params, X)
    return network.loss_sum(A, cache, Y) / X.shape[-1], np.mean(network.output.predict(A) == labels_of(Y), axis=-1)


def labels_of(Y: np.ndarray) -> np.ndarray:
    """Class index per example from the Y layout: (1, m) 0/1 or (C, m) one-hot."""
    return Y[0].astype(np.int64) if Y.shape[0] == 1 else np.argmax(Y, axis=0)


def fit(
    network: Network,
    theta: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    *,
    optimizer,
    schedule,
    epochs: int,
    batch_size: int | None,
    seeding,
    X_test: np.ndarray | None = None,
    Y_test: np.ndarray | None = None,
    eval_every: int = 100,
    callbacks=(),
    X_val: np.ndarray | None = None,
    Y_val: np.ndarray | None = None,
    keep_state: bool = False,
    resume: dict | None = None,
) -> FitResult:
    """Train ``theta`` (modified in place) and return the result with its history.

    For a stack, ``seeding`` is a :class:`StackedSeeding` and the hyperparameters may be
    per-model arrays of shape (K,). ``callbacks`` follow :mod:`dnncli.engine.callbacks`.
    One model only: with ``keep_state`` the result's ``training_state`` holds everything needed
    to go on (:mod:`dnncli.engine.resume`), and ``resume`` takes such a state and continues at its
    epoch up to ``epochs`` (the new total), its history joined in front of the new epochs.
    """
    start = time.perf_counter()
    stacked = theta.ndim == 2
    if stacked and (keep_state or resume is not None):
        raise ValueError("keep_state and resume are for one model (theta of shape (P,))")
    K, m = (theta.shape[0] if stacked else 1), X.shape[-1]
    if stacked and not isinstance(seeding, StackedSeeding):
        if K != 1:
            raise TypeError("a stack of K > 1 models needs a StackedSeeding (one seeding per member)")
        seeding = StackedSeeding([seeding])
    dtheta = np.zeros_like(theta)
    params, grads = network.layout.split(theta), network.layout.split(dtheta)
    reshape_hyperparameters(schedule, trailing=1)
    optimizer.init_state(theta)
    lr0 = optimizer.learning_rate
    dropout = network.keep_prob is not None
    labels = labels_of(Y)
    callbacks = list(callbacks)
    if hasattr(schedule, "on_epoch_end"):  # a schedule that reads the epoch's logs (plateau)
        callbacks.append(schedule)
    every_epoch = any(getattr(cb, "evaluate_every_epoch", False) for cb in callbacks)  # e.g. early stopping
    for cb in callbacks:
        cb.on_train_begin(K)

    costs, rates = np.full((epochs, K), np.nan), np.full((epochs, K), np.nan)
    # ||dW_l|| per epoch: the vanishing-gradient view (dW_l are the rows above the bias row of each block)
    norms, dW_blocks = np.full((epochs, K, network.L), np.nan), [grads.WbT[l][..., :-1, :] for l in range(1, network.L + 1)]
    # a stack's: every layer's sum of dW_l^2 at once, as sums over the W_l segments of the squared gradient
    starts = np.ravel([(network.layout.blocks_at[l], network.layout.blocks_at[l] + network.sizes[l - 1] * network.sizes[l])
                       for l in range(1, network.L + 1)])
    squares = np.empty_like(dtheta)
    status, message = [Status.COMPLETED] * K, [""] * K
    epochs_run = [0] * K
    active = np.ones(K, dtype=bool)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        initial = np.reshape(network.cost(params, X, Y), K)
    first_epoch, previous = 0, None
    if resume is not None:  # the run's initial cost, not the resumed parameters', sets the divergence limit
        first_epoch, initial, previous = restore(resume, theta, optimizer, seeding, network, schedule, callbacks)
    mid_epoch = False  # a KeyboardInterrupt inside a step (a callback's stop_training is read once per epoch)
    measure = measure_for(network.activation, network.L - 1)
    shares: dict[int, np.ndarray] = {}  # epoch -> (K, L - 1) share of dead / saturated units per hidden layer
    limit = DIVERGENCE_FACTOR * np.where(np.isfinite(initial), np.maximum(initial, 1.0), np.inf)
    frozen: dict[int, np.ndarray] = {}  # model -> its parameters when it was frozen
    frozen_state: dict[int, dict] = {}
    evals: list[tuple] = []  # (epoch, train acc, test cost, test acc, val cost, val acc), each (K,)

    nothing = (np.full(K, np.nan),) * 2

    def evaluate(e: int, full: bool = True) -> None:
        """Record the evaluations of epoch e (only the validation set's when not ``full``)."""
        test = held_out_metrics(network, params, X_test, Y_test) if full and X_test is not None else nothing
        val = held_out_metrics(network, params, X_val, Y_val) if X_val is not None else nothing
        train = nothing[0]
        if full:  # one forward pass on the training set: its accuracy and its hidden units' shares
            A, cache = network.forward(params, X)
            train = np.mean(network.output.predict(A) == labels, axis=-1)
            if measure is not None:
                share = np.stack([np.reshape(measure[1](cache[l][1]), K) for l in range(1, network.L)], axis=-1)
                share[~active] = np.nan
                shares[e] = share
        rows = [np.array(v, dtype=float).reshape(K) for v in (train, *test, *val)]
        for row in rows:
            row[~active] = np.nan
        evals.append((e, *rows))

    def freeze(k: int, e: int) -> None:
        active[k] = False
        epochs_run[k] = e
        frozen[k] = theta[k].copy() if stacked else theta.copy()
        frozen_state[k] = {name: (a[k].copy() if stacked else a.copy()) for name, a in network.state().items()}

    # The loss is summed once per epoch, from each batch's Z_L written into the columns of
    # Z_epoch by the batch's forward pass.
    Z_epoch = np.empty(np.broadcast_shapes(theta.shape[:-1], X.shape[:-2]) + (network.sizes[-1], m))
    rate = np.zeros((K, 1) if stacked else ())  # the epoch's learning rate, read by the optimizer's ops
    program = EpochProgram(network, optimizer, params, grads, X, Y, batch_size, seeding, Z_epoch, rate, dropout)
    loss_sum = network.output.loss_sum  # computed from Z_L and Y alone (A_L is not needed)
    limit0 = float(limit[0])
    epoch = first_epoch - 1
    # A NaN or inf is reported once, as the status "diverged", not as NumPy warnings.
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        try:
            for epoch in range(first_epoch, epochs):
                learning_rate = schedule(lr0, seeding.schedule_epoch(epoch))
                rate[...] = learning_rate
                l2 = network.l2_cost(params, m) if network.has_l2 else 0.0
                Y_e = program.shuffle(epoch)
                program.run()
                cost = loss_sum(Z_epoch, None, Y_e) / m + l2
                if stacked:
                    row = costs[epoch] = np.where(active, cost, np.nan)
                    rates[epoch] = rate[:, 0]
                    diverged = np.flatnonzero(active & ~(np.isfinite(row) & (row <= limit)))
                else:  # one model: plain floats (a few ufunc calls per epoch would show on the K = 1 path)
                    c = float(cost)
                    costs[epoch, 0], rates[epoch, 0], row = c, learning_rate, costs[epoch]
                    diverged = () if math.isfinite(c) and c <= limit0 else (0,)
                if stacked:
                    np.multiply(dtheta, dtheta, squares)
                    norms[epoch] = np.add.reduceat(squares, starts, axis=1)[:, ::2]
                else:
                    norms[epoch, 0] = [vdot(dW, dW) for dW in dW_blocks]  # squared; the root is taken once, below
                if len(diverged):
                    for k in diverged:
                        status[k], message[k] = Status.DIVERGED, f"cost became {row[k]:.6g} at epoch {epoch}"
                        freeze(k, epoch)  # the diverged epoch does not count as run
                    if not active.any():
                        break
                scheduled = (epoch + 1) % eval_every == 0 or epoch == epochs - 1
                evaluated = scheduled or every_epoch
                if evaluated:
                    evaluate(epoch, full=scheduled)
                if callbacks:
                    logs = {"cost": row, "learning_rate": rates[epoch], "active": active, "theta": theta,
                            "state": network.state}
                    if evaluated:
                        (_, logs["train_accuracy"], logs["test_cost"], logs["test_accuracy"], logs["val_cost"],
                         logs["val_accuracy"]) = evals[-1]
                    stop = np.zeros(K, dtype=bool)
                    for cb in callbacks:
                        asked = cb.on_epoch_end(epoch, logs)
                        if asked is not None:
                            stop |= np.broadcast_to(np.asarray(asked, dtype=bool), (K,))
                    stop &= active
                    if stop.any():
                        if not scheduled:  # a full evaluation at the epoch a model stops
                            if evaluated:
                                evals.pop()
                            evaluate(epoch)
                        for k in np.flatnonzero(stop):
                            freeze(k, epoch + 1)
                        if not active.any():
                            break
                if callbacks and any(cb.stop_training for cb in callbacks):  # Ctrl-C: stop now that the epoch is whole
                    for k in np.flatnonzero(active):
                        status[k], message[k] = Status.INTERRUPTED, f"interrupted after epoch {epoch}"
                    break
        except KeyboardInterrupt:  # raised inside a step (no signal handler turned it into a flag)
            mid_epoch = True
            for k in np.flatnonzero(active):
                status[k], message[k] = Status.INTERRUPTED, f"interrupted during epoch {epoch}"
            costs[epoch] = np.nan  # the interrupted epoch is incomplete
            epoch -= 1

    for k in np.flatnonzero(active):
        epochs_run[k] = epoch + 1
    last = epoch if active.any() else -1
    if last >= 0 and (not evals or evals[-1][0] != last):
        evaluate(last)
    for k, values in frozen.items():  # frozen models get back the parameters they stopped with
        if stacked:
            theta[k] = values
        else:
            theta[...] = values
    state = network.state()
    for k, values in frozen_state.items():
        for name, a in values.items():
            if stacked:
                state[name][k] = a
            else:
                state[name] = a
    n = epoch + 1  # the last epoch with a cost (a diverged one included; an interrupted one not)
    training_state = None
    if keep_state and not mid_epoch:  # before early stopping puts back its best weights: the state to go on from
        training_state = capture(epochs_run[0], initial, theta, optimizer, seeding, network, schedule, callbacks)
    for cb in callbacks:  # e.g. early stopping puts back each model's best parameters
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(theta, state)
    ev_epochs = np.array([e[0] for e in evals], dtype=int)
    ev = [np.array([e[i] for e in evals]).reshape(-1, K) for i in (1, 2, 3, 4, 5)]
    if X_val is None:
        ev[3] = ev[4] = None
    share = None
    if measure is not None:
        blank = np.full((K, network.L - 1), np.nan)
        share = np.array([shares.get(int(e), blank) for e in ev_epochs]).reshape(-1, K, network.L - 1)
    with np.errstate(invalid="ignore"):
        history = History(costs[:n], rates[:n], ev_epochs, *ev, grad_norm=np.sqrt(norms[:n]), activation_share=share,
                          activation_share_kind=None if measure is None else measure[0])
    if previous is not None:
        history = History.from_arrays(previous).then(history, first_epoch)
    if training_state is not None:
        training_state.update({f"history.{k}": v for k, v in history.to_arrays().items()})
    return FitResult(tuple(status), tuple(message), theta, history, tuple(epochs_run),
                     time.perf_counter() - start, state, training_state)

