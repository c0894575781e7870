"""A compare's numbers: per arm, the mean, spread and confidence interval over its seeds, and the
verdict (the best arm against the runner-up by Welch's t-test, or one arm's seed study).

Pure functions of the run rows :func:`dnncli.experiments.compare.compare` collects; summary.json
and summary.csv are what they return.
"""

from __future__ import annotations

import math

import numpy as np

from dnncli.experiments.stats import ALPHA, describe, welch
from dnncli.status import Status

STATS = ("train_accuracy", "test_accuracy", "final_cost")


def row_metrics(metrics: dict) -> dict:
    """What a run's row keeps of its metrics.json."""
    return {k: metrics.get(k) for k in ("status", "message", *STATS, "seconds", "epochs_run")}


def score(metrics: dict) -> float | None:
    """What 'best' means: test accuracy when there is a test set, else train accuracy."""
    value = metrics.get("test_accuracy")
    return value if value is not None else metrics.get("train_accuracy")


def summarize(axis: str, runs: dict[str, list[dict]]) -> dict:
    summary = {}
    for arm, rs in runs.items():
        entry = {key: describe([r[key] for r in rs]) for key in STATS}
        scores = [(score(r), r["seed"]) for r in rs if score(r) is not None]
        spread = scores and max(scores)[0] > min(scores)[0]  # no best or worst seed when all are equal
        entry["best_seed"] = max(scores)[1] if spread else None
        entry["worst_seed"] = min(scores)[1] if spread else None
        entry["seconds"] = float(np.mean([r["seconds"] for r in rs if r["seconds"] is not None] or [0.0]))
        entry["failed"] = sum(r["status"] != Status.COMPLETED for r in rs)
        entry["runs"] = [{k: v for k, v in r.items() if k != "result"} for r in rs]
        summary[arm] = entry
    return summary


def pick_best(summary: dict) -> tuple[str | None, str, float | None]:
    """Best arm by mean score (test accuracy, else train), ties broken by lower mean cost; the verdict
    compares it with the runner-up by Welch's t-test (see :mod:`dnncli.experiments.stats`)."""
    def key_of(arm):
        e = summary[arm]
        metric = "test_accuracy" if e["test_accuracy"]["mean"] is not None else "train_accuracy"
        cost = e["final_cost"]["mean"]
        return (e[metric]["mean"] if e[metric]["mean"] is not None else -1.0, -(cost if cost is not None else math.inf)), metric

    ranked = sorted(summary, key=lambda a: key_of(a)[0], reverse=True)
    if not ranked or key_of(ranked[0])[0][0] < 0:
        return None, "no arm completed", None
    best, metric = ranked[0], key_of(ranked[0])[1]
    if len(ranked) == 1:
        return best, seed_study(best, metric, summary[best][metric]), None
    runner = ranked[1]
    b, r = summary[best][metric], summary[runner][metric]
    if r["mean"] is None:
        return best, f"{best} is best; {runner} did not complete", None
    gap = b["mean"] - r["mean"]
    label = metric.replace("_", " ")
    if abs(gap) < 5e-5:  # equal to the digits shown
        return best, f"{best} and {runner} tie in mean {label} ({b['mean']:.4f}): not a clear difference", None
    lead = f"{best} leads {runner} by {gap:.4f} in mean {label}"
    if min(b["n"], r["n"]) < 2:
        return best, f"{lead}; one seed shows no spread, so this is no evidence of a difference (use --seeds 3 or more)", None
    p = welch(*([x[metric] for x in summary[a]["runs"] if x[metric] is not None] for a in (best, runner)))
    if p is None:
        return best, f"{lead}; every seed gave the same value in both arms, so no test applies", None
    if p < ALPHA:
        return best, f"{lead}: significant (Welch's t-test, p = {p:.2g} < {ALPHA})", p
    return best, f"{lead}: not significant (Welch's t-test, p = {p:.2g}): not a clear difference", p


def seed_study(arm: str, metric: str, stat: dict) -> str:
    """The verdict of one arm over its seeds: the mean, its 95% confidence interval and the spread."""
    label = metric.replace("_", " ")
    if stat["n"] < 2:
        return f"{arm}: mean {label} {stat['mean']:.4f} from {stat['n']} seed: no spread, no confidence interval"
    low, high = stat["ci95"]
    return (f"{arm} over {stat['n']} seeds: mean {label} {stat['mean']:.4f}, 95% CI [{low:.4f}, {high:.4f}] "
            f"(std {stat['std']:.4f}, seeds from {stat['min']:.4f} to {stat['max']:.4f})")


def csv_rows(summary: dict) -> list[dict]:
    rows = []
    for arm, e in summary.items():
        row = {"arm": arm}
        for key in STATS:
            for s in ("mean", "std", "min", "max"):
                v = e[key][s]
                row[f"{key}_{s}"] = "" if v is None else repr(v)
            ci = e[key]["ci95"]
            row[f"{key}_ci95_low"], row[f"{key}_ci95_high"] = ("", "") if ci is None else (repr(ci[0]), repr(ci[1]))
        if "to_target" in e:
            t = e["to_target"]
            for key in ("epochs", "updates"):
                row[f"{key}_to_target_mean"] = "" if t[key]["mean"] is None else repr(t[key]["mean"])
            row["reached_target"] = t["reached"]
        row["seconds"] = repr(e["seconds"])
        row["failed"] = e["failed"]
        rows.append(row)
    return rows
