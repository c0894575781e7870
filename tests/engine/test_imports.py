"""The engine (dnncli/engine/) imports only NumPy, the standard library and the small shared modules; it opens no file.
"""

import ast
import subprocess
import sys
from pathlib import Path

import dnncli.engine

ENGINE_DIR = Path(dnncli.engine.__file__).parent
ALLOWED_DNNCLI = {"dnncli.registry", "dnncli.errors", "dnncli.constraints", "dnncli.status"}
THIRD_PARTY_ALLOWED = {"numpy"}
FILE_MODULES = {"os", "pathlib", "io", "zipfile", "shutil", "tempfile", "csv", "json", "pickle", "gzip", "sqlite3"}


def disallowed_imports(source: str, package: str = "dnncli.engine") -> list[str]:
    """Modules imported by ``source`` that the engine may not use."""
    bad = []

    def check(module: str) -> None:
        root = module.split(".")[0]
        if root in FILE_MODULES:  # the engine touches no files (the build step reads them)
            bad.append(module)
            return
        if root == "__future__" or root in sys.stdlib_module_names or root in THIRD_PARTY_ALLOWED:
            return
        if module == "dnncli.engine" or module.startswith("dnncli.engine.") or module in ALLOWED_DNNCLI:
            return
        bad.append(module)

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            if module in ("dnncli", "dnncli.engine") or (node.level and not node.module):
                for alias in node.names:
                    check(f"{module}.{alias.name}")
            else:
                check(module)
    return bad


def test_import_checker_catches_bad_imports():
    assert disallowed_imports("import numpy as np\nfrom dnncli.errors import DataError\nimport math") == []
    assert disallowed_imports("import rich") == ["rich"]
    assert disallowed_imports("import os\nfrom pathlib import Path") == ["os", "pathlib"]
    assert disallowed_imports("def f():\n    from pydantic import BaseModel") == ["pydantic"]
    assert disallowed_imports("from dnncli import config") == ["dnncli.config"]
    assert disallowed_imports("from .. import data") == ["dnncli.data"]
    assert disallowed_imports("from . import network") == []


def test_engine_imports_only_numpy_stdlib_and_shared_modules():
    files = sorted(ENGINE_DIR.glob("*.py"))
    assert {f.name for f in files} >= {"network.py", "optimizers.py", "training.py"}
    found = {f.name: disallowed_imports(f.read_text(encoding="utf-8")) for f in files}
    assert {name: bad for name, bad in found.items() if bad} == {}
    opens = [f.name for f in files for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "open"]
    assert opens == []


def test_importing_the_engine_loads_no_heavy_packages():
    modules = [f"dnncli.engine.{f.stem}" for f in sorted(ENGINE_DIR.glob("*.py")) if f.stem != "__init__"]
    code = (
        f"import sys\nfor m in {modules!r}: __import__(m)\n"
        "heavy = {'pydantic', 'rich', 'typer', 'matplotlib', 'sklearn', 'h5py', 'yaml', 'scipy', 'joblib'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
