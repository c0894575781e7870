"""The plots of one training run: the cost per epoch, the accuracies, the gradient norms per
layer, and the 2-D decision boundary."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from dnncli.plots.boundary import class_colors, draw_boundary, grid_limits, legend_handles, points, predict_grid
from dnncli.plots.curves import smooth_rows, thin, use_log_scale
from dnncli.plots.style import label_log_axis, new_figure, qualitative_colors, wrap

COST_FIGSIZE = (7.0, 4.5)
LEGEND_LAYERS = 10  # deeper networks name 8 of their layers in gradients.png
BOUNDARY_FIGSIZE = (7.0, 5.0)


def cost_figure(epochs, cost, *, test_epochs=None, test_cost=None, learning_rate=None, title: str = "",
                val_epochs=None, val_cost=None, best_epoch: int | None = None,
                resumed_epoch: int | None = None) -> Figure:
    """The cost per epoch (and sparse test-cost points) of one run.

    Non-finite costs (a diverged run, a first cost of inf) are skipped and counted in the
    legend. The y axis is logarithmic when the finite costs span more than 1.5 decades,
    and its label says so. A noisy long curve (mini-batches) is drawn faintly with its
    moving average on top. A varying ``learning_rate`` (one value per epoch) gets a small
    panel below; a constant one is named in the title. A validation curve (``val_cost``) is drawn
    in green, ``best_epoch`` (early stopping's) is marked with a dashed line, and ``resumed_epoch``
    (where a resumed run took up) with a dotted one.
    """
    epochs = np.asarray(epochs, dtype=float)
    cost = np.asarray(cost, dtype=float)
    ok = np.isfinite(cost)
    x, y = epochs[ok], cost[ok]
    tx = ty = np.zeros(0)
    if test_epochs is not None and test_cost is not None:
        tx, ty = np.asarray(test_epochs, dtype=float), np.asarray(test_cost, dtype=float)
        tx, ty = tx[np.isfinite(ty)], ty[np.isfinite(ty)]
    vx = vy = np.zeros(0)
    if val_epochs is not None and val_cost is not None:
        vx, vy = np.asarray(val_epochs, dtype=float), np.asarray(val_cost, dtype=float)
        vx, vy = vx[np.isfinite(vy)], vy[np.isfinite(vy)]
    shown = np.concatenate([y, ty, vy])
    log = use_log_scale(shown)

    lr = None if learning_rate is None else np.asarray(learning_rate, dtype=float).ravel()
    finite_lr = np.unique(lr[np.isfinite(lr)]) if lr is not None else np.zeros(0)
    title = title or "cost per epoch"
    if finite_lr.size == 1:
        title = f"{title}   (lr = {finite_lr[0]:.3g})"

    fig = new_figure(COST_FIGSIZE, column=True)
    if finite_lr.size > 1:
        ax, ax_lr = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    else:
        ax, ax_lr = fig.subplots(), None

    label = "train cost (incl. any L2 term)"
    if skipped := int((~ok).sum()):
        label += f" ({skipped} non-finite skipped)"
    smoothed, window = smooth_rows(y[None, :], log) if y.size else (y[None, :], None)
    if window is not None:
        ax.plot(x, y, color="C0", lw=0.6, alpha=0.3, label=f"{label}, raw")
        keep = thin(x.size)  # a smoothed curve loses nothing at ~1500 points, and draws faster
        ax.plot(x[keep], smoothed[0][keep], color="C0", lw=1.6, label=f"{label}, mean of {window} epochs")
    else:
        ax.plot(x, y, color="C0", lw=1.0 if x.size > 500 else 1.5, label=label,
                marker="o" if x.size < 30 else None, ms=3)
    if tx.size:
        ax.plot(tx, ty, color="C1", lw=1.2, marker="o", ms=3 if tx.size > 60 else 4, label="test cost (cross-entropy, no L2)")
    if vx.size:
        ax.plot(vx, vy, color="C2", lw=1.2, label="validation cost (cross-entropy, no L2)")
    if best_epoch is not None:
        ax.axvline(best_epoch, color="0.3", ls="--", lw=1.0, label=f"best epoch ({best_epoch}), weights restored")
    if resumed_epoch is not None:
        ax.axvline(resumed_epoch, color="0.5", ls=":", lw=1.2, label=f"resumed at epoch {resumed_epoch}")
    if not x.size:
        ax.text(0.5, 0.5, "no finite cost to draw", transform=ax.transAxes, ha="center")
    ax.set_ylabel("cost (log scale)" if log else "cost")
    ax.grid(True, which="major", alpha=0.4)
    if log:
        ax.set_yscale("log")
        label_log_axis(ax.yaxis, shown.min(), shown.max())
        ax.grid(True, which="minor", alpha=0.15)
    ax.set_title(wrap(title, COST_FIGSIZE[0] - 0.4, fontsize=12))
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    if ax_lr is not None:
        ax_lr.plot(epochs[: lr.size], lr[: epochs.size], color="C2", lw=1.2, drawstyle="steps-post")
        lr_log = use_log_scale(lr)
        if lr_log:
            ax_lr.set_yscale("log")
            label_log_axis(ax_lr.yaxis, finite_lr.min(), finite_lr.max(), fine=False)  # a small panel
        ax_lr.set_ylabel("learning rate\n(log scale)" if lr_log else "learning\nrate", fontsize="small")
        ax_lr.grid(True, alpha=0.4)
    (ax_lr or ax).set_xlabel("epoch")
    return fig


def boundary_figure(predict: Callable[[np.ndarray], np.ndarray], X_train, labels_train, *, X_test=None,
                    labels_test=None, title: str = "", class_names: Sequence[str] | None = None,
                    axis_labels: Sequence[str] | None = None) -> Figure:
    """The regions ``predict`` assigns over the data, with train and test points.

    ``X_*`` have shape ``(2, m)`` (examples on the last axis); labels are ints ``(m,)``.
    ``axis_labels``: the two features' names (a CSV's columns), else x_1 and x_2.
    ``predict`` maps a ``(2, N)`` array to ``N`` int labels; it is evaluated on a
    300 x 300 grid covering all points.
    """
    X_train, y_train = points(X_train, labels_train)
    X_test, y_test = points(X_test, labels_test)
    lo, hi = grid_limits([X_train] if X_test is None else [X_train, X_test])
    grid = predict_grid(predict, lo, hi)
    colors = class_colors([y_train, y_test], [grid], class_names)

    fig = new_figure(BOUNDARY_FIGSIZE, column=True)
    ax = fig.subplots()
    draw_boundary(ax, grid, X_train, y_train, X_test, y_test, colors)
    ax.legend(handles=legend_handles(colors, class_names, X_test is not None), loc="best", framealpha=0.85,
              fontsize="small")
    x_label, y_label = ("x\u2081", "x\u2082") if axis_labels is None else (t.replace("$", r"\$") for t in axis_labels)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(wrap(title or "decision boundary", BOUNDARY_FIGSIZE[0] - 0.4, fontsize=12))
    return fig


def accuracy_curves_figure(epochs, train, *, test=None, validation=None, title: str = "") -> Figure:
    """Train (and validation, test) accuracy at the evaluated epochs of one run."""
    fig = new_figure(COST_FIGSIZE, column=True)
    ax = fig.subplots()
    for values, label, color in ((train, "train", "C0"), (validation, "validation", "C2"), (test, "test", "C1")):
        if values is None:
            continue
        x, y = np.asarray(epochs, dtype=float), np.asarray(values, dtype=float)
        ok = np.isfinite(y)
        if ok.any():
            ax.plot(x[ok], y[ok], color=color, lw=1.4, marker="o" if ok.sum() < 40 else None, ms=3, label=label)
    ax.set_ylim(min(0.45, ax.get_ylim()[0]), 1.02)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.grid(True, alpha=0.4)
    ax.set_title(wrap(title or "accuracy", COST_FIGSIZE[0] - 0.4, fontsize=12))
    ax.legend(loc="best", fontsize="small", framealpha=0.9)
    return fig


def gradients_figure(epochs, grad_norm, *, title: str = "") -> Figure:
    """||dW_l|| per layer and epoch on a log axis: vanishing gradients show as a fan of lines."""
    fig = new_figure(COST_FIGSIZE, column=True)
    ax = fig.subplots()
    norms = np.asarray(grad_norm, dtype=float)
    x = np.asarray(epochs, dtype=float)[: len(norms)]
    layers = norms.shape[1] if norms.ndim == 2 else 0
    # up to 10 layers: a colour and a legend entry each; deeper, colours in depth order (viridis)
    # and 8 of the layers named, first and last among them, in two rows of the legend
    if layers <= LEGEND_LAYERS:
        colors, named = qualitative_colors(layers), set(range(layers))
    else:
        colors = [colormaps["viridis"](j / (layers - 1)) for j in range(layers)]
        named = {int(j) for j in np.linspace(0, layers - 1, 8).round()}
    drawn = []  # the curves as drawn (smoothed): the ticks cover what is seen
    for j in range(layers):
        y = norms[:, j]
        ok = np.isfinite(y) & (y > 0)
        if ok.any():
            smoothed, window = smooth_rows(y[ok][None, :], True)
            keep = thin(ok.sum()) if window is not None else slice(None)  # as in cost_figure
            ax.plot(x[ok][keep], smoothed[0][keep], color=colors[j], lw=1.4,
                    label=f"layer {j + 1}: ||dW{j + 1}||" if j in named else "_nolegend_")
            drawn.append(smoothed[0][keep])
    ax.set_yscale("log")
    if drawn:
        label_log_axis(ax.yaxis, min(map(np.min, drawn)), max(map(np.max, drawn)))
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm (log scale)")
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(wrap(title or "gradient norm per layer", COST_FIGSIZE[0] - 0.4, fontsize=12))
    if not drawn:
        ax.text(0.5, 0.5, "every gradient norm is 0 or not finite: nothing to draw on a log scale",
                transform=ax.transAxes, ha="center")
        if x.size > 1:
            ax.set_xlim(x[0], x[-1])
    entries = len(ax.get_legend_handles_labels()[1])
    if entries:  # 4 entries fit a row of the figure's width
        fig.legend(loc="lower center", bbox_to_anchor=(0.5, 0.0), fontsize="small", ncol=min(entries, 4),
                   frameon=False)
    return fig
