"""The statistics of a comparison (dnncli/experiments/stats.py), against scipy.stats."""

import numpy as np
import pytest


def test_welch_and_ci_agree_with_scipy_stats_and_warn_nothing():
    """Checked against scipy.stats (an independent implementation), including an arm with no spread,
    where scipy.stats warns of catastrophic cancellation and ours must print nothing."""
    import warnings

    from scipy import stats as reference

    from dnncli.experiments.stats import describe, welch

    rng = np.random.default_rng(0)
    for case in range(60):
        a, b = rng.normal(size=2 + case % 5), rng.normal(0.5, 2.0, size=2 + case % 3)
        if case % 4 == 0:
            a = np.full(a.size, 0.87)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            p, described = welch(list(a), list(b)), describe(list(b))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = reference.ttest_ind(a, b, equal_var=False).pvalue
        assert p == pytest.approx(expected, rel=1e-10)
        low, high = reference.t.interval(0.95, b.size - 1, loc=b.mean(), scale=reference.sem(b))
        assert described["ci95"] == pytest.approx([low, high], rel=1e-12)
    assert welch([0.5, 0.5], [0.7, 0.7]) is None  # no spread in either arm: no test
