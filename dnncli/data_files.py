"""Data sets read from files a user brings: ``h5`` (the course's layout) and ``csv``.

Both register in :data:`dnncli.data.DATASETS` (importing :mod:`dnncli.data` imports this
module) and share one label check, :func:`class_names`. h5py is imported inside the
functions that need it.
"""

import math
import os
from typing import Annotated

import numpy as np
from pydantic import Field

from dnncli import budget
from dnncli.constraints import FilePath, Fraction, Seed
from dnncli.data import DATASETS
from dnncli.dataset import MAX_CLASSES, Dataset, make_dataset
from dnncli.errors import DataError, short_text


def class_names(labels: dict[str, np.ndarray], files: str, names=None) -> tuple[str, ...]:
    """The one check of the labels a data file holds (h5, csv), and the class names it gives.

    ``labels`` maps where each array of labels came from (a file and its data set or column)
    to the class index of every example: h5's labels as stored, csv's the position of each value
    among the sorted distinct values. ``names`` (h5's ``list_classes``, csv's distinct values)
    default to "0", "1", ... up to the largest label, at least two. Refused, in one line: labels
    that are not whole numbers 0, 1, 2, ...; a label of MAX_CLASSES or more; fewer than two or
    more than MAX_CLASSES classes; a label without a name.
    """
    for where, y in labels.items():
        if np.iscomplexobj(y) or not np.all(np.isfinite(y)) or np.any(y < 0) or np.any(y != np.round(y)):
            raise DataError(f"{where} must hold class indices 0, 1, 2, ...")
    if names is not None and not 2 <= len(names) <= MAX_CLASSES:
        listed = short_text(", ".join(str(c) for c in names[:20]), 60)
        raise DataError(f"{files}: {len(names)} class{'' if len(names) == 1 else 'es'} ({listed}); "
                        f"2 to {MAX_CLASSES} are supported")
    top = max((int(y.max()) for y in labels.values() if y.size), default=-1)
    if top >= MAX_CLASSES:
        raise DataError(f"{files}: a label of {top}; at most {MAX_CLASSES} classes (labels 0 to {MAX_CLASSES - 1})")
    names = [str(k) for k in range(max(2, top + 1))] if names is None else [str(c) for c in names]
    if top >= len(names):
        raise DataError(f"{files}: labels go up to {top} but there are {len(names)} classes "
                        f"({short_text(', '.join(names), 200)})")
    return tuple(names)


def _read_split(path: str, split: str, *, key: str, required: bool, labelled: bool = True):
    """``(X rows, labels or None, class names or None)`` of ``{split}_set_x/_y`` in ``path``, or None.

    ``labelled``: the labels must be there (training); otherwise they are read when present
    (``dnn predict``). The labels are checked by :func:`class_names`, by the caller.
    """
    import h5py

    if not os.path.isfile(path):
        raise DataError(f"{path}: no such file ({key})")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise DataError(f"{path}: not a readable HDF5 file ({err})") from None
    with f:
        x_key, y_key = f"{split}_set_x", f"{split}_set_y"
        if not required and x_key not in f and y_key not in f:
            return None
        wanted = (x_key, y_key) if labelled or y_key in f else (x_key,)
        for name in wanted:
            if not isinstance(f.get(name), h5py.Dataset):
                raise DataError(f"{path}: missing data set {name!r} (found: {', '.join(f.keys()) or 'nothing'})")
        y_ds = f[y_key] if y_key in wanted else None
        _check_declared(path, f[x_key], y_ds, key)  # shapes first: reading allocates
        x, y = f[x_key][()], None if y_ds is None else y_ds[()]
        names = _class_names(path, f.get("list_classes"), h5py) if "list_classes" in f else None

    if x.ndim == 0 or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise DataError(f"{path}: {x_key!r} must be a numeric array with examples on the first axis")
    x = x.reshape(len(x), -1) / 255.0 if x.dtype == np.uint8 else x.reshape(len(x), -1).astype(np.float64)
    if not np.isfinite(x).all():
        raise DataError(f"{path}: {x_key!r} holds {int((~np.isfinite(x)).sum())} NaN or infinite values")
    if y is None:
        return x, None, names
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1 or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise DataError(f"{path}: {y_key!r} must be numeric of shape (m,) or (1, m), got {y.shape}")
    if len(x) != len(y) or len(y) == 0:
        raise DataError(f"{path}: {x_key!r} has {len(x)} examples but {y_key!r} has {len(y)}")
    return x, y, names


def _check_declared(path: str, x, y, key: str) -> None:
    """Refuse an HDF5 split by its declared shapes and types, before a byte is read."""
    if x.ndim == 0 or x.shape[0] == 0:
        raise DataError(f"{path}: {x.name.lstrip('/')!r} has no examples (shape {x.shape})")
    n_features = math.prod(x.shape[1:])
    if n_features == 0:
        raise DataError(f"{path}: {x.name.lstrip('/')!r} has examples of zero features (shape {x.shape})")
    for ds in (x, y):
        if ds is not None and ds.dtype.kind == "c":
            raise DataError(f"{path}: {ds.name.lstrip('/')!r} holds complex numbers; only real data can be trained on")
    budget.check_bytes(2 * 8 * x.shape[0] * n_features + 8 * (0 if y is None else y.size),
                       f"reading {x.name.lstrip('/')!r} of {path}", key)


def _class_names(path: str, ds, h5py) -> list[str]:
    if not isinstance(ds, h5py.Dataset) or ds.ndim != 1:
        raise DataError(f"{path}: 'list_classes' must be a 1-D array of class names")
    if not 2 <= ds.shape[0] <= MAX_CLASSES:  # checked before reading, as class_names would after
        raise DataError(f"{path}: 'list_classes' has {ds.shape[0]} names; 2 to {MAX_CLASSES} classes are supported")
    return [c.decode("utf-8", "replace") if isinstance(c, bytes) else str(c) for c in ds[()]]


@DATASETS.register("h5")
def h5(*, train: FilePath, test: FilePath | None = None) -> Dataset:
    """Read images and labels from HDF5 files in the course layout (train_set_x, train_set_y, ...).

    ``test`` may be the same file as ``train``; when it is left out, the test set is read from
    the train file if it holds ``test_set_x``/``test_set_y``, else there is none. Samples are on
    the first axis and are flattened; uint8 data is scaled by 1/255, float data taken as is.
    Class names come from ``list_classes`` when present.
    """
    train, test = os.fspath(train), None if test is None else os.fspath(test)
    X, y, names = _read_split(train, "train", key="data.train", required=True)
    test_part = _read_split(test or train, "test", key="data.test" if test else "data.train", required=test is not None)
    labels = {f"{train}: 'train_set_y'": y}
    if test_part is not None:
        if test_part[0].shape[1] != X.shape[1]:
            raise DataError(
                f"{test or train}: 'test_set_x' has {test_part[0].shape[1]} features per example "
                f"but 'train_set_x' in {train} has {X.shape[1]}"
            )
        names = names or test_part[2]
        labels[f"{test or train}: 'test_set_y'"] = test_part[1]
    names = class_names(labels, train if test in (None, train) else f"{train}, {test}", names)
    test_part = None if test_part is None else (test_part[0], test_part[1].astype(np.int64))
    return make_dataset("h5", names, (X, y.astype(np.int64)), test_part)


def h5_examples(path: str, key: str) -> tuple[np.ndarray, np.ndarray | None, str]:
    """``(X rows, labels or None, the split read)`` of an h5 file in the course layout, for
    ``dnn predict``: its ``test_set_x`` (and ``test_set_y``) when it holds them, else ``train_set_x``."""
    path = os.fspath(path)
    part = _read_split(path, "test", key=key, required=False, labelled=False)
    split = "test"
    if part is None:
        part, split = _read_split(path, "train", key=key, required=True, labelled=False), "train"
    return part[0], part[1], split


@DATASETS.register("csv")
def csv_files(
    *,
    train: FilePath,
    test: FilePath | None = None,
    label: Annotated[str | None, Field(description="the label column (default: the last)")] = None,
    test_size: Annotated[Fraction, Field(description="without a test file: the fraction held out")] = 0.25,
    seed: Annotated[Seed, Field(description="without a test file: the split's seed")] = 0,
) -> Dataset:
    """Read examples from CSV files: a header row, numeric feature columns and a label column.

    ``label`` names the label column (default: the last); every other column is a feature. The
    labels may be numbers or strings: the classes are the distinct values, sorted (by value when
    all are numbers), and keep their names. ``test`` must have the same columns (in any order);
    without it, a stratified ``test_size`` of the examples is held out, drawn with ``seed``.
    """
    from dnncli import tables

    table = tables.read_table(os.fspath(train), "data.train")
    label = table.label_column(label, "data.label")
    features = [c for c in table.columns if c != label]
    if not features:
        raise DataError(f"{table.path}: no feature columns, only the label column {label!r}")
    X, texts, tests = table.numbers(features), [table.labels(label)], None
    if test is not None:
        tests = tables.read_table(os.fspath(test), "data.test")
        tests.require_columns(table.columns, f"the columns of data.train ({table.path})")
        X_test = tests.numbers(features)
        texts.append(tests.labels(label))
    names, indices = tables.classes_of(texts)
    where = {f"{table.path}: column {label!r}": indices[0]}
    if tests is not None:
        where[f"{tests.path}: column {label!r} (data.test)"] = indices[1]  # a distinct key when test is train
    files = table.path if tests is None or tests.path == table.path else f"{table.path}, {tests.path}"
    names = class_names(where, files, names)
    described = {"features": tuple(features), "label": label}
    if tests is not None:
        return make_dataset("csv", names, (X, indices[0]), (X_test, indices[1]), **described)
    from sklearn.model_selection import train_test_split

    try:
        X_tr, X_te, y_tr, y_te = train_test_split(X, indices[0], test_size=test_size, stratify=indices[0],
                                                  random_state=seed)
    except ValueError as exc:
        counts = ", ".join(f"{n} {c}" for c, n in zip(names, np.bincount(indices[0], minlength=len(names))))
        raise DataError(f"{table.path}: cannot hold out a stratified test_size of {test_size} from {len(X)} "
                        f"examples ({counts}): {exc}; add examples or give data.test") from None
    return make_dataset("csv", names, (X_tr, y_tr), (X_te, y_te), **described)
