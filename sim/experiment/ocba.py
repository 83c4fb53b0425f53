"""Optimal computing budget allocation (OCBA) for selecting the best under a fixed budget.

Chen, Lin, Yücesan & Chick (2000, "Simulation budget allocation for further enhancing the
efficiency of ordinal optimization", Discrete Event Dynamic Systems 10:251–270): with a fixed
total of replications, spend them where they most raise the approximate probability of correct
selection. After ``n0`` replications of every system, each round adds ``step`` replications,
allocated so that the counts approach the asymptotically optimal ratios

    N_i / N_j = (s_i / d_i)² / (s_j / d_j)²   for i, j ≠ b,      N_b = s_b · √(Σ_{i≠b} N_i² / s_i²),

where ``b`` is the current best sample mean, ``s_i`` a system's sample standard deviation and
``d_i = X̄_b − X̄_i``. The budget is spent in full; OCBA gives no guaranteed probability, so the
figure reported as ``pcs`` is the Bonferroni approximation APCS-B of Chen et al. that the
selected system is within δ of the best,

    APCS = 1 − Σ_{i≠b} Φ(−(X̄_b − X̄_i + δ) / √(s_b²/N_b + s_i²/N_i)),

and the equal allocation reported is the smallest ``k·n`` with ``n`` replications of every
system giving the same APCS at the same means and variances. The allocation uses each system's
own variance, as in the paper; common random numbers still make the replications of two systems
paired (replication *r* of each is the same draw), which the intervals of
:func:`sim.experiment.select.mcb_intervals` use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.experiment.select import DEFAULT_N0, Sampler, SelectionOutcome

MAX_EQUAL = 10**7


def _normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def ocba_ratios(means: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """OCBA's allocation ratios (summing to 1) for sample ``means`` (higher is better) and
    standard deviations; equal ratios when the data cannot tell systems apart."""
    k = len(means)
    best = int(np.argmax(means))
    gaps = means[best] - means
    others = [i for i in range(k) if i != best]
    positive = gaps[others][gaps[others] > 0]
    if not positive.size or not np.any(sds > 0):
        return np.full(k, 1.0 / k)
    floor = float(positive.min()) * 1e-3  # a system tied with the best gets a large share
    ratios = np.zeros(k)
    for i in others:
        ratios[i] = (sds[i] / max(gaps[i], floor)) ** 2
    weighted = sum(ratios[i] ** 2 / sds[i] ** 2 for i in others if sds[i] > 0)
    ratios[best] = sds[best] * math.sqrt(weighted)
    total = ratios.sum()
    return ratios / total if total > 0 else np.full(k, 1.0 / k)


def apcs(means: np.ndarray, variances: np.ndarray, counts: np.ndarray, delta: float) -> float:
    """APCS-B: the approximate probability that the best sample mean is within ``delta`` of the
    best true mean (higher is better)."""
    best = int(np.argmax(means))
    miss = 0.0
    for i in range(len(means)):
        if i == best:
            continue
        margin = means[best] - means[i] + delta
        spread = math.sqrt(variances[best] / counts[best] + variances[i] / counts[i])
        miss += _normal_cdf(-margin / spread) if spread > 0 else float(margin <= 0)
    return max(0.0, 1.0 - miss)


def equal_for(means: np.ndarray, variances: np.ndarray, delta: float, target: float,
              n0: int) -> int:
    """Smallest ``k·n`` (``n ≥ n0``) whose equal allocation reaches APCS ``target``."""
    k = len(means)

    def reached(n: int) -> bool:
        return apcs(means, variances, np.full(k, n), delta) >= target

    low, high = n0, n0
    while not reached(high):
        if high >= MAX_EQUAL:
            return k * MAX_EQUAL
        low, high = high, high * 2
    while low < high:  # the smallest n in (low, high] that reaches the target
        middle = (low + high) // 2
        if reached(middle):
            high = middle
        else:
            low = middle + 1
    return k * high


def _spread(shortfall: np.ndarray, amount: int) -> np.ndarray:
    """``amount`` replications, one at a time to the largest remaining shortfall."""
    extra = np.zeros(len(shortfall), dtype=int)
    gap = shortfall.astype(float).copy()
    for _ in range(amount):
        i = int(np.argmax(gap))
        extra[i] += 1
        gap[i] -= 1.0
    return extra


def ocba(sample: Sampler, k: int, budget: int, delta: float, *, maximise: bool = True,
         n0: int = DEFAULT_N0, step: int | None = None) -> SelectionOutcome:
    """Spend ``budget`` replications in all on ``k`` systems with OCBA and select the best
    sample mean (see the module docstring). ``step`` replications are added per round
    (default ``k``)."""
    if k < 2:
        raise ValueError("needs at least two systems")
    if n0 < 2:
        raise ValueError("n0 must be at least 2")
    if budget < k * n0:
        raise ValueError(f"must be at least k·n0 = {k * n0}")
    if not delta > 0:
        raise ValueError("delta must be positive")
    step = max(1, step or k)
    sign = 1.0 if maximise else -1.0
    values: list[list[float]] = [[] for _ in range(k)]

    def fetch(requests: Sequence[tuple[int, int]]) -> None:
        got = list(sample(requests))
        for (i, r), value in zip(requests, got, strict=True):
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"system {i} replication {r} gave a non-finite output "
                                 f"({value})")
            values[i].append(sign * value)

    fetch([(i, r) for r in range(n0) for i in range(k)])
    spent = k * n0
    while spent < budget:
        means = np.array([np.mean(v) for v in values])
        sds = np.array([np.std(v, ddof=1) for v in values])
        counts = np.array([len(v) for v in values])
        amount = min(step, budget - spent)
        desired = ocba_ratios(means, sds) * (spent + amount)
        extra = _spread(desired - counts, amount)
        fetch([(i, counts[i] + j) for i in range(k) for j in range(extra[i])])
        spent += amount
    means = np.array([np.mean(v) for v in values])
    variances = np.array([np.var(v, ddof=1) for v in values])
    counts = np.array([len(v) for v in values])
    chance = apcs(means, variances, counts, delta)
    best = int(np.argmax(means))
    return SelectionOutcome(method="ocba", best=best,
                            outputs=[sign * np.array(v) for v in values], maximise=maximise,
                            pcs=chance, delta=delta,
                            equal_allocation=equal_for(means, variances, delta, chance, n0),
                            eliminated_at=[None] * k, requested=budget)
