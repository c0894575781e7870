"""The `dnn compare` plots: cost curves per arm, a grid of decision boundaries, accuracy dots."""

import numpy as np
import pytest

from dnncli.plots import plot_accuracy, plot_boundaries_grid, plot_compare_costs
from dnncli.plots.curves import smooth

from pngs import assert_only, read_png


def noisy_costs(floor, tau, seeds=3, epochs=10000, seed=0):
    rng = np.random.default_rng(seed)
    e = np.arange(1, epochs + 1)
    return np.array([(0.69 * np.exp(-e / tau) + floor * (1 + 0.1 * s)) * np.exp(0.2 * rng.normal(size=epochs))
                     for s in range(seeds)])


def moons(m=80, seed=0):
    from sklearn.datasets import make_moons

    X, y = make_moons(m, noise=0.2, random_state=seed)
    return X.T, y


def panel(title="arm", predict=lambda A: (A[1] < 0.25).astype(int), test=True):
    X, y = moons()
    Xt, yt = moons(30, seed=1) if test else (None, None)
    return {"title": title, "predict": predict, "X_train": X, "labels_train": y, "X_test": Xt, "labels_test": yt}


def test_compare_costs_three_noisy_arms(tmp_path):
    curves = {"gd": noisy_costs(0.2, 5000), "momentum": noisy_costs(0.1, 2000), "adam": noisy_costs(0.01, 500)}
    path = tmp_path / "costs.png"
    plot_compare_costs(path, curves, title="compare")
    height, width = read_png(path).shape[:2]
    assert abs(width - 880) <= 10 and abs(height - 550) <= 10  # 8 x 5 in at 110 dpi
    assert_only(tmp_path, "costs.png")


def test_compare_costs_diverged_seed_and_all_nan_arm(tmp_path):
    gd = noisy_costs(0.2, 5000, epochs=500)
    gd[1, 200] = np.inf
    gd[1, 201:] = np.nan  # a diverged seed, padded
    curves = {"gd": gd, "adam": noisy_costs(0.01, 100, epochs=500), "failed": np.full((3, 500), np.nan),
              "none": np.full((1, 1), np.nan)}
    path = tmp_path / "costs.png"
    plot_compare_costs(path, curves)
    read_png(path)


@pytest.mark.parametrize("curves", [{}, {"a": np.array([[np.nan, np.inf]])}, {"a": [[0.7, 0.5, 0.4]]},
                                    {"short": np.array([[0.7, 0.6]]), "long": np.ones((2, 50))}])
def test_compare_costs_degenerate_inputs(tmp_path, curves):
    path = tmp_path / "costs.png"
    plot_compare_costs(path, curves)
    read_png(path)


def test_smooth_row_keeps_ends_gaps_and_linear_trends():
    y = np.linspace(1.0, 2.0, 50)
    y[20] = np.nan
    s = smooth(y, 11)
    ok = np.isfinite(y)
    assert np.isnan(s[20])
    np.testing.assert_allclose(s[ok], y[ok])  # a straight line, even at the ends, is left alone
    flat = np.r_[np.ones(10), 3 * np.ones(10)]
    assert smooth(flat, 5)[0] == 1.0 and smooth(flat, 5)[-1] == 3.0


@pytest.mark.parametrize("n", range(1, 8))
def test_boundaries_grid_one_to_seven_panels(tmp_path, n):
    panels = [panel(f"arm {i}: train 0.9") for i in range(n)]
    path = tmp_path / "boundaries.png"
    plot_boundaries_grid(path, panels, class_names=["a", "b"], title="grid")
    height, width = read_png(path).shape[:2]
    if n > 3:
        assert height > 700 and width > 1300  # rows of 3 panels
    assert_only(tmp_path, "boundaries.png")


def test_boundaries_grid_failed_run_and_no_test_set(tmp_path):
    panels = [panel("gd", test=False), panel("momentum: failed", predict=None, test=False)]
    path = tmp_path / "boundaries.png"
    plot_boundaries_grid(path, panels)
    read_png(path)


def test_boundaries_grid_predict_raises_leaves_no_file(tmp_path):
    def predict(A):
        raise RuntimeError("boom")

    path = tmp_path / "boundaries.png"
    with pytest.raises(RuntimeError, match="boom"):
        plot_boundaries_grid(path, [panel("ok"), panel("bad", predict=predict)])
    assert_only(tmp_path)


def test_accuracy_three_arms_three_seeds(tmp_path):
    arms = ["gd", "momentum", "adam"]
    train = {"gd": [0.82, 0.83, 0.80], "momentum": [0.87, 0.88, 0.87], "adam": [0.95, 0.96, 0.94]}
    test = {"gd": [0.81, 0.80, 0.79], "momentum": [0.86, 0.87, 0.85], "adam": [0.94, 0.93, 0.94]}
    path = tmp_path / "accuracy.png"
    plot_accuracy(path, arms, train, test, best="adam")
    height, width = read_png(path).shape[:2]
    assert abs(width - 880) <= 10 and abs(height - 550) <= 10
    assert_only(tmp_path, "accuracy.png")


def test_accuracy_without_test_set_and_with_a_failed_arm(tmp_path):
    path = tmp_path / "accuracy.png"
    plot_accuracy(path, ["gd", "adam", "broken"], {"gd": [0.2, 0.3], "adam": [1.0, 1.0], "broken": []},
                  {"gd": [], "adam": [], "broken": []}, best=None)
    read_png(path)
