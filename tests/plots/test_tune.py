"""The `dnn tune` plot: the metric of every trial against each searched value."""

import pytest

from dnncli.plots import SearchPanel, plot_search, search_figure
from tests.figures import assert_inside_figure, figure_legend, legend_texts, titles
from tests.pngs import assert_only, read_png


def panels():
    lr = [1e-4, 3e-4, 1e-3, 3e-3, 0.05, 2e-3]
    y = [0.80, 0.84, 0.88, 0.90, None, 0.89]  # the 0.05 trial diverged
    stage = [1, 1, 1, 1, 2, 2]
    return [
        SearchPanel(name="optimizer.learning_rate", scale="log", x=lr, y=y, stage=stage,
                    ranges={1: (1e-4, 0.1), 2: (1e-3, 1e-2)}, best=(3e-3, 0.90), limits=(1e-4, 0.1)),
        SearchPanel(name="optimizer.beta1", scale="one_minus_log", x=[0.9, 0.95, 0.99, 0.995, 0.999, 0.98], y=y,
                    stage=stage, ranges={1: (0.9, 0.999)}, best=(0.995, 0.90), limits=(0.9, 0.999)),
        SearchPanel(name="model.activation", scale="category", x=["relu", "tanh", "relu", "tanh", "relu", "tanh"],
                    y=y, stage=stage, best=("tanh", 0.90), categories=["relu", "tanh"]),
    ]


def test_search_figure_axes_scales_marks_and_legend():
    fig = search_figure(panels(), metric="validation accuracy", baseline=0.85,
                        title="tune moons_with_a_rather_long_config_name: validation accuracy per trial (6 trials)")
    lr, beta, act = (ax for ax in fig.axes if ax.get_visible())
    assert lr.get_xscale() == "log" and lr.get_xlabel() == "optimizer.learning_rate (log scale)"
    assert beta.get_xscale() == "logit" and "log(1 - x)" in beta.get_xlabel()
    assert [t.get_text() for t in act.get_xticklabels()] == ["relu", "tanh"]
    for ax in (lr, beta, act):
        (failed,) = [c for c in ax.collections if c.get_gid() == "failed"]
        assert len(failed.get_offsets()) == 1  # the diverged trial, on the bottom edge
        assert failed.get_offsets()[0][1] < min(v for v in panels()[0].y if v is not None)
        (best,) = [c for c in ax.collections if c.get_gid() == "best"]
        assert best.get_offsets()[0][1] == 0.90
    assert act.collections[-1].get_offsets()[0][0] == 1  # the best choice, "tanh", is the second column
    assert legend_texts(figure_legend(fig)) == ["stage 1 (4 trials)", "stage 2 (2 trials)", "stage 2 range", "best",
                                                "failed / diverged", "config as written"]
    assert_inside_figure(fig, *titles(fig), figure_legend(fig))


def test_search_figure_needs_a_panel():
    with pytest.raises(ValueError, match="at least one panel"):
        search_figure([], metric="accuracy")


def test_plot_search_takes_dict_panels(tmp_path):
    path = tmp_path / "search.png"
    plot_search(path, [vars(p) for p in panels()[:2]], metric="validation accuracy")
    height, width = read_png(path).shape[:2]
    assert abs(width - round(110 * (4.4 * 2 + 0.3))) <= 10 and abs(height - round(110 * 4.5)) <= 10
    assert_only(tmp_path, "search.png")
