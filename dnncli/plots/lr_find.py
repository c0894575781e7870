"""The plot of `dnn lr-find`: final cost against the learning rate, on a log axis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dnncli.plots.curves import finite_mean_min_max, use_log_scale
from dnncli.plots.style import label_log_axis, new_figure, wrap

LR_FIND_FIGSIZE = (8.0, 5.2)
DIVERGED_LABEL = "a seed diverged at this rate"
NONE_DIVERGED_LABEL = "no seed diverged at any rate"


def lr_find_figure(rates: Sequence[float], costs, *, diverged=None, smoothed=None, threshold: float | None = None,
                   tolerance: float | None = None, valley: tuple[float, float] | None = None,
                   suggested: float | None = None, title: str = "") -> Figure:
    """Mean final cost over the seeds per rate (dots and line), the min..max over seeds (band).

    ``costs`` is a ``(n_seeds, n_rates)`` array with NaN where a model has no cost (diverged
    or failed); the mean and band are drawn where every seed has one, so the curve stops at
    a divergence. ``diverged`` (same shape, bool) marks each rate at which a seed diverged
    with a red cross on the top edge. ``smoothed`` (per rate) is drawn dashed, ``threshold``
    (``tolerance`` above the lowest smoothed cost) as a dotted horizontal line, the ``valley``
    (its lowest and highest rate) as a shaded span, and the ``suggested`` rate as a vertical
    line with a star on the smoothed curve. The x axis is logarithmic; the y axis too when the finite costs
    span more than 1.5 decades.
    """
    x = np.asarray(rates, dtype=float)
    rows = np.atleast_2d(np.asarray(costs, dtype=float))
    complete = np.isfinite(rows).all(axis=0)
    mean, lo, hi = finite_mean_min_max(rows)
    mean, lo, hi = (np.where(complete, v, np.nan) for v in (mean, lo, hi))
    log = use_log_scale(rows)

    fig = new_figure(LR_FIND_FIGSIZE)
    ax = fig.subplots()
    n_seeds = rows.shape[0]
    ax.plot(x, mean, color="C0", lw=1.8, marker="o", ms=4, gid="mean",
            label=f"mean over {n_seeds} seed{'s' * (n_seeds != 1)}")
    if n_seeds > 1:
        ax.fill_between(x, lo, hi, color="C0", alpha=0.2, lw=0, label="min to max over the seeds")
    if smoothed is not None:
        ax.plot(x, np.asarray(smoothed, dtype=float), color="0.35", ls="--", lw=1.2, gid="smoothed",
                label="smoothed mean (each rate with its two neighbours)")
    if threshold is not None:
        within = "the tolerance" if tolerance is None else f"{tolerance:.0%}"
        ax.axhline(threshold, color="0.45", ls=":", lw=1.2, gid="threshold",
                   label=f"{within} above the lowest smoothed cost")
    if valley is not None:
        ax.axvspan(valley[0] / 1.08, valley[1] * 1.08, color="C2", alpha=0.12, lw=0, gid="valley",
                   label="the valley: smoothed cost below that line")
    if suggested is not None:
        ax.axvline(suggested, color="C3", lw=1.4, alpha=0.8, gid="suggested-line")
        at = int(np.argmin(np.abs(np.log(x) - np.log(suggested))))
        y = np.asarray(smoothed, dtype=float)[at] if smoothed is not None else mean[at]
        ax.plot([suggested], [y], ls="", marker="*", ms=16, color="C3", mec="white", zorder=5, gid="suggested",
                label=f"suggested learning rate {suggested:g}")
        ax.annotate(f"{suggested:g}", (suggested, 1.0), xycoords=("data", "axes fraction"), xytext=(4, -14),
                    textcoords="offset points", color="C3", fontweight="bold", gid="suggested-label")
    if diverged is not None:
        bad = np.atleast_2d(np.asarray(diverged, dtype=bool)).any(axis=0)
        if bad.any():
            ax.plot(x[bad], np.full(int(bad.sum()), 0.97), transform=ax.get_xaxis_transform(), ls="", marker="x",
                    ms=8, mew=2, color="C3", clip_on=False, gid="diverged", label=DIVERGED_LABEL)
    if not np.isfinite(mean).any():
        ax.text(0.5, 0.5, "no rate has a finite cost for every seed", transform=ax.transAxes, ha="center")
    ax.set_xscale("log")
    ax.set_xlim(x.min() / 1.3, x.max() * 1.3)
    label_log_axis(ax.xaxis, x.min(), x.max())
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("final training cost" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
        finite = rows[np.isfinite(rows)]
        label_log_axis(ax.yaxis, finite.min(), finite.max())
    ax.grid(True, which="major", alpha=0.4)
    ax.grid(True, which="minor", axis="x", alpha=0.12)
    ax.set_title(wrap(title or "final cost per learning rate", LR_FIND_FIGSIZE[0] - 0.4, fontsize=12))
    handles, _ = ax.get_legend_handles_labels()
    if diverged is not None and DIVERGED_LABEL not in [h.get_label() for h in handles]:
        handles.append(Line2D([], [], ls="", label=NONE_DIVERGED_LABEL))
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize="small", frameon=False)
    return fig
