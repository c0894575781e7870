"""Time the adam_moons workload: our engine against a hand-tuned loop and the course style.

Workload (the Optimization assignment of "Improving Deep Neural Networks"):
make_moons(300, noise=0.2, random_state=3), X of shape (2, 300); layers [2, 5, 2, 1],
ReLU hidden units and a sigmoid output; He init; Adam (lr 0.0007, beta1 0.9, beta2 0.999,
epsilon 1e-8); mini-batches of 64 (4 x 64 + 1 x 44 per epoch). 10000 epochs are 50,000
parameter updates, each on a tiny batch, so the time is almost all per-call Python and NumPy
overhead: this measures how lean the training loop is, not how fast the arithmetic is.

Contenders, all in one process, interleaved (every contender once per round), best of
``--repeats`` rounds, timed by the process's CPU time (``--wall`` for the wall clock):
- ours: ``fit`` with the engine (course seeding: the assignments' streams, re-seeded every
  epoch; numpy seeding: one Generator);
- hand-tuned: the same math written out for this one network (same initial values, batch
  order and formulas; reaches the same 0.94): the NumPy floor (issue 16);
- program alone: fit's prebuilt ops of every update driven by the thinnest loop, so
  ``ours - program alone`` is what ``fit`` adds around them (issue 16: nothing measurable);
- course style: the notebooks' dicts and per-layer loops; ``--sklearn``: MLPClassifier (its
  own init and shuffling, so its accuracy differs).
Then batch norm against the plain network on configs/(batchnorm_)deep_sigmoid_moons.yaml.
Targets (issue 16): course style/ours >= 7, ours/hand-tuned <= 1.15, batch norm/plain <= 1.5.

    python bench/bench_engine.py [--epochs 10000] [--repeats 3] [--bn-epochs 300] [--sklearn]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import make_moons

from dnncli.engine.activations import ReLU, SigmoidOutput
from dnncli.engine.initializers import He
from dnncli.engine.network import Network
from dnncli.engine.optimizers import Adam
from dnncli.engine.program import EpochProgram
from dnncli.engine.schedules import Constant
from dnncli.engine.seeding import CourseSeeding, NumpySeeding
from dnncli.engine.training import fit

LAYERS, LR, BATCH, SEED = [2, 5, 2, 1], 0.0007, 64, 3
ROOT = Path(__file__).resolve().parents[1]


def run_ours(X, Y, epochs, seeding_class):
    seeding = seeding_class(SEED)
    network = Network(LAYERS, ReLU(), SigmoidOutput())
    theta = He()(network.layout, seeding.init_rng())
    result = fit(network, theta, X, Y, optimizer=Adam(LR), schedule=Constant(), epochs=epochs,
                 batch_size=BATCH, seeding=seeding)
    return float(result.history.train_accuracy[-1, 0])


# -- the course-notebook style, written out as the assignments do it ------------------------
def initialize_parameters_he(layers_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(2.0 / layers_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def forward_propagation(X, parameters):
    L = len(parameters) // 2
    caches, A = [], X
    for l in range(1, L + 1):
        Z = np.dot(parameters["W" + str(l)], A) + parameters["b" + str(l)]
        caches.append((A, Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
    return A, caches


def compute_cost(AL, Y):
    logprobs = np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)
    return np.sum(logprobs)


def backward_propagation(AL, Y, caches, parameters):
    m = Y.shape[1]
    L = len(caches)
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev, _ = caches[l - 1]
        grads["dW" + str(l)] = 1.0 / m * np.dot(dZ, A_prev.T)
        grads["db" + str(l)] = 1.0 / m * np.sum(dZ, axis=1, keepdims=True)
        if l > 1:
            dA_prev = np.dot(parameters["W" + str(l)].T, dZ)
            dZ = np.multiply(dA_prev, np.int64(A_prev > 0))
    return grads


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation].reshape((1, m))
    mini_batches = []
    for k in range(math.floor(m / mini_batch_size)):
        mini_batches.append((shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size],
                             shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]))
    if m % mini_batch_size != 0:
        k = math.floor(m / mini_batch_size) * mini_batch_size
        mini_batches.append((shuffled_X[:, k:m], shuffled_Y[:, k:m]))
    return mini_batches


def initialize_adam(parameters):
    L = len(parameters) // 2
    v, s = {}, {}
    for l in range(L):
        for p in ("W", "b"):
            v["d" + p + str(l + 1)] = np.zeros(parameters[p + str(l + 1)].shape)
            s["d" + p + str(l + 1)] = np.zeros(parameters[p + str(l + 1)].shape)
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected, s_corrected = {}, {}
    for l in range(L):
        for p in ("W", "b"):
            key = "d" + p + str(l + 1)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            v_corrected[key] = v[key] / (1 - np.power(beta1, t))
            s[key] = beta2 * s[key] + (1 - beta2) * np.power(grads[key], 2)
            s_corrected[key] = s[key] / (1 - np.power(beta2, t))
            parameters[p + str(l + 1)] = parameters[p + str(l + 1)] - learning_rate * v_corrected[key] / (np.sqrt(s_corrected[key]) + epsilon)
    return parameters, v, s


def run_course(X, Y, epochs):
    parameters = initialize_parameters_he(LAYERS)
    v, s = initialize_adam(parameters)
    t, seed, m, costs = 0, 10, X.shape[1], []
    for _i in range(epochs):
        seed = seed + 1
        cost_total = 0
        for minibatch_X, minibatch_Y in random_mini_batches(X, Y, BATCH, seed):
            AL, caches = forward_propagation(minibatch_X, parameters)
            cost_total += compute_cost(AL, minibatch_Y)
            grads = backward_propagation(AL, minibatch_Y, caches, parameters)
            t = t + 1
            parameters, v, s = update_parameters_with_adam(parameters, grads, v, s, t, LR)
        costs.append(cost_total / m)
    AL, _ = forward_propagation(X, parameters)
    return float(np.mean((AL > 0.5) == Y))


# -- the hand-tuned loop: the same math written out for this one network (the NumPy floor) --
def run_hand_tuned(X, Y, epochs, seeding_class):
    """One model, no engine: ours' initial values, batch order and formulas, every call counted.

    Same He init and flat layout ([W_l | b_l]^T blocks), same shuffles, Adam with the same
    bias correction; what it does that a general engine does not:
    - every epoch's shuffle drawn before the loop, each mini-batch gathered by one ``take``
      into a preallocated [X; 1] buffer, and the signs 1 - 2y gathered beside it;
    - the sigmoid output and its cross-entropy from u = (1 - 2y) z: cost log(1 + e^u) and
      dZ = (1 - 2y) e^u / (1 + e^u) = A - Y, from the same exponential (overflows for u > 709),
      each batch's losses written into the epoch's row and summed once per epoch;
    - the gradient scaled once by (1 - beta1)/m, so v = beta1 v + g' needs no multiply, and
      s kept as s / c (c = (1 - beta2)/(1 - beta1)^2), so s' = beta2 s' + g'^2 needs none either;
    - the bias-corrected step sizes of every update computed before the loop, as arrays;
    - ``np.dot`` called without NumPy's dispatcher (``np.dot._implementation``), as the engine does,
      and every output passed positionally (cheaper than the keyword ``out=``).
    """
    seeding = seeding_class(SEED)
    layout = Network(LAYERS, ReLU(), SigmoidOutput()).layout
    theta = He()(layout, seeding.init_rng())
    dtheta, m, (n0, n1, n2, _n3) = np.zeros_like(theta), X.shape[1], LAYERS
    WbT = layout.blocks(theta)[1:]
    Wb1, Wb2, Wb3 = (block.T for block in WbT)
    dWbT1, dWbT2, dWbT3 = layout.blocks(dtheta)[1:]
    perms = np.stack([seeding.shuffle_rng(e).permutation(m) for e in range(epochs)])
    X1, sign = np.vstack([X, np.ones((1, m))]), 1.0 - 2.0 * Y
    batches = [(k, min(k + BATCH, m)) for k in range(0, m, BATCH)]
    buffers = {}
    for size in {b - a for a, b in batches}:
        A0, A1, A2 = np.empty((n0 + 1, size)), np.ones((n1 + 1, size)), np.ones((n2 + 1, size))
        buffers[size] = (A0, A1, A2, A1[:n1], A2[:n2], np.empty((1, size)), np.empty((n1, size)),
                         np.empty((n2, size)), np.empty((1, size)), np.empty((1, size)), np.empty((n1 + 1, size)),
                         np.empty((n2 + 1, size)), np.empty((n1, size)), np.empty((n2, size)),
                         np.array((1 - 0.9) / size))
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    c = (1 - beta2) / (1 - beta1) ** 2
    t = np.arange(1, epochs * len(batches) + 1)
    root = np.sqrt(1 - beta2**t)
    lr_t, eps_t = LR * root / (1 - beta1**t) / np.sqrt(c), eps * root / np.sqrt(c)
    v, s, tmp, step, zero = np.zeros_like(theta), np.zeros_like(theta), np.empty_like(theta), 0, np.array(0.0)
    losses = np.empty((1, m))
    # np.dot without its __array_function__ dispatcher, as the engine calls it (engine/ops.py)
    dot, multiply, add, maximum, sgn = getattr(np.dot, "_implementation", np.dot), np.multiply, np.add, np.maximum, np.sign
    for e in range(epochs):
        perm = perms[e]
        for a, b in batches:
            A0, A1, A2, A1v, A2v, sg, Z1, Z2, Z3, T, dA1, dA2, M1, M2, scale = buffers[b - a]
            idx = perm[a:b]
            X1.take(idx, 1, A0, "clip")                       # [X; 1] of the batch (positional: a
            sign.take(idx, 1, sg, "clip")                     # quarter of np.take(..., out=)'s time); 1 - 2y
            dot(Wb1, A0, Z1)
            maximum(Z1, zero, out=A1v)
            dot(Wb2, A1, Z2)
            maximum(Z2, zero, out=A2v)
            dot(Wb3, A2, Z3)
            multiply(Z3, sg, Z3)                              # u = (1 - 2y) z
            np.exp(Z3, Z3)                                    # e^u
            add(Z3, 1.0, T)
            np.log(T, losses[:, a:b])                         # log(1 + e^u), summed once per epoch
            np.divide(Z3, T, T)
            multiply(T, sg, T)                                # dZ3 = (1 - 2y) e^u / (1 + e^u)
            dot(A2, T.T, dWbT3)
            dot(WbT[2], T, dA2)
            multiply(dA2[:n2], sgn(A2v, M2), M2)              # dZ2 = dA2 * 1[Z2 > 0]
            dot(A1, M2.T, dWbT2)
            dot(WbT[1], M2, dA1)
            multiply(dA1[:n1], sgn(A1v, M1), M1)
            dot(A0, M1.T, dWbT1)
            multiply(dtheta, scale, dtheta)                   # g' = (1 - beta1) g
            multiply(v, beta1, v)
            add(v, dtheta, v)                                 # v = beta1 v + (1 - beta1) g
            multiply(dtheta, dtheta, tmp)
            multiply(s, beta2, s)
            add(s, tmp, s)                                    # s / c = beta2 s / c + g'^2
            np.sqrt(s, tmp)
            add(tmp, eps_t[step], tmp)
            np.divide(v, tmp, tmp)
            multiply(tmp, lr_t[step], tmp)
            np.subtract(theta, tmp, theta)                    # theta -= lr v_hat / (sqrt(s_hat) + eps)
            step += 1
        np.add.reduce(losses, None)                           # the epoch's cost (times m)
    A, _ = Network(LAYERS, ReLU(), SigmoidOutput()).forward(layout.split(theta), X)
    return float(np.mean((A > 0.5) == Y))


def run_program_only(X, Y, epochs, seeding_class):
    """fit's prebuilt ops (:class:`EpochProgram`) driven by the thinnest loop: shuffle, run, nothing else.

    ``ours - program alone`` is what ``fit`` adds per update besides the ops of the update itself
    (the epoch's loss and divergence check, the gradient norms, the callbacks and the active
    mask, the evaluations every 100 epochs): issue 16 asks it to be too small to measure.
    """
    seeding = seeding_class(SEED)
    network = Network(LAYERS, ReLU(), SigmoidOutput())
    theta = He()(network.layout, seeding.init_rng())
    dtheta, optimizer = np.zeros_like(theta), Adam(LR)
    params, grads = network.layout.split(theta), network.layout.split(dtheta)
    optimizer.init_state(theta)
    rate = np.array(LR)
    program = EpochProgram(network, optimizer, params, grads, X, Y, BATCH, seeding, np.empty((1, X.shape[1])), rate, False)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for epoch in range(epochs):
            program.shuffle(epoch)
            program.run()
    return float(np.mean(network.predict(params, X) == Y[0]))


def run_sklearn(X, Y, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=(5, 2), activation="relu", solver="adam", batch_size=BATCH,
                        learning_rate_init=LR, max_iter=epochs, alpha=0.0, tol=0.0, n_iter_no_change=10**9,
                        shuffle=True, random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X.T, Y[0])
    return float(clf.score(X.T, Y[0]))


def run_config(path, epochs):
    """``fit`` on a config of ``configs/`` (built as ``dnn train`` builds it); returns the train accuracy."""
    from dnncli.build import build
    from dnncli.config import load_config

    config = load_config(ROOT / path, [f"training.epochs={epochs}"])
    built = build(config)
    data = built.dataset
    result = fit(built.network, built.theta, data.X_train, data.Y_train, optimizer=built.optimizer,
                 schedule=built.schedule, epochs=epochs, batch_size=config.training.batch_size,
                 seeding=built.seeding, eval_every=epochs)
    return float(result.history.train_accuracy[-1, 0])


def interleaved(contenders: dict, repeats: int, clock=time.process_time) -> tuple[dict, dict]:
    """Best seconds and last result of each contender, run once per round, round after round.

    The default clock is the process's CPU time: on a machine shared with other jobs, the
    wall clock also counts the time this process waited for a core.
    """
    best, out = {name: math.inf for name in contenders}, {}
    for _ in range(repeats):
        for name, run in contenders.items():
            start = clock()
            out[name] = run()
            best[name] = min(best[name], clock() - start)
    return best, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bn-epochs", type=int, default=300, help="epochs of the batch-norm comparison (0: skip)")
    parser.add_argument("--sklearn", action="store_true", help="also time scikit-learn's MLPClassifier")
    parser.add_argument("--wall", action="store_true", help="time by the wall clock, not the process's CPU time")
    args = parser.parse_args()
    clock = time.perf_counter if args.wall else time.process_time

    X, y = make_moons(n_samples=300, noise=0.2, random_state=3)
    X, Y = X.T.copy(), y.reshape(1, -1).astype(np.float64)
    updates = args.epochs * math.ceil(X.shape[1] / BATCH)
    contenders = {
        "ours (course seeding)": lambda: run_ours(X, Y, args.epochs, CourseSeeding),
        "ours (numpy seeding)": lambda: run_ours(X, Y, args.epochs, NumpySeeding),
        "hand-tuned (course)": lambda: run_hand_tuned(X, Y, args.epochs, CourseSeeding),
        "hand-tuned (numpy)": lambda: run_hand_tuned(X, Y, args.epochs, NumpySeeding),
        "program alone (course)": lambda: run_program_only(X, Y, args.epochs, CourseSeeding),
        "course style": lambda: run_course(X, Y, args.epochs),
    }
    if args.sklearn:
        contenders["sklearn MLPClassifier"] = lambda: run_sklearn(X, Y, args.epochs)
    best, acc = interleaved(contenders, args.repeats, clock)

    print(f"adam_moons: {args.epochs} epochs = {updates} updates, best of {args.repeats} interleaved runs")
    print(f"{'':26s} {'seconds':>8s} {'us/update':>10s} {'train acc':>10s}")
    for name, seconds in best.items():
        print(f"{name:26s} {seconds:8.2f} {seconds / updates * 1e6:10.1f} {acc[name]:10.4f}")
    for seeding in ("course", "numpy"):
        ours = best[f"ours ({seeding} seeding)"]
        ratios = [f"course style/ours = {best['course style'] / ours:.2f}x (target >= 7)",
                  f"ours/hand-tuned = {ours / best[f'hand-tuned ({seeding})']:.2f} (target <= 1.15)"]
        if "sklearn MLPClassifier" in best:
            ratios.append(f"sklearn/ours = {best['sklearn MLPClassifier'] / ours:.2f}x")
        print(f"{seeding} seeding: " + ", ".join(ratios))
    ours, alone = best["ours (course seeding)"], best["program alone (course)"]
    print(f"fit's bookkeeping beyond its ops (course seeding): ours/program alone = {ours / alone:.3f} "
          f"({(ours - alone) / updates * 1e6:.1f} us/update)")

    if args.bn_epochs:
        bn_updates = args.bn_epochs * math.ceil(300 / 64)
        bn = {"plain": lambda: run_config("configs/deep_sigmoid_moons.yaml", args.bn_epochs),
              "batch norm": lambda: run_config("configs/batchnorm_deep_sigmoid_moons.yaml", args.bn_epochs)}
        bn_best, bn_acc = interleaved(bn, max(args.repeats, 3), clock)
        print(f"\ndeep_sigmoid_moons, 8 hidden layers of 20: {args.bn_epochs} epochs = {bn_updates} updates")
        for name, seconds in bn_best.items():
            print(f"{name:26s} {seconds:8.2f} {seconds / bn_updates * 1e6:10.1f} {bn_acc[name]:10.4f}")
        print(f"batch norm/plain per update = {bn_best['batch norm'] / bn_best['plain']:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
