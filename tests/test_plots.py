import subprocess
import sys

import numpy as np
import pytest

from dnncli.plots import plot_cost, plot_decision_boundary
from dnncli.plots.curves import use_log_scale

from pngs import PNG_SIGNATURE, assert_only, read_png


def moons_like(m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    return X, (X[1] < 0.5 - 0.5 * X[0]).astype(int)


def test_import_does_not_load_matplotlib():
    code = "import sys, dnncli.plots; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    "values, expected",
    [
        ([1.0, 0.5, 0.2], False),  # under a decade
        ([0.7, 0.01], True),  # ~1.85 decades
        ([1.0, 0.05], False),  # 1.3 decades
        ([np.inf, 1.0, 0.001, np.nan], True),  # non-finite ignored
        ([1.0, 1e-3, 0.0], False),  # a zero cannot go on a log axis
        ([5.0], False),
        ([], False),
    ],
)
def test_use_log_scale(values, expected):
    assert use_log_scale(np.array(values)) is expected


def test_plot_cost_writes_png_of_expected_size(tmp_path):
    epochs = np.arange(1, 10001)
    rng = np.random.default_rng(1)
    cost = 0.7 * np.exp(-epochs / 2000) + 0.01 * rng.random(epochs.size)
    lr = 0.1 / (1 + np.floor(epochs / 1000))
    path = tmp_path / "cost.png"
    plot_cost(path, epochs, cost, test_epochs=epochs[99::100], test_cost=cost[99::100] + 0.02,
              learning_rate=lr, title="run")
    height, width = read_png(path).shape[:2]
    assert abs(width - 770) <= 10 and abs(height - 495) <= 10  # 7 x 4.5 in at 110 dpi
    assert_only(tmp_path, "cost.png")


@pytest.mark.parametrize(
    "cost",
    [
        [np.inf, 0.69, 0.5, 0.4, np.nan],
        [0.69, 0.5, np.nan, np.inf, -np.inf],  # diverged
        [np.nan, np.inf],  # nothing finite at all
    ],
)
def test_plot_cost_skips_non_finite(tmp_path, cost):
    path = tmp_path / "cost.png"
    plot_cost(path, np.arange(len(cost)), np.array(cost), learning_rate=0.0007)
    read_png(path)


def test_plot_decision_boundary_two_classes_with_test(tmp_path):
    X, y = moons_like()
    Xt, yt = moons_like(20, seed=1)
    path = tmp_path / "decision_boundary.png"
    plot_decision_boundary(path, lambda A: (A[1] < 0.5 - 0.5 * A[0]).astype(int), X, y,
                           X_test=Xt, labels_test=yt, title="train 100%, test 100%")
    height, width = read_png(path).shape[:2]
    assert abs(width - 770) <= 10 and abs(height - 550) <= 10
    assert_only(tmp_path, "decision_boundary.png")


def test_plot_decision_boundary_three_classes(tmp_path):
    centres = np.array([[0.0, 3.0, -3.0], [3.0, -2.0, -2.0]])
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(3), 20)
    X = centres[:, y] + rng.normal(size=(2, y.size))

    def predict(A):
        return np.argmin(((A[:, None, :] - centres[:, :, None]) ** 2).sum(axis=0), axis=0)

    path = tmp_path / "db.png"
    plot_decision_boundary(path, predict, X, y, class_names=["a", "b", "c"])
    read_png(path)


def test_no_partial_file_when_predict_raises(tmp_path):
    X, y = moons_like()

    def predict(A):
        raise RuntimeError("boom")

    path = tmp_path / "decision_boundary.png"
    with pytest.raises(RuntimeError, match="boom"):
        plot_decision_boundary(path, predict, X, y)
    assert not path.exists()
    assert_only(tmp_path)


def test_no_partial_file_when_saving_fails(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def broken_savefig(self, fname, **kwargs):
        with open(fname, "wb") as f:  # half a file, then a crash
            f.write(PNG_SIGNATURE)
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    with pytest.raises(OSError):
        plot_cost(tmp_path / "cost.png", np.arange(3), np.array([1.0, 0.5, 0.2]))
    assert_only(tmp_path)
