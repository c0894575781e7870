"""Write configs/data/points_train.csv and points_test.csv, the CSV example's data (deterministic).

    python scripts/make_csv_example.py

Two interleaving half moons (dnncli.generators.make_moons, noise 0.2; train seed 0, test seed 1)
as 2-D points whose class is a colour: "blue" (the upper moon) or "red". ``x`` is stretched to
metres (x 100) and ``y`` is not, so the two features differ in scale by a hundred: the config
trains with ``standardize: true``. Same script, same bytes.
"""

from __future__ import annotations

from pathlib import Path

from dnncli.generators import make_moons

ROOT = Path(__file__).resolve().parents[1]
COLOURS = ("blue", "red")


def write(path: Path, n: int, seed: int) -> None:
    X, y = make_moons(n, noise=0.2, random_state=seed)
    lines = ["x,y,color"] + [f"{100 * a:.2f},{b:.4f},{COLOURS[k]}" for (a, b), k in zip(X, y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    folder = ROOT / "configs" / "data"
    folder.mkdir(exist_ok=True)
    write(folder / "points_train.csv", 300, 0)
    write(folder / "points_test.csv", 100, 1)
