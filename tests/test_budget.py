"""The memory budget: the estimate's terms by hand, sizes, the environment override, the K axis."""

import os

import pytest

from dnncli import budget
from dnncli.build import build_dataset
from dnncli.config import validate
from dnncli.errors import BudgetError, DnnError


def test_estimate_terms_by_hand():
    # sizes 2-3-1, m_train 10, m_test 4, batch 5, epochs 7, eval_every 3, K = 2
    est = budget.estimate([2, 3, 1], 10, 4, 5, 7, k=2, eval_every=3)
    # P = 3 * (2 + 1) + 1 * (3 + 1) = 13
    assert budget.n_parameters([2, 3, 1]) == 13
    assert budget.n_parameters([2, 3, 1], batchnorm=True) == 13 + 2 * 3
    assert est.terms == {
        "data": 8 * 3 * 14 * 2,  # 672
        "parameters": 8 * 2 * 13 * 2,  # 416
        "optimizer state": 8 * 2 * 13 * 2,  # 416
        "batch workspace": 8 * 2 * (36 * 5 + 10),  # 6 * (2 + 3 + 1) = 36 per example: 3040
        "full-data workspace": 8 * 2 * 36 * 10,  # 5760
        "history": 8 * 2 * (14 + 4 * 3),  # 7 // 3 + 1 = 3 evaluations: 416
    }
    assert est.total == 10720


def test_full_batch_uses_every_example():
    assert budget.estimate([2, 1], 10, 0, None, 1).terms["batch workspace"] == 8 * (6 * 3 * 10 + 10)


@pytest.mark.parametrize("text,expected", [("4GiB", 4 * 1024**3), ("2GB", 2 * 10**9), ("1e9", 10**9),
                                           ("512", 512), (" 1.5 MiB ", 1572864), ("3kib", 3072)])
def test_parse_size(text, expected):
    assert budget.parse_size(text) == expected


@pytest.mark.parametrize("text", ["lots", "0", "-5GB", "4 GiB GiB", "1e999", "nan"])
def test_parse_size_refuses(text):
    with pytest.raises(DnnError, match="DNN_MEMORY_BUDGET"):
        budget.parse_size(text)


def test_the_default_budget_is_half_the_physical_memory(monkeypatch):
    monkeypatch.delenv("DNN_MEMORY_BUDGET", raising=False)
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    value, source = budget.memory_budget()
    assert value <= physical // 2 + 1 and "half" in source
    monkeypatch.setenv("DNN_MEMORY_BUDGET", "3GiB")
    assert budget.memory_budget()[0] == 3 * 2**30


def test_check_refuses_over_budget_only(monkeypatch):
    monkeypatch.setenv("DNN_MEMORY_BUDGET", "10720")
    est = budget.estimate([2, 3, 1], 10, 4, 5, 7, k=2, eval_every=3)  # 10720 bytes, by hand above
    budget.check(est)
    monkeypatch.setenv("DNN_MEMORY_BUDGET", "10719")
    with pytest.raises(BudgetError, match=r"10.5 KiB .*full-data workspace 5.6 KiB \(data, model.hidden\)"):
        budget.check(est)


def test_a_stack_of_k_models_multiplies_the_per_model_terms(monkeypatch):
    monkeypatch.setenv("DNN_MEMORY_BUDGET", "1GiB")
    config = validate({"training": {"epochs": 10}})
    dataset = build_dataset(config)
    budget.check_run(config, dataset, k=1)
    with pytest.raises(BudgetError, match="stack of 100000 models"):
        budget.check_run(config, dataset, k=100_000)


def test_human_sizes():
    assert budget.human(512) == "512 bytes"
    assert budget.human(1536) == "1.5 KiB"
    assert budget.human(3 * 2**40) == "3.0 TiB"
    assert budget.human(10**400) == "10^400 bytes"
