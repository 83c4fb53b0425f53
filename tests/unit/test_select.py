"""Selection procedures on problems with known means: normal outputs with chosen means,
variances and correlation, drawn on common random numbers (replication r of every system is
one draw of a multivariate normal vector)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.experiment.ocba import apcs, ocba, ocba_ratios
from sim.experiment.select import equal_allocation, kim_nelson, kn_constants, mcb_intervals

MACRO = 200


class NormalProblem:
    """Systems with ``means``, standard deviation ``sd`` and pairwise correlation ``rho``;
    replication ``r`` of macro-replication ``seed`` is the same vector whoever asks."""

    def __init__(self, means: list[float], sd: float, rho: float, seed: int) -> None:
        self.means = np.array(means, dtype=float)
        k = len(means)
        self.cov = sd**2 * (rho * np.ones((k, k)) + (1 - rho) * np.eye(k))
        self.seed = seed
        self.asked: list[tuple[int, int]] = []
        self.drawn: dict[int, np.ndarray] = {}

    def vector(self, replication: int) -> np.ndarray:
        if replication not in self.drawn:
            rng = np.random.default_rng([self.seed, replication])
            self.drawn[replication] = rng.multivariate_normal(self.means, self.cov,
                                                              method="cholesky")
        return self.drawn[replication]

    def __call__(self, requests):
        self.asked += list(requests)
        return [float(self.vector(r)[i]) for i, r in requests]


def binomial_floor(p: float, n: int) -> float:
    """The nominal probability less two binomial standard errors."""
    return p - 2 * math.sqrt(p * (1 - p) / n)


def test_kn_constants_follow_the_published_formula():
    # Kim & Nelson (2001): eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2
    eta, h2 = kn_constants(k=4, pcs=0.95, n0=10)
    assert eta == pytest.approx(0.5 * ((0.1 / 3) ** (-2 / 9) - 1))
    assert h2 == pytest.approx(2 * eta * 9)


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_kn_selects_the_best_at_least_as_often_as_promised(rho):
    """Slippage configuration (the least favourable for KN): the best is exactly delta ahead of
    four others."""
    delta, pcs = 0.5, 0.95
    means = [delta, 0.0, 0.0, 0.0, 0.0]
    correct = 0
    for seed in range(MACRO):
        outcome = kim_nelson(NormalProblem(means, 1.0, rho, seed), 5, delta, pcs, n0=10)
        correct += outcome.best == 0
        assert not outcome.capped
    assert correct / MACRO >= binomial_floor(pcs, MACRO)


def test_kn_selects_the_lowest_when_lower_is_better():
    means = [3.0, 1.0, 2.0]
    correct = sum(kim_nelson(NormalProblem(means, 1.0, 0.5, seed), 3, 0.5, 0.9,
                             maximise=False).best == 1 for seed in range(MACRO))
    assert correct / MACRO >= binomial_floor(0.9, MACRO)


def test_kn_spends_fewer_replications_than_equal_allocation_and_fewer_with_correlation():
    means = [1.5, 1.0, 0.5, 0.0]
    spent = {0.0: [], 0.8: []}
    equal = {0.0: [], 0.8: []}
    for rho in spent:
        for seed in range(50):
            outcome = kim_nelson(NormalProblem(means, 1.0, rho, seed), 4, 0.25, 0.95)
            assert outcome.best == 0
            spent[rho].append(sum(outcome.replications))
            equal[rho].append(outcome.equal_allocation)
    for rho in spent:
        assert np.mean(spent[rho]) < 0.5 * np.mean(equal[rho])
    # pairwise-difference variances: 2(1 - rho) = 0.4 instead of 2
    assert np.mean(spent[0.8]) < 0.5 * np.mean(spent[0.0])


def test_kn_outcome_does_not_depend_on_how_many_stages_are_fetched_at_once():
    means = [0.3, 0.0, 0.2]
    one = kim_nelson(NormalProblem(means, 1.0, 0.3, 7), 3, 0.2, 0.95, batch_stages=1)
    many = kim_nelson(NormalProblem(means, 1.0, 0.3, 7), 3, 0.2, 0.95, batch_stages=7)
    assert one.best == many.best
    assert one.replications == many.replications
    assert one.eliminated_at == many.eliminated_at
    for a, b in zip(one.outputs, many.outputs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_kn_uses_common_replication_numbers():
    problem = NormalProblem([1.0, 0.0, 0.5], 1.0, 0.5, 3)
    outcome = kim_nelson(problem, 3, 0.3, 0.95)
    for i, used in enumerate(outcome.replications):
        asked = sorted(r for s, r in problem.asked if s == i)
        assert asked[:used] == list(range(used))
        np.testing.assert_array_equal(outcome.outputs[i],
                                      [problem.vector(r)[i] for r in range(used)])


def test_identical_systems_stop_when_the_continuation_region_closes():
    means = [0.0, 0.0]
    problem = NormalProblem(means, 1.0, 0.0, 1)
    twins = lambda requests: [problem.vector(r)[0] for _, r in requests]  # noqa: E731
    outcome = kim_nelson(twins, 2, 0.1, 0.9)
    assert outcome.replications == [10, 10]
    assert outcome.equal_allocation == 20
    assert outcome.best == 0


def test_cap_is_reported():
    outcome = kim_nelson(NormalProblem([0.0, 0.0], 1.0, 0.0, 2), 2, 0.01, 0.95, max_reps=30)
    assert outcome.capped
    assert max(outcome.replications) == 30


def test_equal_allocation_formula():
    variances = np.array([[0.0, 2.0], [2.0, 0.0]])
    assert equal_allocation(2, 10, 5.0, variances, 0.5) == 2 * math.ceil(5.0 * 2.0 / 0.25)
    assert equal_allocation(2, 10, 5.0, variances, 100.0) == 20


@pytest.mark.parametrize("bad", [0.2, 1.0, 1.5])
def test_pcs_outside_one_over_k_and_one_is_refused(bad):
    with pytest.raises(ValueError, match="between 1/k"):
        kim_nelson(NormalProblem([0.0] * 4, 1.0, 0.0, 0), 4, 0.1, bad)


def test_mcb_intervals_cover_the_true_differences_simultaneously():
    means = np.array([1.0, 0.8, 0.2])
    truth = [means[i] - max(np.delete(means, i)) for i in range(3)]
    covered = 0
    for seed in range(MACRO):
        problem = NormalProblem(list(means), 1.0, 0.5, seed)
        outputs = [np.array([problem.vector(r)[i] for r in range(15)]) for i in range(3)]
        intervals = mcb_intervals(outputs, 0.95)
        covered += all(lo <= t <= hi for (lo, hi), t in zip(intervals, truth, strict=True))
        assert all(lo <= 0 <= hi for lo, hi in intervals)  # Hsu's constrained form
    assert covered / MACRO >= binomial_floor(0.95, MACRO)


def test_mcb_for_lower_is_better_mirrors_higher():
    rng = np.random.default_rng(5)
    outputs = [rng.normal(m, 1, 12) for m in (0.0, 1.0, 2.0)]
    up = mcb_intervals(outputs, 0.9)
    down = mcb_intervals([-x for x in outputs], 0.9, maximise=False)
    for (lo, hi), (dlo, dhi) in zip(up, down, strict=True):
        assert (dlo, dhi) == pytest.approx((-hi, -lo))


def test_ocba_spends_the_budget_on_the_close_competitors():
    means = [1.0, 0.9, 0.0, -1.0]
    correct = 0
    counts = np.zeros(4)
    for seed in range(100):
        outcome = ocba(NormalProblem(means, 1.0, 0.0, seed), 4, 400, 0.05, n0=10)
        assert sum(outcome.replications) == 400
        correct += outcome.best == 0
        counts += outcome.replications
        assert 0 <= outcome.pcs <= 1
    assert counts[0] > counts[2] > counts[3]
    assert counts[1] > counts[2]
    assert correct / 100 >= 0.7  # APCS at this budget is about 0.8


def test_ocba_ratios_match_chen_et_al():
    means = np.array([2.0, 1.0, 0.0])
    sds = np.array([1.0, 1.0, 2.0])
    ratios = ocba_ratios(means, sds)
    # N_1 / N_2 = (s1/d1)^2 / (s2/d2)^2 = (1/1)^2 / (2/2)^2 = 1 ; N_b = s_b sqrt(sum N_i^2/s_i^2)
    assert ratios[1] == pytest.approx(ratios[2])
    assert ratios[0] == pytest.approx(math.sqrt(ratios[1] ** 2 + ratios[2] ** 2 / 4))


def test_apcs_grows_with_replications():
    means, variances = np.array([1.0, 0.5]), np.array([1.0, 1.0])
    assert apcs(means, variances, np.array([5, 5]), 0.0) \
        < apcs(means, variances, np.array([50, 50]), 0.0)
