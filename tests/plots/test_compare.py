"""The `dnn compare` plots: cost curves per arm, a grid of decision boundaries, accuracy dots."""

import numpy as np
import pytest

from dnncli.plots import (
    BoundaryPanel,
    accuracy_figure,
    boundaries_grid_figure,
    compare_costs_figure,
    plot_accuracy,
    plot_boundaries_grid,
    plot_compare_costs,
)
from dnncli.plots.compare import ENDED_LABEL
from dnncli.plots.curves import smooth
from tests.figures import assert_inside_figure, extents, figure_legend, labelled_ticks, legend_texts, overlaps, renderer, titles
from tests.pngs import assert_only, read_png


def noisy_costs(floor, tau, seeds=3, epochs=10000, seed=0, noise=0.2):
    rng = np.random.default_rng(seed)
    e = np.arange(1, epochs + 1)
    return np.array([(0.69 * np.exp(-e / tau) + floor * (1 + 0.1 * s)) * np.exp(noise * rng.normal(size=epochs))
                     for s in range(seeds)])


def moons(m=80, seed=0):
    from sklearn.datasets import make_moons

    X, y = make_moons(m, noise=0.2, random_state=seed)
    return X.T, y


def panel(title="arm", predict=lambda A: (A[1] < 0.25).astype(int), test=True):
    X, y = moons()
    Xt, yt = moons(30, seed=1) if test else (None, None)
    return {"title": title, "predict": predict, "X_train": X, "labels_train": y, "X_test": Xt, "labels_test": yt}


def test_compare_costs_legend_names_the_arms_and_the_smoothing():
    curves = {"gd": noisy_costs(0.2, 5000), "momentum": noisy_costs(0.1, 2000), "adam": noisy_costs(0.01, 500)}
    fig = compare_costs_figure(curves, title="compare")
    legend = figure_legend(fig)
    assert legend_texts(legend) == ["gd  (3 seeds)", "momentum  (3 seeds)", "adam  (3 seeds)"]
    assert "moving average over 101 epochs" in legend.get_title().get_text()
    (ax,) = fig.axes
    assert not overlaps(*extents(fig, legend, ax.patch))  # outside the axes: covers no curve
    assert_inside_figure(fig, legend, *titles(fig))


def test_compare_costs_log_axis_is_labelled_with_enough_ticks():
    curves = {"gd": noisy_costs(0.2, 1500, epochs=3000, noise=0), "adam": noisy_costs(0.01, 200, epochs=3000, noise=0)}
    (ax,) = compare_costs_figure(curves).axes
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "cost (log scale)"
    assert len(labelled_ticks(ax.yaxis)) >= 5  # 0.01 0.02 0.05 0.1 0.2 0.5 1, not only 0.1 and 1


def test_compare_costs_marks_a_diverged_seed_and_names_an_all_nan_arm():
    gd = noisy_costs(0.2, 5000, epochs=500, noise=0)  # smooth curves: the mark sits on the raw value
    gd[1, 200] = np.inf
    gd[1, 201:] = np.nan  # a diverged seed, padded
    curves = {"gd": gd, "adam": noisy_costs(0.01, 100, epochs=500, noise=0), "failed": np.full((3, 500), np.nan),
              "none": np.full((1, 1), np.nan)}
    fig = compare_costs_figure(curves)
    (ax,) = fig.axes
    (mark,) = [line for line in ax.get_lines() if line.get_gid() == "ended:gd"]
    assert mark.get_marker() == "x" and mark.get_xdata()[0] == 199  # the last finite cost
    assert mark.get_ydata()[0] == gd[1, 199]
    assert legend_texts(figure_legend(fig)) == ["gd  (3 seeds, 1 with non-finite cost)", "adam  (3 seeds)",
                                                "failed  (3 seeds, no finite cost)", "none  (1 seed, no finite cost)",
                                                ENDED_LABEL]


def test_compare_costs_no_mark_when_every_seed_runs_to_the_end():
    fig = compare_costs_figure({"a": [[0.7, 0.5, 0.4]], "b": [[0.7, 0.6, 0.5]]})
    assert ENDED_LABEL not in legend_texts(figure_legend(fig))
    assert fig.axes[0].get_yscale() == "linear" and fig.axes[0].get_ylabel() == "cost"


@pytest.mark.parametrize("curves", [{}, {"a": np.array([[np.nan, np.inf]])}, {"a": [[0.7, 0.5, 0.4]]},
                                    {"short": np.array([[0.7, 0.6]]), "long": np.ones((2, 50))}])
def test_compare_costs_degenerate_inputs(curves):
    fig = compare_costs_figure(curves)
    renderer(fig)
    assert [t.split("  ")[0] for t in legend_texts(figure_legend(fig))] == list(curves)


def test_plot_compare_costs_writes_png_of_expected_size(tmp_path):
    path = tmp_path / "costs.png"
    plot_compare_costs(path, {"gd": noisy_costs(0.2, 5000, epochs=300)}, title="compare")
    height, width = read_png(path).shape[:2]
    assert abs(width - 880) <= 10 and abs(height - 550) <= 10  # 8 x 5 in at 110 dpi
    assert_only(tmp_path, "costs.png")


def test_smooth_keeps_ends_gaps_and_linear_trends():
    y = np.linspace(1.0, 2.0, 50)
    y[20] = np.nan
    s = smooth(y, 11)
    ok = np.isfinite(y)
    assert np.isnan(s[20])
    np.testing.assert_allclose(s[ok], y[ok])  # a straight line, even at the ends, is left alone
    flat = np.r_[np.ones(10), 3 * np.ones(10)]
    assert smooth(flat, 5)[0] == 1.0 and smooth(flat, 5)[-1] == 3.0


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_boundaries_grid_long_titles_fit_and_do_not_overlap(n):
    panels = [BoundaryPanel(**panel(f"dropout_keep_prob_0.86_arm_{i} (seed 1): train 0.873, test 0.860"))
              for i in range(n)]
    fig = boundaries_grid_figure(panels, class_names=["a", "b"], title="decision boundaries (first seed)")
    assert sum(ax.get_visible() for ax in fig.axes) == n
    assert_inside_figure(fig, *titles(fig), figure_legend(fig))
    boxes = extents(fig, *[ax.title for ax in fig.axes if ax.get_visible()])
    assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert legend_texts(figure_legend(fig)) == ["a", "b", "train", "test"]


def test_boundaries_grid_failed_run_and_no_test_set():
    fig = boundaries_grid_figure([BoundaryPanel(**panel("gd", test=False)),
                                  BoundaryPanel(**panel("momentum: failed", predict=None, test=False))])
    ok, failed = fig.axes
    assert "no model (run failed)" in [t.get_text() for t in failed.texts]
    assert not ok.texts
    assert legend_texts(figure_legend(fig)) == ["class 0", "class 1", "train"]


@pytest.mark.parametrize("n", [1, 4])
def test_plot_boundaries_grid_takes_dict_panels(tmp_path, n):
    path = tmp_path / "boundaries.png"
    plot_boundaries_grid(path, [panel(f"arm {i}") for i in range(n)], class_names=["a", "b"], title="grid")
    height, width = read_png(path).shape[:2]
    if n > 3:
        assert height > 700 and width > 1300  # rows of 3 panels
    assert_only(tmp_path, "boundaries.png")


def test_boundaries_grid_predict_raises_leaves_no_file(tmp_path):
    def predict(A):
        raise RuntimeError("boom")

    path = tmp_path / "boundaries.png"
    with pytest.raises(RuntimeError, match="boom"):
        plot_boundaries_grid(path, [panel("ok"), panel("bad", predict=predict)])
    assert_only(tmp_path)


def five_arms():
    arms = ["gd", "momentum", "rmsprop", "adagrad", "adam"]
    train = {a: [0.80 + 0.04 * i, 0.81 + 0.04 * i, 0.79 + 0.04 * i] for i, a in enumerate(arms)}
    test = {a: [v - 0.01 for v in train[a]] for a in arms}
    train["adam"] = [1.0, 0.997, 1.0]
    return arms, train, test


def test_accuracy_value_labels_do_not_overlap_or_clip_with_five_arms():
    arms, train, test = five_arms()
    fig = accuracy_figure(arms, train, test, best="adam")
    (ax,) = fig.axes
    labels = [t for t in ax.texts if t.get_gid() == "mean-label"]
    assert len(labels) == 10
    *boxes, axes_box = extents(fig, *labels, ax.patch)
    assert not any(overlaps(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    assert all(axes_box.x0 <= b.x0 and b.x1 <= axes_box.x1 and axes_box.y0 <= b.y0 and b.y1 <= axes_box.y1
               for b in boxes)
    assert [t.get_text() for t in labels[-2:]] == ["99.9%", "95.0%"]  # adam's train mean, then test


def test_accuracy_names_the_arms_and_marks_the_best():
    arms, train, test = five_arms()
    fig = accuracy_figure(arms, train, test, best="adam")
    (ax,) = fig.axes
    ticks = ax.get_xticklabels()
    assert [t.get_text() for t in ticks] == ["gd", "momentum", "rmsprop", "adagrad", "adam \N{BLACK STAR}"]
    assert ticks[-1].get_fontweight() == "bold" and ticks[0].get_fontweight() == "normal"
    assert legend_texts(figure_legend(fig)) == ["train: mean, min to max", "test: mean, min to max", "one seed",
                                                "best arm"]
    assert_inside_figure(fig, *titles(fig), figure_legend(fig))


def test_accuracy_without_test_set_and_with_a_failed_arm():
    fig = accuracy_figure(["gd", "adam", "broken"], {"gd": [0.2, 0.3], "adam": [1.0, 1.0], "broken": []},
                          {"gd": [], "adam": [], "broken": []}, best=None)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.texts if t.get_gid() == "mean-label"] == ["25.0%", "100.0%"]
    assert "no result" in [t.get_text() for t in ax.texts]
    assert legend_texts(figure_legend(fig)) == ["train: mean, min to max", "one seed"]


def test_plot_accuracy_writes_png_of_expected_size(tmp_path):
    arms, train, test = five_arms()
    path = tmp_path / "accuracy.png"
    plot_accuracy(path, arms[:3], train, test, best="rmsprop")
    height, width = read_png(path).shape[:2]
    assert abs(width - 880) <= 10 and abs(height - 550) <= 10
    assert_only(tmp_path, "accuracy.png")


def test_costs_against_updates_put_each_arm_on_its_own_scale():
    """--x updates: an epoch of batch size 16 on 300 examples is 19 updates, one of full batch 1."""
    curves = {"sgd": np.full((2, 50), 0.5), "full": np.full((2, 50), 0.6)}
    fig = compare_costs_figure(curves, x_per_epoch={"sgd": 19.0, "full": 1.0}, x_label="updates")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "updates"
    ends = sorted(line.get_xdata()[-1] for line in ax.get_lines() if len(line.get_xdata()) > 1)
    assert ends == [49.0, 49.0 * 19]


def test_the_x_axis_of_a_compare_follows_the_arms():
    from types import SimpleNamespace

    from dnncli.experiments.compare_report import _x_axis

    def run(updates, epochs, seconds):
        return {"result": SimpleNamespace(updates=updates, epochs_run=epochs, seconds=seconds)}

    runs = {"b16": [run(1900, 100, 2.0), run(1900, 100, 4.0)], "full": [run(100, 100, 0.5)]}  # arm -> its runs
    assert _x_axis(runs, "auto") == ({"b16": 19.0, "full": 1.0}, "updates")  # epochs hold different updates
    assert _x_axis(runs, "seconds") == ({"b16": 0.03, "full": 0.005}, "seconds of training")
    same = {"b16": [run(500, 100, 1.0)], "full": [run(500, 100, 1.0)]}
    assert _x_axis(same, "auto") == ({"b16": 1.0, "full": 1.0}, "epoch")


def test_the_tuned_rates_plot_stars_each_choice_and_crosses_the_diverged():
    from dnncli.plots import tuned_rates_figure

    tables = {"gd": [(1e-3, 0.6), (1e-2, 0.8), (1e-1, 0.9)], "adam": [(1e-3, 0.9), (1e-2, 0.95), (1e-1, None)]}
    fig = tuned_rates_figure(tables, {"gd": 1e-1, "adam": 1e-2}, title="rates")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "validation accuracy"
    marks = {line.get_gid(): (list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines() if line.get_gid()}
    assert marks["chosen:gd"] == ([1e-1], [0.9]) and marks["chosen:adam"] == ([1e-2], [0.95])
    assert marks["failed:adam"][0] == [1e-1] and "failed:gd" not in marks
    assert {"gd", "adam", "chosen rate", "diverged or failed"} <= set(legend_texts(figure_legend(fig)))
