"""The delinquency lifecycle: statement cycles, days past due, buckets, cures, rolls, charge-off.

A card account owes a *minimum payment* every statement cycle of 30 days, on its own due day.
Each account carries, in integer cents, its ``minimum_payment`` (fixed when it enters the
program: the larger of ``minimum_payment_floor`` and ``minimum_payment_share`` of the balance
plus a month's interest, never more than the balance) and its ``past_due`` amount (the
minimums missed and not yet paid). Days past due are counted from the oldest unpaid due date:

    days past due = days since the last due date + 30 · (⌈past_due / minimum⌉ − 1)

so an account placed at 45 days past due has missed two minimums (the one 45 days ago and the
one 15 days ago). The mechanics, each vectorised over accounts:

* **payments** (:meth:`~sim.model.portfolio.accounts.Accounts.pay`) go to the past-due amount
  first, so a partial payment rolls an account back by the cycles it covers; paying the whole
  past-due amount **cures** it (current again, status ``CURED``);
* at each **due date** a delinquent account adds a new minimum to its past-due amount — it
  *rolls forward* one bucket unless the payments of the cycle covered a minimum — while a
  current account that paid less than its minimum in the cycle falls 1–29 days past due again
  (a cardholder whose account is current pays each minimum except with their segment's
  ``minimum_miss``);
* at ``charge_off_days`` past due (180 for open-end credit: Uniform Retail Credit
  Classification and Account Management Policy, federal banking agencies, 2000) the bank
  **charges the account off**: interest and fees stop (non-accrual) and the balance owed is
  written off its books (``written_off``) — still owed, and what is paid afterwards is a
  recovery (``collected_after_charge_off``);
* an account on a **re-age plan** that makes three consecutive minimum payments is brought
  current (re-aged) — at most once in twelve months and twice in five years, as the same
  policy allows (:func:`reage`).

Each account's :class:`~sim.model.codes.Delinquency` state at its due dates is tracked from
the day it enters the program until its recall, and every cycle's transition is counted
(:class:`RollCounts`), for the placed accounts and the control group apart: ``roll_rates.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.model.codes import DELINQUENCY_LABELS, Delinquency, Status
from sim.model.portfolio.accounts import Accounts, IntArray
from sim.model.units import CENTS_PER_UNIT, DAYS_PER_MONTH

CYCLE_DAYS = DAYS_PER_MONTH
STATES = len(Delinquency)
NOT_TRACKED = -1  # cycle_state of an account outside the program, recalled or charged off
REAGE_PAYMENTS = 3  # consecutive minimum payments before a re-age
REAGE_WITHIN_YEAR = 1  # re-ages allowed in twelve months
REAGE_WITHIN_FIVE_YEARS = 2  # and in five years
DAYS_PER_YEAR = 365


@dataclass
class RollCounts:
    """Transitions between :class:`~sim.model.codes.Delinquency` states from one due date to
    the next, counted separately for the placed accounts and the control group."""

    placed: np.ndarray = field(default_factory=lambda: np.zeros((STATES, STATES), np.int64))
    control: np.ndarray = field(default_factory=lambda: np.zeros((STATES, STATES), np.int64))

    def add(self, acc: Accounts, idx: IntArray, before: np.ndarray, after: np.ndarray) -> None:
        control = acc.in_control[idx]
        np.add.at(self.placed, (before[~control], after[~control]), 1)
        np.add.at(self.control, (before[control], after[control]), 1)

    def frame_rows(self) -> list[dict[str, object]]:
        """One row per (group, from, to) with a count above zero, and the share of the
        accounts in ``from`` that moved to ``to``."""
        rows: list[dict[str, object]] = []
        for group, counts in (("placed", self.placed), ("control", self.control)):
            totals = counts.sum(axis=1)
            for a, b in zip(*np.nonzero(counts), strict=True):
                rows.append({"group": group, "from": DELINQUENCY_LABELS[a],
                             "to": DELINQUENCY_LABELS[b], "count": int(counts[a, b]),
                             "share": float(counts[a, b] / totals[a])})
        return rows


def minimum_payments(balance: IntArray, share: float, floor: float, apr: float) -> IntArray:
    """The minimum payment of each balance (cents): share of the balance plus a month's
    interest, at least the floor, at most the balance."""
    rate = share + apr / 12.0
    minimum = np.maximum(np.rint(balance * rate), round(floor * CENTS_PER_UNIT))
    return np.minimum(minimum, balance).astype(np.int64)


def enter(acc: Accounts, idx: IntArray, day: int, share: float, floor: float, apr: float,
          charged_off: bool) -> None:
    """Start the lifecycle of ``idx`` on ``day``, at their days past due at placement.

    ``charged_off`` (a post-charge-off placement): they enter already charged off.
    """
    balance = acc.outstanding[idx]
    minimum = minimum_payments(balance, share, floor, apr)
    dpd = acc.days_past_due[idx].astype(np.int64)
    acc.minimum_payment[idx] = minimum
    acc.due_offset[idx] = np.mod(day - dpd, CYCLE_DAYS)
    # the minimums missed so far (a small balance may owe fewer: what is asked is capped at
    # what is owed, see amount_due, but the count of missed minimums keeps the age)
    acc.past_due[idx] = (dpd // CYCLE_DAYS + 1) * minimum
    acc.paid_this_cycle[idx] = 0
    acc.entered_day[idx] = day
    if charged_off:
        charge_off(acc, idx, day, entering=True)
    acc.state_at_placement[idx] = states(acc, idx, day)
    acc.cycle_state[idx] = np.where(acc.charged_off[idx], NOT_TRACKED,
                                    acc.state_at_placement[idx])


def amount_due(acc: Accounts, idx: IntArray) -> IntArray:
    """What ``idx`` must pay to be current (the past-due amount, never more than is owed)."""
    return np.minimum(acc.past_due[idx], acc.outstanding[idx])


def days_past_due(acc: Accounts, idx: IntArray, day: int) -> np.ndarray:
    """Days past due of ``idx`` on ``day`` (0 when current)."""
    since_due = np.mod(day - acc.due_offset[idx].astype(np.int64), CYCLE_DAYS)
    minimum = np.maximum(acc.minimum_payment[idx], 1)
    missed = -(-acc.past_due[idx] // minimum)
    return np.where(acc.past_due[idx] > 0, since_due + CYCLE_DAYS * (missed - 1), 0)


def states(acc: Accounts, idx: IntArray, day: int) -> np.ndarray:
    """The :class:`~sim.model.codes.Delinquency` state of ``idx`` on ``day`` (int8)."""
    bucket = 1 + np.minimum(days_past_due(acc, idx, day) // CYCLE_DAYS, 5)
    current = (acc.past_due[idx] == 0) | (acc.outstanding[idx] == 0)
    state = np.where(current, int(Delinquency.CURRENT), bucket)
    return np.where(acc.charged_off[idx], int(Delinquency.CHARGED_OFF), state).astype(np.int8)


def delinquent(acc: Accounts, idx: IntArray) -> np.ndarray:
    """Whether ``idx`` are delinquent now: owing and either past due or charged off, unless
    current on an instalment plan for their whole balance."""
    owing = acc.outstanding[idx] > 0
    on_plan = (acc.status[idx] == Status.PLAN) & acc.ever_paid_instalment[idx] \
        & ~acc.plan_reages[idx]
    behind = (acc.past_due[idx] > 0) | (acc.charged_off[idx] & ~on_plan)
    return owing & behind


def charge_off(acc: Accounts, idx: IntArray, day: int, entering: bool = False) -> None:
    """Charge ``idx`` off on ``day``: written off the books, no more interest or fees, the
    whole balance due. ``entering`` marks accounts placed already charged off (their write-off
    predates the program and is not counted as one of its charge-offs). The offers refused
    so far were to pay the past-due amount: the ladder of offers on the whole balance starts
    at its top."""
    acc.charged_off[idx] = True
    acc.offers_refused[idx] = 0
    acc.charged_off_day[idx] = -np.inf if entering else float(day)
    acc.written_off[idx] = acc.outstanding[idx]
    acc.past_due[idx] = acc.outstanding[idx]
    acc.interest_frozen[idx] = True


def mark_cures(acc: Accounts, day: int) -> np.ndarray:
    """Accounts being worked (pending or active) whose past-due amount is paid: ``CURED``.
    Returns them."""
    status = acc.status
    idx = np.flatnonzero(((status == Status.ACTIVE) | (status == Status.PENDING))
                         & (acc.cycle_state >= 0) & ~acc.charged_off & (acc.past_due == 0)
                         & (acc.outstanding > 0))
    cure(acc, idx, day)
    return idx


def cure(acc: Accounts, idx: IntArray, day: int) -> None:
    """``idx`` are current again: ``CURED``, left alone while they stay current."""
    acc.status[idx] = Status.CURED
    acc.cured_day[idx] = np.where(np.isnan(acc.cured_day[idx]), float(day), acc.cured_day[idx])
    acc.cure_level[idx] = 0.0  # a later self-cure needs a fresh build-up of hazard


def can_reage(acc: Accounts, i: int, day: float) -> bool:
    """Whether account ``i`` may still be re-aged on ``day``."""
    if acc.charged_off[i]:
        return False
    recent = day - acc.last_reage_day[i] < DAYS_PER_YEAR
    return bool(not (recent and acc.reages[i] >= REAGE_WITHIN_YEAR)
                and acc.reages[i] < REAGE_WITHIN_FIVE_YEARS)


def reage(acc: Accounts, idx: IntArray, day: int) -> None:
    """Bring ``idx`` current after their qualifying payments: the past-due amount returns to
    the balance not yet due (nothing is forgiven)."""
    acc.past_due[idx] = 0
    acc.reages[idx] += 1
    acc.last_reage_day[idx] = float(day)
    cure(acc, idx, day)


def advance(acc: Accounts, day: int, charge_off_days: int, rng: np.random.Generator,
            rolls: RollCounts, late_fee_cents: int = 0,
            paused: np.ndarray | None = None) -> None:
    """One day of the lifecycle for every account in the program and not recalled.

    In order: accounts whose past-due amount was paid are cured; accounts whose due date is
    today close their cycle (current cardholders pay the minimum due unless their uniform
    draw from ``rng`` — one per account each day, so draws stay common across scenarios —
    falls below their :func:`miss_chance`; delinquent ones add the minimum due to what is past
    due; current ones that paid less than it fall behind again; a cycle whose minimum was
    missed adds ``late_fee_cents`` to the balance, except on a plan or in a breathing space,
    marked in ``paused``); accounts at ``charge_off_days`` past due are charged off; every due
    date's transition is counted in ``rolls``.
    """
    mark_cures(acc, day)
    tracked = np.flatnonzero(acc.cycle_state >= 0)
    if len(tracked) == 0:
        return
    tracked = tracked[~acc.recalled[tracked] & ~acc.charged_off[tracked]]
    due = tracked[(np.mod(day - acc.due_offset[tracked].astype(np.int64), CYCLE_DAYS) == 0)
                  & (acc.entered_day[tracked] != day)]  # entry already counted today's minimum
    if len(due):
        missed = _close_cycles(acc, due, rng)
        if late_fee_cents > 0:
            charge_late_fees(acc, missed, late_fee_cents, paused)
    behind = tracked[(acc.past_due[tracked] > 0) & ~acc.charged_off[tracked]]
    late = behind[days_past_due(acc, behind, day) >= charge_off_days]
    charge_off(acc, late, day)
    if len(due):  # a due date's transition, charge-off included
        after = states(acc, due, day)
        rolls.add(acc, due, acc.cycle_state[due], after)
        acc.cycle_state[due] = after
    between = np.setdiff1d(late, due, assume_unique=True)
    if len(between):  # charged off between due dates: that cycle ends in charge-off
        after = np.full(len(between), int(Delinquency.CHARGED_OFF), np.int8)
        rolls.add(acc, between, acc.cycle_state[between], after)
        acc.cycle_state[between] = after
    # charged off, or paid in full and counted current at the due date that closed its cycle
    acc.cycle_state[tracked[acc.cycle_state[tracked] == Delinquency.CHARGED_OFF]] = NOT_TRACKED
    acc.cycle_state[due[acc.outstanding[due] == 0]] = NOT_TRACKED


def minimum_due(acc: Accounts, idx: IntArray) -> IntArray:
    """The payment due each cycle from ``idx``: the minimum, or the reduced payment of a
    hardship programme while it lasts (days past due are still counted in contractual
    minimums)."""
    reduced = acc.hardship_payment[idx]
    return np.where(reduced > 0, reduced, acc.minimum_payment[idx])


def miss_chance(acc: Accounts, idx: IntArray) -> np.ndarray:
    """The chance each current cardholder of ``idx`` misses the minimum now due: their
    ``minimum_miss``, or ``unaffordable_minimum_miss`` when the minimum is more than they can
    pay a month (``monthly_capacity`` of the placed balance)."""
    capacity = acc.monthly_capacity[idx] * acc.placed[idx]
    affordable = minimum_due(acc, idx) <= capacity
    return np.where(affordable, acc.minimum_miss[idx], acc.unaffordable_minimum_miss[idx])


def charge_late_fees(acc: Accounts, missed: IntArray, fee_cents: int,
                     paused: np.ndarray | None = None) -> None:
    """A late fee of ``fee_cents`` on each account of ``missed`` (whose minimum went unpaid at
    its due date), except on a payment plan (its terms replace the minimum) or in a breathing
    space (``paused``: fees are frozen)."""
    charged = missed[acc.status[missed] != Status.PLAN]
    if paused is not None:
        charged = charged[~paused[charged]]
    acc.accrue(charged, np.full(len(charged), fee_cents, dtype=np.int64))


def _close_cycles(acc: Accounts, due: IntArray, rng: np.random.Generator) -> IntArray:
    """The due date of ``due``: minimums paid or missed, past-due amounts grown. Returns the
    accounts whose minimum was missed."""
    minimum = minimum_due(acc, due)
    current = (acc.past_due[due] == 0) & (acc.outstanding[due] > 0)
    short = current & (acc.paid_this_cycle[due] < minimum)
    # one draw for every account each due day, read by account: which accounts fall due (and
    # so how many draws are taken) differs between scenarios, and drawing only for them would
    # shift every later draw — this keeps each cardholder's draws common to all scenarios
    draws = rng.random(acc.n)[due]
    pays = short & (draws >= miss_chance(acc, due))
    acc.pay(due[pays], (minimum - acc.paid_this_cycle[due])[pays])
    fallen = due[short & ~pays]
    acc.past_due[fallen] = minimum[short & ~pays]
    was_cured = fallen[acc.status[fallen] == Status.CURED]
    acc.status[was_cured] = Status.ACTIVE
    acc.redefaulted[was_cured] = True
    behind = ~current & (acc.outstanding[due] > 0)
    acc.past_due[due[behind]] += minimum[behind]
    missed = (short & ~pays) | (behind & (acc.paid_this_cycle[due] < minimum))
    acc.paid_this_cycle[due] = 0
    return due[missed]
