"""What a data set is: the :class:`Dataset` every entry of ``data.name`` returns, in course layout.

X is ``(n_x, m)`` float64 with one column per example; Y is ``(1, m)`` of 0./1. for two
classes, ``(C, m)`` one-hot otherwise. :func:`make_dataset` is the one place examples are
checked (no examples, no features, complex, NaN or inf); :func:`standardize` scales with the
training statistics, which :class:`Inputs` (a run's data.json) carries to ``dnn predict``.
The registry of data sets and their loading are in :mod:`dnncli.data`.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from dnncli.engine.training import labels_of
from dnncli.errors import DataError, short_text

MAX_CLASSES = 1000  # a label of 2**40 must not build 2**40 class names


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


def make_dataset(name: str, classes, train, test=None, **described) -> Dataset:
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
