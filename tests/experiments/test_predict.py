"""dnn predict / dnncli.predict: a run's model on new examples, prepared as its training data was."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

import dnncli
from dnncli.cli.main import app
from dnncli.config import validate
from dnncli.data import load_dataset
from dnncli.experiments.predict import Prediction, predict, write_predictions
from dnncli.experiments.train import train
from dnncli.runs import load_npz

CENTRES = np.array([[0.0, 0.0], [1.2, 1.2], [0.0, 2.4]])


def points(path: Path, n: int, seed: int, classes=("blue", "red"), header="x,y,color", order=None) -> Path:
    """n noisy points around one centre per class, x stretched by 100 (so standardization matters);
    ``order``: the column order to write ("x", "y", "color" or other names, "id" adds a row number)."""
    rng = np.random.RandomState(seed)
    k = rng.randint(len(classes), size=n)
    X = CENTRES[k] + rng.randn(n, 2)
    X[:, 0] *= 100
    cells = {"x": [repr(float(v)) for v in X[:, 0]], "y": [repr(float(v)) for v in X[:, 1]], "color": [classes[c] for c in k],
             "id": [str(i) for i in range(n)]}
    names = order or header.split(",")
    rows = zip(*(cells[name] for name in names))
    path.write_text(",".join(names) + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def csv_config(tmp_path: Path, classes=("blue", "red"), **sections) -> dict:
    train_csv = points(tmp_path / "train.csv", 80, 0, classes)
    test_csv = points(tmp_path / "test.csv", 40, 1, classes)
    return {"name": "p", "seed": 1,
            "data": {"name": "csv", "train": str(train_csv), "test": str(test_csv), "standardize": True},
            "model": {"hidden": [4, 3]}, "optimizer": {"name": "adam", "learning_rate": 0.01},
            "training": {"epochs": 30, "batch_size": 16, "eval_every": 10}, **sections}


def forward(run_dir: Path, X_raw: np.ndarray, n_hidden: int, batchnorm: bool = False) -> np.ndarray:
    """An independent forward pass from params.npz and data.json (course formulas): probabilities (m, C)."""
    p = load_npz(run_dir / "params.npz")
    saved = json.loads((run_dir / "data.json").read_text())["standardize"]
    A = X_raw.T
    if saved is not None:
        A = (A - np.array(saved["mean"])[:, None]) / np.array(saved["std"])[:, None]
    for l in range(1, n_hidden + 1):
        Z = p[f"W{l}"] @ A + p.get(f"b{l}", 0.0)
        if batchnorm:
            Z = p[f"gamma{l}"] * (Z - p[f"running_mean{l}"]) / np.sqrt(p[f"running_var{l}"] + 1e-5) + p[f"beta{l}"]
        A = np.maximum(Z, 0)
    Z = p[f"W{n_hidden + 1}"] @ A + p[f"b{n_hidden + 1}"]
    if Z.shape[0] == 1:
        a = 1 / (1 + np.exp(-Z[0]))
        return np.stack([1 - a, a], axis=1)
    E = np.exp(Z - Z.max(axis=0))
    return (E / E.sum(axis=0)).T


def raw_features(path: Path) -> np.ndarray:
    rows = list(csv.DictReader(path.open()))
    return np.array([[float(r["x"]), float(r["y"])] for r in rows])


VARIANTS = {
    "binary": ({}, ("blue", "red"), False),
    "batchnorm": ({"regularization": {"batchnorm": True}}, ("blue", "red"), True),
    "three-classes": ({}, ("blue", "green", "red"), False),
    "three-classes-batchnorm": ({"regularization": {"batchnorm": True}}, ("blue", "green", "red"), True),
    "l2-and-dropout": ({"regularization": {"l2": 0.5, "keep_prob": 0.7}}, ("blue", "red"), False),
}


@pytest.mark.parametrize("variant", VARIANTS, ids=list(VARIANTS))
def test_predict_on_the_runs_test_file_gives_its_test_metrics_exactly(variant, tmp_path):
    sections, classes, batchnorm = VARIANTS[variant]
    raw = csv_config(tmp_path, classes, **sections)
    result = train(validate(raw), tmp_path / "runs", plots=False)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    pred = predict(result.run_dir, raw["data"]["test"])
    assert pred.accuracy == metrics["test_accuracy"] and pred.cost == metrics["test_cost"]
    assert pred.classes == classes and pred.n_examples == 40
    expected = forward(result.run_dir, raw_features(Path(raw["data"]["test"])), 2, batchnorm)
    np.testing.assert_allclose(pred.probabilities, expected, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(pred.probabilities.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(pred.predicted, expected.argmax(axis=1))
    labels = [r["color"] for r in csv.DictReader(Path(raw["data"]["test"]).open())]
    assert [classes[k] for k in pred.labels] == labels
    assert pred.accuracy == np.mean(np.array(pred.predicted_classes) == np.array(labels))


def test_predictions_csv_has_the_class_names_and_full_precision(tmp_path):
    raw = csv_config(tmp_path, ("blue", "green", "red"))
    run = train(validate(raw), tmp_path / "runs", plots=False).run_dir
    pred = predict(run, raw["data"]["test"])
    write_predictions(tmp_path / "out.csv", pred)
    with (tmp_path / "out.csv").open() as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == ["predicted", "label", "p_blue", "p_green", "p_red"]
    assert len(rows) == 40
    assert [r["predicted"] for r in rows] == pred.predicted_classes
    for i, row in enumerate(rows):
        assert [float(row[f"p_{c}"]) for c in pred.classes] == pred.probabilities[i].tolist()  # repr: exact


def test_columns_are_picked_by_name_others_ignored_and_labels_optional(tmp_path):
    raw = csv_config(tmp_path)
    run = train(validate(raw), tmp_path / "runs", plots=False).run_dir
    full = predict(run, raw["data"]["test"])
    shuffled = points(tmp_path / "new.csv", 40, 1, order=["id", "y", "x"])  # the same points, no label column
    pred = predict(run, shuffled)
    assert pred.labels is None and pred.accuracy is None and pred.cost is None
    np.testing.assert_array_equal(pred.probabilities, full.probabilities)
    write_predictions(tmp_path / "out.csv", pred)
    assert (tmp_path / "out.csv").read_text().splitlines()[0] == "predicted,p_blue,p_red"


def test_numeric_labels_match_their_class_by_value(tmp_path):
    (tmp_path / "n.csv").write_text("a,b,label\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(12)))
    (tmp_path / "m.csv").write_text("a,b,label\n0,0,0.0\n1,1,1.0\n2,2,1\n")
    raw = {"data": {"name": "csv", "train": str(tmp_path / "n.csv"), "test": str(tmp_path / "n.csv")},
           "training": {"epochs": 5}}
    run = train(validate(raw), tmp_path / "runs", plots=False).run_dir
    pred = predict(run, tmp_path / "m.csv")
    assert pred.classes == ("0", "1") and pred.labels.tolist() == [0, 1, 1]


def moons_run(tmp_path: Path, **data) -> tuple[Path, dict]:
    raw = {"seed": 2, "data": {"name": "moons", "n_samples": 60, "n_test": 30, **data},
           "model": {"hidden": [5]}, "training": {"epochs": 40, "batch_size": 20}}
    return train(validate(raw), tmp_path / "runs", plots=False).run_dir, raw


def moons_test_csv(path: Path, raw: dict, header: str = "a,b,label", label: bool = True) -> Path:
    """The run's own test set (drawn again from its config) as a CSV, every float exactly."""
    ds = load_dataset("moons", {k: v for k, v in raw["data"].items() if k not in ("name", "standardize")})
    rows = [f"{float(a)!r},{float(b)!r}" + (f",{k}" if label else "") for (a, b), k in zip(ds.X_test.T, ds.labels_test)]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_a_run_on_generated_data_predicts_a_csv_by_column_position(tmp_path):
    run, raw = moons_run(tmp_path, standardize=True)
    metrics = json.loads((run / "metrics.json").read_text())
    pred = predict(run, moons_test_csv(tmp_path / "m.csv", raw))
    assert pred.classes == ("0", "1") and pred.accuracy == metrics["test_accuracy"] and pred.cost == metrics["test_cost"]
    unlabelled = predict(run, moons_test_csv(tmp_path / "u.csv", raw, header="a,b", label=False))
    assert unlabelled.accuracy is None
    np.testing.assert_array_equal(unlabelled.probabilities, pred.probabilities)


def test_a_run_directory_from_before_data_json(tmp_path):
    run, raw = moons_run(tmp_path)
    with_json = predict(run, moons_test_csv(tmp_path / "m.csv", raw))
    (run / "data.json").unlink()
    old = predict(run, tmp_path / "m.csv")  # no standardization to apply: params.npz and config.yaml suffice
    assert old.classes == ("0", "1") and old.accuracy == with_json.accuracy
    np.testing.assert_array_equal(old.probabilities, with_json.probabilities)
    scaled, _ = moons_run(tmp_path, standardize=True)
    (scaled / "data.json").unlink()
    assert predict_error(scaled, tmp_path / "m.csv") == (
        f"error: {scaled}: no data.json, so the standardization its training data got is unknown "
        f"(the run predates dnn predict); train it again to predict with it")


def h5_file(path: Path, split: str, x: np.ndarray, y: np.ndarray | None, names=None) -> Path:
    with h5py.File(path, "w") as f:
        f[f"{split}_set_x"] = x
        if y is not None:
            f[f"{split}_set_y"] = y
        if names is not None:
            f["list_classes"] = np.array(names)
    return path


def test_an_h5_run_predicts_its_test_file(tmp_path):
    rng = np.random.RandomState(0)
    y = rng.randint(2, size=50)
    x = np.clip(rng.randn(50, 2, 2, 3) * 40 + 100 + 60 * y[:, None, None, None], 0, 255).astype(np.uint8)
    train_h5 = h5_file(tmp_path / "train.h5", "train", x[:30], y[:30], [b"non-cat", b"cat"])
    test_h5 = h5_file(tmp_path / "test.h5", "test", x[30:], y[30:].reshape(1, -1))
    raw = {"data": {"name": "h5", "train": str(train_h5), "test": str(test_h5)}, "model": {"hidden": [3]},
           "regularization": {"batchnorm": True}, "training": {"epochs": 20, "batch_size": 10}}
    run = train(validate(raw), tmp_path / "runs", plots=False).run_dir
    metrics = json.loads((run / "metrics.json").read_text())
    pred = predict(run, test_h5)
    assert pred.classes == ("non-cat", "cat") and pred.source == "test_set_x, test_set_y"
    assert pred.accuracy == metrics["test_accuracy"] and pred.cost == metrics["test_cost"]
    unlabelled = predict(run, h5_file(tmp_path / "new.h5", "train", x[30:], None))  # no test_set_*: train_set_x
    assert unlabelled.source == "train_set_x" and unlabelled.accuracy is None
    np.testing.assert_array_equal(unlabelled.probabilities, pred.probabilities)
    h5_file(tmp_path / "bad.h5", "test", x[30:], np.full(20, 2))
    assert predict_error(run, tmp_path / "bad.h5") == (
        f"error: {tmp_path / 'bad.h5'}: labels go up to 2 but there are 2 classes (non-cat, cat)")
    h5_file(tmp_path / "wide.h5", "test", np.ones((3, 5)), None)
    assert predict_error(run, tmp_path / "wide.h5") == (
        f"error: {tmp_path / 'wide.h5'}: 5 features per example; the model of {run} takes 12")


def test_the_python_api_is_the_root_export_and_its_result_frozen(tmp_path):
    raw = csv_config(tmp_path)
    run = train(validate(raw), tmp_path / "runs", plots=False).run_dir
    result = dnncli.predict(run, raw["data"]["test"])
    assert dnncli.predict is predict and isinstance(result, Prediction)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.accuracy = 1.0


# ---------------------------------------------------------------- the command


def predict_error(run_dir, data, *extra) -> str:
    result = CliRunner().invoke(app, ["predict", str(run_dir), str(data), *extra])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_the_command_writes_predictions_and_prints_accuracy_and_cost(tmp_path):
    raw = csv_config(tmp_path)
    run = train(validate(raw), tmp_path / "runs", plots=False).run_dir
    metrics = json.loads((run / "metrics.json").read_text())
    out = tmp_path / "p.csv"
    result = CliRunner().invoke(app, ["predict", str(run), raw["data"]["test"], "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"40 examples of {raw['data']['test']} (labels in column 'color') -> {out}",
        f"accuracy {metrics['test_accuracy']:.4f}, cost {metrics['test_cost']:.4f}",
    ]
    assert len(out.read_text().splitlines()) == 41
    result = CliRunner().invoke(app, ["predict", str(run), raw["data"]["test"], "--out", str(out), "--json"])
    summary = json.loads(result.stdout)
    assert summary["accuracy"] == metrics["test_accuracy"] and summary["cost"] == metrics["test_cost"]
    assert summary["classes"] == ["blue", "red"] and summary["n_examples"] == 40


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    raw = csv_config(tmp_path)
    run = train(validate(raw), tmp_path / "runs", plots=False).run_dir
    test = raw["data"]["test"]
    assert predict_error(tmp_path / "nope", test) == f"error: {tmp_path / 'nope'}: no such run directory"
    assert predict_error(tmp_path, test) == f"error: {tmp_path}: not a run directory (no config.yaml)"
    assert predict_error(run, tmp_path / "x.txt") == (
        f"error: DATA: '{tmp_path / 'x.txt'}' is not allowed (a .csv table or an .h5 file in the course layout)")
    assert predict_error(run, tmp_path / "none.csv") == f"error: {tmp_path / 'none.csv'}: no such file (DATA)"
    (tmp_path / "no_y.csv").write_text("x,z\n1,2\n")
    assert predict_error(run, tmp_path / "no_y.csv") == (
        f"error: {tmp_path / 'no_y.csv'}: no column 'y'; the model takes the columns x, y")
    (tmp_path / "green.csv").write_text("x,y,color\n1,2,blue\n3,4,green\n")
    assert predict_error(run, tmp_path / "green.csv") == (
        f"error: {tmp_path / 'green.csv'} line 3, column 'color': 'green' is not a class of the model (blue, red)")
    (tmp_path / "text.csv").write_text("x,y\n1,two\n")
    assert predict_error(run, tmp_path / "text.csv") == (
        f"error: {tmp_path / 'text.csv'} line 2, column 'y': 'two' is not a number (feature columns must be numeric)")
    (run / "data.json").write_text('{"n_features": 2, "classes": ["a"]}')
    assert predict_error(run, test) == (
        f"error: {run / 'data.json'}: classes must be a list of 2 to 1000 names; is it a data.json written by dnn train?")
    (run / "params.npz").unlink()
    assert predict_error(run, test) == f"error: {run}: no params.npz (status completed): the run left no trained model"
