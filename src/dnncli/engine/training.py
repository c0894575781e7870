"""The training loop: epochs of shuffled mini-batches, one optimizer step per batch.

The cost recorded for an epoch is the mean per-example loss over all the epoch's
mini-batches (summed, divided by m), plus the L2 term at the start of the epoch, so
curves of different batch sizes are comparable (the course's Optimization assignment).
Each batch's loss is that of its forward pass (the parameters before its update step).
A non-finite cost stops the run as ``diverged``; Ctrl-C stops it as ``interrupted``
after the current step (NumPy's in-place updates are never left half done).
"""

from __future__ import annotations

import contextlib
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dnncli.engine.minibatches import batch_slices, shuffled
from dnncli.engine.network import Network

COMPLETED, DIVERGED, INTERRUPTED = "completed", "diverged", "interrupted"


@dataclass(frozen=True)
class History:
    """Per-epoch cost and learning rate; sparse evaluations every ``eval_every`` epochs."""

    cost: np.ndarray
    learning_rate: np.ndarray
    eval_epochs: np.ndarray
    train_accuracy: np.ndarray
    test_cost: np.ndarray
    test_accuracy: np.ndarray

    @property
    def epochs(self) -> np.ndarray:
        return np.arange(len(self.cost))


@dataclass(frozen=True)
class FitResult:
    status: str
    theta: np.ndarray
    history: History
    epochs_run: int
    seconds: float
    message: str = ""
    extra: dict = field(default_factory=dict)


def accuracy(network: Network, params, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Fraction of examples whose predicted class equals the label (per model)."""
    return np.mean(network.predict(params, X) == labels, axis=-1)


def mean(x) -> float:
    """Mean over models of a per-model value (a scalar stays itself: np.mean costs microseconds)."""
    return float(x) if np.ndim(x) == 0 else float(np.mean(x))


def labels_of(Y: np.ndarray) -> np.ndarray:
    """Class index per example from the Y layout: (1, m) 0/1 or (C, m) one-hot."""
    return Y[0].astype(np.int64) if Y.shape[0] == 1 else np.argmax(Y, axis=0)


@contextlib.contextmanager
def _deferred_interrupt():
    """Turn Ctrl-C into a flag that the loop checks after each whole optimizer step.

    Python raises KeyboardInterrupt between any two operations, which could stop a step
    with Adam's v and s updated but theta not. Only the main thread can take signals; in
    any other thread the flag simply never rises.
    """
    flag = [False]

    def handler(signum, frame):
        flag[0] = True

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread
        previous = None
    try:
        yield flag
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


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
    callback: Callable[[int, float, float], None] | None = None,
) -> FitResult:
    """Train ``theta`` (modified in place) and return the result with its history.

    ``callback(epoch, cost, learning_rate)`` is called after every epoch (progress bars).
    """
    start = time.perf_counter()
    m = X.shape[-1]
    dtheta = np.zeros_like(theta)
    params, grads = network.layout.split(theta), network.layout.split(dtheta)
    optimizer.init_state(theta)
    lr0 = optimizer.learning_rate
    dropout = network.keep_prob is not None
    labels, test_labels = labels_of(Y), (labels_of(Y_test) if Y_test is not None else None)

    costs, rates = np.full(epochs, np.nan), np.full(epochs, np.nan)
    evals: list[tuple[int, float, float, float]] = []
    status, message, epoch = COMPLETED, "", -1

    def evaluate(e: int) -> None:
        train_acc = float(np.mean(accuracy(network, params, X, labels)))
        if X_test is None:
            evals.append((e, train_acc, np.nan, np.nan))
        else:
            test_cost = float(np.mean(network.cost(params, X_test, Y_test)))
            test_acc = float(np.mean(accuracy(network, params, X_test, test_labels)))
            evals.append((e, train_acc, test_cost, test_acc))

    # The loss is summed once per epoch, from each batch's Z_L copied into the columns of
    # Z_epoch (a copy costs a fraction of a loss evaluation on a mini-batch).
    slices = batch_slices(m, batch_size)
    Z_epoch = np.empty(np.broadcast_shapes(theta.shape[:-1], X.shape[:-2]) + (network.sizes[-1], m))
    # The hot loop: bound methods looked up once (attribute look-ups are a visible share of
    # a step on mini-batches of 64).
    forward, backward, step = network.forward, network.backward, optimizer.step
    loss_sum = network.output.loss_sum  # computed from Z_L and Y alone (A_L is not needed)
    # A NaN or inf is reported once, as the status "diverged", not as NumPy warnings.
    with np.errstate(over="ignore", under="ignore", invalid="ignore"), _deferred_interrupt() as interrupted:
        try:
            for epoch in range(epochs):
                learning_rate = schedule(lr0, seeding.schedule_epoch(epoch))
                l2 = network.l2_cost(params, m) if network.has_l2 else 0.0
                X_e, Y_e = (X, Y) if batch_size is None else shuffled(X, Y, seeding.shuffle_rng(epoch))
                for k in slices:
                    A, cache = forward(params, X_e[..., k], seeding.dropout_rng() if dropout else None, training=True)
                    Z_epoch[..., k] = cache[-1][0]
                    backward(params, grads, cache, Y_e[..., k])
                    step(theta, dtheta, learning_rate)
                    if interrupted[0]:  # Ctrl-C arrived during this step: stop now that it is whole
                        raise KeyboardInterrupt
                loss = loss_sum(Z_epoch, None, Y_e)
                cost = mean(loss / m + l2)
                costs[epoch], rates[epoch] = cost, mean(learning_rate)
                if not math.isfinite(cost):  # a NaN or inf in any model's cost makes the mean so
                    status = DIVERGED
                    message = (f"cost became {cost} at epoch {epoch}: "
                               "try a smaller optimizer.learning_rate or a smaller init scale")
                    break
                if (epoch + 1) % eval_every == 0 or epoch == epochs - 1:
                    evaluate(epoch)
                if callback is not None:
                    callback(epoch, costs[epoch], rates[epoch])
        except KeyboardInterrupt:
            status, message = INTERRUPTED, f"interrupted during epoch {epoch}"
            epoch -= 1  # the interrupted epoch is incomplete
            costs[epoch + 1] = np.nan

    epochs_run = epoch + 1 if status != DIVERGED else epoch
    if status != DIVERGED and (not evals or evals[-1][0] != epochs_run - 1) and epochs_run > 0:
        evaluate(epochs_run - 1)
    ev = np.array(evals, dtype=float).reshape(-1, 4)
    history = History(
        cost=costs[: epoch + 1], learning_rate=rates[: epoch + 1],
        eval_epochs=ev[:, 0].astype(int), train_accuracy=ev[:, 1],
        test_cost=ev[:, 2], test_accuracy=ev[:, 3],
    )
    return FitResult(status, theta, history, epochs_run, time.perf_counter() - start, message,
                     extra={"state": network.state()})
