"""Run directories: claim a unique folder, write each file atomically, list past runs.

A run directory holds config.yaml, metrics.json, history.csv, params.npz, cost.png,
decision_boundary.png (2-D data) and report.md. Its status in metrics.json goes
``running -> completed | diverged | interrupted | failed``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
import zipfile
from pathlib import Path

import numpy as np

from dnncli.files import atomic_path, write_json, write_text

def create_run_dir(out: str | os.PathLike, name: str, kind: str = "") -> Path:
    """Make ``out/<YYYYmmdd-HHMMSS>-[kind-]<name>``; a second run in the same second gets ``-2``, ..."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{kind + '-' if kind else ''}{name}"
    for attempt in range(1, 10_000):
        path = out / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a run directory under {out}")


def save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Save arrays as an uncompressed ``.npz`` with fixed zip timestamps (same arrays, same bytes)."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)), buffer.getvalue())


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as saved:
        return {name: saved[name] for name in saved.files}


def write_history_csv(path: str | os.PathLike, rows: list[dict]) -> None:
    if not rows:
        write_text(path, "epoch,cost,learning_rate\n")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


def write_metrics(run_dir: Path, metrics: dict) -> None:
    write_json(run_dir / "metrics.json", metrics)


def read_metrics(run_dir: Path) -> dict | None:
    try:
        return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def list_runs(folder: str | os.PathLike = "runs") -> list[dict]:
    """Every run directory directly under ``folder`` (and inside multi-run folders), newest first."""
    folder = Path(folder)
    found = []
    for metrics_file in sorted(folder.glob("*/metrics.json")) + sorted(folder.glob("*/*/metrics.json")):
        metrics = read_metrics(metrics_file.parent)
        if metrics is not None:
            found.append({"dir": str(metrics_file.parent.relative_to(folder)), **metrics})
    return sorted(found, key=lambda m: (m.get("started", ""), m["dir"]), reverse=True)
