"""The plots of one run: cost per epoch and decision boundary (figure content, then the PNG)."""

import subprocess
import sys

import numpy as np
import pytest

from dnncli.plots import plot_cost, plot_decision_boundary
from dnncli.plots.curves import use_log_scale
from tests.figures import assert_inside_figure, figure_legend, labelled_ticks, legend_texts, overlaps, points_under, titles
from tests.pngs import PNG_SIGNATURE, assert_only, read_png


def moons_like(m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, m))
    return X, (X[1] < 0.5 - 0.5 * X[0]).astype(int)


def overfit_costs(epochs=10000):
    """Train cost falling to 0.008; test cost (every 100 epochs) falling, then rising."""
    e = np.arange(epochs)
    te = e[::100]
    return e, 0.69 * np.exp(-e / 800) + 0.008, te, 0.69 * np.exp(-te / 800) + 0.15 + 0.5 * (te / epochs) ** 1.5


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


def test_cost_figure_goes_logarithmic_says_so_and_labels_enough_ticks():
    from dnncli.plots import cost_figure

    e, cost, te, test_cost = overfit_costs()
    fig = cost_figure(e, cost, test_epochs=te, test_cost=test_cost, learning_rate=np.full(e.size, 0.3), title="run")
    (ax,) = fig.axes
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    assert len(labelled_ticks(ax.yaxis)) >= 4  # 0.01 .. 1 labelled 1-2-5, not only 0.01 and 0.1
    assert "lr = 0.3" in ax.get_title()
    assert legend_texts(ax.get_legend()) == ["train cost (incl. any L2 term)", "test cost (cross-entropy, no L2)"]


def test_cost_figure_legend_does_not_cover_the_curves():
    from dnncli.plots import cost_figure

    e, cost, te, test_cost = overfit_costs()  # test cost ends in the top right corner
    fig = cost_figure(e, cost, test_epochs=te, test_cost=test_cost)
    (ax,) = fig.axes
    assert points_under(fig, ax.get_legend(), ax) == 0


def test_cost_figure_linear_axis_for_a_small_range():
    from dnncli.plots import cost_figure

    (ax,) = cost_figure(np.arange(3), np.array([0.7, 0.5, 0.4])).axes
    assert ax.get_yscale() == "linear" and ax.get_ylabel() == "cost"


def test_cost_figure_smooths_noisy_costs_and_shows_a_varying_learning_rate():
    from dnncli.plots import cost_figure

    e = np.arange(10000)
    cost = (0.69 * np.exp(-e / 2000) + 0.05) * np.exp(0.25 * np.random.default_rng(1).normal(size=e.size))
    fig = cost_figure(e, cost, learning_rate=0.1 / (1 + e // 1000))
    ax, ax_lr = fig.axes
    assert legend_texts(ax.get_legend()) == ["train cost (incl. any L2 term), raw", "train cost (incl. any L2 term), mean of 101 epochs"]
    assert "learning" in ax_lr.get_ylabel() and ax_lr.get_xlabel() == "epoch"


@pytest.mark.parametrize(
    "cost, skipped",
    [
        ([np.inf, 0.69, 0.5, 0.4, np.nan], 2),
        ([0.69, 0.5, np.nan, np.inf, -np.inf], 3),  # diverged
        ([np.nan, np.inf], 2),  # nothing finite at all
    ],
)
def test_cost_figure_skips_non_finite_and_says_how_many(cost, skipped):
    from dnncli.plots import cost_figure

    (ax,) = cost_figure(np.arange(len(cost)), np.array(cost), learning_rate=0.0007).axes
    assert legend_texts(ax.get_legend())[0] == f"train cost (incl. any L2 term) ({skipped} non-finite skipped)"


def test_long_titles_fit_in_the_figure():
    from dnncli.plots import boundary_figure, cost_figure

    long = "batchnorm_deep_sigmoid_moons_with_a_long_name: accuracy train 0.9800, test 0.9120 (completed)"
    X, y = moons_like()
    for fig in (cost_figure(np.arange(3), np.array([0.7, 0.5, 0.4]), title=long),
                boundary_figure(lambda A: (A[0] > 0).astype(int), X, y, title=long)):
        assert "\n" in fig.axes[0].get_title()
        assert_inside_figure(fig, *titles(fig))


def test_boundary_figure_draws_train_points_on_top_of_lighter_smaller_test_points():
    from dnncli.plots import boundary_figure

    X, y = moons_like(100)
    Xt, yt = moons_like(500, seed=1)
    fig = boundary_figure(lambda A: (A[1] < 0.5 - 0.5 * A[0]).astype(int), X, y, X_test=Xt, labels_test=yt,
                          class_names=["a", "b"])
    (ax,) = fig.axes
    train = [c for c in ax.collections if c.get_label().startswith("train")]
    test = [c for c in ax.collections if c.get_label().startswith("test")]
    assert len(train) == len(test) == 2
    assert sum(len(c.get_offsets()) for c in train) == 100 and sum(len(c.get_offsets()) for c in test) == 500
    assert min(c.get_zorder() for c in train) > max(c.get_zorder() for c in test)
    assert max(c.get_sizes().max() for c in test) < min(c.get_sizes().min() for c in train)
    assert max(c.get_alpha() for c in test) < 1.0
    assert legend_texts(ax.get_legend()) == ["a", "b", "train", "test"]


def test_boundary_regions_are_one_image_and_each_border_one_outline():
    from matplotlib.colors import to_rgba
    from matplotlib.contour import ContourSet

    from dnncli.plots import boundary_figure
    from dnncli.plots.style import qualitative_colors

    X, y = moons_like()
    for n_classes in (2, 3):  # regions left of -0.5, between, right of 0.5 (two: left and right of 0)
        edges = [0.0] if n_classes == 2 else [-0.5, 0.5]
        fig = boundary_figure(lambda A, edges=edges: np.searchsorted(edges, A[0]), X, y % n_classes)
        (ax,) = fig.axes
        (image,) = ax.get_images()
        rgba = np.asarray(image.get_array())
        colors = qualitative_colors(n_classes)
        assert rgba.shape == (300, 300, 4)
        assert np.allclose(rgba[150, 0] / 255, to_rgba(colors[0], 0.25), atol=1 / 255)  # the left edge: class 0
        assert np.allclose(rgba[150, -1] / 255, to_rgba(colors[-1], 0.25), atol=1 / 255)
        outlines = [c for c in ax.get_children() if isinstance(c, ContourSet)]
        assert len(outlines) == n_classes - 1  # two classes: one line, not the same line twice


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


def test_plot_decision_boundary_three_classes(tmp_path):
    centres = np.array([[0.0, 3.0, -3.0], [3.0, -2.0, -2.0]])
    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(3), 20)
    X = centres[:, y] + rng.normal(size=(2, y.size))

    def predict(A):
        return np.argmin(((A[:, None, :] - centres[:, :, None]) ** 2).sum(axis=0), axis=0)

    path = tmp_path / "db.png"
    plot_decision_boundary(path, predict, X, y, class_names=["a", "b", "c"])
    height, width = read_png(path).shape[:2]
    assert abs(width - 770) <= 10 and abs(height - 550) <= 10
    assert_only(tmp_path, "db.png")


def test_no_partial_file_when_predict_raises(tmp_path):
    X, y = moons_like()

    def predict(A):
        raise RuntimeError("boom")

    path = tmp_path / "decision_boundary.png"
    with pytest.raises(RuntimeError, match="boom"):
        plot_decision_boundary(path, predict, X, y)
    assert_only(tmp_path)


def test_no_partial_file_when_saving_fails(tmp_path, monkeypatch):
    import dnncli.plots.style

    def broken_imsave(fname, *args, **kwargs):
        with open(fname, "wb") as f:  # half a file, then a crash
            f.write(PNG_SIGNATURE)
        raise OSError("disk full")

    monkeypatch.setattr(dnncli.plots.style, "imsave", broken_imsave)
    with pytest.raises(OSError, match="disk full while writing"):
        plot_cost(tmp_path / "cost.png", np.arange(3), np.array([1.0, 0.5, 0.2]))
    assert_only(tmp_path)


def test_save_writes_the_pixels_savefig_would(tmp_path):
    """One layout and one draw (save) give the image of matplotlib's own two-pass savefig."""
    from dnncli.plots import boundary_figure, cost_figure
    from dnncli.plots.style import save

    e, cost, te, test_cost = overfit_costs()
    X, y = moons_like()
    figures = {"cost": lambda: cost_figure(e, cost, test_epochs=te, test_cost=test_cost, title="run"),
               "boundary": lambda: boundary_figure(lambda A: (A[0] > 0).astype(int), X, y, title="b")}
    for name, make in figures.items():
        save(make(), tmp_path / f"{name}.png")
        make().savefig(tmp_path / f"{name}_savefig.png", format="png")
        ours, theirs = read_png(tmp_path / f"{name}.png"), read_png(tmp_path / f"{name}_savefig.png")
        assert ours.shape == theirs.shape and np.array_equal(ours, theirs), name


def test_run_plots_need_no_mathtext():
    """Tick labels and axis labels are plain text (a first mathtext label costs a process 0.1 s)."""
    from matplotlib.text import Text

    from dnncli.plots import boundary_figure, cost_figure
    from dnncli.plots.run import gradients_figure

    e, cost, te, test_cost = overfit_costs()
    X, y = moons_like()
    norms = np.array([[1e-6 * 0.99**i, 1e-3, 1e-1] for i in range(300)])
    for fig in (cost_figure(e, cost, test_epochs=te, test_cost=test_cost, learning_rate=1.0 / (1 + e)),
                gradients_figure(np.arange(300), norms), boundary_figure(lambda A: (A[0] > 0).astype(int), X, y)):
        fig.draw_without_rendering()  # tick labels exist once drawn
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
        assert texts and not [t for t in texts if Text(text=t)._preprocess_math(t)[1]], texts


@pytest.mark.parametrize("value, label", [(0.05, "0.05"), (1.0, "1"), (20.0, "20"), (1e-4, "0.0001"),
                                          (1e-5, "10\u207b\u2075"), (2e-6, "2\u00d710\u207b\u2076"),
                                          (1e5, "10\u2075"), (1e12, "10\u00b9\u00b2")])
def test_log_tick_labels_are_plain_numbers_or_powers_of_ten(value, label):
    from dnncli.plots.style import _plain_number

    assert _plain_number(value) == label


def test_gradient_and_accuracy_figures_say_what_they_show():
    from dnncli.plots.run import accuracy_curves_figure, gradients_figure

    norms = np.array([[1e-6 * 0.99**e, 1e-3, 1e-1] for e in range(300)])
    fig = gradients_figure(np.arange(300), norms, title="deep: gradient norm per layer")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and "log scale" in ax.get_ylabel()
    assert legend_texts(figure_legend(fig)) == ["layer 1: ||dW1||", "layer 2: ||dW2||", "layer 3: ||dW3||"]
    fig = accuracy_curves_figure([99, 199], [0.8, 0.9], test=[0.7, 0.85], validation=[0.75, np.nan], title="acc")
    ax = fig.axes[0]
    assert legend_texts(ax.get_legend()) == ["train", "validation", "test"]
    assert ax.get_ylim()[1] == pytest.approx(1.02) and ax.get_xlabel() == "epoch"


def run_figures():
    """A run's figures in the shapes that stress their margins: wide log tick labels (10⁻⁶),
    a learning-rate panel with a two-line label, a figure legend of two rows, long titles,
    a linear axis with an offset, an empty log axis (mathtext tick labels), CSV feature names."""
    from dnncli.plots import boundary_figure, cost_figure
    from dnncli.plots.run import accuracy_curves_figure, gradients_figure

    e, cost, te, test_cost = overfit_costs()
    X, y = moons_like()
    long = "a very long experiment name that must wrap onto a second line of the title: cost"
    return {
        "cost, log, lr panel": lambda: cost_figure(e, cost, test_epochs=te, test_cost=test_cost,
                                                   learning_rate=1e-6 * 0.5 ** (e / 1000), title=long),
        # at the default size the lr panel's locator shows 10⁻⁷ and 0.01; laid out, it adds 10⁻⁶ and
        # 0.0001 (wider): the margins are measured again at the new size
        "cost, lr panel whose ticks change": lambda: cost_figure(e, cost, learning_rate=1e-2 * 1e-5 ** (e / e[-1])),
        "cost, linear lr panel": lambda: cost_figure(e, cost, learning_rate=2.608 + 0.012 * e / e[-1]),
        "cost, offset": lambda: cost_figure(e[:50], 100.0 + 1e-4 * np.sin(e[:50]), title="flat"),
        "gradients, 9 layers": lambda: gradients_figure(np.arange(300), np.array(
            [[1e-6 * 0.99**i * 10**j for j in range(9)] for i in range(300)]), title=long),
        "gradients, all 0": lambda: gradients_figure(np.arange(300), np.zeros((300, 3))),
        "gradients, 60 layers": lambda: gradients_figure(np.arange(300), np.array(
            [[1e-3 * 0.99**i * 1.1**j for j in range(60)] for i in range(300)])),
        "accuracy": lambda: accuracy_curves_figure([99, 199], [0.8, 0.9], test=[0.7, 0.85], title="acc"),
        "boundary, named axes": lambda: boundary_figure(lambda A: (A[0] > 0).astype(int), X * 1000, y,
                                                        axis_labels=["income (standardized)", "age (years)"]),
    }


@pytest.mark.parametrize("name", list(run_figures()))
def test_run_figures_keep_their_text_inside_and_apart(name, tmp_path):
    """ColumnLayout (margins from the few strings around the axes) leaves nothing cut off at an
    edge, no label over a tick label or the legend, and an axes at least 90% of the size
    constrained layout gives it (the margins are not padded to be safe); a deep network's
    legend names 8 layers in two rows."""
    from dnncli.plots.style import save

    fig = run_figures()[name]()
    save(fig, tmp_path / "plot.png")
    r = fig.canvas.get_renderer()
    box = fig.bbox
    for artist in [*fig.axes, *fig.legends]:
        e = artist.get_tightbbox(r)
        assert box.x0 - 1 <= e.x0 and e.x1 <= box.x1 + 1 and box.y0 - 1 <= e.y0 and e.y1 <= box.y1 + 1, (artist, e)
    for ax in fig.axes:
        ylabel = ax.yaxis.label.get_window_extent(r)
        assert not any(overlaps(ylabel, t.get_window_extent(r)) for t in ax.get_yticklabels() if t.get_text())
    bottom = min(fig.axes, key=lambda ax: ax.get_position().y0)
    xlabel = bottom.xaxis.label.get_window_extent(r)
    assert not any(overlaps(xlabel, t.get_window_extent(r)) for t in bottom.get_xticklabels() if t.get_text())
    for legend in fig.legends:
        assert legend.get_window_extent(r).y1 <= xlabel.y0 + 1
    if len(fig.axes) == 2:  # the learning-rate panel: no tick label of one axes over the other
        upper, lower = sorted(fig.axes, key=lambda ax: -ax.get_position().y0)
        assert lower.get_tightbbox(r).y1 <= upper.get_position().y0 * box.height + 1
    reference = run_figures()[name]()
    reference.set_layout_engine("constrained")
    reference.canvas.draw()
    if name == "gradients, 60 layers":
        (legend,) = fig.legends
        assert len(legend.get_texts()) == 8 and legend_texts(legend)[-1] == "layer 60: ||dW60||"
    legends = sum(legend.get_window_extent(r).height for legend in fig.legends)  # which constrained layout
    for ours, theirs in zip(fig.axes, reference.axes):                            # would draw over the axes
        assert ours.bbox.width >= 0.9 * theirs.bbox.width, name
        assert ours.bbox.height + legends >= 0.9 * theirs.bbox.height, name
