"""The delinquency lifecycle held against its absorbing Markov chain.

Seen only at statement due dates, an account that behaves the same way every cycle is a Markov
chain on seven states: current, the buckets 1 = 30–59 … 5 = 150–179 days past due, and charged
off. Here an account in bucket *b* pays its whole past-due amount during the cycle with
probability ``c_b`` (it cures: current at the next due date), pays nothing with probability
``r_b`` (it rolls to bucket *b* + 1; from bucket 5 it reaches 180 days past due and is charged
off), and otherwise pays exactly one minimum payment (it stays in *b*). A current account pays
its minimum every cycle, so current is absorbing, as charged off is. After *K* cycles the
shares of the seven states are row *B* of the *K*-th power of the transition matrix
(:func:`analytic_shares`): the standard absorbing-chain treatment of roll rates (Cyert, Davidson
& Thompson, *Estimation of the allowance for doubtful accounts by Markov chains*, Management
Science 8(3), 1962; Kemeny & Snell, *Finite Markov Chains*, 1960, ch. III).

:func:`simulate_shares` runs the model's own lifecycle code on that behaviour, with no agency
at work: the portfolio comes from :func:`sim.model.portfolio.accounts.draw_portfolio` on a
one-segment scenario, the accounts are placed by :func:`sim.model.bank.placement.place` (which
starts their lifecycle with :func:`sim.model.portfolio.lifecycle.enter`), payments go through
:meth:`~sim.model.portfolio.accounts.Accounts.pay`, and every day
:func:`sim.model.portfolio.lifecycle.advance` moves the lifecycle on, as
:func:`sim.model.run_replication` does (cardholders' payments first, then the lifecycle; a
current cardholder never misses a minimum: ``minimum_miss`` and ``unaffordable_minimum_miss``
= 0). The states at the end are
:func:`sim.model.portfolio.lifecycle.states`. Nothing of the mechanics — past-due amounts, days
past due, buckets, cures, rolls, charge-off — is re-implemented here.

The accounts enter on day 1 at 30·B + 1 days past due, so their last due date was day 0 and
they stood in bucket *B* on it; cycle *k* ends on day 30·k. In each cycle every delinquent
account draws what it does (one uniform against ``c_b`` and ``c_b + r_b``) and, if it pays, on
which day of the cycle (uniform over its 30 days, the due date included), so payments fall
before, on and between due dates. Balances are drawn between 5,000 and 50,000 with a minimum
payment of 0.5% of the balance, no interest and no fees, so no account can pay off its balance
by minimums within the longest run allowed (:data:`MAX_CYCLES`).

Random numbers: the portfolio from the model's own ``portfolio`` stream of
``Streams(seed)``; the cardholders' choices and the lifecycle's own draws from the two children
of ``numpy.random.SeedSequence(seed)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.config.loading import validate
from sim.config.schema import Scenario
from sim.model.bank import placement
from sim.model.codes import DELINQUENCY_LABELS, Delinquency
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams

BUCKETS = 5  # 30–59 … 150–179 days past due
CHAIN = (Delinquency.CURRENT, Delinquency.DPD_30_59, Delinquency.DPD_60_89,
         Delinquency.DPD_90_119, Delinquency.DPD_120_149, Delinquency.DPD_150_179,
         Delinquency.CHARGED_OFF)
"""The chain's states in order: current, buckets 1–5, charged off."""
CHAIN_LABELS = tuple(DELINQUENCY_LABELS[state] for state in CHAIN)
CHARGED_OFF = len(CHAIN) - 1
OUTSIDE = -1  # a lifecycle state the chain does not have (1–29 days past due)
CHARGE_OFF_DAYS = 180  # days past due at charge-off, the Uniform Retail Credit policy's
MAX_CYCLES = 120
MAX_ACCOUNTS = 1_000_000
TOLERANCE_SE = 4.0
EXACT = 1e-9  # below 1/accounts: a state the chain reaches with probability 0 or 1 must match
SUM_SLACK = 1e-12  # c_b + r_b may exceed 1 by rounding only

_TO_CHAIN = np.full(len(Delinquency), OUTSIDE, dtype=np.int64)
_TO_CHAIN[[int(state) for state in CHAIN]] = np.arange(len(CHAIN))

NONE, CURE, STAY = 0, 1, 2  # what a delinquent account does in a cycle (rolling pays nothing)


class LifecycleParameterError(ValueError):
    """A bad parameter of the check: which one (``cure``, ``roll``, ``start``, ``cycles``,
    ``accounts``), what is wrong and the value given."""

    def __init__(self, parameter: str, problem: str, got: Any) -> None:
        self.parameter, self.problem, self.got = parameter, problem, got
        super().__init__(f"{parameter}: {problem} (got {got!r})")


def check_parameters(cure: Sequence[float], roll: Sequence[float], start: int, cycles: int,
                     accounts: int | None = None) -> None:
    """Raise :class:`LifecycleParameterError` unless the parameters describe a chain: five
    cure and five roll probabilities in [0, 1] with ``c_b + r_b <= 1``, a start bucket 1–5,
    1 to :data:`MAX_CYCLES` cycles and (if given) 1 to :data:`MAX_ACCOUNTS` accounts."""
    for name, values in (("cure", cure), ("roll", roll)):
        if len(values) != BUCKETS:
            raise LifecycleParameterError(name, f"needs {BUCKETS} probabilities, one per "
                                          "bucket", list(values))
        for value in values:
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise LifecycleParameterError(name, "each probability must be in [0, 1]",
                                              value)
    for bucket, (c, r) in enumerate(zip(cure, roll, strict=True), start=1):
        if c + r > 1.0 + SUM_SLACK:
            raise LifecycleParameterError("roll", f"cure + roll must not exceed 1 (bucket "
                                          f"{bucket}: {c:g} + {r:g})", r)
    if isinstance(start, bool) or not 1 <= start <= BUCKETS:
        raise LifecycleParameterError("start", f"must be a bucket 1 to {BUCKETS}", start)
    if isinstance(cycles, bool) or not 1 <= cycles <= MAX_CYCLES:
        raise LifecycleParameterError("cycles", f"must be 1 to {MAX_CYCLES}", cycles)
    if accounts is not None and (isinstance(accounts, bool)
                                 or not 1 <= accounts <= MAX_ACCOUNTS):
        raise LifecycleParameterError("accounts", f"must be 1 to {MAX_ACCOUNTS:,}", accounts)


def transition_matrix(cure: Sequence[float], roll: Sequence[float]) -> np.ndarray:
    """The 7×7 one-cycle transition matrix over (current, buckets 1–5, charged off)."""
    matrix = np.zeros((len(CHAIN), len(CHAIN)))
    matrix[0, 0] = matrix[CHARGED_OFF, CHARGED_OFF] = 1.0
    for bucket in range(1, BUCKETS + 1):
        c, r = cure[bucket - 1], roll[bucket - 1]
        matrix[bucket, 0] = c
        matrix[bucket, bucket + 1] = r
        matrix[bucket, bucket] = max(0.0, 1.0 - c - r)
    return matrix


def analytic_shares(cure: Sequence[float], roll: Sequence[float], start: int,
                    cycles: int) -> np.ndarray:
    """Expected share of accounts in each state after ``cycles`` cycles from bucket
    ``start``: row ``start`` of the matrix's ``cycles``-th power."""
    check_parameters(cure, roll, start, cycles)
    return np.linalg.matrix_power(transition_matrix(cure, roll), cycles)[start]


def idle_scenario(start: int, cycles: int, accounts: int, seed: int) -> Scenario:
    """A one-segment scenario whose accounts all enter on day 1 in bucket ``start`` (their
    last due date on day 0), with one idle agency, no interest and no fees."""
    days = lifecycle.CYCLE_DAYS * start + 1
    return validate({
        "scenario": {"name": "lifecycle_check", "horizon_days": lifecycle.CYCLE_DAYS * cycles + 1,
                     "seed": seed},
        "portfolio": {
            "accounts": accounts, "apr": 0.0, "late_fee": 0.0,
            "charge_off_days": CHARGE_OFF_DAYS,
            "minimum_payment_share": 0.005, "minimum_payment_floor": 25.0,
            "balance": {"median": 10_000.0, "sigma": 0.5, "min": 5_000.0, "max": 50_000.0},
            "days_past_due": {"low": days, "high": days},
            "segments": {"all": {"share": 1.0, "minimum_miss": 0.0,
                                 "unaffordable_minimum_miss": 0.0, "self_cure_rate": 0.0}}},
        "bank": {"transfer_delay_days": 0, "stage": "pre_charge_off", "control_share": 0.0},
        "agencies": [{"name": "idle", "share": 1.0, "collectors": 0, "commission": 0.0}],
    }, "check lifecycle")


def chain_states(acc: Accounts, idx: np.ndarray, day: int) -> np.ndarray:
    """The chain state (0–6, or :data:`OUTSIDE`) of ``idx`` on ``day``, from the model's own
    :func:`~sim.model.portfolio.lifecycle.states`."""
    return _TO_CHAIN[lifecycle.states(acc, idx, day).astype(np.int64)]


@dataclass
class LifecycleRun:
    """What :func:`simulate` leaves: the accounts at the end, the number of accounts in each
    chain state at each cycle's due date (``counts[k]``: after cycle k + 1), and the model's own
    count of transitions between due dates (what ``roll_rates.csv`` reports)."""

    accounts: Accounts
    counts: np.ndarray
    rolls: lifecycle.RollCounts

    @property
    def shares(self) -> np.ndarray:
        """Share of the accounts in each chain state at each due date (an account in a state
        the chain does not have counts in none, so a row then sums to less than 1)."""
        return self.counts / self.accounts.n


def simulate(cure: Sequence[float], roll: Sequence[float], start: int, cycles: int,
             accounts: int, seed: int = 0) -> LifecycleRun:
    """Run the lifecycle for ``cycles`` cycles as the module docstring describes."""
    check_parameters(cure, roll, start, cycles, accounts)
    scenario = idle_scenario(start, cycles, accounts, seed)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, Streams(seed))
    everyone = np.arange(acc.n)
    placement.place(scenario, acc, everyone, np.zeros(acc.n, dtype=np.int16), day=1)
    choices, lifecycle_draws = (np.random.Generator(np.random.PCG64(child))
                                for child in np.random.SeedSequence(seed).spawn(2))
    rolls = lifecycle.RollCounts()
    counts = np.zeros((cycles, len(CHAIN)), dtype=np.int64)
    cure_by_state = np.array([0.0, *cure, 0.0])
    leave_by_state = np.array([0.0, *(c + r for c, r in zip(cure, roll, strict=True)), 0.0])
    cycle = lifecycle.CYCLE_DAYS
    state = chain_states(acc, everyone, 1)
    for k in range(cycles):
        first = cycle * k + 1  # the day after the due date that opens the cycle
        bucket = (state >= 1) & (state <= BUCKETS)
        u = choices.random(acc.n)
        pay_day = first - 1 + choices.integers(1, cycle + 1, acc.n)
        safe = np.where(bucket, state, 0)
        action = np.where(u < cure_by_state[safe], CURE,
                          np.where(u < leave_by_state[safe], NONE, STAY))
        action = np.where(bucket, action, NONE)
        for day in range(first, first + cycle):
            paying = np.flatnonzero((action != NONE) & (pay_day == day))
            if len(paying):
                amounts = np.where(action[paying] == CURE, acc.past_due[paying],
                                   acc.minimum_payment[paying])
                acc.pay(paying, amounts)
            lifecycle.advance(acc, day, CHARGE_OFF_DAYS, lifecycle_draws, rolls)
        state = chain_states(acc, everyone, first + cycle - 1)
        counts[k] = np.bincount(state[state != OUTSIDE], minlength=len(CHAIN))
    acc.check_ledger()
    return LifecycleRun(acc, counts, rolls)


def simulate_shares(cure: Sequence[float], roll: Sequence[float], start: int, cycles: int,
                    accounts: int, seed: int = 0) -> np.ndarray:
    """Share of the accounts in each chain state after ``cycles`` cycles."""
    return simulate(cure, roll, start, cycles, accounts, seed).shares[-1]


def standard_errors(analytic: np.ndarray, accounts: int) -> np.ndarray:
    """Binomial standard error of each simulated share when the chain holds:
    √(p(1 − p)/N) with p the analytic share."""
    p = np.clip(analytic, 0.0, 1.0)
    return np.sqrt(p * (1.0 - p) / accounts)


def deviations(simulated: np.ndarray, analytic: np.ndarray, se: np.ndarray) -> np.ndarray:
    """(simulated − analytic) / SE per state: 0 when both agree exactly, ±∞ when they differ
    where the chain allows no spread (SE 0)."""
    gap = simulated - analytic
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = gap / se
    exact = np.where(np.abs(gap) <= EXACT, 0.0, np.copysign(np.inf, gap))
    return np.where(se > 0, ratio, exact)


def agrees(simulated: np.ndarray, analytic: np.ndarray, se: np.ndarray,
           tolerance: float = TOLERANCE_SE) -> np.ndarray:
    """Whether each simulated share is within ``tolerance`` standard errors of the chain's (a
    share the chain gives as 0 or 1 must match it exactly)."""
    return np.abs(simulated - analytic) <= np.maximum(tolerance * se, EXACT)


def check_lifecycle(cure: Sequence[float], roll: Sequence[float], start: int, cycles: int,
                    accounts: int, seed: int = 0) -> dict[str, Any]:
    """Simulated and analytic shares of the seven states after ``cycles`` cycles.

    Returns ``{"simulated": {"shares": [7], "se": [7]}, "analytic": {"shares": [7]}}`` in the
    order current, buckets 1–5, charged off.
    """
    analytic = analytic_shares(cure, roll, start, cycles)
    simulated = simulate_shares(cure, roll, start, cycles, accounts, seed)
    se = standard_errors(analytic, accounts)
    return {"simulated": {"shares": simulated.tolist(), "se": se.tolist()},
            "analytic": {"shares": analytic.tolist()}}
