"""`dnn runs` over odd metrics.json files: every run listed, unreadable and stale ones marked."""

import json
import os
import socket
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dnncli.cli.main import app
from dnncli.errors import DnnError
from dnncli.runs import create_run_dir, list_runs, process_marker


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def make_runs(folder):
    here = socket.gethostname()
    files = {
        "good": json.dumps({"status": "completed", "started": "2026-01-02", "train_accuracy": 0.5}),
        "a-list": "[1, 2, 3]",
        "numeric-started": json.dumps({"status": "completed", "started": 5}),
        "markup-status": json.dumps({"status": "[/x] [bold]", "started": "2026-01-01"}),
        "[red]markup-folder": json.dumps({"status": "completed", "train_accuracy": "[/y]"}),
        "deep": "[" * 100_000 + "]" * 100_000,
        "truncated": '{"status": "compl',
        "dead": json.dumps({"status": "running", "process": {"pid": dead_pid(), "host": here}}),
        "alive": json.dumps({"status": "running", "process": {"pid": os.getpid(), "host": here}}),
        "elsewhere": json.dumps({"status": "running", "process": {"pid": dead_pid(), "host": here + "-other"}}),
        "huge-number": json.dumps({"status": "completed", "final_cost": 10**400}),
    }
    for name, text in files.items():
        (folder / name).mkdir()
        (folder / name / "metrics.json").write_text(text)
    return files


def test_every_run_is_listed_with_a_truthful_status(tmp_path):
    files = make_runs(tmp_path)
    status = {run["dir"]: run["status"] for run in list_runs(tmp_path)}
    assert set(status) == set(files)
    assert status["a-list"] == status["deep"] == status["truncated"] == "unreadable"
    assert status["dead"] == "stale"
    assert status["alive"] == status["elsewhere"] == "running"
    assert status["markup-status"] == "[/x] [bold]"
    assert status["good"] == "completed"


def test_dnn_runs_prints_odd_runs_without_crashing(tmp_path):
    make_runs(tmp_path)
    result = CliRunner().invoke(app, ["runs", str(tmp_path)], catch_exceptions=True, terminal_width=200)
    assert result.exit_code == 0, (result.exception, result.output)
    for text in ("unreadable", "stale", "[/x] [bold]", "[red]markup-folder", "good"):
        assert text in result.stdout


def test_the_process_marker_names_this_process():
    assert process_marker() == {"pid": os.getpid(), "host": socket.gethostname()}


def test_a_name_too_long_for_the_filesystem_is_one_line(tmp_path):
    with pytest.raises(DnnError, match="too long"):
        create_run_dir(tmp_path, "x" * 300)


def test_one_row_per_top_level_directory_with_its_kind(tmp_path):
    import json as _json

    from typer.testing import CliRunner

    from dnncli.cli.main import app
    from dnncli.config import load_config
    from dnncli.experiments.compare import compare
    from dnncli.experiments.train import train

    train(load_config("configs/adam_moons.yaml", ["training.epochs=10"]), tmp_path, plots=False)
    compare(["gd", "adam"], overrides=["training.epochs=10"], seeds=2, jobs=1, out=tmp_path, plots=False)
    runner = CliRunner()
    rows = _json.loads(runner.invoke(app, ["runs", str(tmp_path), "--json"]).output)
    assert [r["kind"] for r in rows] == ["compare", "train"] and "runs" not in rows[0]
    assert rows[0]["n_runs"] == 4 and rows[0]["best"] in ("gd", "adam") and rows[1]["optimizer"] == "adam"
    assert rows[1]["learning_rate"] == 0.0007 and rows[1]["epochs"] == 10
    rows = _json.loads(runner.invoke(app, ["runs", str(tmp_path), "--json", "--all", "--limit", "1"]).output)
    assert len(rows) == 1 and len(rows[0]["runs"]) == 4
    bad = runner.invoke(app, ["runs", str(tmp_path), "--limit", "0"])
    assert bad.exit_code == 2 and "--limit" in bad.output


def test_a_killed_compare_shows_as_stale(tmp_path):
    """kill -9 leaves run directories `running` with a dead pid and no summary.json: listed, as stale."""
    import json as _json

    from dnncli.runs import list_top

    folder = tmp_path / "20261201-000000-compare-optimizer"
    (folder / "gd-seed3").mkdir(parents=True)
    dead = {"pid": 2**22 + 12345, "host": __import__("socket").gethostname()}  # above any pid_max default
    (folder / "gd-seed3" / "metrics.json").write_text(_json.dumps({"status": "running", "process": dead}))
    [row] = list_top(tmp_path)
    assert row["kind"] == "compare" and row["status"] == "stale" and row["runs"][0]["status"] == "stale"
