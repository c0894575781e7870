"""`dnn compare --tune-lr N`: the same budget of learning rates per arm, chosen on validation data."""

import json
from types import SimpleNamespace

import pytest

from dnncli.errors import ConfigError
from dnncli.experiments import lr_tuning
from dnncli.experiments.compare import compare

TINY = ["training.epochs=60", "data.n_samples=120", "data.n_test=40"]


def test_each_arm_runs_its_seeds_at_its_best_validation_rate(tmp_path):
    result = compare(["gd", "adam"], overrides=TINY, seeds=2, jobs=1, out=tmp_path, tune_lr=3, lr_range="1e-3,1e-1",
                     plots=False)
    arms = result.summary["arms"]
    for name in ("gd", "adam"):
        tuning = arms[name]["lr_tuning"]
        rates = [c["learning_rate"] for c in tuning["candidates"]]
        assert rates == pytest.approx([1e-3, 1e-2, 1e-1])  # a log grid over --lr-range
        best = max(tuning["candidates"], key=lambda c: (c["val_accuracy"], -c["val_cost"], -c["learning_rate"]))
        assert arms[name]["learning_rate"] == tuning["learning_rate"] == best["learning_rate"]
        for seed_dir in result.out_dir.glob(f"{name}-seed*"):  # every seed trained at the chosen rate
            assert f"learning_rate: {best['learning_rate']}" in (seed_dir / "config.yaml").read_text()
    summary = json.loads((result.out_dir / "summary.json").read_text())
    assert "validation split" in summary["lr_protocol"] and "test set took no part" in summary["lr_protocol"]
    assert "Learning rates: Each arm first tried 3 learning rates" in (result.out_dir / "report.md").read_text()


def test_the_choice_ignores_diverged_candidates_and_breaks_ties_by_validation_cost(monkeypatch):
    arm = SimpleNamespace(name="a", config=SimpleNamespace(optimizer=SimpleNamespace(name="adam"),
                                                          to_dict=lambda: {"optimizer": {"name": "adam"}}))
    outcomes = [("completed", 0.9, 0.30), ("completed", 0.95, 0.25), ("completed", 0.95, 0.20), ("diverged", 0.99, 0.01)]
    fake = [SimpleNamespace(status=s, val_accuracy=a, val_cost=c) for s, a, c in outcomes]
    monkeypatch.setattr(lr_tuning, "validate", lambda raw: raw)
    monkeypatch.setattr(lr_tuning.pipeline, "run_configs", lambda configs, **kw: fake[: len(configs)])
    choice = lr_tuning.tune_learning_rates([arm], 4, (1e-3, 1.0))["a"]
    assert choice.learning_rate == pytest.approx(1e-1)  # 0.95 twice: the lower validation cost wins; 1.0 diverged
    assert lr_tuning.at_edge(choice.to_dict()) is None
    assert lr_tuning.at_edge({"learning_rate": 1.0, "candidates": [{"learning_rate": v} for v in (0.01, 0.1, 1.0)]}) == "high"


def test_the_default_grid_is_centred_on_each_optimizers_own_rate():
    assert lr_tuning.default_rate("adagrad") == 0.01 and lr_tuning.default_rate("rmsprop") == 0.001
    assert lr_tuning.log_rates(1e-4, 1e0, 5) == [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    assert lr_tuning.log_rates(7e-6, 7e-2, 8)[-1] == 0.07  # rounded: the printed rate is the rate trained


@pytest.mark.parametrize("kwargs, match", [
    ({"lr_range": "1e-3,1e-1"}, r"--lr-range: .* \(only with --tune-lr N\)"),
    ({"tune_lr": 3, "lr_range": "1,0.1"}, "0 < LOW < HIGH"),
    ({"tune_lr": 3, "lr_range": "fast"}, "LOW,HIGH"),
    ({"tune_lr": 0}, "--tune-lr: 0 is not allowed"),
])
def test_bad_tuning_options_are_one_line(kwargs, match, tmp_path):
    with pytest.raises(ConfigError, match=match):
        compare(["gd", "adam"], overrides=TINY, seeds=1, jobs=1, out=tmp_path / "out", **kwargs)
