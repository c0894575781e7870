"""Decision boundaries, shared by a run's plot and the compare grid: regions, then points.

Training points are drawn on top of the test points, larger and with a dark edge; the
test points are smaller, lighter triangles, so 500 test points do not bury 100 training
points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D

from dnncli.plots.style import qualitative_colors

GRID_POINTS = 300
REGION_ALPHA = 0.25
REGION_INTERPOLATION = "nearest"
TRAIN_POINTS = {"s": 24, "edgecolors": "0.1", "linewidths": 0.7, "alpha": 1.0, "zorder": 3}
TEST_POINTS = {"s": 16, "marker": "^", "edgecolors": "0.35", "linewidths": 0.4, "alpha": 0.55, "zorder": 2}


@dataclass(frozen=True, kw_only=True)
class BoundaryPanel:
    """One decision boundary: ``predict`` maps a ``(2, N)`` array to ``N`` int labels (None
    for a failed run: only the points are drawn, with a note); ``X_*`` are ``(2, m)``,
    ``labels_*`` ints ``(m,)``."""

    X_train: np.ndarray
    labels_train: np.ndarray
    predict: Callable[[np.ndarray], np.ndarray] | None = None
    X_test: np.ndarray | None = None
    labels_test: np.ndarray | None = None
    title: str = ""


@dataclass(frozen=True)
class Grid:
    xx: np.ndarray
    yy: np.ndarray
    zz: np.ndarray


def points(X, labels) -> tuple[np.ndarray | None, np.ndarray | None]:
    if X is None or labels is None:
        return None, None
    return np.asarray(X, dtype=float).reshape(2, -1), np.asarray(labels).astype(int).ravel()


def grid_limits(Xs) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper corner of a box around all points in ``Xs`` (each ``(2, m)``), with a margin."""
    X_all = np.concatenate([np.asarray(X, dtype=float).reshape(2, -1) for X in Xs], axis=1)
    lo, hi = X_all.min(axis=1), X_all.max(axis=1)
    margin = 0.08 * (hi - lo) + 0.1
    return lo - margin, hi + margin


def predict_grid(predict, lo, hi) -> Grid:
    """``predict`` evaluated on a GRID_POINTS x GRID_POINTS grid over the box ``lo``..``hi``."""
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], GRID_POINTS), np.linspace(lo[1], hi[1], GRID_POINTS))
    zz = np.asarray(predict(np.stack([xx.ravel(), yy.ravel()]))).astype(int).reshape(xx.shape)
    return Grid(xx, yy, zz)


def class_colors(labels: Sequence[np.ndarray | None], grids: Sequence[Grid | None], class_names) -> list:
    """One colour per class seen in any labels or grid, or named in ``class_names``."""
    top = [y.max(initial=0) for y in labels if y is not None] + [g.zz.max() for g in grids if g is not None]
    n_classes = max(int(max(top, default=0)) + 1, 0 if class_names is None else len(class_names))
    return qualitative_colors(n_classes)


def draw_boundary(ax, grid: Grid | None, X_train, y_train, X_test, y_test, colors) -> None:
    """Regions of ``grid`` (none if None) with outlines, light test triangles, train dots on top."""
    if grid is not None:
        # the regions as one image, a grid point per pixel cell (a contourf of polygons drew the same
        # fill in twice the time)
        fill = (np.array([to_rgba(c, REGION_ALPHA) for c in colors]) * 255).round().astype(np.uint8)[grid.zz]
        dx, dy = (grid.xx[0, -1] - grid.xx[0, 0]) / (grid.xx.shape[1] - 1), (grid.yy[-1, 0] - grid.yy[0, 0]) / (grid.yy.shape[0] - 1)
        ax.imshow(fill, origin="lower", aspect="auto", interpolation=REGION_INTERPOLATION,
                  extent=(grid.xx[0, 0] - dx / 2, grid.xx[0, -1] + dx / 2, grid.yy[0, 0] - dy / 2, grid.yy[-1, 0] + dy / 2))
        # one outline per region, so a jump 0 -> 4 is one line, not four; the last region's outline is
        # every other region's (two classes: one line)
        for c in np.unique(grid.zz)[:-1]:
            ax.contour(grid.xx, grid.yy, (grid.zz == c).astype(float), levels=[0.5], colors="0.35",
                       linewidths=0.8)
    for c, color in enumerate(colors):
        if X_test is not None:
            sel = y_test == c
            ax.scatter(X_test[0, sel], X_test[1, sel], color=color, label=f"test {c}", **TEST_POINTS)
        sel = y_train == c
        ax.scatter(X_train[0, sel], X_train[1, sel], color=color, label=f"train {c}", **TRAIN_POINTS)


def legend_handles(colors, class_names, has_test: bool) -> list:
    """Legend entries: one per class, then the train and (if any) test marker."""
    names = list(class_names) if class_names is not None else [f"class {c}" for c in range(len(colors))]
    handles = [Line2D([], [], ls="", marker="o", ms=6, color=c, mec="0.15", label=n) for c, n in zip(colors, names)]
    handles.append(Line2D([], [], ls="", marker="o", ms=6, color="0.6", mec="0.1", label="train"))
    if has_test:
        handles.append(Line2D([], [], ls="", marker="^", ms=5, color="0.6", mec="0.35", alpha=0.7, label="test"))
    return handles
