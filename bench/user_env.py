"""The environment a user's Python runs ``dnn`` in, for the benches that time whole processes.

A user's Python finds compiled bytecode: ``pip install`` compiles a package's modules, and an
editable install writes them on first import. A machine with ``PYTHONDONTWRITEBYTECODE=1`` (the
development machine) would instead compile the library's ~90 modules in every process (0.15 s,
and again in every worker of a compare or tune). So the timed processes run without that
variable, their bytecode cached under ``PYTHONPYCACHEPREFIX`` (a temporary folder; Python then
reads and writes every module's bytecode there, NumPy's and matplotlib's too), and each timed
command runs once first, as a warm-up.
"""

from __future__ import annotations

import os


def user_env(cache: str) -> dict[str, str]:
    """``os.environ`` without PYTHONDONTWRITEBYTECODE, its bytecode cached in the folder ``cache``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env
