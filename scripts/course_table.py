"""Run every config in configs/course/ and print the published numbers next to ours (Markdown).

    python scripts/course_table.py            # about 30 s on 2 cores

The published values come from docs/course_published.yaml; accuracies are compared at the
precision the course prints them (4 decimals), the zeros cost exactly.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml

from dnncli.config import load_config
from dnncli.experiments.train import train

ROOT = Path(__file__).resolve().parents[1]
KEYS = ("train_accuracy", "test_accuracy", "final_cost")


def published() -> dict[str, dict]:
    """The published numbers, keyed by the config of configs/course/ that reproduces them."""
    return yaml.safe_load((ROOT / "docs/course_published.yaml").read_text())


def course_run(name: str, out: str) -> dict:
    """Train configs/course/NAME.yaml to the end (no plots); its metrics."""
    return train(load_config(ROOT / "configs/course" / f"{name}.yaml"), out, plots=False).metrics


def course_runs(out: str) -> list[tuple[str, dict, dict]]:
    return [(name, expected, course_run(name, out)) for name, expected in published().items()]


def matches(key: str, expected: float, ours: float | None) -> bool:
    if ours is None:
        return False
    return ours == expected if key == "final_cost" else round(ours, 4) == expected


def main() -> int:
    with tempfile.TemporaryDirectory() as out:
        rows = course_runs(out)
    print("| config | published (train / test) | dnn (train / test) | same |")
    print("| --- | --- | --- | --- |")
    all_same = True
    for name, expected, ours in rows:
        same = all(matches(k, v, ours.get(k)) for k, v in expected.items())
        all_same &= same
        pub = " / ".join(f"{expected[k]}" for k in KEYS[:2] if k in expected)
        got = " / ".join(f"{ours[k]:.4f}" for k in KEYS[:2] if k in expected)
        if "final_cost" in expected:
            pub += f", cost {expected['final_cost']!r}"
            got += f", cost {ours['final_cost']!r}"
        print(f"| `configs/course/{name}.yaml` | {pub} | {got} | {'yes' if same else '**no**'} |")
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
