"""The study of a tune: Optuna's record of every trial, kept in the tune directory.

Optuna stays in this process (ask and tell) and only samples. The study lives in
``study.journal`` (Optuna's append-only journal file: an ask or a tell costs about 3 ms,
against about 30 ms in SQLite); tune directories of dnncli 0.1 hold a ``study.db`` (SQLite),
which ``--resume`` still reads. A trial is recorded in one write (its ``result``), then told;
a trial whose tell never happened (Ctrl-C, a killed process) counts as interrupted and is
sampled again, whatever else was stored.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from dnncli.errors import DnnError
from dnncli.search import Param
from dnncli.status import Status

STUDY, JOURNAL, LEGACY_DB = "tune", "study.journal", "study.db"
NUMBERS = ("val_accuracy", "val_cost", "train_accuracy", "test_accuracy", "final_cost", "epochs_run", "seconds")
COUNTED = Status.counted()  # an interrupted trial is sampled again


def optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the library never prints
    return optuna


def sampler(name: str, seed: int, number: int):
    """A sampler seeded by the tune's seed and the round's first trial number (a resume never repeats a round)."""
    samplers = optuna().samplers
    seed = int(np.random.SeedSequence([seed, number]).generate_state(1)[0])
    return samplers.TPESampler(seed=seed) if name == "tpe" else samplers.RandomSampler(seed=seed)


def create_study(out_dir: Path):
    return optuna().create_study(storage=_journal(out_dir / JOURNAL), study_name=STUDY, direction="maximize")


def study_file(out_dir: Path) -> Path:
    """``study.journal``, or the ``study.db`` of a dnncli 0.1 tune when only that exists."""
    journal, legacy = out_dir / JOURNAL, out_dir / LEGACY_DB
    return journal if journal.is_file() or not legacy.is_file() else legacy


def load_study(out_dir: Path, key: str = "--resume"):
    """The study of an existing tune directory; a missing, empty or foreign file is one clear error (naming ``key``)."""
    journal, path = out_dir / JOURNAL, study_file(out_dir)
    if not path.is_file():
        raise DnnError(f"{key} {out_dir}: no {JOURNAL} there (is it a `dnn tune` directory?)")
    if path.stat().st_size == 0:
        raise DnnError(f"{key} {out_dir}: {path.name} is empty (nothing to resume; the file was left as it is)")
    try:
        if path == journal:
            storage = _journal(journal)
        else:
            with path.open("rb") as f:
                if f.read(16) != b"SQLite format 3\x00":
                    raise ValueError("not an SQLite file")
            storage = f"sqlite:///{path.resolve()}"
        return optuna().load_study(storage=storage, study_name=STUDY)
    except Exception as exc:  # noqa: BLE001 - Optuna raises many types for a damaged or foreign file
        raise DnnError(f"{key} {out_dir}: cannot read {path.name} as a dnn tune study "
                       f"({type(exc).__name__})") from None


def _journal(path: Path):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path)))


def record(study, trial, metrics: dict, metric: str) -> None:
    """Store a finished trial's numbers in one write, then tell Optuna its value (or that it failed)."""
    result = {"status": metrics.get("status", str(Status.FAILED)), "message": metrics.get("message") or ""}
    for key in NUMBERS:
        value = metrics.get(key)
        result[key] = value if value is None or math.isfinite(value) else None
    trial.set_user_attr("result", result)
    value = result.get(metric)
    state = optuna().trial.TrialState
    if result["status"] == Status.COMPLETED and value is not None:
        study.tell(trial, value)
    else:
        study.tell(trial, state=state.FAIL)


def fail_running(study) -> None:
    """Trials asked but never told (Ctrl-C, a killed process): FAIL without a result, i.e. interrupted."""
    state = optuna().trial.TrialState
    for t in study.get_trials(deepcopy=False, states=[state.RUNNING]):
        study.tell(t.number, state=state.FAIL)


def trial_rows(study, space: dict[str, Param]) -> list[dict]:
    """One row per trial of the study (every state), in trial order."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        ua = t.user_attrs
        result = ua.get("result")
        if result is None and "status" in ua:  # a study of dnncli 0.1: one attribute per number
            result = {k: ua.get(k) for k in ("status", "message", *NUMBERS)}
        told = t.state.name == "COMPLETE" or (t.state.name == "FAIL" and result is not None
                                               and result.get("status") != Status.COMPLETED)
        row = {"trial": t.number, "stage": ua.get("stage")}
        row.update({path: p.decode(t.params[path]) if path in t.params else None for path, p in space.items()})
        if told:
            row["status"] = result["status"]
            row.update({k: result.get(k) for k in NUMBERS})
            row["message"] = result.get("message", "")
        else:
            row["status"] = str(Status.RUNNING if t.state.name == "RUNNING" else Status.INTERRUPTED)
            row.update({k: None for k in NUMBERS})
            row["message"] = ""
        row["ranges"] = {path: _decoded_range(space[path], d) for path, d in t.distributions.items() if path in space}
        rows.append(row)
    return rows


def _decoded_range(param: Param, dist) -> tuple | None:
    if param.kind == "choice":
        return None
    return (1.0 - dist.high, 1.0 - dist.low) if param.kind == "one_minus_log" else (dist.low, dist.high)
