"""`dnn show DIR [--plots]` on a train, a compare and a tune directory; `--quiet` prints only the directory."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dnncli.cli.main import app
from dnncli.engine.training import History
from dnncli.experiments.show import read_history, redraw
from dnncli.experiments.writing import history_rows
from dnncli.runs import write_history_csv
from tests import ROOT
from tests.pngs import read_png

EPOCHS = "training.epochs=30"


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])

pytestmark = pytest.mark.xdist_group("show_dirs")  # the module's fixture runs are made once


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    """One train, one compare and one tune directory, each made with --quiet (its stdout: the directory)."""
    out = tmp_path_factory.mktemp("runs")
    made = {}
    for kind, args in {
        "train": ["train", ROOT / "configs/adam_moons.yaml", "--set", EPOCHS],
        "compare": ["compare", "gd", "adam", "--seeds", "1", "--jobs", "1", "--set", EPOCHS],
        "tune": ["tune", ROOT / "configs/tune_moons.yaml", "--trials", "3", "--stages", "1", "--top", "1", "--jobs", "1", "--set", EPOCHS],
    }.items():
        before = set(out.iterdir())
        result = invoke(*args, "--out", out, "--quiet")
        assert result.exit_code == 0, result.output
        (path,) = set(out.iterdir()) - before
        made[kind] = (result.stdout, path)
    return made


@pytest.mark.parametrize("kind", ["train", "compare", "tune"])
def test_quiet_prints_exactly_the_directory(dirs, kind):
    stdout, path = dirs[kind]
    assert stdout == f"{path}\n"


def test_show_a_train_directory(dirs):
    path = dirs["train"][1]
    metrics = json.loads((path / "metrics.json").read_text())
    result = invoke("show", path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{metrics['train_accuracy']:.4f}" in out and f"{metrics['test_accuracy']:.4f}" in out
    assert f"run directory: {path}" in out and f"files in {path}" in out
    for name in ("config.yaml", "metrics.json", "history.csv", "params.npz", "cost.png", "decision_boundary.png", "report.md"):
        assert name in out


def test_show_a_compare_directory(dirs):
    path = dirs["compare"][1]
    summary = json.loads((path / "summary.json").read_text())
    result = invoke("show", path)
    assert result.exit_code == 0, result.output
    assert summary["verdict"] in result.stdout and f"compare directory: {path}" in result.stdout
    assert "gd" in result.stdout and "adam ★" in result.stdout
    assert "2 folders" in result.stdout and "summary.json" in result.stdout


def test_show_a_tune_directory(dirs):
    path = dirs["tune"][1]
    result = invoke("show", path)
    assert result.exit_code == 0, result.output
    assert "best 1 of 3 trials" in result.stdout and "as written" in result.stdout
    assert f"train the best: dnn train {path / 'best.yaml'}" in result.stdout and "study.journal" in result.stdout
    assert not (path / "study.journal.lock").exists()  # read only


def test_show_of_something_else_is_one_line_exit_2(tmp_path):
    for target, fragment in ((tmp_path / "nope", "no such directory"), (tmp_path, "not a train, compare or tune directory")):
        result = invoke("show", target)
        assert result.exit_code == 2 and fragment in result.stderr and len(result.stderr.splitlines()) == 1


def _copy(path: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(path, tmp_path / path.name))


def _pixels(path: Path) -> np.ndarray:
    return read_png(path)


def _age(path: Path, seconds: float) -> None:
    """Make ``path`` look ``seconds`` older."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - int(seconds * 1e9)))


def test_plots_draws_only_missing_or_outdated_plots_and_the_same_pixels(dirs, tmp_path):
    path = _copy(dirs["train"][1], tmp_path)
    boundary, cost = _pixels(path / "decision_boundary.png"), _pixels(path / "cost.png")
    (path / "decision_boundary.png").unlink()
    done = redraw(path)
    assert done.drawn == ("decision_boundary.png",) and done.problems == ()
    assert done.current == ("cost.png", "accuracy.png", "gradients.png")
    assert np.array_equal(_pixels(path / "decision_boundary.png"), boundary)  # params.npz + config.yaml + data: the same model
    for plot in ("cost.png", "accuracy.png", "gradients.png"):
        _age(path / plot, 10)  # now older than history.csv
    assert redraw(path).drawn == ("cost.png", "accuracy.png", "gradients.png")
    assert np.array_equal(_pixels(path / "cost.png"), cost)  # history.csv read back draws the same curve
    assert redraw(path).drawn == ()


def test_plots_on_a_compares_run_draws_the_plots_the_compare_left_out(dirs, tmp_path):
    path = _copy(next(dirs["compare"][1].glob("adam-seed*")), tmp_path)
    assert not list(path.glob("*.png"))
    result = invoke("show", path, "--plots")
    assert result.exit_code == 0, result.output
    assert "drawn: cost.png, accuracy.png, gradients.png, decision_boundary.png (and report.md)" in result.stdout
    assert "![decision_boundary.png](decision_boundary.png)" in (path / "report.md").read_text()


def test_plots_on_a_compare_and_a_tune(dirs, tmp_path):
    compare = _copy(dirs["compare"][1], tmp_path)
    grid = _pixels(compare / "boundaries.png")
    (compare / "boundaries.png").unlink()
    assert redraw(compare).drawn == ("boundaries.png",)
    assert np.array_equal(_pixels(compare / "boundaries.png"), grid)
    _age(compare / "costs.png", 10)
    assert redraw(compare).drawn == ("costs.png",)
    tune = _copy(dirs["tune"][1], tmp_path)
    search = _pixels(tune / "search.png")
    report = (tune / "report.md").read_text().replace(str(dirs["tune"][1]), str(tune))  # it names its directory
    assert redraw(tune).drawn == ()
    (tune / "search.png").unlink()
    assert redraw(tune).drawn == ("search.png",)
    assert np.array_equal(_pixels(tune / "search.png"), search) and (tune / "report.md").read_text() == report


def test_plots_says_which_file_is_missing_in_one_line_and_exits_1(dirs, tmp_path):
    path = _copy(dirs["train"][1], tmp_path)
    for name in ("params.npz", "history.csv", "cost.png", "decision_boundary.png"):
        (path / name).unlink()
    result = invoke("show", path, "--plots")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "cannot draw: history.csv is missing (status completed): no cost, accuracy or gradient plots",
        "cannot draw: params.npz is missing: no decision boundary"]
    assert not (path / "cost.png").exists() and not (path / "decision_boundary.png").exists()


def test_history_csv_reads_back_the_history_it_was_written_from(tmp_path):
    nan = np.nan
    h = History(cost=np.array([0.7, 0.5, nan]), learning_rate=np.array([0.1, 0.05, 0.05]), eval_epochs=np.array([0, 2]),
                train_accuracy=np.array([0.5, 0.75]), test_cost=np.array([0.69, nan]), test_accuracy=np.array([0.4, 0.6]),
                val_cost=np.array([0.8, 0.6]), val_accuracy=np.array([0.5, 0.5]),
                grad_norm=np.array([[1e-3, 0.2], [2e-3, 0.1], [nan, nan]]))
    write_history_csv(tmp_path / "history.csv", history_rows(h))
    back = read_history(tmp_path / "history.csv")
    for name in ("cost", "learning_rate", "eval_epochs", "train_accuracy", "test_cost", "test_accuracy", "val_cost",
                 "val_accuracy", "grad_norm"):
        assert np.array_equal(getattr(back, name), getattr(h, name), equal_nan=True), name
