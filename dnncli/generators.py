"""The 2-D toy data sets, drawn with NumPy alone, equal to scikit-learn's generators.

``make_moons``, ``make_circles`` and ``make_blobs`` return, for the same arguments and seed,
exactly the arrays of ``sklearn.datasets``' functions of the same names (a test compares
them), without importing scikit-learn (about a second of start-up). The random stream is a
``RandomState(seed)``, used in scikit-learn's order: the shuffle of the example indices first
(``shuffle(arange(n))``), then the noise (``normal(scale=noise, size=X.shape)``); for blobs the
centers (``uniform(-10, 10, (k, 2))``) come before the clusters.
"""

from __future__ import annotations

import numpy as np


def _shuffled(rng: np.random.RandomState, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.arange(X.shape[0])
    rng.shuffle(order)
    return X[order], y[order]


def _two_classes(x_out, y_out, x_in, y_in) -> tuple[np.ndarray, np.ndarray]:
    X = np.vstack([np.append(x_out, x_in), np.append(y_out, y_in)]).T
    y = np.hstack([np.zeros(len(x_out), dtype=np.intp), np.ones(len(x_in), dtype=np.intp)])
    return X, y


def make_moons(n_samples: int, *, noise: float | None = None, random_state: int = 0):
    """Two interleaving half circles: n // 2 points on the upper one (class 0), the rest below (class 1)."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    rng = np.random.RandomState(random_state)
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X, y = _two_classes(np.cos(t_out), np.sin(t_out), 1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5)
    X, y = _shuffled(rng, X, y)
    if noise is not None:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


def make_circles(n_samples: int, *, noise: float | None = None, factor: float = 0.8, random_state: int = 0):
    """Two concentric circles, radius 1 (class 0) and ``factor`` (class 1)."""
    n_out = n_samples // 2
    n_in = n_samples - n_out
    rng = np.random.RandomState(random_state)
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X, y = _two_classes(np.cos(t_out), np.sin(t_out), np.cos(t_in) * factor, np.sin(t_in) * factor)
    X, y = _shuffled(rng, X, y)
    if noise is not None:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


def make_blobs(n_samples: int, *, centers, cluster_std: float = 1.0, random_state: int = 0,
               return_centers: bool = False):
    """Gaussian clusters in 2-D: ``centers`` a count (drawn uniformly in [-10, 10]^2) or a (k, 2) array."""
    rng = np.random.RandomState(random_state)
    if np.ndim(centers) == 0:
        centers = rng.uniform(-10.0, 10.0, size=(int(centers), 2))
    centers = np.asarray(centers, dtype=np.float64)
    k = len(centers)
    counts = [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]
    X = np.empty((n_samples, centers.shape[1]))
    y = np.empty(n_samples, dtype=int)
    start = 0
    for i, n in enumerate(counts):
        X[start : start + n] = rng.normal(loc=centers[i], scale=cluster_std, size=(n, centers.shape[1]))
        y[start : start + n] = i
        start += n
    X, y = _shuffled(rng, X, y)
    return (X, y, centers) if return_centers else (X, y)
