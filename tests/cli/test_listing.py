"""`dnn datasets` and `dnn runs` (dnncli/cli/listing.py)."""

from tests.invoke import dnn


def test_datasets_lists_shapes():
    """One row per registered data set: features, classes, train and test examples ("-" for a file's)."""
    from dnncli.data import dataset_summaries

    proc = dnn("datasets")
    assert proc.exit_code == 0, proc.output
    cells = {row[0]: row[1:5] for row in ([c.strip() for c in line.split("│")[1:-1]] for line in proc.stdout.splitlines())
             if row and row[0]}
    summaries = dataset_summaries()
    assert {"moons", "circles", "flower", "digits", "breast_cancer", "h5"} <= {s["name"] for s in summaries}
    for s in summaries:
        shown = ["-" if s[k] is None else str(s[k]) for k in ("n_features", "n_classes", "n_train", "n_test")]
        assert cells[s["name"]] == shown, s["name"]
    assert cells["moons"] == ["2", "2", "300", "100"]  # the course's moons: 300 train and 100 test points in 2-D


def test_runs_table_fits_80_columns_and_keeps_every_value(tmp_path, monkeypatch):
    """At 80 columns no line is wider, and nothing is cut to an ellipsis: a long run name folds onto
    a second line, the numbers keep their digits (lr 0.0007, accuracies to 3 decimals)."""
    from dnncli.config import load_config
    from dnncli.experiments.train import train

    run = train(load_config("configs/early_stopping_overfit_moons.yaml", ["training.epochs=12"]), tmp_path,
                plots=False)
    train(load_config("configs/adam_moons.yaml", ["training.epochs=10"]), tmp_path, plots=False)
    monkeypatch.setenv("COLUMNS", "80")
    proc = dnn("runs", tmp_path)
    assert proc.exit_code == 0, proc.output
    lines = proc.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in proc.stdout
    assert run.run_dir.name in "".join(line.split(" ")[0] for line in lines)  # folded, not cut
    row = next(line for line in lines if "adam_m" in line).split()
    assert row[1:5] == ["train", "completed", "adam", "0.0007"] and row[-1] == "10/10"
    accuracy = float(run.metrics["train_accuracy"])
    assert f"{accuracy:.3f}" in proc.stdout
