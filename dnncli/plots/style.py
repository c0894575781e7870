"""What every plot shares: the figure, saving it, colours, titles that fit, log-axis ticks.

matplotlib is used only through ``matplotlib.figure.Figure`` with an Agg canvas: no
pyplot, so no global backend switch and no figure registry to leak from in long-lived
worker processes (a figure is freed when its last reference goes, nothing to close).
"""

from __future__ import annotations

import os
import textwrap

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from dnncli.files import atomic_path

DPI = 110
# zlib level 1 instead of Pillow's 6: a plot's PNG is written in half the time, 10-20% larger
PNG_OPTIONS = {"compress_level": 1}
ARM_LINESTYLES = ["-", "--", "-.", ":", (0, (6, 2)), (0, (4, 1, 1, 1, 1, 1)), (0, (1, 2, 4, 2)),
                  (0, (8, 2, 2, 2))]
POINTS_PER_CHAR = 0.55  # average glyph width of the default sans-serif font, in units of its size


def new_figure(figsize: tuple[float, float], **kwargs) -> Figure:
    """A figure with constrained layout and an Agg canvas (so it can be measured and saved)."""
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


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
