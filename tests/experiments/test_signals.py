"""Ctrl-C and SIGTERM through the real `dnn` process: exit codes, statuses, no process left behind."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import ROOT

DNN = [sys.executable, "-m", "dnncli.cli"]


def living(pgid: int) -> list[int]:
    """Processes of the group that are not zombies (a zombie has exited; only its parent's wait is missing)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def start(args: list[str], tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen([*DNN, *args, "--out", str(tmp_path), "--quiet"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(predicate, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_on_a_compare_stops_its_workers_and_keeps_a_summary(tmp_path):
    proc = start(["compare", "gd", "momentum", "adam", "--seeds", "3", "--jobs", "2", "--set", "training.epochs=200000"],
                 tmp_path)
    wait_for(lambda: len(living(proc.pid)) >= 3)  # the parent and its two workers are up
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group
    sent = time.monotonic()
    assert proc.wait(30) == 130
    took = time.monotonic() - sent
    wait_for(lambda: not living(proc.pid), 5.0)
    assert took < 5.0, took  # measured 0.4 s on 2 idle cores; the bound leaves room for a busy CI
    out = next(tmp_path.glob("*-compare-*"))
    assert json.loads((out / "summary.json").read_text())["status"] == "interrupted"
    statuses = {json.loads(p.read_text())["status"] for p in out.glob("*/metrics.json")}
    assert statuses == {"interrupted"}  # none finished, and none is left "running"
    assert "Traceback" not in proc.stderr.read()


def test_sigterm_on_train_finishes_the_step_and_writes_everything(tmp_path):
    proc = start(["train", "configs/adam_moons.yaml", "--set", "training.epochs=1000000"], tmp_path)
    wait_for(lambda: list(tmp_path.glob("*/config.yaml")))
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 143
    run_dir = next(tmp_path.iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and 0 < metrics["epochs_run"] < 1000000
    for name in ("history.csv", "params.npz", "cost.png", "report.md"):
        assert (run_dir / name).is_file(), name
    assert "Traceback" not in proc.stderr.read()


def test_sigterm_on_a_compare_exits_143_with_a_summary(tmp_path):
    proc = start(["compare", "gd", "adam", "--seeds", "2", "--jobs", "2", "--set", "training.epochs=200000"], tmp_path)
    wait_for(lambda: list(tmp_path.glob("*-compare-*/*/config.yaml")))
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)  # to the parent only, as `timeout` or `docker stop` do
    assert proc.wait(30) == 143
    wait_for(lambda: not living(proc.pid), 5.0)
    out = next(tmp_path.glob("*-compare-*"))
    assert json.loads((out / "summary.json").read_text())["status"] == "interrupted"
    assert "Traceback" not in proc.stderr.read()


def test_sigterm_on_a_tune_exits_143_and_says_how_to_resume(tmp_path):
    proc = start(["tune", "configs/tune_moons.yaml", "--trials", "8", "--jobs", "1", "--set", "training.epochs=200000"],
                 tmp_path)
    wait_for(lambda: list(tmp_path.glob("*-tune-*/study.journal")))
    time.sleep(2.0)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 143
    err = proc.stderr.read()
    assert "resume with: dnn tune --resume" in err and "Traceback" not in err
    assert (next(tmp_path.glob("*-tune-*")) / "trials.csv").is_file()


def test_a_second_ctrl_c_during_the_final_writes_changes_nothing(tmp_path, monkeypatch):
    """The first Ctrl-C stops training; a second one while the plots are drawn only lets the writes finish."""
    from dnncli.config import load_config
    from dnncli.engine.callbacks import LambdaCallback
    from dnncli.experiments.train import train
    from dnncli.plots import style

    def first(epoch, logs):
        if epoch == 3:
            os.kill(os.getpid(), signal.SIGINT)

    real, saved = style.save, []

    def second(fig, path):
        if not saved:  # while the first plot (cost.png) is saved
            os.kill(os.getpid(), signal.SIGINT)
        saved.append(path)
        return real(fig, path)

    monkeypatch.setattr(style, "save", second)
    result = train(load_config(ROOT / "configs/adam_moons.yaml", ["training.epochs=1000"]), tmp_path,
                   callbacks=[LambdaCallback(first)])
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["epochs_run"] in (4, 5) and result.exit_signal == signal.SIGINT
    for name in ("history.csv", "params.npz", "cost.png", "decision_boundary.png", "report.md"):
        assert (result.run_dir / name).is_file(), name
    assert [p.name for p in saved][0] == "cost.png" and len(saved) == 4  # the second Ctrl-C came during the plots


def test_ctrl_c_during_a_compares_plots_finishes_them_and_says_interrupted(tmp_path, monkeypatch):
    from dnncli.experiments.compare import compare
    from dnncli.plots import style

    real = style.save

    def interrupted(fig, path):
        if path.name == "accuracy.png":  # the second of the three plots
            os.kill(os.getpid(), signal.SIGINT)
        return real(fig, path)

    monkeypatch.setattr(style, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        compare(["gd", "adam"], overrides=["training.epochs=20"], seeds=1, jobs=1, out=tmp_path)
    out = next(tmp_path.iterdir())
    assert json.loads((out / "summary.json").read_text())["status"] == "interrupted"
    for name in ("costs.png", "accuracy.png", "boundaries.png", "report.md"):
        assert (out / name).is_file(), name
    assert {json.loads(p.read_text())["status"] for p in out.glob("*/metrics.json")} == {"completed"}
