"""The validation split: a stratified, seeded hold-out of the training data (the test set never chooses)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from dnncli.data import Dataset
from dnncli.errors import DataError


@dataclass(frozen=True)
class Split:
    """Hold out ``fraction`` of the training examples, stratified by class, drawn with ``seed``."""

    fraction: float
    seed: int


def split_validation(ds: Dataset, split: Split) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """(the dataset with the rest as its training set, X_val, Y_val); columns keep their order."""
    from sklearn.model_selection import train_test_split

    m = ds.X_train.shape[-1]
    try:
        keep, held = train_test_split(np.arange(m), test_size=split.fraction, stratify=ds.labels_train,
                                      random_state=split.seed)
    except ValueError as exc:
        raise DataError(f"validation {split.fraction}: cannot hold out a stratified split of {m} training "
                        f"examples ({exc})") from None
    keep, held = np.sort(keep), np.sort(held)
    rest = dataclasses.replace(ds, X_train=ds.X_train[:, keep], Y_train=ds.Y_train[:, keep])
    return rest, ds.X_train[:, held], ds.Y_train[:, held]
