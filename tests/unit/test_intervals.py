"""Confidence intervals of sim.experiment.intervals against SciPy's own t-tests.

The paired interval and p-value are those of ``scipy.stats.ttest_rel`` on ``b`` and ``a``, the
unpaired half-width that of Welch's ``ttest_ind(..., equal_var=False)``; pairs with a
non-finite value are dropped whole; on positively correlated samples pairing narrows the
interval.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.experiment.intervals import paired_difference, t_half_width, welch_half_width

RNG = np.random.default_rng(11)
COMMON = RNG.normal(0.0, 1.0, 9)
A = 2.0 + COMMON + RNG.normal(0.0, 0.2, 9)
B = 2.4 + COMMON + RNG.normal(0.0, 0.2, 9)


def test_paired_interval_and_p_value_are_scipys_paired_t_test():
    result = paired_difference(A, B)
    test = stats.ttest_rel(B, A)
    low, high = test.confidence_interval(0.95)
    assert result.n == 9
    assert result.diff == pytest.approx(float(np.mean(B - A)))
    assert (result.low, result.high) == (pytest.approx(low), pytest.approx(high))
    assert result.p_value == pytest.approx(test.pvalue)
    assert result.significant


def test_unpaired_half_width_is_welchs():
    low, high = stats.ttest_ind(B, A, equal_var=False).confidence_interval(0.95)
    assert welch_half_width(A, B) == pytest.approx((high - low) / 2)
    assert paired_difference(A, B).ci95_unpaired == pytest.approx((high - low) / 2)


def test_pairing_narrows_the_interval_on_correlated_samples():
    result = paired_difference(A, B)
    assert 0 < result.ratio < 0.5
    shuffled = paired_difference(A, RNG.permutation(B))  # pairing broken: no gain to expect
    assert shuffled.ci95 > result.ci95


def test_pairs_with_a_non_finite_value_are_dropped_whole():
    a, b = A.copy(), B.copy()
    a[2], b[5] = math.nan, math.inf
    kept = np.ones(9, dtype=bool)
    kept[[2, 5]] = False
    assert paired_difference(a, b) == paired_difference(A[kept], B[kept])


def test_one_mean_half_width_is_the_t_interval():
    low, high = stats.t.interval(0.95, len(A) - 1, loc=A.mean(), scale=stats.sem(A))
    assert t_half_width(A) == pytest.approx((high - low) / 2)
    assert math.isnan(t_half_width(np.array([1.0])))
