"""PNG plots of a training run: the cost curve and a 2-D decision boundary.

Plots take plain arrays and callables, never engine objects. matplotlib is imported
inside the functions (so ``import dnncli.plots`` stays cheap) and only through
``matplotlib.figure.Figure``: no pyplot, so no global backend switch and no figure
registry to leak from in long-lived worker processes. Files are written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from dnncli.files import atomic_path

COST_FIGSIZE = (7.0, 4.5)
BOUNDARY_FIGSIZE = (7.0, 5.0)
DPI = 110
GRID_POINTS = 300


def _use_log_scale(values, decades: float = 1.5) -> bool:
    """True when the finite values are all positive and span more than ``decades``."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size < 2 or v.min() <= 0:
        return False
    return bool(np.log10(v.max() / v.min()) > decades)


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average of ``y`` (edges padded with the end values)."""
    left = window // 2
    padded = np.pad(y, (left, window - 1 - left), mode="edge")
    return np.convolve(padded, np.ones(window) / window, mode="valid")


def _is_noisy(y: np.ndarray, window: int) -> bool:
    """Step-to-step jitter much larger than the trend's: smoothing will help the eye."""
    if y.size < 200:
        return False
    rough = np.median(np.abs(np.diff(y)))
    trend = np.median(np.abs(np.diff(_smooth(y, window))))
    return bool(rough > 3 * trend)


def _new_figure(figsize, **kwargs):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=DPI, layout="constrained", **kwargs)


def _save(fig, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")


def plot_cost(path: str | os.PathLike, epochs, cost, *, test_epochs=None, test_cost=None,
              learning_rate=None, title: str = "") -> None:
    """Draw the cost per epoch (and sparse test-cost points) to a PNG at ``path``.

    Non-finite costs (a diverged run, a first cost of inf) are skipped. The y axis is
    logarithmic when the finite costs span more than 1.5 decades. A varying
    ``learning_rate`` (one value per epoch) gets a small panel below; a constant one is
    named in the title.
    """
    epochs = np.asarray(epochs, dtype=float)
    cost = np.asarray(cost, dtype=float)
    ok = np.isfinite(cost)
    x, y = epochs[ok], cost[ok]
    has_test = test_epochs is not None and test_cost is not None
    if has_test:
        tx, ty = np.asarray(test_epochs, dtype=float), np.asarray(test_cost, dtype=float)
        tok = np.isfinite(ty)
        tx, ty = tx[tok], ty[tok]
    log = _use_log_scale(np.concatenate([y, ty]) if has_test else y)

    lr = None if learning_rate is None else np.asarray(learning_rate, dtype=float)
    finite_lr = np.unique(lr[np.isfinite(lr)]) if lr is not None else np.zeros(0)
    lr_varies = finite_lr.size > 1
    title = title or "cost per epoch"
    if finite_lr.size == 1:
        title = f"{title}   (lr = {finite_lr[0]:.3g})"

    fig = _new_figure(COST_FIGSIZE)
    if lr_varies:
        ax, ax_lr = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    else:
        ax, ax_lr = fig.subplots(), None

    label = "train cost"
    if (skipped := int((~ok).sum())):
        label += f" ({skipped} non-finite skipped)"
    window = max(5, x.size // 50)
    yt = np.log(y) if log else y
    if _is_noisy(yt, window):
        ax.plot(x, y, color="C0", lw=0.6, alpha=0.3, label=f"{label}, raw")
        smooth = _smooth(yt, window)
        ax.plot(x, np.exp(smooth) if log else smooth, color="C0", lw=1.6,
                label=f"{label}, mean of {window} epochs")
    else:
        ax.plot(x, y, color="C0", lw=1.0 if x.size > 500 else 1.5, label=label,
                marker="o" if x.size < 30 else None, ms=3)
    if has_test and tx.size:
        ax.plot(tx, ty, color="C1", lw=1.2, marker="o", ms=3 if tx.size > 60 else 4,
                label="test cost")
    if not x.size:
        ax.text(0.5, 0.5, "no finite cost to draw", transform=ax.transAxes, ha="center")
    ax.set_yscale("log" if log else "linear")
    ax.set_ylabel("cost")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.4)
    if log:
        ax.grid(True, which="minor", alpha=0.15)
    ax.legend(loc="upper right")
    if ax_lr is not None:
        ax_lr.plot(epochs[: lr.size], lr[: epochs.size], color="C2", lw=1.2,
                   drawstyle="steps-post")
        ax_lr.set_yscale("log" if _use_log_scale(lr) else "linear")
        ax_lr.set_ylabel("learning\nrate")
        ax_lr.grid(True, alpha=0.4)
    (ax_lr or ax).set_xlabel("epoch")
    _save(fig, path)


def _class_colors(n_classes: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n_classes <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n_classes)]


def plot_decision_boundary(path: str | os.PathLike, predict: Callable[[np.ndarray], np.ndarray],
                           X_train, labels_train, *, X_test=None, labels_test=None,
                           title: str = "", class_names: Sequence[str] | None = None) -> None:
    """Draw the regions ``predict`` assigns over the data, with train and test points.

    ``X_*`` have shape ``(2, m)`` (examples on the last axis); labels are ints ``(m,)``.
    ``predict`` maps a ``(2, N)`` array to ``N`` int labels. It is evaluated on a
    300 x 300 grid before any file is touched, so an error leaves nothing behind.
    """
    X_train = np.asarray(X_train, dtype=float)
    y_train = np.asarray(labels_train).astype(int).ravel()
    has_test = X_test is not None and labels_test is not None
    X_test = np.asarray(X_test, dtype=float) if has_test else np.zeros((2, 0))
    X_all = np.concatenate([X_train, X_test], axis=1)
    y_test = np.asarray(labels_test).astype(int).ravel() if has_test else np.zeros(0, int)

    lo, hi = X_all.min(axis=1), X_all.max(axis=1)
    margin = 0.08 * (hi - lo) + 0.1
    g0 = np.linspace(lo[0] - margin[0], hi[0] + margin[0], GRID_POINTS)
    g1 = np.linspace(lo[1] - margin[1], hi[1] + margin[1], GRID_POINTS)
    xx, yy = np.meshgrid(g0, g1)
    zz = np.asarray(predict(np.stack([xx.ravel(), yy.ravel()]))).astype(int).reshape(xx.shape)

    n_classes = int(max(y_train.max(initial=0), y_test.max(initial=0), zz.max()) + 1)
    if class_names is not None:
        n_classes = max(n_classes, len(class_names))
    names = list(class_names) if class_names is not None else [f"class {c}" for c in range(n_classes)]
    colors = _class_colors(n_classes)

    from matplotlib.colors import ListedColormap
    from matplotlib.lines import Line2D

    fig = _new_figure(BOUNDARY_FIGSIZE)
    ax = fig.subplots()
    ax.contourf(xx, yy, zz, levels=np.arange(n_classes + 1) - 0.5,
                cmap=ListedColormap(colors), alpha=0.25)
    for c in np.unique(zz):  # one outline per region, so a jump 0 -> 4 is one line, not four
        ax.contour(xx, yy, (zz == c).astype(float), levels=[0.5], colors="0.35", linewidths=0.8)
    for c in range(n_classes):
        sel = y_train == c
        ax.scatter(X_train[0, sel], X_train[1, sel], s=22, color=colors[c],
                   edgecolors="0.15", linewidths=0.6, label=names[c])
        if has_test:
            sel = y_test == c
            ax.scatter(X_test[0, sel], X_test[1, sel], s=42, marker="^", color=colors[c],
                       edgecolors="black", linewidths=0.9)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], ls="", marker="o", color="0.7", mec="0.15", label="train")]
    if has_test:
        handles += [Line2D([], [], ls="", marker="^", ms=8, color="0.7", mec="black", label="test")]
    ax.legend(handles=handles, loc="best", framealpha=0.85, fontsize="small")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "decision boundary")
    _save(fig, path)
