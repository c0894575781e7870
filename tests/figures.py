"""Helpers for the plot tests that look inside a returned Figure."""

import numpy as np


def renderer(fig):
    """Lay the figure out (as saving it would) and return its renderer."""
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def extents(fig, *artists):
    """The drawn boxes of ``artists`` (in pixels), after one layout of the figure."""
    r = renderer(fig)
    return [a.get_window_extent(r) for a in artists]


def assert_inside_figure(fig, *artists):
    """Every artist's drawn extent lies within the figure (nothing cut off at an edge)."""
    r, box = renderer(fig), fig.bbox
    for a in artists:
        e = a.get_window_extent(r)
        assert box.x0 - 1 <= e.x0 and e.x1 <= box.x1 + 1 and box.y0 - 1 <= e.y0 and e.y1 <= box.y1 + 1, \
            f"{a!r} at {e} outside the figure {box}"


def titles(fig):
    """The visible axes titles and the figure's suptitle, as Text artists."""
    out = [ax.title for ax in fig.axes if ax.get_visible() and ax.get_title()]
    return out + ([fig._suptitle] if fig.get_suptitle() else [])  # matplotlib keeps no public handle on it


def legend_texts(legend) -> list[str]:
    return [t.get_text() for t in legend.get_texts()]


def figure_legend(fig):
    (legend,) = fig.legends
    return legend


def labelled_ticks(axis) -> list[float]:
    """Major tick values inside the view that carry a non-empty label."""
    lo, hi = sorted(axis.get_view_interval())
    fmt = axis.get_major_formatter()
    values = [v for v in axis.get_majorticklocs() if lo <= v <= hi]
    fmt.set_locs(values)
    return [v for v in values if fmt(v)]


def points_under(fig, legend, ax) -> int:
    """How many drawn line vertices of ``ax`` fall inside the legend's box."""
    (box,) = extents(fig, legend)
    count = 0
    for line in ax.get_lines():
        xy = ax.transData.transform(np.column_stack(line.get_data()).astype(float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        count += int(((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)).sum())
    return count


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1
