"""The `dnn` entry point (dnncli/cli/main.py): help, completion, bad input to any command, --name, python -m dnncli.

Through Typer's CliRunner in this process; real processes only for `python -m dnncli`, an exit code through
the entry point and what a fresh interpreter imports. Each command's own CLI tests: tests/cli/test_<command>.py
(or beside its library function in tests/experiments/)."""

import json
import subprocess
import sys

import pytest

from tests import ROOT
from tests.invoke import dnn, no_traceback, plots_asked_not_drawn


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


def test_shell_completion_is_on(monkeypatch):
    import typer.completion

    # --show-completion prints the script of the shell it finds among this process' ancestors (shellingham);
    # the test must not depend on how it was started (an orphaned run has no shell above it)
    monkeypatch.setattr(typer.completion, "_get_shell_name", lambda: "bash")

    def complete(words: str) -> list[str]:
        env = {"_DNN_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
        proc = dnn(*words.split()[1:], env=env, prog_name="dnn")  # the prog name main() gives: tested below
        assert proc.exit_code == 0, proc.output
        return proc.stdout.split()

    assert complete("dnn tr") == ["train"]
    assert complete("dnn sc") == ["schema"]
    assert complete("dnn train --print") == ["--print-config"]
    script = dnn("--show-completion", prog_name="dnn")
    assert script.exit_code == 0 and "_dnn_completion" in script.stdout and "_DNN_COMPLETE=complete_bash" in script.stdout
    assert "--install-completion" in dnn("--help").stdout


def test_missing_config_file_exits_2_through_the_entry_point(tmp_path):
    """The one exit code 2 seen from a real process (the others run in this process, through CliRunner)."""
    proc = subprocess.run([sys.executable, "-m", "dnncli", "train", str(tmp_path / "nope.yaml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "not found" in proc.stderr and "Traceback" not in proc.stderr


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


def test_name_names_the_run_the_compare_and_the_tune(tmp_path, monkeypatch):
    asked = plots_asked_not_drawn(monkeypatch)
    result = dnn("train", "configs/adam_moons.yaml", "--set", "training.epochs=5", "--name", "gd_try", "--out", tmp_path,
                 "--quiet")
    assert result.exit_code == 0, result.output
    result = dnn("compare", "gd", "adam", "--seeds", "1", "--jobs", "1", "--set", "training.epochs=5", "--name", "first",
                 "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    result = dnn("tune", "configs/tune_moons.yaml", "--set", "training.epochs=5", "--trials", "2", "--stages", "1",
                 "--top", "1", "--jobs", "1", "--name", "lr_search", "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    assert "cost.png" in asked and "costs.png" in asked  # the run's and the compare's plots were asked for
    names = sorted(p.name.split("-", 2)[2] for p in tmp_path.iterdir())
    assert names == ["compare-first", "gd_try", "tune-lr_search"]
    assert json.loads(next(tmp_path.glob("*-gd_try/metrics.json")).read_text())["name"] == "gd_try"
    bad = dnn("train", "configs/adam_moons.yaml", "--name", "../escape", "--out", tmp_path)
    assert bad.exit_code == 2 and "--name" in bad.output and "Traceback" not in bad.output


