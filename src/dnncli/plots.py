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


def _grid_limits(Xs) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corner of a box around all points in ``Xs`` (each ``(2, m)``), with a margin."""
    X_all = np.concatenate([np.asarray(X, dtype=float).reshape(2, -1) for X in Xs], axis=1)
    lo, hi = X_all.min(axis=1), X_all.max(axis=1)
    margin = 0.08 * (hi - lo) + 0.1
    return lo - margin, hi + margin


def _predict_grid(predict, lo, hi) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``predict`` evaluated on a GRID_POINTS x GRID_POINTS grid over the box ``lo``..``hi``."""
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], GRID_POINTS), np.linspace(lo[1], hi[1], GRID_POINTS))
    zz = np.asarray(predict(np.stack([xx.ravel(), yy.ravel()]))).astype(int).reshape(xx.shape)
    return xx, yy, zz


def _class_names(n_classes: int, class_names) -> list[str]:
    return list(class_names) if class_names is not None else [f"class {c}" for c in range(n_classes)]


def _draw_boundary(ax, grid, X_train, y_train, X_test, y_test, colors) -> None:
    """Regions of ``grid = (xx, yy, zz)`` (or none if None), outlines, then train dots and test triangles."""
    from matplotlib.colors import ListedColormap

    if grid is not None:
        xx, yy, zz = grid
        ax.contourf(xx, yy, zz, levels=np.arange(len(colors) + 1) - 0.5,
                    cmap=ListedColormap(colors), alpha=0.25)
        for c in np.unique(zz):  # one outline per region, so a jump 0 -> 4 is one line, not four
            ax.contour(xx, yy, (zz == c).astype(float), levels=[0.5], colors="0.35", linewidths=0.8)
    for c in range(len(colors)):
        sel = y_train == c
        ax.scatter(X_train[0, sel], X_train[1, sel], s=22, color=colors[c],
                   edgecolors="0.15", linewidths=0.6)
        if X_test is not None:
            sel = y_test == c
            ax.scatter(X_test[0, sel], X_test[1, sel], s=42, marker="^", color=colors[c],
                       edgecolors="black", linewidths=0.9)


def _boundary_legend_handles(colors, names, has_test: bool) -> list:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], ls="", marker="o", ms=6, color=c, mec="0.15", label=n)
               for c, n in zip(colors, names)]
    handles += [Line2D([], [], ls="", marker="o", color="0.7", mec="0.15", label="train")]
    if has_test:
        handles += [Line2D([], [], ls="", marker="^", ms=8, color="0.7", mec="black", label="test")]
    return handles


def _points(X, labels) -> tuple[np.ndarray | None, np.ndarray | None]:
    if X is None or labels is None:
        return None, None
    return np.asarray(X, dtype=float).reshape(2, -1), np.asarray(labels).astype(int).ravel()


def plot_decision_boundary(path: str | os.PathLike, predict: Callable[[np.ndarray], np.ndarray],
                           X_train, labels_train, *, X_test=None, labels_test=None,
                           title: str = "", class_names: Sequence[str] | None = None) -> None:
    """Draw the regions ``predict`` assigns over the data, with train and test points.

    ``X_*`` have shape ``(2, m)`` (examples on the last axis); labels are ints ``(m,)``.
    ``predict`` maps a ``(2, N)`` array to ``N`` int labels. It is evaluated on a
    300 x 300 grid before any file is touched, so an error leaves nothing behind.
    """
    X_train, y_train = _points(X_train, labels_train)
    X_test, y_test = _points(X_test, labels_test)
    lo, hi = _grid_limits([X_train] if X_test is None else [X_train, X_test])
    grid = _predict_grid(predict, lo, hi)

    top = [y_train.max(initial=0), grid[2].max()] + ([y_test.max(initial=0)] if X_test is not None else [])
    n_classes = max(int(max(top)) + 1, (0 if class_names is None else len(class_names)))
    colors = _class_colors(n_classes)

    fig = _new_figure(BOUNDARY_FIGSIZE)
    ax = fig.subplots()
    _draw_boundary(ax, grid, X_train, y_train, X_test, y_test, colors)
    ax.legend(handles=_boundary_legend_handles(colors, _class_names(n_classes, class_names), X_test is not None),
              loc="best", framealpha=0.85, fontsize="small")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title or "decision boundary")
    _save(fig, path)


# ---------------------------------------------------------------- dnn compare: several arms

COMPARE_FIGSIZE = (8.0, 5.0)
ARM_LINESTYLES = ["-", "--", "-.", ":", (0, (6, 2)), (0, (4, 1, 1, 1, 1, 1)), (0, (1, 2, 4, 2)),
                  (0, (8, 2, 2, 2))]


def _arm_styles(n_arms: int) -> list[tuple[tuple, object]]:
    """(colour, line style) per arm: a qualitative colormap and a dash pattern, both distinct."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n_arms <= 10 else "tab20"]
    return [(cmap(i % cmap.N), ARM_LINESTYLES[i % len(ARM_LINESTYLES)]) for i in range(n_arms)]


def _finite_mean_min_max(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column mean, min and max over the finite entries; NaN where a column has none."""
    ok = np.isfinite(rows)
    count = ok.sum(axis=0)
    some = count > 0
    mean = np.where(some, np.where(ok, rows, 0.0).sum(axis=0) / np.maximum(count, 1), np.nan)
    lo = np.where(some, np.where(ok, rows, np.inf).min(axis=0), np.nan)
    hi = np.where(some, np.where(ok, rows, -np.inf).max(axis=0), np.nan)
    return mean, lo, hi


def _smooth_row(y: np.ndarray, half: int) -> np.ndarray:
    """Centred moving average over ``2 * half + 1`` points that skips non-finite values.

    Inside the finite stretch this is the plain mean of the window. Near its ends the
    window cannot be centred, so it is moved inwards and a straight line is fitted to it
    instead (read at the point itself): a fast early drop is not dragged down and the last
    epochs are not pulled towards earlier ones. Non-finite entries stay gaps.
    """
    ok = np.isfinite(y)
    if half < 1 or ok.sum() < 3:
        return np.where(ok, y, np.nan)
    idx = np.arange(y.size, dtype=float)
    first, end = np.flatnonzero(ok)[[0, -1]] + [0, 1]
    lo, hi = idx.astype(int) - half, idx.astype(int) + half + 1
    shift = np.clip(first - lo, 0, None) - np.clip(hi - end, 0, None)
    lo, hi = np.clip(lo + shift, first, end), np.clip(hi + shift, first, end)

    def window_sum(v):
        c = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
        return c[hi] - c[lo]

    x = idx - first  # small numbers keep the sums exact enough
    n, sx, sy = window_sum(np.ones_like(y)), window_sum(x), window_sum(y)
    sxx, sxy = window_sum(x * x), window_sum(x * y)
    denom = n * sxx - sx * sx
    slope = np.divide(n * sxy - sx * sy, denom, out=np.zeros_like(y), where=denom > 1e-9 * n * sxx)
    out = sy / np.maximum(n, 1) + slope * (x - sx / np.maximum(n, 1))
    return np.where(ok & (n > 0), out, np.nan)


def _thin(n: int, target: int = 1500) -> np.ndarray:
    """Indices of about ``target`` evenly spaced points out of ``n``, first and last included."""
    if n <= target:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, target).round().astype(int))


def plot_compare_costs(path: str | os.PathLike, curves: dict[str, np.ndarray], *, title: str = "") -> None:
    """Draw, for each arm, the mean cost over seeds as a line and the min..max over seeds as a band.

    ``curves`` maps an arm name to an ``(n_seeds, n_epochs)`` array of per-epoch costs
    (column ``j`` is epoch ``j``, counted from 0 like ``History.epochs``); a shorter or
    diverged run is padded with NaN, and non-finite values are ignored
    (an arm with nothing finite is still named in the legend). Each arm has its own
    colour and line style. The y axis is logarithmic when the finite costs span more than
    1.5 decades. Noisy long curves (mini-batches) are smoothed per seed with a centred
    moving average over ~1% of the epochs before the mean and band are taken; the legend
    says so.
    """
    arms = {name: np.atleast_2d(np.asarray(rows, dtype=float)) for name, rows in curves.items()}
    log = _use_log_scale(np.concatenate([r.ravel() for r in arms.values()]) if arms else [])

    def to_plot(v):  # smooth in log space on a log axis, so a 100x drop is not averaged away
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(v) if log else v

    def from_plot(v):
        return np.exp(v) if log else v

    n_epochs = max((r.shape[1] for r in arms.values()), default=0)
    window = max(5, round(n_epochs / 100)) | 1  # odd, ~1% of the epochs
    smooth = n_epochs >= 200 and any(
        _is_noisy(t[np.isfinite(t)], window) for r in arms.values() for t in to_plot(r))

    fig = _new_figure(COMPARE_FIGSIZE)
    ax = fig.subplots()
    ended = False
    for (name, rows), (color, ls) in zip(arms.items(), _arm_styles(len(arms))):
        t = to_plot(rows)
        if smooth:
            t = np.stack([_smooth_row(row, window // 2) for row in t])
        mean, lo, hi = (from_plot(v) for v in _finite_mean_min_max(t))
        x = np.arange(rows.shape[1])  # epoch 0, 1, ... as in History.epochs and history.csv
        for row in t:  # a seed whose cost stops before the others' (diverged, stopped): mark its end
            last = np.flatnonzero(np.isfinite(row))
            if last.size and last[-1] < rows.shape[1] - 1:
                ax.plot(x[last[-1]], from_plot(row[last[-1]]), ls="", marker="x", ms=8, mew=2, color=color,
                        zorder=4)
                ended = True
        if smooth:  # a smoothed curve loses nothing at ~1500 points, and dashes draw cleanly
            keep = _thin(x.size)
            x, mean, lo, hi = x[keep], mean[keep], lo[keep], hi[keep]
        n_seeds = rows.shape[0]
        bad = int((~np.isfinite(rows)).any(axis=1).sum())
        label = f"{name}  ({n_seeds} seed{'s' * (n_seeds != 1)}"
        if not np.isfinite(mean).any():
            label += ", no finite cost)"
        else:
            label += f", {bad} with non-finite cost)" if bad else ")"
        ax.plot(x, mean, color=color, ls=ls, lw=1.8, label=label)
        if n_seeds > 1:
            ax.fill_between(x, lo, hi, color=color, alpha=0.18, lw=0)
    if not arms or not any(np.isfinite(r).any() for r in arms.values()):
        ax.text(0.5, 0.5, "no finite cost to draw", transform=ax.transAxes, ha="center")
    ax.set_yscale("log" if log else "linear")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost" + (" (log scale)" if log else ""))
    ax.set_title(title or "cost per epoch")
    ax.grid(True, which="major", alpha=0.4)
    if log:
        ax.grid(True, which="minor", alpha=0.15)
    note = "line: mean over seeds, band: min to max"
    if smooth:
        note += f"\nmoving average over {window} epochs"
    handles, _ = ax.get_legend_handles_labels()
    if ended:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], ls="", marker="x", ms=7, mew=2, color="0.3",
                              label="last finite cost of a seed that ended early"))
    ax.legend(handles=handles, loc="best", title=note, title_fontsize="small", fontsize="small", framealpha=0.9)
    _save(fig, path)


def plot_boundaries_grid(path: str | os.PathLike, panels: Sequence[dict], *,
                         class_names: Sequence[str] | None = None, title: str = "") -> None:
    """Draw one decision boundary per panel, up to 3 per row, on shared axes.

    Each panel is a dict with ``title``, ``predict`` (``(2, N)`` -> ``N`` int labels, or
    None for a failed run: its points are drawn with a note), ``X_train`` ``(2, m)``,
    ``labels_train`` and optional ``X_test``/``labels_test``. Every ``predict`` is
    evaluated on the same 300 x 300 grid before any file is touched, so an error leaves
    nothing behind. One legend (classes, train, test) serves the whole figure.
    """
    if not panels:
        raise ValueError("plot_boundaries_grid needs at least one panel")
    points = [(_points(p["X_train"], p["labels_train"]), _points(p.get("X_test"), p.get("labels_test")))
              for p in panels]
    lo, hi = _grid_limits([X for pair in points for X, _ in pair if X is not None])
    grids = [None if p.get("predict") is None else _predict_grid(p["predict"], lo, hi) for p in panels]

    top = [y.max(initial=0) for pair in points for _, y in pair if y is not None]
    top += [g[2].max() for g in grids if g is not None]
    n_classes = max(int(max(top)) + 1, (0 if class_names is None else len(class_names)))
    colors = _class_colors(n_classes)
    has_test = any(X is not None for _, (X, _) in points)

    n = len(panels)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    figsize = BOUNDARY_FIGSIZE if n == 1 else (4.3 * ncols + 0.3, 3.9 * nrows + 0.9)
    fig = _new_figure(figsize)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
    for ax, panel, grid, ((X, y), (Xt, yt)) in zip(axes, panels, grids, points):
        _draw_boundary(ax, grid, X, y, Xt, yt, colors)
        if grid is None:
            ax.set_facecolor("0.93")
            ax.text(0.5, 0.5, "no model (run failed)", transform=ax.transAxes, ha="center",
                    va="center", fontsize="large", color="0.25",
                    bbox={"boxstyle": "round", "fc": "white", "ec": "0.6", "alpha": 0.9}, zorder=5)
        ax.set_title(panel.get("title", ""), fontsize="medium")
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.tick_params(labelbottom=True, labelleft=True)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols - (nrows * ncols - n): n]:
        ax.set_xlabel("$x_1$")
    for ax in axes[:n:ncols]:
        ax.set_ylabel("$x_2$")
    handles = _boundary_legend_handles(colors, _class_names(n_classes, class_names), has_test)
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="small",
               frameon=False)
    fig.suptitle(title or "decision boundaries")
    _save(fig, path)


def plot_accuracy(path: str | os.PathLike, arms: Sequence[str], train: dict[str, Sequence[float]],
                  test: dict[str, Sequence[float]], *, best: str | None = None, title: str = "") -> None:
    """Dot plot of per-seed accuracy: one column per arm, train and test side by side.

    Each seed is a small dot; the mean is a wide tick with its value written beside it
    and a bar from the lowest to the highest seed. ``test`` may hold empty lists (no test
    set); non-finite values are skipped. The ``best`` arm's label is bold with a star.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import PercentFormatter

    def finite(values):
        v = np.asarray(list(values or ()), dtype=float)
        return v[np.isfinite(v)]

    tr = {a: finite(train.get(a)) for a in arms}
    te = {a: finite(test.get(a)) for a in arms}
    has_test = any(v.size for v in te.values())
    # (name, values, colour, bar offset, side): the seed dots sit just inside the bar, the
    # mean's value just outside it, so nothing overlaps
    series = [("train", tr, "C0", -0.22 if has_test else -0.05, -1)]
    if has_test:
        series.append(("test", te, "C1", 0.22, 1))

    fig = _new_figure((max(COMPARE_FIGSIZE[0], 1.3 * len(arms) + 1.5), COMPARE_FIGSIZE[1]))
    ax = fig.subplots()
    for i, arm in enumerate(arms):
        if arm == best:
            ax.axvspan(i - 0.45, i + 0.45, color="gold", alpha=0.12, lw=0)
        if not any(values[arm].size for _, values, *_ in series):
            ax.text(i, 0.5, "no result", ha="center", va="center", color="0.4", transform=ax.get_xaxis_transform())
        for name, values, color, offset, side in series:
            v = values[arm]
            if not v.size:
                continue
            x = i + offset
            mean = v.mean()
            ax.errorbar([x], [mean], yerr=[[mean - v.min()], [v.max() - mean]], fmt="_", ms=18, mew=2.5,
                        color=color, ecolor=color, elinewidth=1.4, capsize=5, zorder=3)
            jitter = np.linspace(-0.025, 0.025, v.size) if v.size > 1 else np.zeros(1)
            ax.scatter(x - side * 0.1 + jitter, v, s=22, color=color, edgecolors="white", linewidths=0.6,
                       zorder=4)
            ax.annotate(f"{mean:.1%}", (x, mean), xytext=(side * 13, 0), textcoords="offset points",
                        ha="right" if side < 0 else "left", va="center", fontsize="small", color=color)

    values = np.concatenate([v for _, d, *_ in series for v in d.values()] + [np.ones(0)])
    lowest = values.min() if values.size else 1.0
    ax.set_ylim(min(0.4, lowest - 0.05), 1.0 + 0.015)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_xlim(-0.6, len(arms) - 0.4)
    ax.set_xticks(range(len(arms)), [f"{a} \N{BLACK STAR}" if a == best else a for a in arms])
    for label, arm in zip(ax.get_xticklabels(), arms):
        if arm == best:
            label.set_fontweight("bold")
    ax.set_ylabel("accuracy")
    ax.grid(True, axis="y", alpha=0.4)
    seeds = sorted({v.size for _, d, *_ in series for v in d.values() if v.size})
    n_seeds = "/".join(map(str, seeds)) if seeds else "0"
    ax.set_title(title or f"accuracy per arm ({n_seeds} seeds)")
    handles = [Line2D([], [], color=color, marker="_", ms=14, mew=2.5, lw=1.4, label=f"{name}: mean, min to max")
               for name, _, color, *_ in series]
    handles.append(Line2D([], [], ls="", marker="o", ms=5, color="0.45", mec="white", label="one seed"))
    if best is not None:
        handles.append(Line2D([], [], ls="", marker="$\u2605$", ms=10, color="black", label="best arm"))
    ax.legend(handles=handles, loc="lower right", fontsize="small", framealpha=0.9)
    _save(fig, path)


# ---------------------------------------------------------------- dnn tune: metric per searched value

SEARCH_PANEL_SIZE = (4.4, 3.5)


def _scale_functions(scale: str):
    """(forward, inverse) to the axis' own coordinates, where margins are a fixed fraction."""
    if scale == "log":
        return np.log10, lambda u: 10.0 ** u
    if scale == "one_minus_log":  # matplotlib's logit axis: 0.9, 0.99, 0.999 equally spaced
        return (lambda v: np.log10(v / (1 - v))), (lambda u: 1 / (1 + 10.0 ** -u))
    return (lambda v: v), (lambda u: u)


def plot_search(path: str | os.PathLike, panels: Sequence[dict], *, metric: str, baseline: float | None = None,
                title: str = "") -> None:
    """Draw one panel per searched parameter: the metric of every trial against its value.

    Each panel is a dict with ``name``, ``scale`` (``linear``, ``log``, ``one_minus_log`` or
    ``category``), ``x`` (values), ``y`` (metric, None for a failed or diverged trial: drawn
    as a cross on the bottom edge), ``stage`` (1, 2, ...), ``ranges`` (``{stage: (lo, hi)}``,
    the range each stage sampled), ``best`` (``(x, y)`` or None), and ``limits`` (the whole
    range) or ``categories`` (the choices). A log scale is a log x axis; ``one_minus_log``
    (beta near 1) a logit axis, on which 0.9, 0.99 and 0.999 are equally spaced. Stages
    have their own colours; the range of every later stage is shaded in its colour.
    ``baseline`` (the config as written) is a dashed line.
    """
    from matplotlib import colormaps
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if not panels:
        raise ValueError("plot_search needs at least one panel")
    stages = sorted({s for p in panels for s in p["stage"] if s is not None})
    cmap = colormaps["tab10"]
    color = {s: cmap((s - 1) % 10) for s in stages}
    ys = np.array([v for p in panels for v in p["y"] if v is not None] + ([baseline] if baseline is not None else []),
                  dtype=float)
    ys = ys[np.isfinite(ys)]
    lo_y, hi_y = (ys.min(), ys.max()) if ys.size else (0.0, 1.0)
    pad = 0.08 * (hi_y - lo_y) + 1e-3
    ylim = (lo_y - 2.2 * pad, hi_y + pad)  # room at the bottom for the failed trials' crosses

    n = len(panels)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    fig = _new_figure((SEARCH_PANEL_SIZE[0] * ncols + 0.3, SEARCH_PANEL_SIZE[1] * nrows + 1.0))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    any_failed = False
    for ax, panel in zip(axes, panels):
        scale, categories = panel["scale"], panel.get("categories")
        stage = np.array([s if s is not None else 0 for s in panel["stage"]])
        if categories is not None:
            labels = [_category_label(c) for c in categories]
            index = {lab: i for i, lab in enumerate(labels)}
            x = np.array([index[_category_label(v)] for v in panel["x"]], dtype=float)
            x = x + np.linspace(-0.18, 0.18, x.size) if x.size > 1 else x  # spread the dots of one choice
            ax.set_xticks(range(len(labels)), labels, rotation=20 if max(map(len, labels)) > 6 else 0)
            ax.set_xlim(-0.6, len(labels) - 0.4)
        else:
            x = np.asarray(panel["x"], dtype=float)
            forward, inverse = _scale_functions(scale)
            lo, hi = forward(np.array(panel["limits"], dtype=float))
            margin = 0.04 * (hi - lo)
            if scale == "log":
                ax.set_xscale("log")
            elif scale == "one_minus_log":
                from matplotlib.ticker import FuncFormatter, NullFormatter

                ax.set_xscale("logit")
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.6g}"))  # 0.9, 0.99, 0.999
                ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlim(inverse(lo - margin), inverse(hi + margin))
            for s, (r_lo, r_hi) in sorted(panel.get("ranges", {}).items()):
                if s > 1:
                    ax.axvspan(r_lo, r_hi, color=color.get(s, "0.5"), alpha=0.13, lw=0, zorder=0)
        y = np.array([np.nan if v is None else v for v in panel["y"]], dtype=float)
        ok = np.isfinite(y)
        for s in stages:
            sel = ok & (stage == s)
            ax.scatter(x[sel], y[sel], s=26, color=color[s], edgecolors="white", linewidths=0.5, zorder=3)
            bad = ~ok & (stage == s)
            if bad.any():
                any_failed = True
                ax.scatter(x[bad], np.full(bad.sum(), ylim[0] + 0.6 * pad), marker="x", s=28, color=color[s],
                           linewidths=1.5, zorder=3)
        if baseline is not None:
            ax.axhline(baseline, color="0.35", ls="--", lw=1.0, zorder=1)
        best = panel.get("best")
        if best is not None:
            bx = index[_category_label(best[0])] if categories is not None else best[0]
            ax.scatter([bx], [best[1]], marker="*", s=260, color="gold", edgecolors="black", linewidths=1.0, zorder=5)
        ax.set_xlabel(panel["name"] + {"log": " (log scale)", "one_minus_log": " (scale: log(1 - x))"}.get(scale, ""))
        ax.set_ylim(*ylim)
        ax.grid(True, alpha=0.35)
        ax.tick_params(labelleft=True)
    for ax in axes[:n:ncols]:
        ax.set_ylabel(metric)
    for ax in axes[n:]:
        ax.set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", ms=6, color=color[s], mec="white",
                      label=f"stage {s} ({sum(1 for v in panels[0]['stage'] if v == s)} trials)") for s in stages]
    handles += [Patch(color=color[s], alpha=0.25, label=f"stage {s} range") for s in stages if s > 1]
    handles.append(Line2D([], [], ls="", marker="*", ms=14, color="gold", mec="black", label="best"))
    if any_failed:
        handles.append(Line2D([], [], ls="", marker="x", ms=6, mew=1.5, color="0.3", label="failed / diverged"))
    if baseline is not None:
        handles.append(Line2D([], [], color="0.35", ls="--", label="config as written"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize="small", frameon=False)
    fig.suptitle(title or f"{metric} per trial")
    _save(fig, path)


def _category_label(value) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_category_label(v) for v in value) + "]"
    return str(value)
