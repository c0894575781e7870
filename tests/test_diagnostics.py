"""Multi-class diagnostics (confusion matrices, per-class accuracy) and the unscaled-input warning."""

import json
import warnings

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, recall_score

from dnncli.config import validate
from dnncli.data import SCALE_RATIO, Dataset, UnscaledInputWarning, scale_warning
from dnncli.experiments.train import train
from dnncli.pipeline import held_out, per_class_accuracy
from dnncli.plots.confusion import confusion_figure
from tests.pngs import read_png

DIGITS = {"name": "digits_small", "data": {"name": "digits"}, "model": {"hidden": [16]},
          "optimizer": {"learning_rate": 0.01}, "training": {"epochs": 3, "eval_every": 1}}

pytestmark = pytest.mark.xdist_group("digits_run")  # the module's fixture runs are made once


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return train(validate(DIGITS), tmp_path_factory.mktemp("runs"))


def test_confusion_counts_and_per_class_accuracy_agree_with_scikit_learn(digits_run):
    metrics = json.loads((digits_run.run_dir / "metrics.json").read_text())
    dataset, _, _ = held_out(digits_run.config)
    model = digits_run.result.model
    assert metrics["classes"] == [str(k) for k in range(10)]
    for split, X, labels in (("train", dataset.X_train, dataset.labels_train), ("test", dataset.X_test, dataset.labels_test)):
        predicted = model.predict(X)
        expected = confusion_matrix(labels, predicted, labels=range(10))
        assert metrics["confusion"][split] == expected.tolist()
        recall = recall_score(labels, predicted, labels=range(10), average=None, zero_division=np.nan)
        assert list(metrics["per_class_accuracy"][split].values()) == pytest.approx(list(recall), rel=1e-12)
        # the diagonal over all examples is the accuracy the engine computed on its own path
        assert np.trace(expected) / expected.sum() == pytest.approx(metrics[f"{split}_accuracy"], rel=1e-12)


def test_a_multi_class_run_has_confusion_png_and_a_per_class_table(digits_run):
    image = read_png(digits_run.run_dir / "confusion.png")
    assert image.shape[0] > 500 and image.shape[1] > 500
    report = (digits_run.run_dir / "report.md").read_text()
    assert "## Accuracy per class" in report and "![confusion.png](confusion.png)" in report
    metrics = json.loads((digits_run.run_dir / "metrics.json").read_text())
    rows = [line for line in report.splitlines() if line.startswith("| 7 |")]
    train_acc, test_acc = metrics["per_class_accuracy"]["train"]["7"], metrics["per_class_accuracy"]["test"]["7"]
    n_train, n_test = (sum(metrics["confusion"][s][7]) for s in ("train", "test"))
    assert rows == [f"| 7 | {train_acc:.4f} | {test_acc:.4f} | {n_train} | {n_test} |"]


def test_the_confusion_figure_shows_counts_and_normalized_rows_per_split():
    counts = {"train": [[5, 1, 0], [2, 7, 1], [0, 0, 9]], "test": [[1, 0, 0], [0, 0, 0], [0, 1, 1]]}
    fig = confusion_figure(counts, ["a", "b", "c"], title="t")
    images = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title().replace("\n", " ") for ax in images] == ["train: examples (25 in all)", "train: rows normalized (accuracy 0.8400)",
                                                 "test: examples (3 in all)", "test: rows normalized (accuracy 0.6667)"]
    assert images[1].images[0].get_array()[1].tolist() == pytest.approx([0.2, 0.7, 0.1])
    assert [t.get_text() for t in images[3].get_yticklabels()] == ["a (1.00)", "b (-)", "c (0.50)"]  # b: no test example
    assert [t.get_text() for t in images[0].texts][:3] == ["5", "1", "0"]


def test_per_class_accuracy_is_the_diagonal_over_the_row():
    acc = per_class_accuracy({"train": [[2, 1, 0], [0, 0, 0], [1, 0, 3]]}, ("a", "b", "c"))
    assert acc == {"train": {"a": 2 / 3, "b": None, "c": 3 / 4}}


def test_a_two_class_run_has_no_confusion_matrix(tmp_path):
    result = train(validate({"data": {"name": "moons", "n_samples": 40, "n_test": 20}, "training": {"epochs": 2}}), tmp_path)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert "confusion" not in metrics and "per_class_accuracy" not in metrics
    assert not (result.run_dir / "confusion.png").exists()


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

    caught, made = [], train_module.create_run_dir

    def claim(*args, **kwargs):
        assert [w for w in caught if w.category is UnscaledInputWarning]  # warned before anything is written
        return made(*args, **kwargs)

    monkeypatch.setattr(train_module, "create_run_dir", claim)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        caught = record
        train(validate({"data": {"name": "breast_cancer"}, "training": {"epochs": 1}}), tmp_path)
    assert len([w for w in caught if w.category is UnscaledInputWarning]) == 1
