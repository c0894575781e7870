"""The memory budget: estimate what a run needs before allocating it, refuse what would not fit.

A run that does not fit used to be OOM-killed mid-run (and stayed ``running`` forever) or die
in a MemoryError traceback. Now every size is checked first, and a run whose estimate exceeds
the budget is refused with exit 2 and the estimate.

**The budget** is half of this machine's physical memory (or of the container's memory
limit, when lower). Set ``DNN_MEMORY_BUDGET`` to change it: a number of bytes or a size such
as ``4GiB``, ``512MiB``, ``2GB`` (GB/MB/kB are powers of 1000, GiB/MiB/KiB of 1024).

**The estimate** (8-byte floats; K models trained as one stack multiply every per-model term;
P = sum over layers of n_l * (n_{l-1} + 1), plus 2 n_l per hidden layer for batch norm):

| term | bytes |
| --- | --- |
| data | 8 * (n_x + n_y) * (m_train + m_test) * 2 (the arrays and one shuffled or standardized copy) |
| parameters | 8 * K * P * 2 (theta and its gradient) |
| optimizer | 8 * K * P * 2 (at most two state slots: Adam's v and s) |
| batch workspace | 8 * K * 6 * sum(sizes) * batch (A, Z, dA, scratch, A before dropout, masks per layer) + 8 * K * n_y * m_train |
| full workspace | 8 * K * 6 * sum(sizes) * max(m_train, m_test) (evaluating cost and accuracy on a whole set) |
| history | 8 * K * (2 * epochs + 4 * (epochs / eval_every + 1)) |

It is an upper-side estimate of NumPy's arrays, not of Python's own overhead (~100 MB).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from dnncli.errors import BudgetError, DnnError

ENV = "DNN_MEMORY_BUDGET"
DEFAULT_FRACTION = 0.5
FLOAT = 8
OPTIMIZER_SLOTS = 2
ARRAYS_PER_UNIT = 6  # A (with its row of ones), Z, dA, g'(Z) scratch, A before dropout, its mask: per unit, per example
BYTES_PER_GENERATED_EXAMPLE = 128  # a generated 2-D example while scikit-learn draws it, and its copies

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(text: str) -> int:
    """``"4GiB"`` -> 4294967296, ``"2GB"`` -> 2000000000, ``"1e9"`` -> 1000000000."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).lower() if match else None
    if match is None or unit not in _UNITS:
        raise DnnError(f"{ENV}={text[:40]!r}: not a size (use bytes or e.g. 4GiB, 512MiB, 2GB)")
    value = float(match.group(1)) * _UNITS[unit]
    if not math.isfinite(value) or value < 1:
        raise DnnError(f"{ENV}={text[:40]!r}: not a size (use bytes or e.g. 4GiB, 512MiB, 2GB)")
    return int(value)


def machine_memory() -> int:
    """Physical memory in bytes, or the cgroup (container) limit when that is lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 * 2**30
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit_file, encoding="ascii") as f:
                text = f.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total


def memory_budget() -> tuple[int, str]:
    """The budget in bytes and where it comes from (for the error message)."""
    text = os.environ.get(ENV, "").strip()
    if text:
        return parse_size(text), f"set by {ENV}"
    return int(machine_memory() * DEFAULT_FRACTION), f"half of this machine's memory; raise it with {ENV}=SIZE"


def human(n: int | float) -> str:
    """Bytes for a reader: ``1536`` -> ``1.5 KiB``; works for integers far beyond a float."""
    n = int(n)
    if n >= 2**100:
        return f"10^{len(str(n)) - 1} bytes"
    for unit, size in (("EiB", 2**60), ("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


@dataclass(frozen=True)
class Estimate:
    """Bytes per term, and the config keys each term grows with."""

    terms: dict[str, int]
    keys: dict[str, str]

    @property
    def total(self) -> int:
        return sum(self.terms.values())


def n_parameters(sizes: list[int], batchnorm: bool = False) -> int:
    """P = sum over layers of n_l * (n_{l-1} + 1) (+ 2 n_l per hidden layer with batch norm)."""
    P = sum(n * (n_prev + 1) for n_prev, n in zip(sizes[:-1], sizes[1:]))
    return P + (2 * sum(sizes[1:-1]) if batchnorm else 0)


def estimate(sizes: list[int], m_train: int, m_test: int, batch_size: int | None, epochs: int, k: int = 1,
             eval_every: int = 1, batchnorm: bool = False) -> Estimate:
    """The bytes a run of ``k`` stacked models needs (the table in this module's docstring)."""
    P = n_parameters(sizes, batchnorm)
    batch = m_train if batch_size is None else min(batch_size, m_train)
    per_example = ARRAYS_PER_UNIT * sum(sizes)
    terms = {
        "data": FLOAT * (sizes[0] + sizes[-1]) * (m_train + m_test) * 2,
        "parameters": FLOAT * k * P * 2,
        "optimizer state": FLOAT * k * P * OPTIMIZER_SLOTS,
        "batch workspace": FLOAT * k * (per_example * batch + sizes[-1] * m_train),
        "full-data workspace": FLOAT * k * per_example * max(m_train, m_test),
        "history": FLOAT * k * (2 * epochs + 4 * (epochs // max(eval_every, 1) + 1)),
    }
    keys = {
        "data": "data", "parameters": "model.hidden", "optimizer state": "model.hidden",
        "batch workspace": "training.batch_size, model.hidden", "full-data workspace": "data, model.hidden",
        "history": "training.epochs",
    }
    return Estimate(terms, keys)


def check(est: Estimate, what: str = "this run") -> None:
    """Raise :class:`BudgetError` (one line: the estimate, its largest terms and keys) if over budget."""
    budget, source = memory_budget()
    if est.total <= budget:
        return
    top = sorted(est.terms, key=est.terms.get, reverse=True)[:2]
    parts = "; ".join(f"{name} {human(est.terms[name])} ({est.keys[name]})" for name in top if est.terms[name])
    if len(est.terms) == 1:
        parts = est.keys[top[0]]
    raise BudgetError(f"{what} needs about {human(est.total)} of memory ({parts}), over the budget of "
                      f"{human(budget)} ({source})")


def check_bytes(nbytes: int, what: str, key: str) -> None:
    """Refuse one allocation of ``nbytes`` (e.g. a data file's array) that alone exceeds the budget."""
    check(Estimate({what: int(nbytes)}, {what: key}), what)


def check_run(config, dataset, k: int = 1) -> None:
    """Refuse a run of ``config`` on ``dataset`` (``k`` models stacked in one pass) that would not fit.

    Called by ``build`` for one model; a pipeline that stacks K models calls it with ``k=K``.
    """
    n_out = 1 if dataset.binary else dataset.n_classes
    sizes = [dataset.n_features, *config.model.hidden, n_out]
    m_test = dataset.X_test.shape[-1] if dataset.has_test else 0
    reg = config.regularization
    batchnorm = any(reg.batchnorm) if isinstance(reg.batchnorm, list) else bool(reg.batchnorm)
    est = estimate(sizes, dataset.X_train.shape[-1], m_test, config.training.batch_size, config.training.epochs,
                   k=k, eval_every=config.training.eval_every, batchnorm=batchnorm)
    check(est, "this run" if k == 1 else f"this stack of {k} models")
