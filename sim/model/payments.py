"""Daily money movements, vectorised over accounts: interest, fees, promises, plans, self-cure.

Every function here moves money only through :class:`sim.model.portfolio.accounts.Accounts`
(``pay``,
``waive``, ``accrue``), so the ledger identity holds after each of them, and each one skips
recalled accounts: nothing happens to an account after its recall.
"""

from __future__ import annotations

import numpy as np

from sim.model.behaviour.base import BehaviourModel
from sim.model.codes import Status
from sim.model.portfolio.accounts import NOT_YET, Accounts
from sim.model.units import DAYS_PER_MONTH, DAYS_PER_YEAR


def accrue_interest(acc: Accounts, apr: float, late_fee_cents: int, day: int,
                    paused: np.ndarray | None = None) -> None:
    """One day's interest on open, unfrozen balances, and monthly late fees off plans.

    Accounts marked in ``paused`` (a breathing space) accrue nothing.
    """
    open_ = acc.is_placed & (acc.status < Status.PAID) & ~acc.recalled & (acc.outstanding > 0)
    if paused is not None:
        open_ &= ~paused
    if apr > 0:
        idx = np.flatnonzero(open_ & ~acc.interest_frozen)
        interest = np.rint(acc.outstanding[idx] * (apr / DAYS_PER_YEAR)).astype(np.int64)
        acc.accrue(idx, interest)
    if late_fee_cents > 0 and day > 0:
        idx = np.flatnonzero(open_ & (acc.status != Status.PLAN))
        since = day - acc.placed_day[idx]
        idx = idx[(since > 0) & (np.mod(since, DAYS_PER_MONTH) == 0)]
        acc.accrue(idx, np.full(len(idx), late_fee_cents, dtype=np.int64))


def resolve_promises(acc: Accounts, behaviour: BehaviourModel, day: int) -> np.ndarray:
    """Settle promises to pay (in full or a settlement) falling due by ``day``.

    A kept settlement pays the agreed amount and the rest is waived (status ``SETTLED``); a
    kept promise to pay in full with an interest waiver pays the balance less the interest
    accrued during placement, which is waived (status ``PAID``).

    Returns the accounts whose promise was broken (they go back to being worked).
    """
    due = np.flatnonzero((acc.status == Status.PROMISE) & (acc.promise_due <= day) & ~acc.recalled)
    if len(due) == 0:
        return due
    kept = behaviour.keeps(due, day, np.ones(len(due), dtype=np.bool_))
    paid = due[kept]
    waives = acc.promise_waives[paid]
    full = paid[~waives]
    acc.pay(full, acc.outstanding[full])
    reduced = paid[waives]
    acc.pay(reduced, acc.promise_amount[reduced])
    acc.waive(reduced)
    acc.status[paid] = np.where(acc.promise_settles[paid], Status.SETTLED, Status.PAID)
    acc.closed_day[paid] = day
    acc.promises_kept[paid] += 1
    broken = due[~kept]
    acc.promises_broken[broken] += 1
    acc.status[broken] = Status.ACTIVE
    acc.promise_due[due] = NOT_YET
    return broken


def resolve_instalments(acc: Accounts, behaviour: BehaviourModel, day: int) -> np.ndarray:
    """Collect plan instalments falling due by ``day``; return the plans that broke."""
    due = np.flatnonzero((acc.status == Status.PLAN) & (acc.promise_due <= day) & ~acc.recalled)
    if len(due) == 0:
        return due
    first = acc.plan_paid[due] == 0
    kept = behaviour.keeps(due, day, first)
    paid = due[kept]
    last = acc.plan_left[paid] <= 1
    amounts = np.where(last, acc.outstanding[paid], acc.plan_installment[paid])
    acc.pay(paid, amounts)
    acc.promises_kept[paid[first[kept]]] += 1
    acc.plan_paid[paid] += 1
    acc.plan_left[paid] -= 1
    acc.ever_paid_instalment[paid] = True
    done = paid[acc.outstanding[paid] == 0]
    acc.status[done] = Status.PAID
    acc.closed_day[done] = day
    acc.interest_frozen[done] = False
    acc.promise_due[paid] += DAYS_PER_MONTH
    acc.promise_due[done] = NOT_YET
    broken = due[~kept]
    acc.promises_broken[broken[first[~kept]]] += 1
    acc.redefaulted[broken[~first[~kept]]] = True
    acc.status[broken] = Status.ACTIVE
    acc.interest_frozen[broken] = False
    acc.promise_due[broken] = NOT_YET
    return broken


def self_cure(acc: Accounts, behaviour: BehaviourModel, day: int,
              reminded: np.ndarray) -> np.ndarray:
    """Payments made without a promise during ``day``; returns the accounts they closed.

    The behaviour model says what share of its balance each open account (pending, or active
    and not under a promise or plan) repays; an account whose balance reaches zero is paid in
    full and counts as self-cured.
    """
    idx = np.flatnonzero(((acc.status == Status.ACTIVE) | (acc.status == Status.PENDING))
                         & acc.is_placed & ~acc.recalled & (acc.outstanding > 0))
    if len(idx) == 0:
        return idx
    shares = behaviour.spontaneous(idx, day, reminded[idx])
    paying = np.flatnonzero(shares > 0)
    payers = idx[paying]
    full = shares[paying] >= 1.0
    amounts = np.where(full, acc.outstanding[payers],
                       np.rint(acc.outstanding[payers] * shares[paying]).astype(np.int64))
    acc.pay(payers, amounts)
    cured = payers[acc.outstanding[payers] == 0]
    acc.status[cured] = Status.PAID
    acc.self_cured[cured] = True
    acc.closed_day[cured] = day
    return cured
