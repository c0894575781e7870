"""What every plot shares: the figure, saving it, colours, titles that fit, log-axis ticks.

matplotlib is used only through ``matplotlib.figure.Figure`` with an Agg canvas: no
pyplot, so no global backend switch and no figure registry to leak from in long-lived
worker processes (a figure is freed when its last reference goes, nothing to close).
"""

from __future__ import annotations

import os
import textwrap

import numpy as np
from matplotlib import colormaps, rcParams
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cbook import is_math_text
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.image import imsave
from matplotlib.layout_engine import LayoutEngine
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from dnncli.files import atomic_path

DPI = 110
# zlib level 1 instead of Pillow's 6: a plot's PNG is written in half the time, 10-20% larger
PNG_OPTIONS = {"compress_level": 1}
ARM_LINESTYLES = ["-", "--", "-.", ":", (0, (6, 2)), (0, (4, 1, 1, 1, 1, 1)), (0, (1, 2, 4, 2)),
                  (0, (8, 2, 2, 2))]
POINTS_PER_CHAR = 0.55  # average glyph width of the default sans-serif font, in units of its size


def new_figure(figsize: tuple[float, float], *, column: bool = False, **kwargs) -> Figure:
    """A figure with an Agg canvas (so it can be measured and saved), laid out when drawn:
    by ``ColumnLayout`` when ``column`` (one column of axes, the plots of a run), else by
    matplotlib's constrained layout."""
    fig = Figure(figsize=figsize, dpi=DPI, layout=ColumnLayout() if column else "constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


class ColumnLayout(LayoutEngine):
    """Margins for a column of axes sharing x (a run's cost, accuracy, gradient and boundary plots),
    from the few strings around them: the widest y tick label and the y label on the left, the title
    on top, the bottom axes' x tick labels and x label (and a figure legend) below.

    Each string is measured once with the renderer's font metrics; matplotlib's constrained layout
    builds and measures every tick label's box, twice, which took a third of a run's plotting time.
    The x tick labels of every axes but the bottom one are hidden (shared x), as ``subplots`` does.
    """

    _adjust_compatible = True
    _colorbar_gridspec = True
    PAD = 5.0  # points between the outermost text and the figure's edge
    GAP = 8.0  # points between two axes of the column

    def execute(self, fig: Figure) -> None:
        """Set the margins, and again while the text needs more (up to 3 times): a locator picks its
        ticks from the axes' size, so at the new size a y axis may show other, wider labels. The
        margins only grow, so the last ones hold the text at the size they give."""
        if not fig.axes:
            return
        margins = self._margins(fig)
        for _ in range(3):
            self._adjust(fig, margins)
            needed = self._margins(fig)
            if all(n <= m + 0.5 for n, m in zip(needed, margins)):
                break
            margins = tuple(max(n, m) for n, m in zip(needed, margins))

    def _margins(self, fig: Figure) -> tuple[float, float, float, float]:
        """(left, right, top, bottom) in points, from the text around the axes at their present size."""
        renderer = fig.canvas.get_renderer()
        points = 72.0 / fig.dpi  # points per pixel

        def extent(text: str, size: float) -> tuple[float, float]:
            """(width, height) in points of ``text`` (lines stacked at 1.2 times the size)."""
            if not text:
                return 0.0, 0.0
            prop = FontProperties(size=size)
            lines = text.split("\n")
            width = max(renderer.get_text_width_height_descent(line, prop, ismath=is_math_text(line))[0]
                        for line in lines)
            return width * points, 1.2 * size * len(lines)

        tick_size = FontProperties(size=rcParams["ytick.labelsize"]).get_size_in_points()
        outward = rcParams["ytick.major.size"] + rcParams["ytick.major.pad"]  # tick length + label pad
        label_pad = rcParams["axes.labelpad"]
        axes = sorted(fig.axes, key=lambda ax: -ax.get_position().y0)  # top to bottom
        left = right = top = 0.0
        for ax in axes:
            labels = [s for s in tick_labels(ax.yaxis) if s]
            width = max((extent(s, tick_size)[0] for s in labels), default=0.0)
            label = ax.yaxis.label
            left = max(left, width + outward + label_pad + extent(label.get_text(), label.get_fontsize())[1])
        title = axes[0].title
        if title.get_text():
            top = extent(title.get_text(), title.get_fontsize())[1] + rcParams["axes.titlepad"]
        if offset := getattr(axes[0].yaxis.get_major_formatter(), "get_offset", str)():
            top = max(top, extent(offset, tick_size)[1] + label_pad)  # "1e-5" above the y axis
        bottom_ax = axes[-1]
        x_labels = [s for s in tick_labels(bottom_ax.xaxis) if s]
        bottom = outward + max((extent(s, tick_size)[1] for s in x_labels), default=0.0)
        if x_labels:  # the last x tick label may stand out to the right by half its width
            right = extent(x_labels[-1], tick_size)[0] / 2
        xlabel = bottom_ax.xaxis.label
        if xlabel.get_text():
            bottom += label_pad + extent(xlabel.get_text(), xlabel.get_fontsize())[1]
        for legend in fig.legends:  # a figure legend sits below the axes
            bottom += legend.get_window_extent(renderer).height * points
        return tuple(x + self.PAD for x in (left, right, top, bottom))

    def _adjust(self, fig: Figure, margins: tuple[float, float, float, float]) -> None:
        left, right, top, bottom = margins
        width_pt, height_pt = fig.get_figwidth() * 72, fig.get_figheight() * 72
        n = len(fig.axes)
        room = height_pt - top - bottom - self.GAP * (n - 1)
        if room < 0.3 * height_pt:  # margins that would crush the axes (a huge legend): shrink them
            scale = (0.7 * height_pt - self.GAP * (n - 1)) / (top + bottom)
            top, bottom, room = top * scale, bottom * scale, 0.3 * height_pt
        left, right = min(left, 0.4 * width_pt), min(right, 0.2 * width_pt)
        fig.subplots_adjust(left=left / width_pt, right=1 - right / width_pt, bottom=bottom / height_pt,
                            top=1 - top / height_pt, hspace=self.GAP / (room / n))


def tick_labels(axis) -> list[str]:
    """The major tick labels ``axis`` would draw at its present size, as strings (without building
    its Tick artists)."""
    lo, hi = sorted(axis.get_view_interval())
    locs = [v for v in axis.get_major_locator()() if lo - 1e-9 * abs(hi - lo) <= v <= hi + 1e-9 * abs(hi - lo)]
    return axis.get_major_formatter().format_ticks(locs)


def save(fig: Figure, path: str | os.PathLike) -> None:
    """Write ``fig`` as a PNG at ``path`` atomically (a crash leaves no partial file).

    The figure is laid out and drawn once, then its pixels are written: ``savefig`` would walk every
    artist twice (a draw without rendering for the constrained layout, then the real one), which
    took a third of each plot's time; the pixels are the same."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    with atomic_path(path) as tmp:
        imsave(tmp, fig.canvas.buffer_rgba(), format="png", origin="upper", dpi=fig.dpi, pil_kwargs=PNG_OPTIONS)


def wrap(text: str, width_inches: float, fontsize: float = 10.0, max_lines: int = 3) -> str:
    """``text`` broken into lines that fit ``width_inches`` at ``fontsize`` points."""
    chars = max(12, int(width_inches * 72 / (fontsize * POINTS_PER_CHAR)))
    return textwrap.fill(text, chars, max_lines=max_lines, placeholder=" ...", break_on_hyphens=False)


def qualitative_colors(n: int) -> list:
    """``n`` distinct colours: tab10 up to 10, tab20 beyond."""
    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def arm_styles(n_arms: int) -> list[tuple[tuple, object]]:
    """(colour, line style) per arm: a qualitative colour and a dash pattern, both distinct."""
    return [(c, ARM_LINESTYLES[i % len(ARM_LINESTYLES)]) for i, c in enumerate(qualitative_colors(n_arms))]


SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _plain_number(value: float, _pos=None) -> str:
    """A tick label: 0.05, 20, 1000 as they are; beyond 1e-4..1e5 a power of ten, 10⁻⁵ or 2×10⁻⁵
    (Unicode superscripts: a mathtext label would cost the first plot of a process 0.1 s)."""
    if value == 0 or 1e-4 <= abs(value) < 1e5:
        return f"{value:g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    power = "10" + str(int(exponent)).translate(SUPERSCRIPT)
    return power if mantissa == "1" else f"{mantissa}\u00d7{power}"


def label_log_axis(axis, lo: float, hi: float, *, fine: bool = True) -> None:
    """Enough labelled ticks on a log ``axis`` showing ``lo``..``hi``: 1-2-5 per decade when
    it spans up to 3 decades (and ``fine``: not in a small panel), powers of ten otherwise;
    unlabelled minor ticks in between."""
    decades = np.log10(hi / lo) if lo > 0 and hi > lo else 0.0
    subs = (1.0, 2.0, 5.0) if fine and decades <= 3 else (1.0,)
    axis.set_major_locator(LogLocator(base=10, subs=subs))
    axis.set_major_formatter(FuncFormatter(_plain_number))
    axis.set_minor_locator(LogLocator(base=10, subs=np.arange(2, 10)))
    axis.set_minor_formatter(NullFormatter())
