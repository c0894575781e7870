"""The plot of `dnn tune`: the metric of every trial against each searched value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter

from dnncli.plots.style import new_figure, wrap

SEARCH_PANEL_SIZE = (4.4, 3.5)
SCALE_NOTE = {"log": " (log scale)", "one_minus_log": " (scale: log(1 - x))"}


@dataclass(frozen=True, kw_only=True)
class SearchPanel:
    """One searched parameter: ``x`` (values), ``y`` (metric, None for a failed or diverged
    trial), ``stage`` (1, 2, ... per trial), ``ranges`` (``{stage: (lo, hi)}``, the range each
    stage sampled), ``best`` (``(x, y)`` or None), and ``limits`` (the whole range) or
    ``categories`` (the choices). ``scale`` is ``linear``, ``log``, ``one_minus_log`` or
    ``category``."""

    name: str
    scale: str
    x: Sequence
    y: Sequence[float | None]
    stage: Sequence[int | None]
    ranges: dict = field(default_factory=dict)
    best: tuple | None = None
    limits: tuple[float, float] | None = None
    categories: Sequence | None = None


def _scale_functions(scale: str):
    """(forward, inverse) to the axis' own coordinates, where margins are a fixed fraction."""
    if scale == "log":
        return np.log10, lambda u: 10.0 ** u
    if scale == "one_minus_log":  # matplotlib's logit axis: 0.9, 0.99, 0.999 equally spaced
        return (lambda v: np.log10(v / (1 - v))), (lambda u: 1 / (1 + 10.0 ** -u))
    return (lambda v: v), (lambda u: u)


def category_label(value) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(category_label(v) for v in value) + "]"
    return str(value)


def _set_x_axis(ax, panel: SearchPanel, color: dict) -> np.ndarray:
    """Scale, limits, ticks and stage ranges of one panel; returns the trials' x positions."""
    if panel.categories is not None:
        labels = [category_label(c) for c in panel.categories]
        index = {lab: i for i, lab in enumerate(labels)}
        x = np.array([index[category_label(v)] for v in panel.x], dtype=float)
        x = x + np.linspace(-0.18, 0.18, x.size) if x.size > 1 else x  # spread the dots of one choice
        ax.set_xticks(range(len(labels)), labels, rotation=20 if max(map(len, labels)) > 6 else 0)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        return x
    forward, inverse = _scale_functions(panel.scale)
    lo, hi = forward(np.array(panel.limits, dtype=float))
    margin = 0.04 * (hi - lo)
    if panel.scale == "log":
        ax.set_xscale("log")
    elif panel.scale == "one_minus_log":
        ax.set_xscale("logit")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.6g}"))  # 0.9, 0.99, 0.999
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(inverse(lo - margin), inverse(hi + margin))
    for s, (r_lo, r_hi) in sorted(panel.ranges.items()):
        if s > 1:
            ax.axvspan(r_lo, r_hi, color=color.get(s, "0.5"), alpha=0.13, lw=0, zorder=0)
    return np.asarray(panel.x, dtype=float)


def search_figure(panels: Sequence[SearchPanel], *, metric: str, baseline: float | None = None,
                  title: str = "") -> Figure:
    """One panel per searched parameter: the metric of every trial against its value.

    A failed or diverged trial is a cross on the bottom edge. A log scale is a log x axis;
    ``one_minus_log`` (beta near 1) a logit axis, on which 0.9, 0.99 and 0.999 are equally
    spaced; the axis label names the scale. Stages have their own colours; the range of
    every later stage is shaded in its colour. ``baseline`` (the config as written) is a
    dashed line; the best trial a gold star.
    """
    if not panels:
        raise ValueError("search_figure needs at least one panel")
    stages = sorted({s for p in panels for s in p.stage if s is not None})
    cmap = colormaps["tab10"]
    color = {s: cmap((s - 1) % 10) for s in stages}
    ys = np.array([v for p in panels for v in p.y if v is not None] + ([baseline] if baseline is not None else []),
                  dtype=float)
    ys = ys[np.isfinite(ys)]
    lo_y, hi_y = (ys.min(), ys.max()) if ys.size else (0.0, 1.0)
    pad = 0.08 * (hi_y - lo_y) + 1e-3
    ylim = (lo_y - 2.2 * pad, hi_y + pad)  # room at the bottom for the failed trials' crosses

    n = len(panels)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    fig = new_figure((SEARCH_PANEL_SIZE[0] * ncols + 0.3, SEARCH_PANEL_SIZE[1] * nrows + 1.0))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharey=True, squeeze=False)).ravel()
    any_failed = False
    for ax, panel in zip(axes, panels):
        x = _set_x_axis(ax, panel, color)
        stage = np.array([s if s is not None else 0 for s in panel.stage])
        y = np.array([np.nan if v is None else v for v in panel.y], dtype=float)
        ok = np.isfinite(y)
        for s in stages:
            sel = ok & (stage == s)
            ax.scatter(x[sel], y[sel], s=26, color=color[s], edgecolors="white", linewidths=0.5, zorder=3)
            bad = ~ok & (stage == s)
            if bad.any():
                any_failed = True
                ax.scatter(x[bad], np.full(bad.sum(), ylim[0] + 0.6 * pad), marker="x", s=28, color=color[s],
                           linewidths=1.5, zorder=3, gid="failed")
        if baseline is not None:
            ax.axhline(baseline, color="0.35", ls="--", lw=1.0, zorder=1)
        if panel.best is not None:
            bx = panel.best[0]
            if panel.categories is not None:
                bx = [category_label(c) for c in panel.categories].index(category_label(bx))
            ax.scatter([bx], [panel.best[1]], marker="*", s=260, color="gold", edgecolors="black", linewidths=1.0,
                       zorder=5, gid="best")
        ax.set_xlabel(panel.name + SCALE_NOTE.get(panel.scale, ""))
        ax.set_ylim(*ylim)
        ax.grid(True, alpha=0.35)
        ax.tick_params(labelleft=True)
    for ax in axes[:n:ncols]:
        ax.set_ylabel(metric)
    for ax in axes[n:]:
        ax.set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", ms=6, color=color[s], mec="white",
                      label=f"stage {s} ({sum(1 for v in panels[0].stage if v == s)} trials)") for s in stages]
    handles += [Patch(color=color[s], alpha=0.25, label=f"stage {s} range") for s in stages if s > 1]
    handles.append(Line2D([], [], ls="", marker="*", ms=14, color="gold", mec="black", label="best"))
    if any_failed:
        handles.append(Line2D([], [], ls="", marker="x", ms=6, mew=1.5, color="0.3", label="failed / diverged"))
    if baseline is not None:
        handles.append(Line2D([], [], color="0.35", ls="--", label="config as written"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 6), fontsize="small", frameon=False)
    fig.suptitle(wrap(title or f"{metric} per trial", fig.get_figwidth() - 0.4, fontsize=12))
    return fig
