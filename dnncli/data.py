"""Data sets that ``data.name`` can name: the course's 2-D sets, a few classics, HDF5 files.

Every entry of :data:`DATASETS` is a function with keyword-only, annotated, defaulted
parameters returning a :class:`Dataset` in course layout: X is ``(n_x, m)`` float64 with one
column per example; Y is ``(1, m)`` of 0./1. for two classes, ``(C, m)`` one-hot otherwise.
The config schema, ``--help`` text and ``dnn datasets`` are generated from these signatures
and docstrings. Generated sets draw the training set from ``seed`` and the test set from
``seed + 1``, which reproduces the course's data (``configs/course/``, ``tests/scripts/test_course_table.py``).

scikit-learn and h5py are imported inside the functions that need them, so importing this
module stays fast.
"""

import dataclasses
import inspect
import math
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import Field

from dnncli import budget
from dnncli.engine.training import labels_of
from dnncli.errors import ConfigError, DataError, choice_hint, short_text
from dnncli.registry import Registry

DATASETS: Registry = Registry("data.name")
MAX_CLASSES = 1000  # a label of 2**40 must not build 2**40 class names
GENERATED_EXAMPLES = ("n_samples", "n_test")  # parameters that set how many examples a generator draws

Seed = Annotated[int, Field(ge=0, le=2**32 - 2, description="random seed; the test set uses seed + 1")]
NSamples = Annotated[int, Field(ge=2, description="number of training examples")]
NTest = Annotated[int, Field(ge=0, description="number of test examples (0: no test set)")]
Noise = Annotated[float, Field(ge=0, description="standard deviation of the Gaussian noise")]
TestSize = Annotated[float, Field(gt=0, lt=1, description="fraction of the examples held out for testing")]


class _Classes:
    """What the class names tell: how many classes, and whether the output is one sigmoid unit."""

    classes: tuple

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2


@dataclass(frozen=True, eq=False)  # eq=False: arrays make field-wise == ambiguous and unhashable
class Dataset(_Classes):
    """A training set and an optional test set, examples on the last axis."""

    name: str
    X_train: np.ndarray  # (n_x, m_train) float64
    Y_train: np.ndarray  # (1, m) of 0./1. when binary, (C, m) one-hot otherwise
    X_test: np.ndarray | None
    Y_test: np.ndarray | None
    classes: tuple[str, ...]
    features: tuple[str, ...] | None = None  # the feature columns' names (csv), in the order of X's rows
    label: str | None = None  # the label column's name (csv)
    x_mean: np.ndarray | None = None  # (n_x, 1): set by standardize, the training statistics it applied
    x_std: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.X_train.shape[0]


    @property
    def has_test(self) -> bool:
        return self.X_test is not None

    @property
    def labels_train(self) -> np.ndarray:
        """Integer class index of every training example, shape (m,)."""
        return labels_of(self.Y_train)

    @property
    def labels_test(self) -> np.ndarray | None:
        return None if self.Y_test is None else labels_of(self.Y_test)


def encode_labels(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Integer labels (m,) -> Y: (1, m) of 0./1. for two classes, (C, m) one-hot for more."""
    labels = np.asarray(labels, dtype=np.int64).reshape(-1)
    if n_classes == 2:
        return labels.astype(np.float64)[np.newaxis, :]
    return np.eye(n_classes)[:, labels]


def as_columns(X) -> np.ndarray:
    """Examples on the first axis (any shape after it) -> float64 (n_x, m), one column per example."""
    return np.ascontiguousarray(np.asarray(X, dtype=np.float64).reshape(len(X), -1).T)


@dataclass(frozen=True)
class Inputs(_Classes):
    """What a trained model expects of new data, saved with its run as ``data.json``.

    Enough for ``dnn predict`` to prepare examples exactly as training did: the number (and, for
    a CSV, the names) of the features, the label column, the class names, and the mean and std
    that ``standardize: true`` applied (the training statistics, as float64 values).
    """

    n_features: int
    classes: tuple[str, ...]
    features: tuple[str, ...] | None = None
    label: str | None = None
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None


    @classmethod
    def of(cls, ds: Dataset) -> "Inputs":
        scaled = ds.x_mean is not None
        return cls(ds.n_features, ds.classes, ds.features, ds.label,
                   tuple(ds.x_mean.ravel().tolist()) if scaled else None,
                   tuple(ds.x_std.ravel().tolist()) if scaled else None)

    def prepare(self, X: np.ndarray) -> np.ndarray:
        """X (n_x, m) as the model saw its training data: standardized with the saved statistics."""
        if self.mean is None:
            return X
        return _scale(X, np.array(self.mean).reshape(-1, 1), np.array(self.std).reshape(-1, 1))

    def to_json(self) -> dict:
        return {"n_features": self.n_features, "classes": list(self.classes),
                "features": None if self.features is None else list(self.features), "label": self.label,
                "standardize": None if self.mean is None else {"mean": list(self.mean), "std": list(self.std)}}

    @classmethod
    def from_json(cls, obj, where: str) -> "Inputs":
        """The inverse of :meth:`to_json`; anything else is one DataError line naming ``where``."""
        def bad(what: str) -> DataError:
            return DataError(f"{where}: {what}; is it a data.json written by dnn train?")

        if not isinstance(obj, dict):
            raise bad("not a JSON object")
        n, classes, features, scaling = obj.get("n_features"), obj.get("classes"), obj.get("features"), obj.get("standardize")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise bad(f"n_features {short_text(repr(n))} is not a positive integer")
        if not isinstance(classes, list) or not 2 <= len(classes) <= MAX_CLASSES or not all(isinstance(c, str) for c in classes):
            raise bad(f"classes must be a list of 2 to {MAX_CLASSES} names")
        if features is not None and (not isinstance(features, list) or len(features) != n
                                     or not all(isinstance(f, str) for f in features)):
            raise bad(f"features must be null or a list of {n} column names")
        label = obj.get("label")
        if label is not None and not isinstance(label, str):
            raise bad("label must be null or a column name")
        mean = std = None
        if scaling is not None:
            mean, std = (scaling.get(k) if isinstance(scaling, dict) else None for k in ("mean", "std"))
            for values in (mean, std):
                if not isinstance(values, list) or len(values) != n or not all(
                        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
                    raise bad(f"standardize must hold a mean and a std of {n} finite numbers each")
            if any(v <= 0 for v in std):
                raise bad("a standardization std must be positive")
            mean, std = tuple(float(v) for v in mean), tuple(float(v) for v in std)
        return cls(n, tuple(classes), None if features is None else tuple(features), label, mean, std)


def _make(name: str, classes, train, test=None, **described) -> Dataset:
    """A Dataset from ``(X, y)`` pairs with examples on the FIRST axis (scikit-learn layout).

    Every data set passes here, so here is where bad input is refused: no examples, no
    features, complex numbers, NaN or inf (a NaN in X would otherwise look like divergence).
    ``described``: the csv's ``features`` and ``label`` names.
    """
    classes = tuple(str(c) for c in classes)
    _check_examples(name, "training", train[0])
    if test is not None:
        _check_examples(name, "test", test[0])
    X_test = Y_test = None
    if test is not None:
        X_test, Y_test = as_columns(test[0]), encode_labels(test[1], len(classes))
    return Dataset(name, as_columns(train[0]), encode_labels(train[1], len(classes)), X_test, Y_test, classes,
                   **described)


def _check_examples(name: str, split: str, X) -> None:
    X = np.asarray(X)
    if X.ndim == 0 or X.shape[0] == 0:
        raise DataError(f"{name}: the {split} set has no examples")
    if X[:1].size == 0:
        raise DataError(f"{name}: the {split} set has examples of zero features (shape {X.shape})")
    if np.iscomplexobj(X):
        raise DataError(f"{name}: the {split} set holds complex numbers; only real data can be trained on")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise DataError(f"{name}: the {split} set must be numeric, got {X.dtype}")
    bad = ~np.isfinite(X)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"{name}: the {split} set holds {int(bad.sum())} NaN or infinite values "
                        f"(the first at index {first}, example {first[0]})")


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
    return _make("moons", ("0", "1"), make_moons(n_samples, noise=noise, random_state=seed), test)


@DATASETS.register("circles")
def circles(
    *,
    n_samples: NSamples = 300,
    noise: Noise = 0.05,
    factor: Annotated[float, Field(gt=0, lt=1, description="inner radius / outer radius")] = 0.8,
    n_test: NTest = 100,
    seed: Seed = 1,
) -> Dataset:
    """Two concentric circles (scikit-learn make_circles, drawn in NumPy); seed 1 is the course's Initialization set.

    With the defaults the test set (seed 2, 100 points) is also the course's.
    """
    from dnncli.generators import make_circles

    def draw(n: int, s: int):
        return make_circles(n, noise=noise, factor=factor, random_state=s)

    return _make("circles", ("0", "1"), draw(n_samples, seed), draw(n_test, seed + 1) if n_test else None)


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
    return _make("flower", ("0", "1"), _flower_points(n_samples, seed), test)


@DATASETS.register("blobs")
def blobs(
    *,
    n_samples: NSamples = 300,
    centers: Annotated[int, Field(ge=2, le=MAX_CLASSES, description="number of clusters (classes)")] = 3,
    cluster_std: Annotated[float, Field(gt=0, description="standard deviation of each cluster")] = 1.0,
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
    return _make("blobs", [str(k) for k in range(centers)], (X, y), test)


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
    classes: Annotated[int, Field(ge=2, le=MAX_CLASSES, description="number of arms (classes)")] = 3,
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
    return _make("spiral", [str(k) for k in range(classes)], train, test)


def _split(name: str, bunch, X: np.ndarray, classes, test_size: float, seed: int) -> Dataset:
    from sklearn.model_selection import train_test_split

    X_tr, X_te, y_tr, y_te = train_test_split(
        X, bunch.target, test_size=test_size, stratify=bunch.target, random_state=seed
    )
    return _make(name, classes, (X_tr, y_tr), (X_te, y_te))


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


def standardize(ds: Dataset) -> Dataset:
    """Centre and scale every feature with the TRAINING mean and std (a std of 0 counts as 1).

    The statistics stay on the dataset (``x_mean``, ``x_std``) and reach the run's data.json,
    so ``dnn predict`` applies the same ones (:meth:`Inputs.prepare`).
    """
    mu = ds.X_train.mean(axis=-1, keepdims=True)
    sd = ds.X_train.std(axis=-1, keepdims=True)
    sd = np.where(sd == 0, 1.0, sd)
    X_test = None if ds.X_test is None else _scale(ds.X_test, mu, sd)
    return dataclasses.replace(ds, X_train=_scale(ds.X_train, mu, sd), X_test=X_test, x_mean=mu, x_std=sd)


def _scale(X: np.ndarray, mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """The standardization of training and of prediction, one expression: (X - mean) / std."""
    return (X - mu) / sd


_standardize = standardize  # load_dataset's keyword argument shadows the function's name


SCALE_RATIO = 100.0  # features whose ranges differ more than this, without standardize, get a warning


class UnscaledInputWarning(UserWarning):
    """Training inputs whose feature ranges differ by more than SCALE_RATIO, with ``standardize`` off."""


def scale_warning(ds: Dataset) -> str | None:
    """One line when the training features' ranges (max - min, constant features left out) differ
    by more than :data:`SCALE_RATIO`: gradient descent then crawls along the small features while
    the large ones dominate every step. None otherwise."""
    spans = ds.X_train.max(axis=-1) - ds.X_train.min(axis=-1)
    varying = np.flatnonzero(spans > 0)
    if varying.size < 2:
        return None
    wide, narrow = varying[np.argmax(spans[varying])], varying[np.argmin(spans[varying])]
    ratio = spans[wide] / spans[narrow]
    if ratio <= SCALE_RATIO:
        return None
    return (f"{ds.name}: the feature ranges differ {ratio:.3g}-fold (feature {wide} spans {spans[wide]:.3g}, feature {narrow} "
            f"spans {spans[narrow]:.3g}; above {SCALE_RATIO:g}): set data.standardize: true")


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
