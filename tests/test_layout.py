"""The package's shape: no module over 400 lines (issue 12)."""

from pathlib import Path

import dnncli

PACKAGE = Path(dnncli.__file__).parent
MAX_LINES = 400


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines()) for p in sorted(PACKAGE.rglob("*.py"))}
    assert len(sizes) > 50  # the walk found the package
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
