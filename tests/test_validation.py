"""The validation split (dnncli/validation.py): stratified, seeded, a partition of the training examples."""

import numpy as np
import pytest

from dnncli.config import load_config
from dnncli.validation import Split, split_validation

CONFIG = "configs/tune_moons.yaml"


def test_validation_split_is_stratified_and_seeded():
    from dnncli.build import build_dataset

    ds = build_dataset(load_config(CONFIG))
    rest, X_val, Y_val = split_validation(ds, Split(0.2, 3))
    assert X_val.shape[1] == 60 and rest.X_train.shape[1] == 240 and rest.X_test is ds.X_test
    assert Y_val.mean() == pytest.approx(ds.Y_train.mean())
    again = split_validation(ds, Split(0.2, 3))[1]
    assert np.array_equal(X_val, again)
    columns = {tuple(c) for c in np.concatenate([rest.X_train, X_val], axis=1).T}
    assert len(columns) == 300  # a partition of the training columns
