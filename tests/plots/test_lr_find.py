"""The `dnn lr-find` plot: final cost per learning rate, mean and seed band, divergence, the suggestion."""

import numpy as np

from dnncli.plots import lr_find_figure, plot_lr_find
from dnncli.plots.lr_find import DIVERGED_LABEL, NONE_DIVERGED_LABEL
from tests.figures import assert_inside_figure, figure_legend, labelled_ticks, legend_texts, titles
from tests.pngs import assert_only, read_png

RATES = [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]


def costs():
    c = np.array([[0.70, 0.50, 0.20, 0.25, 0.60, np.nan],  # seed 0 diverged at 10
                  [0.68, 0.46, 0.22, 0.27, np.nan, np.nan]])  # seed 1 diverged at 1 and 10
    diverged = ~np.isfinite(c)
    return c, diverged


def line(ax, gid):
    (found,) = [artist for artist in ax.get_lines() if artist.get_gid() == gid]
    return found


def test_mean_and_band_stop_at_the_first_divergence_and_crosses_mark_it():
    c, diverged = costs()
    fig = lr_find_figure(RATES, c, diverged=diverged, smoothed=[0.6, 0.47, 0.31, np.nan, np.nan, np.nan],
                         threshold=0.3255, tolerance=0.05, valley=(1e-2, 1e-2), suggested=1e-2,
                         title="lr-find adam_moons: final training cost after 1000 epochs (adam, 2 seeds per rate)")
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "learning rate (log scale)"
    mean = line(ax, "mean").get_ydata()
    np.testing.assert_allclose(mean[:4], [0.69, 0.48, 0.21, 0.26])  # (0.70 + 0.68) / 2, ...
    assert np.isnan(mean[4:]).all()  # a seed diverged there: no mean drawn
    (band,) = ax.collections
    top = band.get_paths()[0].vertices[:, 1].max()
    assert top == 0.70  # the band spans min..max of the seeds, only where both have a cost
    crosses = line(ax, "diverged")
    assert list(crosses.get_xdata()) == [1.0, 10.0] and crosses.get_marker() == "x"
    star = line(ax, "suggested")
    assert (star.get_xdata()[0], star.get_ydata()[0]) == (1e-2, 0.31)  # on the smoothed curve
    assert line(ax, "threshold").get_ydata()[0] == 0.3255
    assert len(labelled_ticks(ax.xaxis)) >= 5
    assert legend_texts(figure_legend(fig)) == [
        "mean over 2 seeds", "min to max over the seeds", "smoothed mean (each rate with its two neighbours)",
        "5% above the lowest smoothed cost", "the valley: smoothed cost below that line", "suggested learning rate 0.01",
        DIVERGED_LABEL]
    assert_inside_figure(fig, *titles(fig), figure_legend(fig))


def test_no_divergence_is_said_and_a_wide_range_of_costs_gets_a_log_axis():
    c = np.array([[5.0, 1.0, 0.05, 0.04, 0.3, 2.0]])
    fig = lr_find_figure(RATES, c, diverged=np.zeros_like(c, bool))
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "final training cost (log scale)"
    assert legend_texts(figure_legend(fig)) == ["mean over 1 seed", NONE_DIVERGED_LABEL]
    assert not ax.collections  # one seed: no band


def test_nothing_finite_says_so(tmp_path):
    c = np.full((2, 6), np.nan)
    fig = lr_find_figure(RATES, c, diverged=np.ones_like(c, bool))
    (ax,) = fig.axes
    assert "no rate has a finite cost for every seed" in [t.get_text() for t in ax.texts]
    path = tmp_path / "lr_find.png"
    plot_lr_find(path, RATES, costs()[0], diverged=costs()[1], suggested=1e-2)
    height, width = read_png(path).shape[:2]
    assert abs(width - 8.0 * 110) <= 2 and abs(height - 5.2 * 110) <= 2
    assert_only(tmp_path, "lr_find.png")
