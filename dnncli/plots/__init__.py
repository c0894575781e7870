"""PNG plots of runs, compares and tunes. Plots take plain arrays and callables, never engine objects.

Each ``*_figure`` function returns a ``matplotlib.figure.Figure``; ``save(fig, path)``
writes it atomically. The ``plot_*`` functions are the callers' one-line shortcuts
``save(x_figure(...), path)``; ``predict`` is evaluated while the figure is built, so an
error leaves no file behind.

Modules: ``run`` (cost, accuracy, gradients, decision boundary), ``confusion`` (multi-class), ``compare`` (costs per arm,
boundary grid, accuracy, tuned learning rates), ``tune`` (metric per searched value), ``lr_find`` (cost per learning rate),
``boundary`` (shared boundary drawing),
``curves`` (log scale and the one smoother), ``style`` (figure, save, colours, ticks).
matplotlib is imported only when a figure is made: ``import dnncli.plots`` stays cheap
(``dnn --help`` does not pay for it).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence

_LAZY = {  # name -> submodule, imported on first use (PEP 562)
    "cost_figure": "run", "boundary_figure": "run",
    "compare_costs_figure": "compare", "boundaries_grid_figure": "compare", "accuracy_figure": "compare",
    "tuned_rates_figure": "compare",
    "search_figure": "tune", "SearchPanel": "tune", "BoundaryPanel": "boundary", "save": "style",
    "lr_find_figure": "lr_find", "confusion_figure": "confusion",
}

__all__ = [*_LAZY, "plot_tuned_rates", "plot_cost", "plot_accuracy_curves", "plot_gradients", "plot_decision_boundary",
           "plot_confusion", "plot_compare_costs", "plot_boundaries_grid", "plot_accuracy", "plot_search", "plot_lr_find"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"dnncli.plots.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'dnncli.plots' has no attribute {name!r}")


Path = str | os.PathLike


def plot_cost(path: Path, epochs, cost, *, test_epochs=None, test_cost=None, learning_rate=None,
              title: str = "", **more) -> None:
    """``cost_figure(...)`` saved to ``path`` (``more``: its validation and best-epoch arguments)."""
    from dnncli.plots.run import cost_figure
    from dnncli.plots.style import save

    save(cost_figure(epochs, cost, test_epochs=test_epochs, test_cost=test_cost, learning_rate=learning_rate,
                     title=title, **more), path)


def plot_accuracy_curves(path: Path, epochs, train, *, test=None, validation=None, title: str = "") -> None:
    """``accuracy_curves_figure(...)`` saved to ``path``."""
    from dnncli.plots.run import accuracy_curves_figure
    from dnncli.plots.style import save

    save(accuracy_curves_figure(epochs, train, test=test, validation=validation, title=title), path)


def plot_gradients(path: Path, epochs, grad_norm, *, title: str = "") -> None:
    """``gradients_figure(...)`` saved to ``path``."""
    from dnncli.plots.run import gradients_figure
    from dnncli.plots.style import save

    save(gradients_figure(epochs, grad_norm, title=title), path)


def plot_confusion(path: Path, counts: Mapping, class_names: Sequence[str], *, title: str = "") -> None:
    """``confusion_figure(...)`` saved to ``path``."""
    from dnncli.plots.confusion import confusion_figure
    from dnncli.plots.style import save

    save(confusion_figure(counts, class_names, title=title), path)


def plot_decision_boundary(path: Path, predict: Callable, X_train, labels_train, *, X_test=None, labels_test=None,
                           title: str = "", class_names: Sequence[str] | None = None,
                           axis_labels: Sequence[str] | None = None) -> None:
    """``boundary_figure(...)`` saved to ``path``."""
    from dnncli.plots.run import boundary_figure
    from dnncli.plots.style import save

    save(boundary_figure(predict, X_train, labels_train, X_test=X_test, labels_test=labels_test, title=title,
                         class_names=class_names, axis_labels=axis_labels), path)


def plot_compare_costs(path: Path, curves: Mapping, *, title: str = "", x_per_epoch: Mapping | None = None,
                       x_label: str = "epoch") -> None:
    """``compare_costs_figure(...)`` saved to ``path``."""
    from dnncli.plots.compare import compare_costs_figure
    from dnncli.plots.style import save

    save(compare_costs_figure(curves, title=title, x_per_epoch=x_per_epoch, x_label=x_label), path)


def plot_boundaries_grid(path: Path, panels: Sequence, *, class_names: Sequence[str] | None = None,
                         title: str = "") -> None:
    """``boundaries_grid_figure(...)`` saved to ``path``; dict panels become ``BoundaryPanel``s."""
    from dnncli.plots.boundary import BoundaryPanel
    from dnncli.plots.compare import boundaries_grid_figure
    from dnncli.plots.style import save

    panels = [p if isinstance(p, BoundaryPanel) else BoundaryPanel(**p) for p in panels]
    save(boundaries_grid_figure(panels, class_names=class_names, title=title), path)


def plot_accuracy(path: Path, arms: Sequence[str], train: Mapping, test: Mapping, *, best: str | None = None,
                  title: str = "") -> None:
    """``accuracy_figure(...)`` saved to ``path``."""
    from dnncli.plots.compare import accuracy_figure
    from dnncli.plots.style import save

    save(accuracy_figure(arms, train, test, best=best, title=title), path)


def plot_search(path: Path, panels: Sequence, *, metric: str, baseline: float | None = None,
                title: str = "") -> None:
    """``search_figure(...)`` saved to ``path``; dict panels become ``SearchPanel``s."""
    from dnncli.plots.style import save
    from dnncli.plots.tune import SearchPanel, search_figure

    panels = [p if isinstance(p, SearchPanel) else SearchPanel(**p) for p in panels]
    save(search_figure(panels, metric=metric, baseline=baseline, title=title), path)


def plot_tuned_rates(path: Path, tables: Mapping, chosen: Mapping, *, title: str = "") -> None:
    """``tuned_rates_figure(...)`` saved to ``path``."""
    from dnncli.plots.compare import tuned_rates_figure
    from dnncli.plots.style import save

    save(tuned_rates_figure(tables, chosen, title=title), path)


def plot_lr_find(path: Path, rates: Sequence[float], costs, **more) -> None:
    """``lr_find_figure(rates, costs, ...)`` saved to ``path`` (``more``: its keyword arguments)."""
    from dnncli.plots.lr_find import lr_find_figure
    from dnncli.plots.style import save

    save(lr_find_figure(rates, costs, **more), path)
