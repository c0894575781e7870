"""Numbers behind the curves, shared by the run and compare cost plots (NumPy only).

One smoother serves both: a run's ``cost.png`` and a compare's ``costs.png`` draw the
same kind of curve, so they smooth it the same way, over the same window.
"""

from __future__ import annotations

import numpy as np


def use_log_scale(values, decades: float = 1.5) -> bool:
    """True when the finite values are all positive and span more than ``decades``."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size < 2 or v.min() <= 0:
        return False
    return bool(np.log10(v.max() / v.min()) > decades)


def smoothing_window(n_epochs: int) -> int:
    """Odd window of about 1% of the epochs, at least 5."""
    return max(5, round(n_epochs / 100)) | 1


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Centred moving average over ``window`` points (made odd) that skips non-finite values.

    Inside the finite stretch this is the plain mean of the window. Near its ends the
    window cannot be centred, so it is moved inwards and a straight line is fitted to it
    instead (read at the point itself): a fast early drop is not dragged down and the last
    epochs are not pulled towards earlier ones. Non-finite entries stay gaps (NaN).
    """
    y = np.asarray(y, dtype=float)
    half = window // 2
    ok = np.isfinite(y)
    if half < 1 or ok.sum() < 3:
        return np.where(ok, y, np.nan)
    idx = np.arange(y.size)
    first, end = np.flatnonzero(ok)[[0, -1]] + [0, 1]
    lo, hi = idx - half, idx + half + 1
    shift = np.clip(first - lo, 0, None) - np.clip(hi - end, 0, None)
    lo, hi = np.clip(lo + shift, first, end), np.clip(hi + shift, first, end)

    def window_sum(v):
        c = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
        return c[hi] - c[lo]

    x = (idx - first).astype(float)  # small numbers keep the sums exact enough
    n, sx, sy = window_sum(np.ones_like(y)), window_sum(x), window_sum(y)
    sxx, sxy = window_sum(x * x), window_sum(x * y)
    denom = n * sxx - sx * sx
    slope = np.divide(n * sxy - sx * sy, denom, out=np.zeros_like(y), where=denom > 1e-9 * n * sxx)
    out = sy / np.maximum(n, 1) + slope * (x - sx / np.maximum(n, 1))
    return np.where(ok & (n > 0), out, np.nan)


def is_noisy(y: np.ndarray, window: int) -> bool:
    """Step-to-step jitter much larger than the trend's: smoothing will help the eye."""
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    if y.size < 200:
        return False
    rough = np.median(np.abs(np.diff(y)))
    trend = np.median(np.abs(np.diff(smooth(y, window))))
    return bool(rough > 3 * trend)


def smooth_rows(rows: np.ndarray, log: bool) -> tuple[np.ndarray, int | None]:
    """Each row (one seed's cost per epoch) smoothed if the curves are noisy, and the window used.

    On a log axis the smoothing happens in log space, so a 100x drop is not averaged away.
    The rows come back in the axis' own units; the window is None when nothing was smoothed.
    """
    rows = np.atleast_2d(np.asarray(rows, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.log(rows) if log else rows
    window = smoothing_window(rows.shape[1])
    if rows.shape[1] < 200 or not any(is_noisy(row, window) for row in t):
        return rows, None
    t = np.stack([smooth(row, window) for row in t])
    return (np.exp(t) if log else t), window


def finite_mean_min_max(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column mean, min and max over the finite entries; NaN where a column has none."""
    ok = np.isfinite(rows)
    count = ok.sum(axis=0)
    some = count > 0
    mean = np.where(some, np.where(ok, rows, 0.0).sum(axis=0) / np.maximum(count, 1), np.nan)
    lo = np.where(some, np.where(ok, rows, np.inf).min(axis=0), np.nan)
    hi = np.where(some, np.where(ok, rows, -np.inf).max(axis=0), np.nan)
    return mean, lo, hi


def thin(n: int, target: int = 1500) -> np.ndarray:
    """Indices of about ``target`` evenly spaced points out of ``n``, first and last included."""
    if n <= target:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, target).round().astype(int))
