"""`dnn datasets` and `dnn runs` (dnncli/cli/listing.py)."""

from pathlib import Path

from tests.invoke import dnn

ROOT = Path(__file__).resolve().parents[2]


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


def test_runs_listing_fits_80_columns_and_keeps_every_value(tmp_path, monkeypatch):
    """At 80 columns no line is wider and no value is cut: a listing whose widest row does not fit
    puts each run's name on its own line (whole) and its values below; at 160 it is one table."""
    from rich.console import Console

    from dnncli.cli import listing
    from dnncli.config import load_config
    from dnncli.experiments.compare import compare
    from dnncli.experiments.train import train

    run = train(load_config("configs/early_stopping_overfit_moons.yaml", ["training.epochs=12"]), tmp_path,
                plots=False)
    compare([str(ROOT / "configs/deep_sigmoid_moons.yaml"), str(ROOT / "configs/batchnorm_deep_sigmoid_moons.yaml")],
            overrides=["training.epochs=2"], seeds=2, jobs=1, out=tmp_path, plots=False)
    accuracy = f"{float(run.metrics['train_accuracy']):.3f}"
    for columns in ("80", "160"):  # a terminal's width (a pipe gets 160)
        monkeypatch.setattr(listing, "out_console", lambda w=int(columns): Console(highlight=False, width=w))
        proc = dnn("runs", tmp_path, "--all")
        assert proc.exit_code == 0, proc.output
        lines = proc.stdout.splitlines()
        assert max(map(len, lines)) <= int(columns), columns
        assert "…" not in proc.stdout and "..." not in proc.stdout
        names = [line.split()[0] for line in lines if line.strip()]
        assert run.run_dir.name in names and "batchnorm_deep_sigmoid_moons-seed2" in names, columns
        assert any(f"best {arm}" in line for line in lines for arm in ("deep_sigmoid_moons", "batchnorm_deep_sigmoid_moons"))
        assert accuracy in proc.stdout and "0.01" in proc.stdout and f"{run.metrics['epochs_run']}/12" in proc.stdout
    assert len(lines) == len([line for line in lines if line.strip()]) and any(
        line.startswith(run.run_dir.name) and accuracy in line for line in lines)  # at 160: one row per run
