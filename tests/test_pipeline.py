"""The run pipeline: stacks of models equal the same configs trained one by one; multi-class diagnostics
(confusion matrices and per-class accuracy, checked against scikit-learn)."""

import json

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, recall_score

from dnncli import pipeline
from dnncli.build import build
from dnncli.config import load_config, validate
from dnncli.engine.activations import ReLU, SigmoidOutput
from dnncli.engine.network import Network
from dnncli.engine.stack import ShapeError
from dnncli.engine.training import fit
from dnncli.experiments.compare import compare
from dnncli.experiments.train import train
from dnncli.runs import load_npz
from tests.pngs import read_png

EPOCHS = 2000
BASE = {"name": "p", "seed": 1, "data": {"name": "moons", "n_samples": 80, "noise": 0.2, "seed": 3, "n_test": 40},
        "model": {"hidden": [5, 3]}, "training": {"epochs": EPOCHS, "batch_size": 32, "eval_every": 500}}


def config(**sections):
    raw = {**BASE, **{k: v for k, v in sections.items() if k not in ("seed", "seeding")}}
    raw["seed"] = sections.get("seed", BASE["seed"])
    raw["seeding"] = sections.get("seeding", "numpy")
    return validate(raw)


def members(seeding):
    """One group of stack key (every optimizer, initializer, L2 and dropout value differs per member)."""
    opts = [{"name": "gd", "learning_rate": 0.05}, {"name": "momentum", "learning_rate": 0.05, "beta": 0.8},
            {"name": "nesterov", "learning_rate": 0.03, "beta": 0.9}, {"name": "adagrad", "learning_rate": 0.02},
            {"name": "rmsprop", "learning_rate": 0.002, "beta": 0.99}, {"name": "adam", "learning_rate": 0.003},
            {"name": "adam", "learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99}]
    inits = ["he", "xavier", "glorot", "random", "he", "he", "zeros"]
    regs = [{"l2": 0.0}, {"l2": 0.3}, {"keep_prob": 0.8}, {"l2": 0.1, "keep_prob": [0.9, 0.7]}, {}, {"keep_prob": 0.9},
            {"l2": 0.5}]
    return [config(seed=k, seeding=seeding, optimizer=o, init={"name": i, **({"scale": 0.5} if i == "random" else {})},
                   regularization=r) for k, (o, i, r) in enumerate(zip(opts, inits, regs))]


def assert_members_equal_solo(configs, rel=1e-9):
    assert len({pipeline.stack_key(c) for c in configs}) == 1
    stacked = pipeline.run_configs(configs, parts=1)
    assert all(r.stack == len(configs) for r in stacked)
    for config, member in zip(configs, stacked):
        solo = pipeline.run_configs([config])[0]
        assert member.status == solo.status == "completed", (member.message, solo.message)
        assert member.train_accuracy == solo.train_accuracy and member.test_accuracy == solo.test_accuracy
        scale = np.max(np.abs(solo.model.theta))
        assert np.max(np.abs(member.model.theta - solo.model.theta)) <= rel * scale, config.optimizer.name
        for name, array in solo.model.state.items():
            np.testing.assert_allclose(member.model.state[name], array, rtol=rel)
        np.testing.assert_allclose(member.history.cost, solo.history.cost, rtol=rel)


@pytest.mark.parametrize("seeding", ["numpy", "course"])
def test_a_stack_of_every_optimizer_initializer_l2_and_dropout_equals_solo_runs(seeding):
    assert_members_equal_solo(members(seeding))


@pytest.mark.parametrize("schedule", [{"name": "inverse_time", "decay_rate": 0.01}, {"name": "exponential", "decay_rate": 0.999},
                                      {"name": "inverse_sqrt", "decay_rate": 0.1},
                                      {"name": "staircase", "decay_rate": 1.0, "time_interval": 500}])
def test_every_schedule_stacks(schedule):
    rates = (0.01, 0.02)
    configs = [config(seed=k, optimizer={"name": "adam", "learning_rate": lr}, schedule=schedule)
               for k, lr in enumerate(rates)]
    configs.append(config(seed=5, optimizer={"name": "momentum", "learning_rate": 0.1},
                          schedule={**schedule, "decay_rate": schedule["decay_rate"] / 2 if schedule["name"] != "exponential"
                                    else 0.998}))
    assert_members_equal_solo(configs)


@pytest.mark.parametrize("seeding", ["numpy", "course"])
def test_batch_norm_members_equal_solo_runs(seeding):
    configs = [config(seed=k, seeding=seeding, regularization={"batchnorm": True, "batchnorm_momentum": m},
                      optimizer={"name": "gd", "learning_rate": lr}) for k, (m, lr) in enumerate([(0.9, 0.1), (0.8, 0.3)])]
    assert_members_equal_solo(configs)


def test_full_batch_members_equal_solo_runs():
    configs = [config(seed=k, training={"epochs": 500, "batch_size": None}, optimizer={"name": "gd", "learning_rate": lr})
               for k, lr in enumerate([0.1, 0.5, 1.0])]
    assert_members_equal_solo(configs)


def test_a_diverging_member_changes_nothing_for_the_others():
    epochs = 200  # the wild member diverges in its first epoch; the others are compared bit for bit
    training = {**BASE["training"], "epochs": epochs, "eval_every": 50}
    good = [config(seed=k, optimizer={"name": "adam", "learning_rate": 0.01}, training=training) for k in range(2)]
    wild = config(seed=9, optimizer={"name": "gd", "learning_rate": 1e300}, init={"name": "random", "scale": 1e6},
                  training=training)
    without = pipeline.run_configs(good, parts=1)
    with_it = pipeline.run_configs([good[0], wild, good[1]], parts=1)
    assert with_it[1].status == "diverged" and with_it[1].epochs_run < epochs
    assert "learning_rate" in with_it[1].message
    for a, b in zip(without, [with_it[0], with_it[2]]):
        assert a.status == b.status == "completed" and a.epochs_run == b.epochs_run == epochs
        np.testing.assert_array_equal(a.model.theta, b.model.theta)
        np.testing.assert_array_equal(a.history.cost, b.history.cost)
    assert len(with_it[1].history.cost) == with_it[1].epochs_run + 1  # its history ends at the diverged epoch


def test_a_huge_but_finite_cost_counts_as_diverged():
    """A learning rate of 1e6 keeps the cross-entropy finite (1e5): more than 1000 x the first cost."""
    result = pipeline.run_configs([config(optimizer={"name": "gd", "learning_rate": 1e6})])[0]
    assert result.status == "diverged" and "cost became" in result.message


def test_fit_refuses_a_stack_without_one_seeding_per_member():
    built = build(config())
    theta = np.stack([built.theta, built.theta])
    with pytest.raises(TypeError, match="StackedSeeding"):
        fit(built.network, theta, built.dataset.X_train, built.dataset.Y_train, optimizer=built.optimizer,
            schedule=built.schedule, epochs=1, batch_size=32, seeding=built.seeding)


def test_per_model_values_of_another_shape_are_refused():
    for shape in ((3, 1), (3, 1, 1)):
        with pytest.raises(ShapeError, match="lambd"):
            Network([2, 3, 1], ReLU(), SigmoidOutput(), lambd=np.full(shape, 0.1))
        with pytest.raises(ShapeError, match="keep_prob"):
            Network([2, 3, 1], ReLU(), SigmoidOutput(), keep_prob=[np.full(shape, 0.9)])


def test_grouping():
    a = config(optimizer={"name": "adam"})
    b = config(seed=4, optimizer={"name": "gd", "learning_rate": 0.1}, regularization={"l2": 0.2}, init={"name": "zeros"})
    other_data = config(data={**BASE["data"], "noise": 0.3})
    other_schedule = config(schedule={"name": "exponential"})
    other_arch = config(model={"hidden": [4]})
    assert pipeline.stack_key(a) == pipeline.stack_key(b)
    for c in (other_data, other_schedule, other_arch, config(seeding="course"), config(training={"epochs": 10})):
        assert pipeline.stack_key(c) != pipeline.stack_key(a)
    configs = [a, b, other_data, a, b]
    assert pipeline.plan_groups(configs) == [[0, 1, 3, 4], [2]]
    assert pipeline.plan_groups(configs, stack=False) == [[0], [1], [2], [3], [4]]
    assert sorted(map(len, pipeline.plan_groups(configs, parts=3))) == [1, 2, 2]
    assert [len(g) for g in pipeline.plan_groups([a] * 130)] == [44, 43, 43]  # at most GROUP_CAP = 64 each
    assert pipeline.plan_groups([]) == []


def test_a_compare_run_retrained_from_its_config_gives_the_same_numbers(tmp_path):
    result = compare(["gd", "momentum", "adam"], overrides=["training.epochs=300"], seeds=2, jobs=1, out=tmp_path,
                     plots=False)
    summary = json.loads((result.out_dir / "summary.json").read_text())
    assert summary["stacked"] and summary["failed"] == 0
    dirs = sorted(p for p in result.out_dir.iterdir() if p.is_dir())
    assert len(dirs) == 6
    for run_dir in dirs:
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert metrics["stack"] > 1
        solo = pipeline.run_configs([load_config(run_dir / "config.yaml")])[0]
        assert solo.train_accuracy == metrics["train_accuracy"] and solo.test_accuracy == metrics["test_accuracy"]
        saved = load_npz(run_dir / "params.npz")
        for name, array in solo.model.arrays().items():
            np.testing.assert_allclose(saved[name], array, rtol=1e-9, atol=1e-12 * np.max(np.abs(array)))


def test_no_stack_is_bit_identical_to_dnn_train(tmp_path):
    from dnncli.experiments.train import train

    result = compare(["gd", "adam"], overrides=["training.epochs=200"], seeds=1, jobs=1, out=tmp_path / "c",
                     plots=False, stack=False)
    for run_dir in sorted(p for p in result.out_dir.iterdir() if p.is_dir()):
        assert json.loads((run_dir / "metrics.json").read_text())["stack"] == 1
        alone = train(load_config(run_dir / "config.yaml"), tmp_path / "t", plots=False)
        assert (alone.run_dir / "params.npz").read_bytes() == (run_dir / "params.npz").read_bytes()


# -- multi-class diagnostics: the confusion matrix and per-class accuracy of a run --------------------
DIGITS = {"name": "digits_small", "data": {"name": "digits"}, "model": {"hidden": [16]},
          "optimizer": {"learning_rate": 0.01}, "training": {"epochs": 3, "eval_every": 1}}


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    return train(validate(DIGITS), tmp_path_factory.mktemp("runs"))


@pytest.mark.xdist_group("digits_run")  # the fixture run is made once, on one xdist worker
def test_confusion_counts_and_per_class_accuracy_agree_with_scikit_learn(digits_run):
    metrics = json.loads((digits_run.run_dir / "metrics.json").read_text())
    dataset, _, _ = pipeline.held_out(digits_run.config)
    model = digits_run.result.model
    assert metrics["classes"] == [str(k) for k in range(10)]
    for split, X, labels in (("train", dataset.X_train, dataset.labels_train), ("test", dataset.X_test, dataset.labels_test)):
        predicted = model.predict(X)
        expected = confusion_matrix(labels, predicted, labels=range(10))
        assert metrics["confusion"][split] == expected.tolist()
        recall = recall_score(labels, predicted, labels=range(10), average=None, zero_division=np.nan)
        assert list(metrics["per_class_accuracy"][split].values()) == pytest.approx(list(recall), rel=1e-12)
        # the diagonal over all examples is the accuracy the engine computed on its own path
        assert np.trace(expected) / expected.sum() == pytest.approx(metrics[f"{split}_accuracy"], rel=1e-12)


@pytest.mark.xdist_group("digits_run")  # the fixture run is made once, on one xdist worker
def test_a_multi_class_run_has_confusion_png_and_a_per_class_table(digits_run):
    image = read_png(digits_run.run_dir / "confusion.png")
    assert image.shape[0] > 500 and image.shape[1] > 500
    report = (digits_run.run_dir / "report.md").read_text()
    assert "## Accuracy per class" in report and "![confusion.png](confusion.png)" in report
    metrics = json.loads((digits_run.run_dir / "metrics.json").read_text())
    rows = [line for line in report.splitlines() if line.startswith("| 7 |")]
    train_acc, test_acc = metrics["per_class_accuracy"]["train"]["7"], metrics["per_class_accuracy"]["test"]["7"]
    n_train, n_test = (sum(metrics["confusion"][s][7]) for s in ("train", "test"))
    assert rows == [f"| 7 | {train_acc:.4f} | {test_acc:.4f} | {n_train} | {n_test} |"]


def test_per_class_accuracy_is_the_diagonal_over_the_row():
    acc = pipeline.per_class_accuracy({"train": [[2, 1, 0], [0, 0, 0], [1, 0, 3]]}, ("a", "b", "c"))
    assert acc == {"train": {"a": 2 / 3, "b": None, "c": 3 / 4}}


def test_a_two_class_run_has_no_confusion_matrix(tmp_path):
    result = train(validate({"data": {"name": "moons", "n_samples": 40, "n_test": 20}, "training": {"epochs": 2}}), tmp_path)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert "confusion" not in metrics and "per_class_accuracy" not in metrics
    assert not (result.run_dir / "confusion.png").exists()
