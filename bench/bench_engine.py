"""Time the adam_moons workload: our engine against a course-notebook-style NumPy loop.

Workload (the Optimization assignment of "Improving Deep Neural Networks"):
make_moons(300, noise=0.2, random_state=3), X of shape (2, 300); layers [2, 5, 2, 1],
ReLU hidden units and a sigmoid output; He init; Adam (lr 0.0007, beta1 0.9, beta2 0.999,
epsilon 1e-8); mini-batches of 64 (4 x 64 + 1 x 44 per epoch). 10000 epochs are 50,000
parameter updates, each on a tiny batch, so the time is almost all per-call Python and NumPy
overhead: this measures how lean the training loop is, not how fast the arithmetic is.

Both implementations run in one process, interleaved (ours, course, ours, course, ...), and
the best of ``--repeats`` is kept, so a busy machine penalises both alike. Read
``course style/ours`` as "how many times fewer seconds per update we need than the notebook
style" (the target is >= 5). ``--sklearn`` adds scikit-learn's MLPClassifier (same layers,
Adam, batch 64, same number of epochs, but its own Glorot-uniform init and shuffling, so its
accuracy differs) as a second baseline. The course-seeded runs print train accuracy 0.94 at
10000 epochs. "course seeding" re-seeds a RandomState every epoch (the assignments' streams);
"numpy seeding" shuffles with one Generator, so the gap between the two is seeding cost.

    PYTHONPATH=src python bench/bench_engine.py [--epochs 10000] [--repeats 3] [--sklearn]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
from sklearn.datasets import make_moons

from dnncli.engine.activations import ReLU, SigmoidOutput
from dnncli.engine.initializers import He
from dnncli.engine.network import Network
from dnncli.engine.optimizers import Adam
from dnncli.engine.schedules import Constant
from dnncli.engine.seeding import CourseSeeding, NumpySeeding
from dnncli.engine.training import fit

LAYERS, LR, BATCH, SEED = [2, 5, 2, 1], 0.0007, 64, 3


def run_ours(X, Y, epochs, seeding_class):
    seeding = seeding_class(SEED)
    network = Network(LAYERS, ReLU(), SigmoidOutput())
    theta = He()(network.layout, seeding.init_rng())
    result = fit(network, theta, X, Y, optimizer=Adam(LR), schedule=Constant(), epochs=epochs,
                 batch_size=BATCH, seeding=seeding)
    return float(result.history.train_accuracy[-1])


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
    for i in range(epochs):
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sklearn", action="store_true", help="also time scikit-learn's MLPClassifier")
    args = parser.parse_args()

    X, y = make_moons(n_samples=300, noise=0.2, random_state=3)
    X, Y = X.T.copy(), y.reshape(1, -1).astype(np.float64)
    updates = args.epochs * math.ceil(X.shape[1] / BATCH)
    contenders = {
        "ours (course seeding)": lambda: run_ours(X, Y, args.epochs, CourseSeeding),
        "ours (numpy seeding)": lambda: run_ours(X, Y, args.epochs, NumpySeeding),
        "course style": lambda: run_course(X, Y, args.epochs),
    }
    if args.sklearn:
        contenders["sklearn MLPClassifier"] = lambda: run_sklearn(X, Y, args.epochs)
    best = {name: math.inf for name in contenders}
    acc = {}
    for _ in range(args.repeats):  # interleaved: every contender once per round
        for name, run in contenders.items():
            start = time.perf_counter()
            acc[name] = run()
            best[name] = min(best[name], time.perf_counter() - start)

    print(f"adam_moons: {args.epochs} epochs = {updates} updates, best of {args.repeats} interleaved runs")
    print(f"{'':24s} {'seconds':>8s} {'us/update':>10s} {'train acc':>10s}")
    for name, seconds in best.items():
        print(f"{name:24s} {seconds:8.2f} {seconds / updates * 1e6:10.1f} {acc[name]:10.4f}")
    for ours in ("ours (numpy seeding)", "ours (course seeding)"):
        ratios = [f"{base}/ours = {best[base] / best[ours]:.2f}x" for base in best if not base.startswith("ours")]
        print(f"{ours}: " + ", ".join(ratios))


if __name__ == "__main__":
    main()
