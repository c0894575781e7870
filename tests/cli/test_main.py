"""The `dnn` entry point: main paths, every shipped config, bad input, completion.

Through Typer's CliRunner in this process; real processes only for `python -m dnncli`, an exit code through
the entry point, Ctrl-C, and what a fresh interpreter imports."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import ROOT
from tests.invoke import dnn, no_traceback

# Every config a user finds in configs/, and one of configs/course/ (course seeding, no test set, a schedule):
# the other twelve course configs train to the end, through the same train(), in tests/scripts/test_course_table.py.
CONFIGS = [*sorted((ROOT / "configs").glob("*.yaml")), ROOT / "configs/course/adam_staircase_moons.yaml"]


@pytest.fixture(autouse=True)
def at_the_root(monkeypatch):
    """Commands name configs/ relative to the repository, as a user in its folder would."""
    monkeypatch.chdir(ROOT)


def test_help_imports_nothing_heavy():
    """What keeps `dnn --help` fast: importing the app and printing its help load none of the heavy libraries."""
    code = ("import sys\nfrom dnncli.cli.main import app\n"
            "try:\n    app(['--help'], prog_name='dnn')\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
            "heavy = [m for m in ('matplotlib', 'sklearn', 'dask', 'optuna', 'scipy', 'pydantic', 'h5py') if m in sys.modules]\n"
            "print('heavy:', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage: dnn [OPTIONS] COMMAND" in out and out.splitlines()[-1] == "heavy: []"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_every_shipped_config_runs(config, tmp_path):
    result = dnn("train", config, "--set", "training.epochs=20", "--out", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["status"] == "completed" and metrics["epochs_run"] == 20
    assert Path(metrics["run_dir"], "params.npz").exists()


def test_train_prints_a_table_and_runs_lists_it(tmp_path):
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


def test_shell_completion_is_on():
    def complete(words: str) -> list[str]:
        env = {"_DNN_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        proc = dnn(*words.split()[1:], env=env, prog_name="dnn")  # the prog name main() gives: tested below
        assert proc.exit_code == 0, proc.output
        return proc.stdout.split()

    assert complete("dnn tr") == ["train"]
    assert complete("dnn sc") == ["schema"]
    assert complete("dnn train --print") == ["--print-config"]
    script = dnn("--show-completion", "bash", prog_name="dnn")
    assert script.exit_code == 0 and "_dnn_completion" in script.stdout and "_DNN_COMPLETE=complete_bash" in script.stdout
    assert "--install-completion" in dnn("--help").stdout


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


def test_missing_config_file_exits_2_through_the_entry_point(tmp_path):
    """The one exit code 2 seen from a real process (the others run in this process, through CliRunner)."""
    proc = subprocess.run([sys.executable, "-m", "dnncli", "train", str(tmp_path / "nope.yaml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not found" in proc.stderr and "Traceback" not in proc.stderr


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


@pytest.mark.parametrize("args, fragment", [
    (["compare", "gd", "adam", "--jobs", "-1"], "--jobs"),
    (["compare", "gd", "adam", "--scheduler", "notaurl"], "tcp://HOST:PORT"),
    (["tune", "configs/tune_moons.yaml", "--jobs", "0"], "--jobs"),
    (["gradcheck", "--model", "deep", "--mode", "directional", "--directions", "0"], "--directions"),
    (["gradcheck"], "exactly one"),
    (["runs", "/nonexistent/folder"], "no such folder"),
])
def test_more_bad_input_exits_2_with_one_line(args, fragment, tmp_path):
    proc = dnn(*args, "--out", tmp_path) if args[0] in ("compare", "tune") else dnn(*args)
    assert proc.exit_code == 2 and no_traceback(proc), proc.output
    assert fragment in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())  # nothing claimed for a command that never started


def test_gradcheck_of_a_network_without_hidden_layers():
    proc = dnn("gradcheck", "--config", "configs/adam_moons.yaml", "--set", "model.hidden=[]")
    assert proc.exit_code == 0 and "PASS" in proc.stdout


def test_python_dash_m_dnncli_and_the_root_exports():
    out = subprocess.run([sys.executable, "-m", "dnncli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and "train" in out.stdout and "compare" in out.stdout
    assert "Usage: dnn " in out.stdout  # main() names the program (the completion variable is _DNN_COMPLETE)
    code = ("import sys, dnncli\nheavy = {'matplotlib', 'sklearn', 'optuna', 'dask'} & set(sys.modules)\n"
            "from dnncli import train, compare, tune, gradcheck, load_config, run_configs, predict\n"
            "print(sorted(heavy), all(map(callable, (train, compare, tune, gradcheck, load_config, run_configs, predict))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["[]", "True"]


def test_name_names_the_run_the_compare_and_the_tune(tmp_path):
    result = dnn("train", "configs/adam_moons.yaml", "--set", "training.epochs=5", "--name", "gd_try", "--out", tmp_path,
                 "--quiet")
    assert result.exit_code == 0, result.output
    result = dnn("compare", "gd", "adam", "--seeds", "1", "--jobs", "1", "--set", "training.epochs=5", "--name", "first",
                 "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    result = dnn("tune", "configs/tune_moons.yaml", "--set", "training.epochs=5", "--trials", "2", "--stages", "1",
                 "--jobs", "1", "--name", "lr_search", "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    names = sorted(p.name.split("-", 2)[2] for p in tmp_path.iterdir())
    assert names == ["compare-first", "gd_try", "tune-lr_search"]
    assert json.loads(next(tmp_path.glob("*-gd_try/metrics.json")).read_text())["name"] == "gd_try"
    bad = dnn("train", "configs/adam_moons.yaml", "--name", "../escape", "--out", tmp_path)
    assert bad.exit_code == 2 and "--name" in bad.output and "Traceback" not in bad.output


def test_every_registry_entry_is_in_the_help_it_belongs_to():
    """Each command's --help names every entry of its registries (read from them, not copied)."""
    import re

    from dnncli.data import DATASETS
    from dnncli.engine.activations import ACTIVATIONS
    from dnncli.engine.initializers import INITIALIZERS
    from dnncli.engine.optimizers import OPTIMIZERS
    from dnncli.engine.schedules import SCHEDULES
    from dnncli.engine.seeding import SEEDINGS
    from dnncli.experiments.gradcheck import MODELS
    from dnncli.experiments.tune.settings import METRICS, SAMPLERS
    from dnncli.presets import PRESETS

    wanted = {"train": [*DATASETS, *ACTIVATIONS, *INITIALIZERS, *OPTIMIZERS, *SCHEDULES, *SEEDINGS],
              "compare": list(PRESETS), "gradcheck": list(MODELS), "tune": [*METRICS, *SAMPLERS]}
    for command, names in wanted.items():
        result = dnn(command, "--help")
        assert result.exit_code == 0, result.output
        missing = [n for n in names if not re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", result.output)]
        assert missing == [], (command, missing)


def test_a_new_registry_entry_reaches_the_help_with_no_other_edit(monkeypatch):
    from dnncli.engine.optimizers import OPTIMIZERS
    from dnncli.experiments.gradcheck import MODELS

    monkeypatch.setitem(OPTIMIZERS._entries, "zz_probe_optimizer", object)
    monkeypatch.setitem(MODELS._entries, "zz_probe_model", object)
    assert "zz_probe_optimizer" in dnn("train", "--help").output
    assert "zz_probe_model" in dnn("gradcheck", "--help").output
