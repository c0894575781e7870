"""report.md for a run: the accuracy table, the plots and the resolved config."""

from __future__ import annotations

from dnncli.errors import short_text


def fmt(value: object, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3e}"
    return str(value)


def run_report(metrics: dict, config_yaml: str, images: list[str]) -> str:
    lines = [
        f"# {metrics['name']}",
        "",
        f"Status: **{metrics['status']}**" + (f" ({metrics['message']})" if metrics.get("message") else ""),
        "",
        "| | train | test |",
        "| --- | --- | --- |",
        f"| accuracy | {fmt(metrics.get('train_accuracy'))} | {fmt(metrics.get('test_accuracy'))} |",
        f"| cost | {fmt(metrics.get('final_cost'))} | {fmt(metrics.get('test_cost'))} |",
        "",
        f"{metrics.get('epochs_run', 0)} epochs in {fmt(metrics.get('seconds'), 2)} s "
        f"({fmt(metrics.get('us_per_update'), 1)} µs per update).",
        "",
    ]
    per_class = per_class_table(metrics)  # more than two classes: their accuracies, which name them too
    if per_class:
        lines += per_class
    elif metrics.get("classes"):
        lines += [f"Classes: {short_text(', '.join(map(str, metrics['classes'])), 400)}.", ""]
    if metrics.get("resumed_from"):
        lines += [f"Resumed at epoch {metrics.get('resumed_at_epoch')} from `{metrics['resumed_from']}` "
                  "(the history and plots join both parts; the seconds are this part's).", ""]
    lines += [f"![{image}]({image})\n" for image in images]
    lines += ["## Config", "", "```yaml", config_yaml.rstrip(), "```", ""]
    return "\n".join(lines)


def per_class_rows(metrics: dict) -> list[list[str]]:
    """[class, train acc, test acc, train examples, test examples] per class of a multi-class run ([] otherwise)."""
    accuracy, counts = metrics.get("per_class_accuracy"), metrics.get("confusion")
    if not isinstance(accuracy, dict) or not isinstance(counts, dict):
        return []
    rows = []
    for i, name in enumerate(metrics.get("classes", [])):
        cells = [str(name)]
        cells += [fmt(accuracy.get(split, {}).get(str(name))) for split in ("train", "test")]
        cells += [str(sum(counts[split][i])) if split in counts else "-" for split in ("train", "test")]
        rows.append(cells)
    return rows


def per_class_table(metrics: dict) -> list[str]:
    rows = per_class_rows(metrics)
    if not rows:
        return []
    lines = ["## Accuracy per class", "", "The fraction of each class's examples predicted as that class (see confusion.png).", "",
             "| class | train acc | test acc | train examples | test examples |", "| --- | --- | --- | --- | --- |"]
    return lines + [f"| {' | '.join(cells)} |" for cells in rows] + [""]


def pm(stat: dict) -> str:
    """``mean ± std`` of a per-arm statistic (the mean alone for one seed; "-" without values)."""
    if stat["mean"] is None:
        return "-"
    return f"{stat['mean']:.4f}" if stat.get("std") is None else f"{stat['mean']:.4f} ± {stat['std']:.4f}"
