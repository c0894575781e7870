"""A pass as a list of NumPy calls on fixed arrays ("program" in docs/speed.md).

On mini-batches of 64 a NumPy call does almost no arithmetic: it costs its dispatch, and so
does every Python function around it. So each layer operation, activation and optimizer hands
over its formula as **ops**: ``(function, args)`` pairs, mostly ufuncs writing into
preallocated arrays given as their last positional argument (``np.multiply(a, b, out)``).
``fit`` builds one list per mini-batch once and runs it every epoch (:func:`run`), so an
update is the NumPy calls of its formulas and nothing else; a single pass (evaluation, a
gradient check) builds its list and runs it once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np

Op = tuple[Callable, tuple]

# np.dot, np.copyto and np.vdot pass every call through NumPy's ``__array_function__`` dispatcher (NEP 18),
# about as long as a small product itself ("dispatch" in docs/speed.md); ``_implementation`` is
# the same C function without it (the same result, bit for bit), for the plain arrays used here.
dot = getattr(np.dot, "_implementation", np.dot)
copyto = getattr(np.copyto, "_implementation", np.copyto)
vdot = getattr(np.vdot, "_implementation", np.vdot)

def maximum_into(out: np.ndarray) -> Callable:
    """``f(a, b)`` that writes ``np.maximum(a, b)`` into ``out`` (a positional ``out`` of
    ``np.maximum`` is deprecated in NumPy 2.4, so the keyword is bound once)."""
    return partial(np.maximum, out=out)


def run(ops: list[Op]) -> None:
    for function, args in ops:
        function(*args)
