"""Selecting the best of a few systems with a guaranteed probability of correct selection.

The procedures here work on any simulated systems, through one function, the *sampler*:
``sample(requests)`` takes ``(system, replication)`` pairs and returns one output per pair.
Replication *r* of every system uses the same random numbers (common random numbers), so the
outputs of two systems at the same replication are paired. :mod:`sim.experiment.selection`
gives the sampler that runs scenarios on the backends; tests use normal outputs with known
means, variances and correlation.

**Kim–Nelson (KN).** The fully sequential procedure of Kim & Nelson (2001, "A fully sequential
procedure for indifference-zone selection in simulation", ACM TOMACS 11(3):251–273), with
common random numbers. Given an indifference zone δ > 0 and a probability of correct selection
``pcs`` = 1 − α, it guarantees that with probability at least 1 − α it selects the best
system whenever the best is at least δ better than every other (and a system within δ of the
best otherwise):

1. Take ``n0`` replications of every system; for every pair, ``S²_il`` is the sample variance
   of the *pairwise differences* ``X_ij − X_lj`` over those replications (common random numbers
   make it small when the systems respond alike).
2. ``η = ½[(2α/(k−1))^(−2/(n0−1)) − 1]`` and ``h² = 2η(n0−1)``.
3. At stage ``r`` system *i* is eliminated if, for some surviving *l*, the running sum of
   differences falls below the triangular continuation region:
   ``Σ_{j≤r} (X_ij − X_lj) < −max(0, h²S²_il/(2δ) − δr/2)``.
4. Stop when one system survives; otherwise take one more replication of every survivor. The
   region of a pair closes at ``r = h²S²_il/δ²``; when every surviving pair's region is closed
   the survivors are tied to within the data and the one with the best mean is selected.

Decisions are taken stage by stage in replication order; a sampler may run several stages ahead
in one batch (to keep parallel workers busy), and outputs beyond the stopping point are simply
not used, so the outcome does not depend on the batch size.

**Equal allocation.** Without elimination, the same guarantee with the same variance estimates
needs every system run until every pair's region has closed: ``max(n0, ⌈h²·max_{i≠l}
S²_il/δ²⌉)`` replications of each system, ``k`` times that in all (the number reported as
``equal_allocation_replications``).

**Multiple comparisons with the best.** Hsu's (1984, Annals of Statistics 12:1136–1144)
constrained intervals for ``μ_i − max_{l≠i} μ_l``, computed as Nelson & Matejcik (1995,
Management Science 41:1935–1945) do for common random numbers: each pair's difference on the
replications both systems share, with a Student-t half-width ``w_il`` at ``1 − α/(k−1)``
(Bonferroni), and ``[min(0, min_l(D_il − w_il)), max(0, min_l(D_il + w_il))]``. They are
computed after the procedure has stopped, from the data that decided when it stopped, so
their coverage is approximate. For a KPI where lower is better the intervals are for
``μ_i − min_{l≠i} μ_l``.

The OCBA procedure for a fixed budget is in :mod:`sim.experiment.ocba`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

# ``sample([(system, replication), ...])`` -> one output per request, in request order.
Sampler = Callable[[Sequence[tuple[int, int]]], Sequence[float]]
# Stages to request at once, given the number of surviving systems.
BatchStages = Callable[[int], int]

DEFAULT_N0 = 10
DEFAULT_MAX_REPS = 1000


@dataclass
class SelectionOutcome:
    """What a selection procedure did: the system chosen, every output it used (in the KPI's
    own sign, one array per system, replications ``0 .. n_i − 1``), the stage at which each
    other system was eliminated, and the replications equal allocation would have needed."""

    method: str
    best: int
    outputs: list[np.ndarray]
    maximise: bool
    pcs: float
    delta: float
    equal_allocation: int
    eliminated_at: list[int | None] = field(default_factory=list)
    eta: float = float("nan")
    h2: float = float("nan")
    variances: np.ndarray | None = None
    capped: bool = False
    requested: int = 0

    @property
    def replications(self) -> list[int]:
        """Replications used per system."""
        return [len(x) for x in self.outputs]

    @property
    def k(self) -> int:
        """Number of systems."""
        return len(self.outputs)


def check_pcs(pcs: float, k: int) -> None:
    """Raise ``ValueError`` unless ``1/k < pcs < 1`` (below ``1/k`` a guess does better)."""
    if not (1.0 / k < pcs < 1.0):
        raise ValueError(f"must be between 1/k = {1.0 / k:.3g} and 1")


def kn_constants(k: int, pcs: float, n0: int) -> tuple[float, float]:
    """``(η, h²)`` of the KN procedure for ``k`` systems, PCS ``pcs`` and first stage ``n0``."""
    alpha = 1.0 - pcs
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return eta, 2.0 * eta * (n0 - 1)


def equal_allocation(k: int, n0: int, h2: float, variances: np.ndarray, delta: float) -> int:
    """Replications, in all, that equal allocation needs for KN's guarantee:
    ``k · max(n0, ⌈h²·max S²_il / δ²⌉)``."""
    largest = float(np.max(variances)) if variances.size else 0.0
    return k * max(n0, math.ceil(h2 * largest / delta**2))


class _Buffer:
    """Outputs fetched so far, per system in replication order, in the 'higher is better'
    sign."""

    def __init__(self, sample: Sampler, k: int, sign: float) -> None:
        self.sample = sample
        self.sign = sign
        self.values: list[list[float]] = [[] for _ in range(k)]
        self.requested = 0

    def extend(self, systems: Sequence[int], upto: int) -> None:
        requests = [(i, r) for r in range(min(len(self.values[i]) for i in systems), upto)
                    for i in systems if r >= len(self.values[i])]
        if not requests:
            return
        got = list(self.sample(requests))
        if len(got) != len(requests):
            raise ValueError(f"the sampler returned {len(got)} outputs for {len(requests)} "
                             "requests")
        self.requested += len(requests)
        for (i, r), value in zip(requests, got, strict=True):
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"system {i} replication {r} gave a non-finite output "
                                 f"({value})")
            assert r == len(self.values[i])
            self.values[i].append(self.sign * value)


def kim_nelson(sample: Sampler, k: int, delta: float, pcs: float, *, maximise: bool = True,
               n0: int = DEFAULT_N0, max_reps: int = DEFAULT_MAX_REPS,
               batch_stages: BatchStages | int = 1) -> SelectionOutcome:
    """Select the best of ``k`` systems with KN (see the module docstring).

    ``batch_stages`` (a number, or a function of the number of survivors) says how many stages
    to request from the sampler at once. ``max_reps`` caps the replications of any system; a
    selection stopped by the cap has no guarantee (``capped`` is set) and picks the surviving
    system with the best mean.
    """
    if k < 2:
        raise ValueError("needs at least two systems")
    if not delta > 0:
        raise ValueError("delta must be positive")
    check_pcs(pcs, k)
    if n0 < 2:
        raise ValueError("n0 must be at least 2")
    max_reps = max(max_reps, n0)
    stages = batch_stages if callable(batch_stages) else (lambda _alive: int(batch_stages))
    sign = 1.0 if maximise else -1.0
    buffer = _Buffer(sample, k, sign)
    everyone = list(range(k))
    buffer.extend(everyone, n0)
    first = np.array([buffer.values[i][:n0] for i in everyone])
    variances = np.zeros((k, k))
    for i in everyone:
        for j in everyone:
            if i != j:
                variances[i, j] = float(np.var(first[i] - first[j], ddof=1))
    eta, h2 = kn_constants(k, pcs, n0)
    alive = everyone
    eliminated: list[int | None] = [None] * k
    sums = first.sum(axis=1)
    r = n0
    capped = False

    def half(i: int, j: int, stage: int) -> float:
        return max(0.0, h2 * variances[i, j] / (2 * delta) - delta * stage / 2)

    while True:
        survivors = [i for i in alive
                     if all(sums[i] - sums[j] >= -half(i, j, r) for j in alive if j != i)]
        for i in alive:
            if i not in survivors:
                eliminated[i] = r
        alive = survivors
        closed = all(half(i, j, r) == 0.0 for i in alive for j in alive if j != i)
        if len(alive) == 1 or closed or r >= max_reps:
            capped = len(alive) > 1 and not closed
            break
        if any(len(buffer.values[i]) <= r for i in alive):
            ahead = max(1, int(stages(len(alive))))
            buffer.extend(alive, min(r + ahead, max_reps))
        for i in alive:
            sums[i] += buffer.values[i][r]
        r += 1
    best = max(alive, key=lambda i: (sums[i] / r, -i))
    used = [np.array(buffer.values[i][:(eliminated[i] or r)]) * sign for i in everyone]
    return SelectionOutcome(method="kn", best=best, outputs=used, maximise=maximise, pcs=pcs,
                            delta=delta,
                            equal_allocation=equal_allocation(k, n0, h2, variances, delta),
                            eliminated_at=eliminated, eta=eta, h2=h2, variances=variances,
                            capped=capped, requested=buffer.requested)


def mcb_intervals(outputs: Sequence[np.ndarray], pcs: float, maximise: bool = True
                  ) -> list[tuple[float, float]]:
    """Hsu's constrained intervals for ``μ_i − max_{l≠i} μ_l`` (``min`` when lower is better),
    from paired differences on shared replications (see the module docstring)."""
    k = len(outputs)
    sign = 1.0 if maximise else -1.0
    values = [sign * np.asarray(x, dtype=float) for x in outputs]
    level = 1.0 - (1.0 - pcs) / (k - 1)
    intervals = []
    for i in range(k):
        lows, highs = [], []
        for j in range(k):
            if j == i:
                continue
            m = min(len(values[i]), len(values[j]))
            d = values[i][:m] - values[j][:m]
            width = float(stats.t.ppf(level, m - 1) * np.std(d, ddof=1) / math.sqrt(m)) \
                if m > 1 else math.inf
            lows.append(float(d.mean()) - width)
            highs.append(float(d.mean()) + width)
        low, high = min(0.0, min(lows)), max(0.0, min(highs))
        intervals.append((low, high) if maximise else (-high, -low))
    return intervals
