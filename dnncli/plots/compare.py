"""The plots of `dnn compare`: cost curves per arm, a grid of decision boundaries, accuracy dots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from dnncli.plots.boundary import BoundaryPanel, class_colors, draw_boundary, grid_limits, legend_handles, points, predict_grid
from dnncli.plots.curves import finite_mean_min_max, smooth_rows, thin, use_log_scale
from dnncli.plots.style import arm_styles, label_log_axis, new_figure, wrap

COMPARE_FIGSIZE = (8.0, 5.0)
BOUNDARY_PANEL = (4.3, 3.9)
ENDED_LABEL = "last finite cost of a seed that ended early"


def compare_costs_figure(curves: Mapping[str, np.ndarray], *, title: str = "", x_per_epoch: Mapping[str, float] | None = None,
                         x_label: str = "epoch") -> Figure:
    """For each arm, the mean cost over seeds as a line and the min..max over seeds as a band.

    ``curves`` maps an arm name to an ``(n_seeds, n_epochs)`` array of per-epoch costs
    (column ``j`` is epoch ``j``, counted from 0 like ``History.epochs``); a shorter or
    diverged run is padded with NaN, and non-finite values are ignored (an arm with
    nothing finite is still named in the legend). A seed whose cost ends early is marked
    with a cross at its last finite value. Each arm has its own colour and line style.
    The y axis is logarithmic when the finite costs span more than 1.5 decades (the label
    says so). Noisy long curves (mini-batches) are smoothed per seed with the same moving
    average as a run's cost plot; the legend says so. ``x_per_epoch`` (per arm) scales the x
    axis from epochs to another unit named ``x_label`` (updates: an epoch of SGD is 300 of
    them, one of full-batch GD one; seconds).
    """
    arms = {name: np.atleast_2d(np.asarray(rows, dtype=float)) for name, rows in curves.items()}
    every = np.concatenate([r.ravel() for r in arms.values()]) if arms else np.zeros(0)
    log = use_log_scale(every)
    smoothed = {name: smooth_rows(rows, log) for name, rows in arms.items()}
    windows = {w for _, w in smoothed.values() if w is not None}

    fig = new_figure(COMPARE_FIGSIZE)
    ax = fig.subplots()
    ended = False
    for (name, rows), (color, ls) in zip(arms.items(), arm_styles(len(arms))):
        t = smoothed[name][0]
        with np.errstate(divide="ignore", invalid="ignore"):  # mean of the logs on a log axis
            mean, lo, hi = finite_mean_min_max(np.log(t) if log else t)
        mean, lo, hi = (np.exp(v) if log else v for v in (mean, lo, hi))
        x = np.arange(rows.shape[1]) * (1.0 if x_per_epoch is None else x_per_epoch[name])  # epoch 0, 1, ... (History.epochs)
        for row in t:
            last = np.flatnonzero(np.isfinite(row))
            if last.size and last[-1] < rows.shape[1] - 1:
                ax.plot(x[last[-1]], row[last[-1]], ls="", marker="x", ms=8, mew=2, color=color, zorder=4,
                        gid=f"ended:{name}")
                ended = True
        if windows:  # a smoothed curve loses nothing at ~1500 points, and dashes draw cleanly
            keep = thin(x.size)
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
    if not np.isfinite(every).any():
        ax.text(0.5, 0.5, "no finite cost to draw", transform=ax.transAxes, ha="center")
    ax.set_xlabel(x_label)
    ax.set_ylabel("cost (log scale)" if log else "cost")
    ax.grid(True, which="major", alpha=0.4)
    if log:
        ax.set_yscale("log")
        finite = every[np.isfinite(every)]
        label_log_axis(ax.yaxis, finite.min(), finite.max())
        ax.grid(True, which="minor", alpha=0.15)
    ax.set_title(wrap(title or "cost per epoch", COMPARE_FIGSIZE[0] - 0.4, fontsize=12))
    note = "line: mean over seeds, band: min to max"
    if windows:
        note += f"\nmoving average over {max(windows)} epochs"
    handles, _ = ax.get_legend_handles_labels()
    if ended:
        handles.append(Line2D([], [], ls="", marker="x", ms=7, mew=2, color="0.3", label=ENDED_LABEL))
    # below the axes, so it never covers a curve (inside, "best" still lands on one when curves fill the corners)
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if len(handles) > 2 else 1, title=note,
               title_fontsize="small", fontsize="small", frameon=False)
    return fig


def boundaries_grid_figure(panels: Sequence[BoundaryPanel], *, class_names: Sequence[str] | None = None,
                           title: str = "") -> Figure:
    """One decision boundary per panel, up to 3 per row, on shared axes.

    Every ``predict`` is evaluated on the same 300 x 300 grid; a panel without one (a
    failed run) shows its points and a note. Panel titles are wrapped to fit the panel.
    One legend (classes, train, test) serves the whole figure.
    """
    if not panels:
        raise ValueError("boundaries_grid_figure needs at least one panel")
    pts = [(points(p.X_train, p.labels_train), points(p.X_test, p.labels_test)) for p in panels]
    lo, hi = grid_limits([X for pair in pts for X, _ in pair if X is not None])
    grids = [None if p.predict is None else predict_grid(p.predict, lo, hi) for p in panels]
    colors = class_colors([y for pair in pts for _, y in pair], grids, class_names)
    has_test = any(X is not None for _, (X, _) in pts)

    n = len(panels)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    figsize = (7.0, 5.0) if n == 1 else (BOUNDARY_PANEL[0] * ncols + 0.3, BOUNDARY_PANEL[1] * nrows + 0.9)
    fig = new_figure(figsize)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)).ravel()
    panel_width = (figsize[0] - 0.3) / ncols - 0.6  # less the tick labels
    for ax, panel, grid, ((X, y), (Xt, yt)) in zip(axes, panels, grids, pts):
        draw_boundary(ax, grid, X, y, Xt, yt, colors)
        if grid is None:
            ax.set_facecolor("0.93")
            ax.text(0.5, 0.5, "no model (run failed)", transform=ax.transAxes, ha="center", va="center",
                    fontsize="large", color="0.25",
                    bbox={"boxstyle": "round", "fc": "white", "ec": "0.6", "alpha": 0.9}, zorder=5)
        ax.set_title(wrap(panel.title, panel_width, fontsize=10), fontsize="medium")
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.tick_params(labelbottom=True, labelleft=True)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols - (nrows * ncols - n): n]:
        ax.set_xlabel("x\u2081")  # as the run plot: plain text, no mathtext
    for ax in axes[:n:ncols]:
        ax.set_ylabel("x\u2082")
    handles = legend_handles(colors, class_names, has_test)
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 8), fontsize="small",
               frameon=False)
    fig.suptitle(wrap(title or "decision boundaries", figsize[0] - 0.4, fontsize=12))
    return fig


def accuracy_figure(arms: Sequence[str], train: Mapping[str, Sequence[float]], test: Mapping[str, Sequence[float]],
                    *, best: str | None = None, title: str = "") -> Figure:
    """Dot plot of per-seed accuracy: one column per arm, train and test side by side.

    Each seed is a small dot; the mean is a wide tick with a bar from the lowest to the
    highest seed, and its value is written above the bar. ``test`` may hold empty lists
    (no test set); non-finite values are skipped. The ``best`` arm's label is bold with a
    star and its column shaded.
    """
    def finite(values):
        v = np.asarray(list(values or ()), dtype=float)
        return v[np.isfinite(v)]

    tr = {a: finite(train.get(a)) for a in arms}
    te = {a: finite(test.get(a)) for a in arms}
    has_test = any(v.size for v in te.values())
    # (name, values, colour, bar offset, side of the seed dots)
    series = [("train", tr, "C0", -0.2 if has_test else 0.0, 1)]
    if has_test:
        series.append(("test", te, "C1", 0.2, -1))

    fig = new_figure((max(COMPARE_FIGSIZE[0], 1.3 * len(arms) + 1.5), COMPARE_FIGSIZE[1]))
    ax = fig.subplots()
    for i, arm in enumerate(arms):
        if arm == best:
            ax.axvspan(i - 0.45, i + 0.45, color="gold", alpha=0.12, lw=0)
        if not any(values[arm].size for _, values, *_ in series):
            ax.text(i, 0.5, "no result", ha="center", va="center", color="0.4", transform=ax.get_xaxis_transform())
        for _, values, color, offset, side in series:
            v = values[arm]
            if not v.size:
                continue
            x, mean = i + offset, v.mean()
            ax.errorbar([x], [mean], yerr=[[mean - v.min()], [v.max() - mean]], fmt="_", ms=16, mew=2.5,
                        color=color, ecolor=color, elinewidth=1.4, capsize=4, zorder=3)
            jitter = np.linspace(-0.02, 0.02, v.size) if v.size > 1 else np.zeros(1)
            ax.scatter(x + side * 0.08 + jitter, v, s=18, color=color, edgecolors="white", linewidths=0.6, zorder=4)
            ax.annotate(f"{mean:.1%}", (x, v.max()), xytext=(0, 4), textcoords="offset points", ha="center",
                        va="bottom", fontsize="small", color=color, gid="mean-label")

    values = np.concatenate([v for _, d, *_ in series for v in d.values()] + [np.ones(0)])
    bottom = min(0.4, (values.min() if values.size else 1.0) - 0.05)
    ax.set_ylim(bottom, 1.0 + 0.07 * (1.0 - bottom))  # room above 100% for the value labels
    ax.set_yticks(ax.get_yticks()[ax.get_yticks() <= 1.0 + 1e-9])
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
    ax.set_title(wrap(title or f"accuracy per arm ({n_seeds} seeds)", fig.get_figwidth() - 0.4, fontsize=12))
    handles = [Line2D([], [], color=color, marker="_", ms=14, mew=2.5, lw=1.4, label=f"{name}: mean, min to max")
               for name, _, color, *_ in series]
    handles.append(Line2D([], [], ls="", marker="o", ms=5, color="0.45", mec="white", label="one seed"))
    if best is not None:
        handles.append(Line2D([], [], ls="", marker="$\u2605$", ms=10, color="black", label="best arm"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize="small", frameon=False)
    return fig


def tuned_rates_figure(tables: Mapping[str, Sequence[tuple[float, float | None]]], chosen: Mapping[str, float | None],
                       *, title: str = "") -> Figure:
    """``compare --tune-lr``: validation accuracy against the learning rate (log axis), one line
    per arm, its chosen rate starred; a candidate that diverged or failed is a cross on the x axis."""
    from matplotlib.transforms import blended_transform_factory

    fig = new_figure(COMPARE_FIGSIZE)
    ax = fig.subplots()
    on_axis = blended_transform_factory(ax.transData, ax.transAxes)
    failed = False
    for (name, rows), (color, ls) in zip(tables.items(), arm_styles(len(tables))):
        good = [(lr, acc) for lr, acc in rows if acc is not None]
        if good:
            ax.plot(*zip(*good), color=color, ls=ls, marker="o", ms=4, lw=1.6, label=name)
        bad = [lr for lr, acc in rows if acc is None]
        if bad:
            ax.plot(bad, [0.03] * len(bad), ls="", marker="x", ms=7, mew=2, color=color, transform=on_axis,
                    gid=f"failed:{name}")
            failed = True
        best = chosen.get(name)
        if best is not None:
            acc = dict(good)[best]
            ax.plot([best], [acc], ls="", marker="*", ms=15, color=color, markeredgecolor="black", zorder=4,
                    gid=f"chosen:{name}")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("validation accuracy")
    ax.grid(True, which="major", alpha=0.4)
    ax.set_title(wrap(title or "learning rate per arm", COMPARE_FIGSIZE[0] - 0.4, fontsize=12))
    handles, _ = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="", marker="*", ms=12, color="0.5", markeredgecolor="black", label="chosen rate"))
    if failed:
        handles.append(Line2D([], [], ls="", marker="x", ms=7, mew=2, color="0.3", label="diverged or failed"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4), fontsize="small", frameon=False)
    return fig
