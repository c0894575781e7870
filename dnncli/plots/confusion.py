"""The confusion matrices of a multi-class run: per split, the counts and the rows normalized."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from dnncli.plots.style import new_figure, wrap

MAX_ANNOTATED = 15  # classes: above this, the cells are too small to print their numbers in


def confusion_figure(counts: Mapping[str, Sequence[Sequence[int]]], class_names: Sequence[str], *, title: str = "") -> Figure:
    """One row per split (``{"train": C x C counts, "test": ...}``, rows true class, columns
    predicted): the counts on the left, each row divided by its total on the right (its
    diagonal is the per-class accuracy, in the y labels)."""
    names = [str(c) for c in class_names]
    n = len(names)
    side = min(4.2, max(3.6, 0.32 * n + 1.2))  # inches per panel
    fig = new_figure((2 * side + 1.2, len(counts) * side + 0.7))
    axes = np.atleast_2d(fig.subplots(len(counts), 2, squeeze=False))
    for row, (split, matrix) in enumerate(counts.items()):
        matrix = np.asarray(matrix, dtype=float)
        totals = matrix.sum(axis=1, keepdims=True)
        shares = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
        accuracy = np.trace(matrix) / max(matrix.sum(), 1)
        for col, (values, label, fmt) in enumerate(((matrix, "examples", "{:.0f}"), (shares, "share of the row", "{:.2f}"))):
            ax = axes[row, col]
            image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if col else max(values.max(), 1))
            fig.colorbar(image, ax=ax, shrink=0.8, label=label)
            if n <= MAX_ANNOTATED:
                top = values.max() if values.max() > 0 else 1
                for i in range(n):
                    for j in range(n):
                        color = "white" if values[i, j] > 0.6 * top else ("0.15" if values[i, j] else "0.7")
                        ax.text(j, i, fmt.format(values[i, j]), ha="center", va="center", fontsize=7 if n > 8 else 9,
                                color=color)
            ax.set_xticks(range(n), names, fontsize="small", rotation=90 if max(map(len, names)) > 3 else 0)
            ticks = names if col == 0 else [f"{c} ({shares[i, i]:.2f})" if totals[i, 0] else f"{c} (-)" for i, c in enumerate(names)]
            ax.set_yticks(range(n), ticks, fontsize="small")
            ax.set_xlabel("predicted class")
            ax.set_ylabel("true class" if col == 0 else "true class (accuracy)")
            what = f"examples ({int(matrix.sum())} in all)" if col == 0 else f"rows normalized (accuracy {accuracy:.4f})"
            ax.set_title(wrap(f"{split}: {what}", side - 0.9, fontsize=10), fontsize=10)
    fig.suptitle(wrap(title or "confusion matrix", 2 * side, fontsize=12))
    return fig
