"""`dnn train --resume RUN_DIR`: a run continued from its state.npz equals the run trained straight on, to the bit."""

import hashlib
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from dnncli.config import validate
from dnncli.engine.callbacks import LambdaCallback
from dnncli.errors import DnnError
from dnncli.experiments.train import resume, train
from dnncli.runs import load_npz, save_npz
from tests import ROOT

# the course's moons setup on fewer examples: 5 mini-batches of 16 (the last one of 4) per epoch
BASE = {"name": "r", "seed": 3, "data": {"name": "moons", "n_samples": 68, "n_test": 40, "noise": 0.2},
        "optimizer": {"name": "adam", "learning_rate": 0.01}, "training": {"batch_size": 16, "eval_every": 50}}
VARIANTS = {
    "numpy": {},
    "course": {"seeding": "course"},
    "dropout": {"regularization": {"keep_prob": [0.7, 0.9]}},
    "batchnorm": {"regularization": {"batchnorm": True}, "optimizer": {"name": "momentum", "learning_rate": 0.05}},
    "course_dropout_batchnorm": {"seeding": "course", "regularization": {"keep_prob": 0.8, "batchnorm": True}},
    # schedule state and early-stopping counters: plateau on the validation cost, early stopping on the cost
    "plateau_early_stopping": {"data": {**BASE["data"], "validation": 0.25},
                               "schedule": {"name": "plateau", "patience": 10, "monitor": "val_cost"},
                               "training": {**BASE["training"], "early_stopping": {"monitor": "cost", "patience": 500}}},
}


def config(variant: str, epochs: int):
    raw = {**BASE, **VARIANTS[variant]}
    return validate({**raw, "training": {**raw["training"], "epochs": epochs}})


def digest(run_dir: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(run_dir.iterdir())}


def assert_same_run(resumed, straight):
    """The parameters (params.npz byte for byte), the training state and the per-epoch history are the
    straight run's (the evaluations differ: the first run was evaluated at its last epoch too)."""
    assert (resumed.run_dir / "params.npz").read_bytes() == (straight.run_dir / "params.npz").read_bytes()
    a, b = load_npz(resumed.run_dir / "state.npz"), load_npz(straight.run_dir / "state.npz")
    training = sorted(k for k in b if not k.startswith("history."))
    assert sorted(k for k in a if not k.startswith("history.")) == training and "optimizer.t" in training
    for key in training:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    a, b = resumed.result.history, straight.result.history
    for field in ("cost", "learning_rate", "grad_norm"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    for key in ("train_accuracy", "test_accuracy", "final_cost", "test_cost", "epochs_run", "status"):
        assert resumed.metrics[key] == straight.metrics[key], key


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_60_epochs_resumed_to_150_equal_150_straight(tmp_path, variant):
    first = train(config(variant, 60), tmp_path / "a", plots=False)
    before = digest(first.run_dir)
    resumed = resume(first.run_dir, epochs=150, plots=False)
    straight = train(config(variant, 150), tmp_path / "b", plots=False)
    assert_same_run(resumed, straight)
    assert digest(first.run_dir) == before  # the old run directory is never touched
    assert resumed.run_dir.parent == first.run_dir.parent and resumed.run_dir != first.run_dir
    metrics = json.loads((resumed.run_dir / "metrics.json").read_text())
    assert metrics["resumed_from"] == str(first.run_dir.resolve()) and Path(metrics["resumed_from"]).is_absolute()
    assert metrics["resumed_at_epoch"] == 60 and metrics["epochs_run"] == 150 and metrics["epochs"] == 150
    assert f"Resumed at epoch 60 from `{first.run_dir.resolve()}`" in (resumed.run_dir / "report.md").read_text()
    batches = -(-metrics.get("n_train", 68) // 16)  # 68 examples: 5 mini-batches; 51 after a validation split: 4
    assert metrics["updates"] == 90 * batches  # the updates of this run: epochs 60..149
    # the history is the joined one: 150 epochs, the first run's evaluation at its last epoch (59) kept
    history = resumed.result.history
    full = history.eval_epochs[np.isfinite(history.train_accuracy)]  # (val_ monitors evaluate every epoch)
    assert len(history.cost) == 150 and list(full) == [49, 59, 99, 149]
    np.testing.assert_array_equal(history.cost[:60], first.result.history.cost)
    if variant == "plateau_early_stopping":  # the schedule did act, before and after the resume (epochs 52 and 62)
        changed = np.flatnonzero(np.diff(history.learning_rate)) + 1
        assert changed.min() < 60 < changed.max()


def test_an_interrupted_run_resumed_equals_the_straight_run(tmp_path):
    """Ctrl-C at the end of epoch 40: the loop stops there, between two epochs, so state.npz and
    params.npz hold the state after 41 whole epochs, and the resumed run goes on from it with the
    same mini-batches and dropout masks as the straight run."""

    def ctrl_c(epoch, logs):
        if epoch == 40:
            os.kill(os.getpid(), signal.SIGINT)

    stopped = train(config("dropout", 150), tmp_path / "a", plots=False, callbacks=[LambdaCallback(ctrl_c)])
    assert stopped.metrics["status"] == "interrupted" and stopped.metrics["epochs_run"] == 41
    state = load_npz(stopped.run_dir / "state.npz")
    assert int(state["epoch"]) == 41 and len(state["history.cost"]) == 41
    whole = load_npz(train(config("dropout", 41), tmp_path / "c", plots=False).run_dir / "state.npz")
    for key in ("theta", "optimizer.t", "optimizer.v", "optimizer.s", "seeding.shuffle", "seeding.dropout"):
        np.testing.assert_array_equal(state[key], whole[key], err_msg=key)  # the state after 41 whole epochs
    # params.npz too: an interrupt never leaves an epoch half done
    assert load_npz(stopped.run_dir / "params.npz")["b3"] == load_npz(whole_dir(tmp_path / "c") / "params.npz")["b3"]
    resumed = resume(stopped.run_dir, plots=False)  # up to its config's 150 epochs
    straight = train(config("dropout", 150), tmp_path / "b", plots=False)
    assert_same_run(resumed, straight)
    assert resumed.metrics["resumed_at_epoch"] == 41


def test_cost_png_marks_where_the_run_was_resumed(tmp_path, monkeypatch):
    from dnncli import plots
    from dnncli.plots.run import cost_figure

    figures = []
    monkeypatch.setattr(plots, "plot_cost", lambda path, *args, **kwargs: figures.append(cost_figure(*args, **kwargs)))
    first = train(config("numpy", 30), tmp_path)
    resume(first.run_dir, epochs=60)
    (before,), (after,) = (fig.axes for fig in figures)
    assert not [line for line in before.get_lines() if "resumed" in line.get_label()]
    marks = [line for line in after.get_lines() if line.get_label() == "resumed at epoch 30"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [30, 30]
    assert len(after.get_lines()[0].get_xdata()) == 60  # the joined curve


def test_a_resumed_run_can_be_resumed_again(tmp_path):
    first = train(config("numpy", 40), tmp_path, plots=False)
    second = resume(first.run_dir, epochs=90, plots=False)
    third = resume(second.run_dir, epochs=150, plots=False)
    straight = train(config("numpy", 150), tmp_path, plots=False)
    assert_same_run(third, straight)
    assert json.loads((third.run_dir / "metrics.json").read_text())["resumed_from"] == str(second.run_dir.resolve())


def whole_dir(folder: Path) -> Path:
    return next(folder.iterdir())


def runs_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_what_cannot_be_resumed_is_refused_before_any_directory(tmp_path):
    done = train(config("numpy", 30), tmp_path, plots=False).run_dir
    made = runs_in(tmp_path)

    def refused(match, run_dir=done, **kwargs):
        with pytest.raises(DnnError, match=match):
            resume(run_dir, plots=False, **kwargs)
        assert runs_in(tmp_path) == sorted(made)

    refused("trained all its 30 epochs; give a larger total with --epochs")
    refused(r"--epochs: 30 is not allowed \(a total above the 30 epochs", epochs=30)
    refused("no such run directory", run_dir=tmp_path / "missing")
    refused("no readable metrics.json", run_dir=tmp_path)

    def variant(name, change):
        path = tmp_path / name
        path.mkdir()
        for f in done.iterdir():
            (path / f.name).write_bytes(f.read_bytes())
        change(path)
        made.append(name)
        return path

    def edit_metrics(**changes):
        return lambda path: (path / "metrics.json").write_text(
            json.dumps({**json.loads((done / "metrics.json").read_text()), **changes}))

    refused("status is 'diverged'", variant("diverged", edit_metrics(status="diverged")), epochs=60)
    refused("status is 'failed'", variant("failed", edit_metrics(status="failed")), epochs=60)
    refused("early stopping ended it at epoch 20", variant("stopped", edit_metrics(stopped_epoch=20)), epochs=60)
    refused("no state.npz", variant("no_state", lambda p: (p / "state.npz").unlink()), epochs=60)
    refused("state.npz cannot be read", variant("damaged", lambda p: (p / "state.npz").write_bytes(b"PK\x03\x04 no")),
            epochs=60)

    def other_architecture(path):
        text = (path / "config.yaml").read_text().replace("hidden: [5, 2]", "hidden: [6, 2]")
        (path / "config.yaml").write_text(text)

    refused(r"state.npz does not fit its config.yaml \(theta has shape \(30,\), the network needs \(35,\)\)",
            variant("other_config", other_architecture), epochs=60)

    def no_slot(path):
        state = load_npz(path / "state.npz")
        del state["optimizer.s"]
        save_npz(path / "state.npz", state)

    refused("state.npz does not fit its config.yaml .*'s'", variant("no_slot", no_slot), epochs=60)

    def code_for_a_stream(path):  # text that is not a literal is never run
        state = load_npz(path / "state.npz")
        state["seeding.shuffle"] = np.array("__import__('os').system('touch pwned')")
        save_npz(path / "state.npz", state)

    refused("seeding.shuffle is not a generator's state", variant("code", code_for_a_stream), epochs=60)
    assert not (ROOT / "pwned").exists() and not Path("pwned").exists()


def test_dnn_train_resume_on_the_command_line(tmp_path):
    from typer.testing import CliRunner

    from dnncli.cli.main import app

    def dnn(*args):
        return CliRunner().invoke(app, ["train", *args])

    first = dnn("configs/adam_moons.yaml", "--epochs", "20", "--out", str(tmp_path), "--quiet")
    assert first.exit_code == 0, first.output
    old = next(tmp_path.iterdir())
    out = dnn("--resume", str(old), "--epochs", "50", "--name", "more", "--json")
    assert out.exit_code == 0, out.stderr
    metrics = json.loads(out.stdout)
    assert metrics["resumed_from"] == str(old.resolve()) and metrics["epochs_run"] == 50
    assert Path(metrics["run_dir"]).parent == tmp_path and Path(metrics["run_dir"]).name.endswith("-more")
    for args, says in [(("--resume", str(old), "configs/adam_moons.yaml"), "give no CONFIG"),
                       (("--resume", str(old), "--set", "seed=1"), "give no CONFIG, --set or --seed"),
                       (("--resume", str(old), "--epochs", "10"), "--epochs: 10 is not allowed"),
                       ((), "give a CONFIG file")]:
        bad = dnn(*args)
        assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and says in bad.stderr, (args, bad.stderr)


def test_a_keyboard_interrupt_inside_a_step_keeps_no_state():
    """Without a signal handler (a bare fit) a KeyboardInterrupt lands inside a step: that epoch does
    not count, and there is no whole epoch's state to go on from, so none is kept."""
    from dnncli.build import build
    from dnncli.engine.training import fit

    built = build(config("numpy", 20))
    advance, calls = built.optimizer._advance, []  # the first op of every step (engine/optimizers.py)

    def interrupted_step(*args):
        calls.append(1)
        if len(calls) == 23:  # the 3rd step of epoch 4 (68 examples in batches of 16: 5 steps per epoch)
            raise KeyboardInterrupt
        advance(*args)

    built.optimizer._advance = interrupted_step
    data = built.dataset
    result = fit(built.network, built.theta, data.X_train, data.Y_train, optimizer=built.optimizer,
                 schedule=built.schedule, epochs=20, batch_size=16, seeding=built.seeding, keep_state=True)
    assert result.status == ("interrupted",) and result.epochs_run == (4,) and result.training_state is None
    assert len(result.history.cost) == 4
