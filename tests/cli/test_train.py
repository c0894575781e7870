"""`dnn train` (dnncli/cli/train.py): every shipped config, the table, --print-config, bad input, exit codes, Ctrl-C.

Through CliRunner in this process (tests/invoke.py), except Ctrl-C: a real process and its exit code 130."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import ROOT
from tests.invoke import dnn, no_traceback, plots_asked_not_drawn

# Every config a user finds in configs/, and one of configs/course/ (course seeding, no test set, a schedule):
# the other twelve course configs train to the end, through the same train(), in tests/scripts/test_course_table.py.
CONFIGS = [*sorted((ROOT / "configs").glob("*.yaml")), ROOT / "configs/course/adam_staircase_moons.yaml"]


@pytest.fixture(autouse=True)
def at_the_root(monkeypatch):
    """Commands name configs/ relative to the repository, as a user in its folder would."""
    monkeypatch.chdir(ROOT)


# The configs whose plots are drawn here, one of each kind: 2-D with a test set, every prediction equal (zeros),
# named CSV features, a validation split, ten classes, no test set with a schedule. The others are of the first
# kind (their plots are asked for here, not drawn); the deep sigmoid pair draws in tests/engine/test_callbacks.py.
DRAWN = {"adam_moons", "zeros_circles", "csv_example", "early_stopping_overfit_moons", "softmax_digits",
         "adam_staircase_moons"}
PLOTS_2D = ["cost.png", "accuracy.png", "gradients.png", "decision_boundary.png"]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_runs(config, tmp_path, monkeypatch):
    from dnncli import local_pool
    from dnncli.experiments import writing

    assert DRAWN <= {c.stem for c in CONFIGS}  # a renamed config never leaves its kind undrawn
    asked = []
    if config.stem not in DRAWN:
        monkeypatch.setattr(writing, "draw_all", lambda drawings, pool=None, forks=None: asked.extend(d.path.name for d in drawings))
        monkeypatch.setattr(writing, "plot_forks", lambda plots: local_pool.Forks(0))
    result = dnn("train", config, "--set", "training.epochs=20", "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["status"] == "completed" and metrics["epochs_run"] == 20
    run_dir = Path(metrics["run_dir"])
    assert (run_dir / "params.npz").exists() and (run_dir / "report.md").exists()
    if config.stem in DRAWN:
        assert (run_dir / "cost.png").read_bytes()[:4] == b"\x89PNG"
    else:
        assert asked == PLOTS_2D


def test_train_prints_a_table_and_runs_lists_it(tmp_path, monkeypatch):
    plots_asked_not_drawn(monkeypatch)
    proc = dnn("train", "configs/adam_moons.yaml", "--set", "training.epochs=5", "--out", tmp_path)
    assert proc.exit_code == 0, proc.output
    assert "accuracy" in proc.stdout and "run directory" in proc.stdout
    listing = dnn("runs", tmp_path)
    assert listing.exit_code == 0 and "adam_moons" in listing.stdout and "completed" in listing.stdout


def test_print_config_shows_every_default():
    import yaml

    from dnncli.config import load_config

    proc = dnn("train", "configs/adam_moons.yaml", "--print-config", "--set", "optimizer.name=momentum")
    assert proc.exit_code == 0, proc.output
    assert "beta: 0.9" in proc.stdout and "beta1" not in proc.stdout and "eval_every: 100" in proc.stdout
    # every key of the resolved config, with its value: the printed YAML is the config with each default filled in
    assert yaml.safe_load(proc.stdout) == load_config(ROOT / "configs/adam_moons.yaml", ["optimizer.name=momentum"]).to_dict()


def test_print_config_json_is_the_resolved_config():
    from dnncli.config import load_config

    proc = dnn("train", "configs/adam_moons.yaml", "--print-config", "--json", "--set", "optimizer.name=momentum")
    assert proc.exit_code == 0, proc.output
    assert json.loads(proc.stdout) == load_config(ROOT / "configs/adam_moons.yaml", ["optimizer.name=momentum"]).to_dict()


@pytest.mark.parametrize("args, fragment", [
    (["--set", "optimizer.learning_rate=0"], "optimizer.learning_rate: 0"),
    (["--set", "optimizer.name=adamw"], "did you mean 'adam'"),
    (["--set", "regularization.keep_prob=1.5"], "regularization.keep_prob"),
    (["--set", "training.batch_size=0"], "training.batch_size"),
    (["--set", "training.epochs=-3"], "training.epochs"),
    (["--set", "data.train=x.h5", "--set", "data.name=h5"], "x.h5"),
    (["--set", "optimizer"], "--set"),
])
def test_bad_input_exits_2_with_one_line(args, fragment, tmp_path):
    proc = dnn("train", "configs/adam_moons.yaml", *args, "--out", tmp_path)
    assert proc.exit_code == 2 and no_traceback(proc), proc.output
    assert fragment in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_diverged_run_exits_1_with_a_hint(tmp_path):
    proc = dnn("train", "configs/gd_moons.yaml", "--set", "optimizer.learning_rate=1e300", "--set", "init.name=random",
               "--set", "init.scale=1e6", "--out", tmp_path, "--quiet")
    assert proc.exit_code == 1 and no_traceback(proc) and "diverged" in proc.stderr and "learning_rate" in proc.stderr


def test_ctrl_c_leaves_an_interrupted_run_and_exits_130(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnncli.cli", "train", "configs/adam_moons.yaml", "--set", "training.epochs=1000000",
         "--out", tmp_path, "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob("*/metrics.json")):
        time.sleep(0.1)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    (run_dir,) = tmp_path.iterdir()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "interrupted" and metrics["epochs_run"] > 0
    assert (run_dir / "params.npz").exists() and (run_dir / "history.csv").exists()
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]
