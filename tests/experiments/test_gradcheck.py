"""`dnn gradcheck`: the course's numbers, every engine variant passes, injected bugs are named."""

import json

import pytest

from dnncli.engine.activations import ACTIVATIONS, SigmoidOutput, SoftmaxOutput
from dnncli.engine.network import Network
from dnncli.errors import ConfigError
from dnncli.experiments import gradcheck as gc
from tests.invoke import dnn as invoke
from tests.invoke import no_traceback


def failing(report):
    return {t.name for t in report.tensors if not t.passed}


def test_three_layer_gives_the_course_numbers():
    problem = gc.three_layer()
    assert problem.theta.size == 47
    report = gc.check(problem)
    assert report.cost == pytest.approx(2.407833389834357, rel=1e-14)
    assert 1.15e-7 < report.difference < 1.25e-7  # the course: about 1.189e-07 at epsilon 1e-7
    assert report.passed and report.mode == "full" and not failing(report)


def test_the_course_bugs_are_caught_and_named():
    problem = gc.three_layer()
    g = gc.backprop(problem)
    views = problem.network.layout.views(g)
    views["W2"][...] *= 2  # dW2 multiplied by 2
    views["b1"][...] *= 4  # db1 computed with 4/m instead of 1/m
    report = gc.check(problem, grad=g)
    assert report.difference == pytest.approx(0.2850931567761623, rel=1e-6)
    assert not report.passed and failing(report) == {"W2", "b1"}


def test_a_missing_l2_term_is_caught_in_the_weights():
    problem = gc.deep()
    without_l2 = Network(problem.network.sizes, problem.network.activation, problem.network.output)
    g = gc.backprop(gc.Problem(without_l2, problem.theta, problem.X, problem.Y, ""))
    report = gc.check(problem, grad=g)
    assert not report.passed
    assert failing(report) == {f"W{l}" for l in range(1, 6)}


@pytest.mark.parametrize("name", gc.MODELS.names())
def test_every_named_model_passes(name):
    report = gc.check(gc.MODELS.get(name)())
    assert report.passed, [(t.name, t.share) for t in report.tensors]


@pytest.mark.parametrize("activation", ACTIVATIONS.names())
@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("lambd", [0.0, 0.7])
@pytest.mark.parametrize("keep_prob", [None, [0.7, 0.9]])
def test_every_engine_variant_passes_the_full_check(activation, output, lambd, keep_prob):
    sizes = [3, 5, 4, 1] if output == "sigmoid" else [3, 5, 4, 3]
    problem = gc.random_problem(sizes, ACTIVATIONS.get(activation)(), SigmoidOutput() if output == "sigmoid" else SoftmaxOutput(),
                                 lambd=lambd, keep_prob=keep_prob, seed=5)
    report = gc.check(problem)
    assert report.passed, (report.difference, [(t.name, t.share) for t in report.tensors])
    assert ("dropout masks held fixed" in " ".join(report.notes)) == (keep_prob is not None)


def test_directional_mode_and_the_automatic_choice(monkeypatch):
    problem = gc.deep()
    report = gc.check(problem, mode="directional", directions=5)
    assert report.mode == "directional" and len(report.directions) == 5 and report.passed
    g = gc.backprop(problem)
    g[3] += 1.0  # one wrong entry is seen from random directions too
    assert not gc.check(problem, mode="directional", grad=g).passed
    monkeypatch.setattr(gc, "FULL_LIMIT", 10)
    auto = gc.check(problem)
    assert auto.mode == "directional" and "> 10" in auto.mode_reason


def test_relu_kinks_are_flagged_not_failed():
    problem = gc.three_layer()
    network, theta = problem.network, problem.theta.copy()
    # put one hidden unit's pre-activation exactly at 0 for the first example: Z1[0, 0] = W1[0] @ x0 + b1[0]
    views = network.layout.views(theta)
    views["b1"][0, 0] = -(views["W1"][0] @ problem.X[:, 0])
    report = gc.check(gc.Problem(network, theta, problem.X, problem.Y, "kink"))
    assert sum(t.kinks for t in report.tensors) > 0 and report.passed
    assert any("kink" in note for note in report.notes)


def dnn(*args):
    return invoke("gradcheck", *args)


def test_cli_exit_codes_and_json():
    ok = dnn("--model", "three_layer")
    assert ok.exit_code == 0 and "PASS" in ok.stdout and "1.19" in ok.stdout
    failed = dnn("--model", "three_layer", "--threshold", "1e-12")
    assert failed.exit_code == 1 and no_traceback(failed) and "FAIL" in failed.stdout
    bad = dnn("--model", "thre")
    assert bad.exit_code == 2 and no_traceback(bad) and "did you mean 'three_layer'" in bad.stderr
    assert dnn("--model", "deep", "--epsilon", "-1").exit_code == 2
    report = json.loads(dnn("--model", "softmax", "--json").stdout)
    assert report["passed"] and {t["name"] for t in report["tensors"]} == {"W1", "b1", "W2", "b2"}


def test_cli_checks_any_config():
    proc = dnn("--config", "configs/l2_overfit_moons.yaml", "--set", "model.hidden=[6,4]", "--examples", "10")
    assert proc.exit_code == 0, proc.output
    assert "PASS" in proc.stdout and "[2, 6, 4, 1]" in proc.stdout


def test_the_worst_entry_is_the_wrong_one():
    problem = gc.three_layer()
    g = gc.backprop(problem)
    problem.network.layout.views(g)["W2"][1, 3] += 1.0
    report = gc.check(problem, grad=g)
    (wrong,) = [t for t in report.tensors if not t.passed]
    assert (wrong.name, wrong.worst_index) == ("W2", (1, 3))


def test_a_big_network_with_a_large_l2_term_is_not_a_false_alarm():
    """6391 parameters and an L2 term of about 20: the L2 term must not drown the differences."""
    proc = dnn("--config", "configs/l2_overfit_moons.yaml", "--mode", "full")
    assert proc.exit_code == 0, proc.output
    assert "PASS" in proc.stdout and "6391 parameters" in proc.stdout


def test_two_forward_passes_per_checked_entry():
    """theta +- epsilon e_i: one forward pass each gives both the cost and the ReLU kink signs;
    beyond those 2P, one pass for back-propagation and one for the reported cost."""
    problem = gc.three_layer()
    calls = []
    real = problem.network.forward
    problem.network.forward = lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)
    report = gc.check(problem)
    assert report.passed and len(calls) == 2 * problem.theta.size + 2


def test_the_library_call_is_the_cli_one():
    import dnncli

    named = dnncli.gradcheck("three_layer")
    assert named.passed and named.n_parameters == 47  # 5*4+5 + 3*5+3 + 1*3+1
    assert named.difference == gc.check(gc.three_layer()).difference
    from_config = dnncli.gradcheck(config="configs/adam_moons.yaml", overrides=["model.hidden=[3]"], examples=5)
    assert from_config.passed and from_config.n_parameters == 3 * 3 + 4  # [2, 3, 1]: W1 3x2, b1, W2 1x3, b2
    with pytest.raises(ConfigError, match="exactly one"):
        dnncli.gradcheck()
