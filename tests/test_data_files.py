"""data: {name: csv}: reading, classes, the split, standardization, paths relative to the config, and
every bad file as one line with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dnncli import data_files
from dnncli.cli.main import app
from dnncli.config import load_config, validate
from dnncli.data import load_dataset
from dnncli.errors import ConfigError, DataError
from dnncli.experiments.train import train
from dnncli.runs import load_npz

# x = 1..8, y = x**2, colours alternating: red at odd x, blue at even x
TRAIN = "x,y,color\n" + "".join(f"{x},{x * x},{'red' if x % 2 else 'blue'}\n" for x in range(1, 9))


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------- reading


def test_string_labels_become_sorted_classes_with_their_names(tmp_path):
    ds = load_dataset("csv", {"train": write(tmp_path / "t.csv", TRAIN), "test": write(tmp_path / "t.csv", TRAIN)})
    assert ds.classes == ("blue", "red") and ds.features == ("x", "y") and ds.label == "color"
    np.testing.assert_array_equal(ds.X_train, [list(range(1, 9)), [x * x for x in range(1, 9)]])
    np.testing.assert_array_equal(ds.labels_train, [1, 0, 1, 0, 1, 0, 1, 0])  # red is class 1 (blue < red)
    assert ds.Y_train.shape == (1, 8)  # two classes: the sigmoid layout


def test_the_label_column_may_be_anywhere_and_the_test_file_in_any_column_order(tmp_path):
    train = write(tmp_path / "train.csv", "color,x,y\nred,1,2\nblue,3,4\nred,5,6\nblue,7,8\n")
    test = write(tmp_path / "test.csv", "y,color,x\n20,blue,10\n40,red,30\n")
    ds = load_dataset("csv", {"train": train, "test": test, "label": "color"})
    assert ds.features == ("x", "y")
    np.testing.assert_array_equal(ds.X_train, [[1, 3, 5, 7], [2, 4, 6, 8]])
    np.testing.assert_array_equal(ds.X_test, [[10, 30], [20, 40]])
    np.testing.assert_array_equal(ds.labels_test, [0, 1])


def test_numeric_labels_are_sorted_by_value_and_one_class_per_value(tmp_path):
    text = "a,label\n0,10\n1,2\n2,1.0\n3,1\n4,2.5\n5, 10 \n"
    ds = load_dataset("csv", {"train": write(tmp_path / "n.csv", text), "test": write(tmp_path / "n.csv", text)})
    assert ds.classes == ("1", "2", "2.5", "10")  # by value, not as strings ("10" < "2"); 1.0 and 1 are one class
    np.testing.assert_array_equal(ds.labels_train, [3, 1, 0, 0, 2, 3])
    assert ds.Y_train.shape == (4, 6)  # four classes: one-hot for the softmax


def test_classes_come_from_both_files(tmp_path):
    train = write(tmp_path / "a.csv", "x,c\n1,a\n2,b\n")
    test = write(tmp_path / "b.csv", "x,c\n3,c\n4,a\n")
    ds = load_dataset("csv", {"train": train, "test": test})
    assert ds.classes == ("a", "b", "c")  # as h5 does: the classes of train and test together
    np.testing.assert_array_equal(ds.labels_test, [2, 0])


def test_quoted_fields_a_bom_and_empty_lines_are_read(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes('\ufeffx,"the label"\n\n1,"red, dark"\n2,blue\n\n'.encode())
    ds = load_dataset("csv", {"train": str(path), "test": str(path)})
    assert ds.features == ("x",) and ds.label == "the label" and ds.classes == ("blue", "red, dark")


def test_without_a_test_file_a_stratified_split(tmp_path):
    path = write(tmp_path / "t.csv", TRAIN)
    ds = load_dataset("csv", {"train": path, "test_size": 0.25})
    # 4 red and 4 blue: a quarter of each (1 + 1) held out, 3 + 3 kept
    assert np.bincount(ds.labels_test).tolist() == [1, 1] and np.bincount(ds.labels_train).tolist() == [3, 3]
    rows = sorted(map(tuple, np.hstack([ds.X_train, ds.X_test]).T.tolist()))
    assert rows == [(x, x * x) for x in range(1, 9)]  # every example once
    for X, labels in ((ds.X_train, ds.labels_train), (ds.X_test, ds.labels_test)):
        np.testing.assert_array_equal(labels, X[0] % 2)  # each example keeps its own label (red = odd x)
    again = load_dataset("csv", {"train": path, "test_size": 0.25})
    np.testing.assert_array_equal(again.X_test, ds.X_test)  # seeded: the same split every time


def test_standardize_uses_the_training_split_only(tmp_path):
    path = write(tmp_path / "t.csv", TRAIN)
    raw = load_dataset("csv", {"train": path})
    ds = load_dataset("csv", {"train": path}, standardize=True)
    mean = raw.X_train.mean(axis=1, keepdims=True)
    np.testing.assert_array_equal(ds.x_mean, mean)
    # y = x**2 over all 8 examples has mean 204 / 8 = 25.5; no red-blue pair a**2 + b**2 = 51 can be
    # held out without moving it, so a mean taken over the test rows too would differ
    assert ds.x_mean[1, 0] != 25.5
    np.testing.assert_array_equal(ds.X_test, (raw.X_test - mean) / raw.X_train.std(axis=1, keepdims=True))


def test_standardize_statistics_by_hand(tmp_path):
    train = write(tmp_path / "t.csv", TRAIN)
    test = write(tmp_path / "s.csv", "x,y,color\n1.5,0,red\n")
    ds = load_dataset("csv", {"train": train, "test": test}, standardize=True)
    # x = 1..8: mean 4.5, variance (3.5^2 + 2.5^2 + 1.5^2 + 0.5^2) * 2 / 8 = 5.25
    assert ds.x_mean[0, 0] == 4.5 and ds.x_std[0, 0] == pytest.approx(np.sqrt(5.25), rel=1e-15)
    assert ds.X_test[0, 0] == pytest.approx(-3 / np.sqrt(5.25), rel=1e-15)


def test_h5_and_csv_labels_pass_one_check(tmp_path, monkeypatch):
    import h5py

    seen = []
    real = data_files.class_names
    monkeypatch.setattr(data_files, "class_names", lambda labels, files, names=None: seen.append(files) or real(labels, files, names))
    h5 = tmp_path / "d.h5"
    with h5py.File(h5, "w") as f:
        f["train_set_x"], f["train_set_y"] = np.ones((4, 2)), np.array([0, 1, 0, 1])
    load_dataset("h5", {"train": str(h5)})
    load_dataset("csv", {"train": write(tmp_path / "t.csv", TRAIN)})
    assert seen == [str(h5), str(tmp_path / "t.csv")]


def test_the_shared_check_refuses_one_class_and_too_many():
    with pytest.raises(DataError, match=r"^f.csv: 1 class \(red\); 2 to 1000 are supported$"):
        data_files.class_names({"f.csv: column 'c'": np.zeros(3)}, "f.csv", ["red"])
    with pytest.raises(DataError, match=r"^f.csv: 1001 classes \(0, 1, 2,.*\); 2 to 1000 are supported$"):
        data_files.class_names({"f.csv: column 'c'": np.arange(1001)}, "f.csv", [str(k) for k in range(1001)])
    with pytest.raises(DataError, match=r"^f.h5: 'train_set_y' must hold class indices 0, 1, 2, ...$"):
        data_files.class_names({"f.h5: 'train_set_y'": np.array([0, 1.5])}, "f.h5")


def test_load_dataset_refuses_a_missing_label_column_naming_the_key(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_dataset("csv", {"train": write(tmp_path / "t.csv", TRAIN), "label": "colour"})
    assert info.value.key == "data.label" and "did you mean 'color'" in str(info.value)


# ---------------------------------------------------------------- bad files: one line, exit 2


def run_train(tmp_path: Path, section: str):
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(f"data: {{name: csv, {section}}}\ntraining: {{epochs: 2}}\n")
    result = CliRunner().invoke(app, ["train", str(cfg), "--out", str(tmp_path / "runs"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())  # refused before a run dir
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


BAD = {
    "missing-label-column": ("x,y,color\n1,2,red\n", "label: colour",
                             "error: data.label: 'colour' is not allowed (a column of {path}: did you mean "
                             "'color'? one of x, y, color)"),
    "non-numeric-feature": ("x,y,color\n1,2,red\n3,abc,blue\n", "",
                            "error: {path} line 3, column 'y': 'abc' is not a number (feature columns must be numeric)"),
    "empty-feature-cell": ("x,y,color\n1,,red\n3,4,blue\n", "",
                           "error: {path} line 2, column 'y': '' is not a number (feature columns must be numeric)"),
    "nan-feature": ("x,y,color\n1,2,red\nnan,4,blue\n", "",
                    "error: {path} line 3, column 'x': 'nan' is not a finite number"),
    "ragged-row": ("x,y,color\n1,2,red\n3,4,blue,extra\n", "",
                   "error: {path} line 3: 4 fields, but the header (line 1) names 3 columns: x, y, color"),
    "short-row": ("x,y,color\n1,2,red\n3\n", "",
                  "error: {path} line 3: 1 field, but the header (line 1) names 3 columns: x, y, color"),
    "empty-file": ("", "", "error: {path}: empty file; a CSV table needs a header row naming the columns, "
                           "then one row per example (data.train)"),
    "blank-lines-only": ("\n\n", "", "error: {path}: empty file; a CSV table needs a header row naming the columns, "
                                     "then one row per example (data.train)"),
    "header-only": ("x,y,color\n", "", "error: {path}: no examples, only the header row (x, y, color)"),
    "no-header": ("1,2,0\n3,4,1\n", "", "error: {path} line 1: the first row must name the columns (a header row), "
                                        "but it holds numbers: 1, 2, 0"),
    "unnamed-column": ("x,,color\n1,2,red\n", "", "error: {path} line 1: column 2 has no name "
                                                  "(the header row names every column)"),
    "repeated-column": ("x,x,color\n1,2,red\n", "", "error: {path} line 1: the column name 'x' is given twice"),
    "empty-label": ("x,color\n1,red\n2, \n", "", "error: {path} line 3, column 'color': ' ' is an empty label "
                                                 "(every example needs its class)"),
    "nan-label": ("x,color\n1,0\n2,NaN\n", "", "error: {path} line 3, column 'color': 'NaN' is not a label "
                                               "(a class name or a finite number)"),
    "one-class": ("x,color\n1,red\n2,red\n", "", "error: {path}: 1 class (red); 2 to 1000 are supported"),
    "label-only": ("color\nred\nblue\n", "", "error: {path}: no feature columns, only the label column 'color'"),
    "binary": (b"x,c\n\x00\x01", "", "error: {path}: a binary file, not a CSV table (data.train)"),
    "not-utf8": (b"x,c\n1,caf\xe9\n", "", "error: {path}: not UTF-8 text (byte 9); is it a CSV table? (data.train)"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_bad_file_is_one_line_and_exit_2(case, tmp_path):
    text, extra, expected = BAD[case]
    path = tmp_path / "data.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert run_train(tmp_path, f"train: data.csv, test: data.csv, {extra}".rstrip(", ")) == expected.format(path=path)


def test_a_missing_file_is_one_line(tmp_path):
    assert run_train(tmp_path, "train: nope.csv") == f"error: {tmp_path / 'nope.csv'}: no such file (data.train)"


def test_a_test_file_without_a_column_is_one_line(tmp_path):
    write(tmp_path / "train.csv", TRAIN)
    write(tmp_path / "test.csv", "x,color\n1,red\n")
    assert run_train(tmp_path, "train: train.csv, test: test.csv") == (
        f"error: {tmp_path / 'test.csv'}: no column 'y'; it must have the columns of data.train "
        f"({tmp_path / 'train.csv'}): x, y, color")
    write(tmp_path / "test.csv", "x,y,z,color\n1,2,3,red\n")
    assert run_train(tmp_path, "train: train.csv, test: test.csv").startswith(
        f"error: {tmp_path / 'test.csv'}: a column 'z'; it must have the columns of data.train")


def test_a_split_that_cannot_be_stratified_is_one_line(tmp_path):
    write(tmp_path / "t.csv", "x,c\n1,a\n2,a\n3,b\n")  # one b: no stratified split of it
    line = run_train(tmp_path, "train: t.csv")
    assert line.startswith(f"error: {tmp_path / 't.csv'}: cannot hold out a stratified test_size of 0.25 from 3 "
                           f"examples (2 a, 1 b): ") and line.endswith("; add examples or give data.test")


# ---------------------------------------------------------------- paths and the run directory


def project(tmp_path: Path) -> Path:
    """A config in project/configs/ naming its data relative to itself; returns the config's path."""
    write(tmp_path / "project/configs/data/train.csv", TRAIN)
    write(tmp_path / "project/configs/data/test.csv", "x,y,color\n1.5,2,red\n6,36,blue\n")
    cfg = tmp_path / "project/configs/exp.yaml"
    cfg.write_text("data: {name: csv, train: data/train.csv, test: data/test.csv, standardize: true}\n"
                   "training: {epochs: 20, batch_size: 4, eval_every: 5}\n")
    return cfg


def test_relative_paths_resolve_against_the_config_folder_from_any_directory(tmp_path, monkeypatch):
    cfg = project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = train(load_config(Path("../project/configs/exp.yaml")), "runs", plots=False)
    run_dir = result.run_dir.resolve()
    saved = load_config(run_dir / "config.yaml")
    assert saved.data.train == str(cfg.parent / "data/train.csv") and saved.data.test == str(cfg.parent / "data/test.csv")
    third = tmp_path / "third"
    third.mkdir()
    monkeypatch.chdir(third)  # the saved config re-runs from anywhere, bit-identically
    again = train(load_config(run_dir / "config.yaml"), "runs", plots=False)
    assert (again.run_dir / "params.npz").read_bytes() == (run_dir / "params.npz").read_bytes()
    assert again.metrics["test_accuracy"] == result.metrics["test_accuracy"]


def test_a_path_from_set_or_python_is_the_current_directorys(tmp_path, monkeypatch):
    cfg = project(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert load_config(cfg, ["data.train=mine.csv"]).data.train == str(tmp_path / "mine.csv")
    assert validate({"data": {"name": "csv", "train": "x.csv"}}).data.train == str(tmp_path / "x.csv")
    assert validate({"data": {"name": "h5", "train": Path("x.h5")}}).data.train == str(tmp_path / "x.h5")
    assert validate({"data": {"name": "csv", "train": "/abs/x.csv"}}).data.train == "/abs/x.csv"


def test_init_paths_and_compare_and_tune_bases_resolve_against_their_files(tmp_path):
    from dnncli.experiments.arms import resolve_arms
    from dnncli.experiments.tune.space import read_tune_config

    cfg = project(tmp_path)
    with_init = cfg.with_name("init.yaml")
    with_init.write_text(cfg.read_text() + "init: {name: file, path: ../params.npz}\n")
    assert load_config(with_init).init.path == str(tmp_path / "project/params.npz")
    _, arms = resolve_arms(["gd", "adam"], base=cfg)
    assert {arm.config.data.train for arm in arms} == {str(cfg.parent / "data/train.csv")}
    tune = cfg.with_name("tune.yaml")
    tune.write_text(cfg.read_text() + "search: {optimizer.learning_rate: {log: [1.0e-4, 1.0e-1]}}\n")
    assert read_tune_config(tune)[0].data.test == str(cfg.parent / "data/test.csv")


def test_class_names_reach_metrics_report_data_json_and_the_plot(tmp_path):
    cfg = project(tmp_path)
    result = train(load_config(cfg), tmp_path / "runs")
    run = result.run_dir
    assert json.loads((run / "metrics.json").read_text())["classes"] == ["blue", "red"]
    assert "Classes: blue, red." in (run / "report.md").read_text()
    saved = json.loads((run / "data.json").read_text())
    # x = 1..8 and y = x**2 = 1, 4, ..., 64: means 4.5 and 204 / 8 = 25.5
    assert saved["features"] == ["x", "y"] and saved["label"] == "color" and saved["classes"] == ["blue", "red"]
    assert saved["standardize"]["mean"] == [4.5, 25.5]
    assert saved["standardize"]["std"][0] == pytest.approx(np.sqrt(5.25), rel=1e-15)
    assert (run / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"
    assert set(load_npz(run / "params.npz")) == {"W1", "b1", "W2", "b2", "W3", "b3"}


def test_the_shipped_csv_example_trains_from_another_directory(tmp_path, monkeypatch):
    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(tmp_path)
    result = train(load_config(root / "configs/csv_example.yaml", ["training.epochs=5"]), "runs", plots=False)
    assert result.metrics["status"] == "completed" and result.metrics["classes"] == ["blue", "red"]
    assert all(p.stat().st_size < 30_000 for p in (root / "configs/data").iterdir())
