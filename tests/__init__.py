"""The test suite; its folders mirror the package (tests/engine/test_optimizers.py tests dnncli/engine/optimizers.py).

Shared helpers live beside this file (faults.py, figures.py, pngs.py): ``from tests.pngs import read_png``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]  # the repository: configs/, docs/, scripts/ are read from here
