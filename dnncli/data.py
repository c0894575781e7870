"""Data sets that ``data.name`` can name: the course's 2-D sets, a few classics, HDF5 and CSV files.

Every entry of :data:`DATASETS` is a function with keyword-only, annotated, defaulted
parameters (limits written with :class:`dnncli.constraints.Range`) returning a
:class:`dnncli.dataset.Dataset` in course layout.
The config schema, ``--help`` text and ``dnn datasets`` are generated from these signatures
and docstrings. Generated sets draw the training set from ``seed`` and the test set from
``seed + 1``, which reproduces the course's data (``configs/course/``, ``tests/scripts/test_course_table.py``).

scikit-learn and h5py are imported inside the functions that need them, so importing this
module stays fast.
"""

import inspect
from typing import Annotated

import numpy as np
from pydantic import Field

from dnncli import budget, constraints
from dnncli.constraints import Fraction, NonNegative, NonNegativeInt, Positive, Range
from dnncli.dataset import (  # noqa: F401 - the data set type and its helpers are importable here, as before
    MAX_CLASSES,
    SCALE_RATIO,
    Dataset,
    Inputs,
    UnscaledInputWarning,
    as_columns,
    encode_labels,
    make_dataset,
    scale_warning,
    standardize,
)
from dnncli.errors import ConfigError, choice_hint
from dnncli.registry import Registry

DATASETS: Registry = Registry("data.name")
GENERATED_EXAMPLES = ("n_samples", "n_test")  # parameters that set how many examples a generator draws

Seed = Annotated[constraints.Seed, Field(description="random seed; the test set uses seed + 1")]
NSamples = Annotated[int, Range(ge=2), Field(description="number of training examples")]
NTest = Annotated[NonNegativeInt, Field(description="number of test examples (0: no test set)")]
Noise = Annotated[NonNegative, Field(description="standard deviation of the Gaussian noise")]
TestSize = Annotated[Fraction, Field(description="fraction of the examples held out for testing")]
Classes = Annotated[int, Range(ge=2, le=MAX_CLASSES)]


def _per_class(n: int, k: int, key: str) -> int:
    """Examples per class when ``n`` are split over ``k`` classes; 0 < n < k is refused."""
    if 0 < n < k:
        raise ConfigError(key, n, f"0 or at least {k}, one example per class")
    return n // k


@DATASETS.register("moons")
def moons(*, n_samples: NSamples = 300, noise: Noise = 0.2, n_test: NTest = 100, seed: Seed = 3) -> Dataset:
    """Two interleaving half circles (scikit-learn make_moons, drawn in NumPy: dnncli.generators); seed 3 is the course's Optimization set.

    The course evaluates on the training set (it has no test set); ``n_test: 0`` does the same.
    """
    from dnncli.generators import make_moons

    test = make_moons(n_test, noise=noise, random_state=seed + 1) if n_test else None
    return make_dataset("moons", ("0", "1"), make_moons(n_samples, noise=noise, random_state=seed), test)


@DATASETS.register("circles")
def circles(
    *,
    n_samples: NSamples = 300,
    noise: Noise = 0.05,
    factor: Annotated[Fraction, Field(description="inner radius / outer radius")] = 0.8,
    n_test: NTest = 100,
    seed: Seed = 1,
) -> Dataset:
    """Two concentric circles (scikit-learn make_circles, drawn in NumPy); seed 1 is the course's Initialization set.

    With the defaults the test set (seed 2, 100 points) is also the course's.
    """
    from dnncli.generators import make_circles

    def draw(n: int, s: int):
        return make_circles(n, noise=noise, factor=factor, random_state=s)

    return make_dataset("circles", ("0", "1"), draw(n_samples, seed), draw(n_test, seed + 1) if n_test else None)


def _flower_points(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The course's planar flower: two classes of n // 2 petal points each."""
    rng, N = np.random.RandomState(seed), n // 2
    X, y = np.zeros((2 * N, 2)), np.repeat([0, 1], N)
    for j in (0, 1):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + 0.2 * rng.randn(N)  # angle
        r = 4 * np.sin(4 * t) + 0.2 * rng.randn(N)  # radius
        X[j * N : (j + 1) * N] = np.c_[r * np.sin(t), r * np.cos(t)]
    return X, y


@DATASETS.register("flower")
def flower(*, n_samples: NSamples = 400, n_test: NTest = 100, seed: Seed = 1) -> Dataset:
    """The course's planar 'flower': two classes of petals, not linearly separable (seed 1 = course)."""
    _per_class(n_samples, 2, "data.n_samples")
    test = _flower_points(n_test, seed + 1) if _per_class(n_test, 2, "data.n_test") else None
    return make_dataset("flower", ("0", "1"), _flower_points(n_samples, seed), test)


@DATASETS.register("blobs")
def blobs(
    *,
    n_samples: NSamples = 300,
    centers: Annotated[Classes, Field(description="number of clusters (classes)")] = 3,
    cluster_std: Annotated[Positive, Field(description="standard deviation of each cluster")] = 1.0,
    n_test: NTest = 100,
    seed: Seed = 0,
) -> Dataset:
    """Gaussian clusters, one class each (scikit-learn make_blobs, drawn in NumPy); train and test share the centers."""
    from dnncli.generators import make_blobs

    _per_class(n_samples, centers, "data.n_samples")
    X, y, where = make_blobs(
        n_samples, centers=centers, cluster_std=cluster_std, random_state=seed, return_centers=True
    )
    test = None
    if _per_class(n_test, centers, "data.n_test"):
        test = make_blobs(n_test, centers=where, cluster_std=cluster_std, random_state=seed + 1)
    return make_dataset("blobs", [str(k) for k in range(centers)], (X, y), test)


def _spiral_points(n: int, K: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """CS231n spiral: K arms of n // K points, radius 0..1, angle j*4..(j+1)*4 plus noise."""
    rng, N = np.random.RandomState(seed), n // K
    X, y = np.zeros((N * K, 2)), np.repeat(np.arange(K), N)
    for j in range(K):
        r = np.linspace(0.0, 1.0, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + noise * rng.randn(N)
        X[j * N : (j + 1) * N] = np.c_[r * np.sin(t), r * np.cos(t)]
    return X, y


@DATASETS.register("spiral")
def spiral(
    *,
    n_samples: NSamples = 300,
    classes: Annotated[Classes, Field(description="number of arms (classes)")] = 3,
    noise: Noise = 0.2,
    n_test: NTest = 100,
    seed: Seed = 0,
) -> Dataset:
    """Interleaved spiral arms, one class each (the CS231n toy set); n_samples // classes per arm."""
    _per_class(n_samples, classes, "data.n_samples")
    test = None
    if _per_class(n_test, classes, "data.n_test"):
        test = _spiral_points(n_test, classes, noise, seed + 1)
    train = _spiral_points(n_samples, classes, noise, seed)
    return make_dataset("spiral", [str(k) for k in range(classes)], train, test)


def _split(name: str, bunch, X: np.ndarray, classes, test_size: float, seed: int) -> Dataset:
    from sklearn.model_selection import train_test_split

    X_tr, X_te, y_tr, y_te = train_test_split(
        X, bunch.target, test_size=test_size, stratify=bunch.target, random_state=seed
    )
    return make_dataset(name, classes, (X_tr, y_tr), (X_te, y_te))


@DATASETS.register("digits")
def digits(*, test_size: TestSize = 0.2, seed: Seed = 0) -> Dataset:
    """Handwritten digits 0-9 as 8x8 images (scikit-learn, bundled), pixels scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return _split("digits", bunch, bunch.data / 16.0, [str(k) for k in range(10)], test_size, seed)


@DATASETS.register("breast_cancer")
def breast_cancer(*, test_size: TestSize = 0.2, seed: Seed = 0) -> Dataset:
    """Breast cancer diagnosis from 30 cell measurements (scikit-learn, bundled); binary.

    The features are on very different scales: use ``standardize: true``.
    """
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    return _split("breast_cancer", bunch, bunch.data, bunch.target_names, test_size, seed)


_standardize = standardize  # load_dataset's keyword argument shadows the function's name


def load_dataset(name: str, params: dict, *, standardize: bool = False) -> Dataset:
    """Build data set ``name`` with ``params`` (its keyword arguments, without name/standardize)."""
    fn = DATASETS.get(name, key="data.name")
    signature = inspect.signature(fn).parameters
    for key, value in params.items():
        if key not in signature:
            allowed = f"unknown key for data.name {name!r}; {choice_hint(key, signature)}"
            raise ConfigError(f"data.{key}", value, allowed)
    for key, p in signature.items():
        if p.default is inspect.Parameter.empty and key not in params:
            raise ConfigError(f"data.{key}", None, f"required for data.name {name!r}")
    drawn = [key for key in GENERATED_EXAMPLES if key in signature]
    if drawn:  # checked before generating: scikit-learn would allocate first and fail after
        n = sum(int(params.get(key, signature[key].default)) for key in drawn)
        budget.check_bytes(n * budget.BYTES_PER_GENERATED_EXAMPLE, f"generating {n} examples",
                           ", ".join(f"data.{key}" for key in drawn))
    ds = fn(**params)
    return _standardize(ds) if standardize else ds


def dataset_summaries() -> list[dict]:
    """One dict per registered data set (loaded with its defaults): name, description and sizes.

    Sets that need arguments (h5: file paths) have None for the sizes.
    """
    rows = []
    for name, fn in DATASETS.items():
        row = {"name": name, "description": inspect.getdoc(fn).splitlines()[0]}
        needs_args = any(p.default is inspect.Parameter.empty for p in inspect.signature(fn).parameters.values())
        row.update(n_features=None, n_classes=None, n_train=None, n_test=None)
        if not needs_args:
            ds = fn()
            n_test = ds.X_test.shape[1] if ds.has_test else 0
            row.update(n_features=ds.n_features, n_classes=ds.n_classes, n_train=ds.X_train.shape[1], n_test=n_test)
        rows.append(row)
    return rows


# h5 and csv (files a user brings) live in data_files.py; importing it registers them
from dnncli import data_files  # noqa: E402, F401
