"""Tests of the data set registry (dnncli.data).

Expected numbers come from the course's published data recipes (docs/formulas.md) or from independent
computations (scikit-learn called directly, the reference's recipe written out here).
"""

import inspect
import os
import subprocess
import sys
import typing
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
from sklearn.datasets import make_blobs, make_circles

import dnncli.data as data
from dnncli.data import (
    DATASETS,
    SCALE_RATIO,
    Dataset,
    UnscaledInputWarning,
    dataset_summaries,
    load_dataset,
    scale_warning,
    standardize,
)
from dnncli.errors import ConfigError, DataError

GENERATED = ["moons", "circles", "flower", "blobs", "spiral", "digits", "breast_cancer"]


# ---------------------------------------------------------------- course reference checks


def test_moons_is_the_course_optimization_set():
    ds = load_dataset("moons", {})
    assert ds.X_train.shape == (2, 300) and ds.Y_train.shape == (1, 300)
    assert ds.Y_train.sum() == 150
    np.testing.assert_allclose(ds.X_train[:, 0], [-0.21687, 1.015449], atol=1e-5)
    np.testing.assert_allclose(ds.X_train[:, 1], [0.80505, -0.557973], atol=1e-5)


def test_circles_is_the_course_initialization_set():
    ds = load_dataset("circles", {})
    np.testing.assert_allclose(ds.X_train[:, 0], [-0.077414, 0.852602], atol=1e-6)
    X_test, y_test = make_circles(100, noise=0.05, random_state=2)
    np.testing.assert_array_equal(ds.X_test, X_test.T)
    np.testing.assert_array_equal(ds.Y_test, y_test.reshape(1, 100).astype(float))


def _course_flower(n_per_class, seed):
    """The reference's recipe, written out independently."""
    rng = np.random.RandomState(seed)
    points, labels = [], []
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, n_per_class) + rng.randn(n_per_class) * 0.2
        r = 4 * np.sin(4 * t) + rng.randn(n_per_class) * 0.2
        points.append(np.stack([r * np.sin(t), r * np.cos(t)]))
        labels += [j] * n_per_class
    return np.concatenate(points, axis=1), np.array(labels)


def test_flower_follows_the_course_recipe():
    ds = load_dataset("flower", {})
    assert ds.X_train.shape == (2, 400) and ds.Y_train.shape == (1, 400)
    assert (ds.labels_train == 0).sum() == 200 and (ds.labels_train == 1).sum() == 200
    X, y = _course_flower(200, 1)
    np.testing.assert_allclose(ds.X_train, X, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ds.labels_train, y)
    X_test, _ = _course_flower(50, 2)
    np.testing.assert_allclose(ds.X_test, X_test, rtol=0, atol=1e-12)
    again = load_dataset("flower", {})
    np.testing.assert_array_equal(again.X_train, ds.X_train)
    assert not load_dataset("flower", {"n_test": 0}).has_test


# ---------------------------------------------------------------- shapes and layouts


@pytest.mark.parametrize("name", GENERATED)
def test_every_set_has_course_layout(name):
    ds = load_dataset(name, {})
    assert isinstance(ds, Dataset) and ds.name == name
    assert ds.n_classes == len(ds.classes) >= 2
    for X, Y, labels in [(ds.X_train, ds.Y_train, ds.labels_train), (ds.X_test, ds.Y_test, ds.labels_test)]:
        if X is None:
            continue
        m = X.shape[1]
        assert X.dtype == np.float64 and Y.dtype == np.float64 and X.shape == (ds.n_features, m)
        assert np.all(np.isfinite(X))
        assert set(np.unique(Y)) <= {0.0, 1.0}
        if ds.binary:
            assert Y.shape == (1, m)
            np.testing.assert_array_equal(labels, Y[0])
        else:
            assert Y.shape == (ds.n_classes, m)
            np.testing.assert_array_equal(Y.sum(axis=0), np.ones(m))
            np.testing.assert_array_equal(labels, Y.argmax(axis=0))
        assert labels.shape == (m,) and set(labels) == set(range(ds.n_classes))
    if name in ("moons", "circles", "flower", "blobs", "spiral"):
        assert ds.n_features == 2


def test_sizes_of_the_bundled_sets():
    digits = load_dataset("digits", {})
    assert (digits.n_features, digits.n_classes) == (64, 10)
    assert digits.X_train.shape[1] + digits.X_test.shape[1] == 1797
    assert digits.X_test.shape[1] == 360  # ceil(0.2 * 1797)
    assert digits.X_train.min() == 0.0 and digits.X_train.max() == 1.0  # pixels 0..16 scaled by 1/16
    cancer = load_dataset("breast_cancer", {})
    assert cancer.binary and cancer.n_features == 30 and cancer.classes == ("malignant", "benign")
    assert cancer.X_train.shape[1] + cancer.X_test.shape[1] == 569
    # stratified: both splits keep the 212 / 357 proportion closely
    for labels in (cancer.labels_train, cancer.labels_test):
        assert abs((labels == 0).mean() - 212 / 569) < 0.01


def test_blobs_train_and_test_share_the_centers():
    ds = load_dataset("blobs", {"n_samples": 300, "centers": 4, "n_test": 200, "seed": 5})
    X, y, centers = make_blobs(300, centers=4, random_state=5, return_centers=True)
    np.testing.assert_array_equal(ds.X_train, X.T)
    np.testing.assert_array_equal(ds.labels_train, y)
    X_test, y_test = make_blobs(200, centers=centers, random_state=6)
    np.testing.assert_array_equal(ds.X_test, X_test.T)
    np.testing.assert_array_equal(ds.labels_test, y_test)
    assert load_dataset("blobs", {"centers": 2}).Y_train.shape == (1, 300)


def test_spiral_arms():
    ds = load_dataset("spiral", {"n_samples": 300, "classes": 3, "noise": 0.2, "seed": 0})
    assert ds.Y_train.shape == (3, 300)
    for j in range(3):
        arm = ds.X_train[:, ds.labels_train == j]
        # radius linspace(0, 1, 100) whatever the noisy angle
        np.testing.assert_allclose(np.hypot(*arm), np.linspace(0, 1, 100), atol=1e-12)
    rng = np.random.RandomState(0)
    t0 = np.linspace(0, 4, 100) + 0.2 * rng.randn(100)
    r = np.linspace(0, 1, 100)
    np.testing.assert_allclose(ds.X_train[:, :100], [r * np.sin(t0), r * np.cos(t0)], atol=1e-12)
    with pytest.raises(ConfigError, match="data.n_test"):
        load_dataset("spiral", {"n_test": 2})


def test_no_test_set_when_n_test_is_zero():
    ds = load_dataset("moons", {"n_test": 0})
    assert not ds.has_test and ds.X_test is None and ds.labels_test is None


# ---------------------------------------------------------------- standardize


def test_standardize_uses_training_statistics_only():
    X_train = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]])
    X_test = np.array([[10.0, 12.0], [6.0, 5.0]])
    Y = np.array([[0.0, 1.0, 0.0, 1.0]])
    ds = Dataset("toy", X_train, Y, X_test, Y[:, :2], ("a", "b"))
    out = standardize(ds)
    mean, std = 2.5, np.sqrt(1.25)  # of 1, 2, 3, 4 (population std)
    np.testing.assert_allclose(out.X_train[0], (np.array([1, 2, 3, 4]) - mean) / std)
    np.testing.assert_allclose(out.X_train[1], 0.0)  # constant feature: std counts as 1
    np.testing.assert_allclose(out.X_test, [[(10 - mean) / std, (12 - mean) / std], [1.0, 0.0]])
    assert out.X_test.mean() != 0
    np.testing.assert_array_equal(ds.X_train, X_train)  # input untouched
    assert out.Y_train is ds.Y_train and out.classes == ds.classes


def test_load_dataset_standardize_flag():
    ds = load_dataset("breast_cancer", {}, standardize=True)
    np.testing.assert_allclose(ds.X_train.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(ds.X_train.std(axis=1), 1, atol=1e-12)
    assert np.abs(ds.X_test.mean(axis=1)).max() > 1e-6


# ---------------------------------------------------------------- h5


def _write(path, **arrays):
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value)
    return str(path)


def test_h5_course_layout_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x_tr = rng.integers(0, 256, size=(6, 4, 4, 3), dtype=np.uint8)
    x_te = rng.integers(0, 256, size=(3, 4, 4, 3), dtype=np.uint8)
    y_tr, y_te = np.array([0, 1, 1, 0, 1, 0]), np.array([1, 0, 1])
    train = _write(tmp_path / "train.h5", train_set_x=x_tr, train_set_y=y_tr, list_classes=[b"non-cat", b"cat"])
    test = _write(tmp_path / "test.h5", test_set_x=x_te, test_set_y=y_te.reshape(1, 3))
    ds = load_dataset("h5", {"train": train, "test": test})
    assert ds.classes == ("non-cat", "cat") and ds.binary
    assert ds.X_train.shape == (48, 6) and ds.X_test.shape == (48, 3)
    # example 1, pixel (0, 0), channels 0..2 are rows 0..2 of column 1
    np.testing.assert_allclose(ds.X_train[:3, 1], x_tr[1, 0, 0, :] / 255)
    np.testing.assert_allclose(ds.X_train[3, 0], x_tr[0, 0, 1, 0] / 255)
    assert 0 <= ds.X_train.min() and ds.X_train.max() <= 1
    np.testing.assert_array_equal(ds.Y_train, [[0, 1, 1, 0, 1, 0]])
    np.testing.assert_array_equal(ds.Y_test, [[1, 0, 1]])


def test_h5_float_data_unchanged_and_test_in_the_same_file(tmp_path):
    x = np.linspace(-3, 3, 10).reshape(5, 2)
    path = _write(tmp_path / "all.h5", train_set_x=x, train_set_y=np.array([[0, 2, 1, 2, 0]]),
                  test_set_x=x[:2] * 7, test_set_y=np.array([2, 1]))
    for test in (None, path):
        ds = load_dataset("h5", {"train": path, "test": test})
        np.testing.assert_array_equal(ds.X_train, x.T)
        np.testing.assert_array_equal(ds.X_test, (x[:2] * 7).T)
        assert ds.classes == ("0", "1", "2") and ds.Y_train.shape == (3, 5)
        np.testing.assert_array_equal(ds.labels_train, [0, 2, 1, 2, 0])


def test_h5_without_test_keys_has_no_test_set(tmp_path):
    path = _write(tmp_path / "t.h5", train_set_x=np.ones((4, 3)), train_set_y=np.array([0, 1, 0, 1]))
    assert not load_dataset("h5", {"train": path}).has_test


def test_h5_errors(tmp_path):
    good = _write(tmp_path / "good.h5", train_set_x=np.ones((4, 3)), train_set_y=np.array([0, 1, 0, 1]))
    with pytest.raises(DataError, match="nope.h5.*data.train"):
        load_dataset("h5", {"train": str(tmp_path / "nope.h5")})
    no_y = _write(tmp_path / "no_y.h5", train_set_x=np.ones((4, 3)))
    with pytest.raises(DataError, match="no_y.h5.*train_set_y"):
        load_dataset("h5", {"train": no_y})
    with pytest.raises(DataError, match="good.h5.*test_set_x"):
        load_dataset("h5", {"train": good, "test": good})  # test named explicitly but absent
    rows = _write(tmp_path / "rows.h5", train_set_x=np.ones((4, 3)), train_set_y=np.array([0, 1, 0]))
    with pytest.raises(DataError, match="rows.h5"):
        load_dataset("h5", {"train": rows})
    wide = _write(tmp_path / "wide.h5", test_set_x=np.ones((2, 5)), test_set_y=np.array([0, 1]))
    with pytest.raises(DataError, match="wide.h5.*features"):
        load_dataset("h5", {"train": good, "test": wide})
    not_h5 = tmp_path / "text.h5"
    not_h5.write_text("hello")
    with pytest.raises(DataError, match="text.h5"):
        load_dataset("h5", {"train": str(not_h5)})


# ---------------------------------------------------------------- registry and errors


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ConfigError) as info:
        load_dataset("moon", {})
    assert info.value.key == "data.name" and "did you mean 'moons'" in str(info.value)


def test_unknown_and_missing_parameters_are_config_errors():
    with pytest.raises(ConfigError, match="data.nosie.*did you mean 'noise'"):
        load_dataset("moons", {"nosie": 0.3})
    with pytest.raises(ConfigError, match="data.train"):
        load_dataset("h5", {})


@pytest.mark.parametrize("name", DATASETS.names())
def test_registry_entries_follow_the_contract(name):
    fn = DATASETS.get(name)
    doc = inspect.getdoc(fn)
    assert doc and doc.splitlines()[0].strip()
    hints = typing.get_type_hints(fn, include_extras=True)
    for pname, p in inspect.signature(fn).parameters.items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY
        assert pname in hints
        assert p.default is not inspect.Parameter.empty or (name, pname) in {("h5", "train"), ("csv", "train")}


def test_summaries():
    rows = {row["name"]: row for row in dataset_summaries()}
    assert set(rows) == set(DATASETS.names())
    assert rows["moons"] == {
        "name": "moons", "description": rows["moons"]["description"],
        "n_features": 2, "n_classes": 2, "n_train": 300, "n_test": 100,
    }
    assert rows["digits"]["n_classes"] == 10 and rows["digits"]["n_train"] + rows["digits"]["n_test"] == 1797
    assert rows["h5"]["n_train"] is None and "HDF5" in rows["h5"]["description"]
    assert all(row["description"] for row in rows.values())


def test_import_is_lazy():
    src = str(Path(data.__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = "import sys, dnncli.data; print(sorted({'sklearn', 'h5py', 'matplotlib'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- the unscaled-input warning


def _dataset(*rows):
    X = np.array(rows, dtype=float)
    return Dataset("toy", X, np.zeros((1, X.shape[1])), None, None, ("0", "1"))


def test_scale_warning_compares_the_widest_and_the_narrowest_feature_range():
    assert SCALE_RATIO == 100
    message = scale_warning(_dataset([0.0, 250.0, 500.0], [0.0, 1.0, 2.0], [7.0, 7.0, 7.0]))  # spans 500, 2, constant
    assert message == ("toy: the feature ranges differ 250-fold (feature 0 spans 500, feature 1 spans 2; above 100): "
                       "set data.standardize: true")
    assert scale_warning(_dataset([0.0, 200.0], [0.0, 2.0])) is None  # exactly 100: not above
    assert scale_warning(_dataset([0.0, 1e6], [3.0, 3.0])) is None  # one varying feature: nothing to compare


def test_unscaled_breast_cancer_warns_once_before_training_and_standardize_silences_it(tmp_path):
    from typer.testing import CliRunner

    from dnncli.cli.main import app

    args = ["train", "configs/adam_moons.yaml", "--set", "data.name=breast_cancer", "--set", "training.epochs=2",
            "--out", str(tmp_path), "--quiet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("warning: breast_cancer: the feature ranges differ") and line.endswith("set data.standardize: true")
    quiet = CliRunner().invoke(app, [*args, "--set", "data.standardize=true"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_the_warning_is_a_python_warning_raised_before_the_run_directory(tmp_path, monkeypatch):
    import dnncli.experiments.train as train_module
    from dnncli.config import validate
    from dnncli.experiments.train import train

    caught, made = [], train_module.create_run_dir

    def claim(*args, **kwargs):
        assert [w for w in caught if w.category is UnscaledInputWarning]  # warned before anything is written
        return made(*args, **kwargs)

    monkeypatch.setattr(train_module, "create_run_dir", claim)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        caught = record
        train(validate({"data": {"name": "breast_cancer"}, "training": {"epochs": 1}}), tmp_path, plots=False)
    assert len([w for w in caught if w.category is UnscaledInputWarning]) == 1
