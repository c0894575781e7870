"""The environment a user's Python runs ``dnn`` in, for the benches that time whole processes.

``pip install`` compiles a package's modules to bytecode, and an editable install writes it on
first import; a machine with ``PYTHONDONTWRITEBYTECODE=1`` (the development machine) would
instead compile the library's ~90 modules in every process (0.15 s, and again in every worker of
a compare or tune) while matplotlib's and NumPy's stay compiled from their install. So the timed
processes run without that variable, caching their bytecode under ``PYTHONPYCACHEPREFIX`` (a
temporary folder), after one warm-up run.
"""

from __future__ import annotations

import os


def user_env(cache: str) -> dict[str, str]:
    """``os.environ`` without PYTHONDONTWRITEBYTECODE, its bytecode cached in the folder ``cache``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env
