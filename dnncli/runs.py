"""Run directories: claim a unique folder, write each file atomically, list past runs.

A run directory holds config.yaml, metrics.json, history.csv, params.npz, cost.png,
decision_boundary.png (2-D data) and report.md. Its status in metrics.json goes
``running -> completed | diverged | interrupted | failed``.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import socket
import time
import zipfile
from pathlib import Path

import numpy as np

from dnncli.errors import DataError, DnnError, os_error
from dnncli.files import atomic_path, write_json, write_text
from dnncli.processes import process_alive, process_marker  # noqa: F401 - process_marker is part of this API
from dnncli.status import Status

MAX_METRICS_BYTES = 1 << 20  # a metrics.json is ~1 KB; anything far larger is not one of ours
PROCESS_KEY = "process"  # metrics[PROCESS_KEY] = process_marker() (pid, host), written with status "running"


def ensure_out_dir(out: str | os.PathLike) -> Path:
    """The ``--out`` folder, made if missing; a file in the way or a read-only disk is one DnnError line."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise DnnError(f"--out {out}: is a file, not a folder") from None
    except NotADirectoryError:
        raise DnnError(f"--out {out}: a part of this path is a file, not a folder") from None
    except OSError as exc:
        raise os_error(exc, "create the --out folder") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise DnnError(f"--out {out}: this folder is not writable")
    return out


def create_run_dir(out: str | os.PathLike, name: str, kind: str = "") -> Path:
    """Make ``out/<YYYYmmdd-HHMMSS>-[kind-]<name>``; a second run in the same second gets ``-2``, ..."""
    out = ensure_out_dir(out)
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{kind + '-' if kind else ''}{name}"
    for attempt in range(1, 10_000):
        path = out / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:
                raise DnnError(f"run directory name too long for this filesystem ({len(base)} characters: "
                               f"{base[:40]}...): set a shorter name: in the config") from None
            raise os_error(exc, "create the run directory") from None
    raise DnnError(f"cannot create a run directory under {out}: 10000 runs named {base} already")


def save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray]) -> None:
    """Save arrays as an uncompressed ``.npz`` with fixed zip timestamps (same arrays, same bytes)."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            # asarray, not ascontiguousarray: that one makes a 0-d array (a scalar) 1-d
            np.lib.format.write_array(buffer, np.asarray(array, order="C"), allow_pickle=False)
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
    """metrics.json as a dict, or None when it is missing, truncated, too large, too deep or not an object."""
    path = Path(run_dir) / "metrics.json"
    try:
        if path.stat().st_size > MAX_METRICS_BYTES:
            return None
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return metrics if isinstance(metrics, dict) else None


def list_runs(folder: str | os.PathLike = "runs") -> list[dict]:
    """Every run directory directly under ``folder`` (and inside multi-run folders), newest first.

    A metrics.json that cannot be read (truncated, not an object, ...) is listed with status
    ``unreadable``; a ``running`` run whose process (see :func:`process_marker`) is gone from
    this host is listed as ``stale``. ``started`` is always a string, for sorting.
    """
    folder = Path(folder)
    found = []
    for metrics_file in sorted(folder.glob("*/metrics.json")) + sorted(folder.glob("*/*/metrics.json")):
        metrics = read_metrics(metrics_file.parent)
        where = str(metrics_file.parent.relative_to(folder))
        if metrics is None:
            found.append({"dir": where, "status": str(Status.UNREADABLE), "started": ""})
            continue
        record = {**metrics, "dir": where, "started": str(metrics.get("started", ""))}
        if not isinstance(record.get("status"), str):
            record["status"] = str(Status.UNREADABLE)
        elif record["status"] == Status.RUNNING and _is_stale(metrics.get(PROCESS_KEY)):
            record["status"] = str(Status.STALE)
        found.append(record)
    return sorted(found, key=lambda m: (m["started"], m["dir"]), reverse=True)


def _is_stale(marker: object) -> bool:
    """A process marker naming this host and a pid that no longer runs."""
    if not isinstance(marker, dict):
        return False
    pid, host = marker.get("pid"), marker.get("host")
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0 or host != socket.gethostname():
        return False
    return not process_alive(pid)


def list_top(folder: str | os.PathLike = "runs") -> list[dict]:
    """One record per top-level directory under ``folder``, newest first, with its ``kind``:

    ``train`` (its metrics.json), ``compare`` (summary.json: status, best arm, verdict, runs,
    failed), ``tune`` (trials.csv: trials, the best trial's metric) or ``lr-find`` (lr_find.json:
    the suggested learning rate). Unreadable files give
    status ``unreadable``; ``runs`` lists the run directories inside (for ``dnn runs --all``).
    """
    folder = Path(folder)
    singles = {r["dir"]: r for r in list_runs(folder)}
    out = []
    for child in sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True):
        inner = sorted((r for d, r in singles.items() if d.startswith(child.name + os.sep)), key=lambda r: r["dir"])
        if child.name in singles:
            out.append({"kind": "train", **singles[child.name]})
        elif (child / "summary.json").is_file():
            out.append({"kind": "compare", "dir": child.name, **_compare_row(child), "runs": inner})
        elif (child / "tune.yaml").is_file():
            out.append({"kind": "tune", "dir": child.name, **_tune_row(child), "runs": inner})
        elif (child / "lr_find.json").is_file():
            out.append({"kind": "lr-find", "dir": child.name, **_lr_find_row(child), "runs": inner})
        elif inner:  # a compare that never wrote its summary (killed): its runs tell how it stands
            statuses = {r["status"] for r in inner}
            status = next((s for s in (Status.RUNNING, Status.STALE) if s in statuses), Status.INCOMPLETE)
            out.append({"kind": "compare" if "-compare-" in child.name else "runs", "dir": child.name,
                        "status": status, "summary": "no summary.json: the command did not finish", "runs": inner})
    return out


def _compare_row(path: Path) -> dict:
    try:
        summary = json.loads((path / "summary.json").read_text(encoding="utf-8"))
        keys = ("status", "best", "verdict", "p_value", "runs", "failed", "seeds", "axis")
        row = {k: summary.get(k) for k in keys} if isinstance(summary, dict) else None
    except (OSError, ValueError, RecursionError):
        row = None
    if row is None or not isinstance(row.get("status"), str):
        return {"status": str(Status.UNREADABLE)}
    row["n_runs"] = row.pop("runs")
    row["summary"] = f"best {row['best']}" if row.get("best") else "no arm completed"
    return row


def _tune_row(path: Path) -> dict:
    try:
        rows = list(csv.DictReader((path / "trials.csv").open(encoding="utf-8")))
    except (OSError, csv.Error, UnicodeDecodeError):
        return {"status": str(Status.UNREADABLE if (path / "trials.csv").exists() else Status.RUNNING), "summary": "no trials yet"}
    done = [r for r in rows if r.get("status") == Status.COMPLETED and r.get("val_accuracy")]
    best = max(done, key=lambda r: float(r["val_accuracy"]), default=None)
    status = Status.COMPLETED if (path / "best.yaml").is_file() else Status.NO_RESULT
    summary = (f"best trial {best['trial']}: val acc {float(best['val_accuracy']):.4f}" if best else "no trial completed")
    return {"status": status, "n_trials": len(rows), "summary": summary}


def _lr_find_row(path: Path) -> dict:
    try:
        found = json.loads((path / "lr_find.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        found = None
    if not isinstance(found, dict) or not isinstance(found.get("status"), str):
        return {"status": str(Status.UNREADABLE)}
    settings = found.get("settings") if isinstance(found.get("settings"), dict) else {}
    lr = found.get("suggested_learning_rate")
    if found["status"] != Status.COMPLETED:
        summary = str(found.get("message") or "no suggestion yet")
    else:
        summary = f"suggested lr {lr:g}" if isinstance(lr, float) else "no suggestion"
    status = found["status"]
    if status == Status.RUNNING and _is_stale(found.get(PROCESS_KEY)):
        status = str(Status.STALE)
    return {"status": status, "optimizer": settings.get("optimizer"), "summary": summary}


def read_npz(path, key: str, max_values: int | None = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file (no pickle), or one :class:`DataError` line naming ``key``.

    Refused: a missing, empty, truncated or non-zip file (an ``.npy`` renamed ``.npz``), a bad
    CRC, members holding more than ``max_values`` numbers in all, complex, non-numeric or
    non-finite arrays.
    """
    where = f"{key}: {str(path)!r}"
    try:
        if not os.path.isfile(path):
            raise DataError(f"{where}: no such file")
        if not zipfile.is_zipfile(path):
            raise DataError(f"{where} is not an .npz file (empty, truncated, or not a zip archive)")
        with zipfile.ZipFile(path) as archive:
            declared = sum(info.file_size for info in archive.infolist())
            if max_values is not None and declared > 16 * max_values + 4096 * (len(archive.infolist()) + 1):
                raise DataError(f"{where} holds {declared} bytes of arrays, far more than the "
                                f"{max_values} parameters of this network")
            bad = archive.testzip()  # reads every member: a bad CRC or a cut member shows here
            if bad is not None:
                raise DataError(f"{where}: member {bad!r} is damaged (bad CRC)")
        with np.load(path, allow_pickle=False) as saved:
            arrays = {name: saved[name] for name in saved.files}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise DataError(f"{where}: cannot read it ({type(exc).__name__}: {str(exc)[:120]})") from None
    if not arrays:
        raise DataError(f"{where} holds no arrays")
    for name, array in arrays.items():
        if np.iscomplexobj(array) or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise DataError(f"{where}: array {name!r} is {array.dtype}; real numbers are needed")
        if not np.isfinite(array).all():
            raise DataError(f"{where}: array {name!r} holds NaN or infinite values")
    return arrays
