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
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import NOT_YET, Accounts
from sim.model.units import DAYS_PER_MONTH, DAYS_PER_YEAR


def accrue_interest(acc: Accounts, apr: float, day: int,
                    paused: np.ndarray | None = None) -> None:
    """One day's interest on balances owed and not charged off or frozen (late fees are
    charged at the due date that closes a cycle: :func:`sim.model.portfolio.lifecycle.advance`).

    Accounts marked in ``paused`` (a breathing space) accrue nothing; charged-off accounts
    accrue nothing (non-accrual). Nothing accrues on the day an account enters the program:
    its balance and past-due minimums at placement are as of that day, so every vintage
    accrues from the day after its placement, as the first one does.
    """
    if apr <= 0:
        return
    open_ = acc.in_program() & (acc.entered_day != day) & ~acc.recalled \
        & (acc.outstanding > 0) & ~acc.charged_off & ~acc.interest_frozen
    if paused is not None:
        open_ &= ~paused
    idx = np.flatnonzero(open_)
    interest = np.rint(acc.outstanding[idx] * (apr / DAYS_PER_YEAR)).astype(np.int64)
    acc.accrue(idx, interest)


def resolve_promises(acc: Accounts, behaviour: BehaviourModel, day: int) -> np.ndarray:
    """Settle promises to pay (in full, a settlement or the past-due amount) falling due by
    ``day``.

    A kept settlement pays the agreed amount and the rest is waived (status ``SETTLED``); a
    kept promise to pay in full with an interest waiver pays the balance less the interest
    accrued during placement, which is waived (status ``PAID``); a kept promise to pay the
    past-due amount pays what was agreed, which cures the account (status ``CURED``) unless a
    due date since has added another minimum (it stays ``ACTIVE``).

    Returns the accounts whose promise was broken (they go back to being worked).
    """
    due = np.flatnonzero((acc.status == Status.PROMISE) & (acc.promise_due <= day) & ~acc.recalled)
    if len(due) == 0:
        return due
    kept = behaviour.keeps(due, day, np.ones(len(due), dtype=np.bool_))
    paid = due[kept]
    acc.promises_kept[paid] += 1
    cures = paid[acc.promise_cures[paid]]
    acc.pay(cures, acc.promise_amount[cures])
    acc.status[cures] = Status.ACTIVE
    lifecycle.cure(acc, cures[(acc.past_due[cures] == 0) & (acc.outstanding[cures] > 0)], day)
    acc.promise_cures[cures] = False
    paid = paid[~np.isin(paid, cures)]
    waives = acc.promise_waives[paid]
    full = paid[~waives]
    acc.pay(full, acc.outstanding[full])
    reduced = paid[waives]
    acc.pay(reduced, acc.promise_amount[reduced])
    acc.waive(reduced)
    acc.status[paid] = np.where(acc.promise_settles[paid], Status.SETTLED, Status.PAID)
    acc.closed_day[paid] = day
    broken = due[~kept]
    acc.promises_broken[broken] += 1
    acc.last_broken[broken] = day
    acc.status[broken] = Status.ACTIVE
    acc.promise_cures[broken] = False
    acc.promise_due[due] = NOT_YET
    return broken


def resolve_instalments(acc: Accounts, behaviour: BehaviourModel, day: int) -> np.ndarray:
    """Collect plan instalments falling due by ``day``; return the plans that broke.

    A plan for the whole balance asks for what is left with its last instalment; a re-age plan
    (three minimum payments) then brings the account current (:func:`lifecycle.reage`).
    """
    due = np.flatnonzero((acc.status == Status.PLAN) & (acc.promise_due <= day) & ~acc.recalled)
    if len(due) == 0:
        return due
    first = acc.plan_paid[due] == 0
    kept = behaviour.keeps(due, day, first)
    paid = due[kept]
    last = acc.plan_left[paid] <= 1
    amounts = np.where(last & ~acc.plan_reages[paid], acc.outstanding[paid],
                       acc.plan_installment[paid])
    acc.pay(paid, amounts)
    acc.promises_kept[paid[first[kept]]] += 1
    acc.plan_paid[paid] += 1
    acc.plan_left[paid] -= 1
    acc.ever_paid_instalment[paid] = True
    done = paid[acc.outstanding[paid] == 0]
    acc.status[done] = Status.PAID
    acc.closed_day[done] = day
    acc.interest_frozen[done] = acc.charged_off[done]
    acc.promise_due[paid] += DAYS_PER_MONTH
    acc.promise_due[done] = NOT_YET
    reaged = paid[(acc.plan_left[paid] <= 0) & acc.plan_reages[paid]
                  & (acc.outstanding[paid] > 0)]
    lifecycle.reage(acc, reaged, day)
    acc.interest_frozen[reaged] = acc.charged_off[reaged] | (acc.hardship_until[reaged] > day)
    acc.promise_due[reaged] = NOT_YET
    acc.plan_reages[reaged] = False
    broken = due[~kept]
    acc.promises_broken[broken[first[~kept]]] += 1
    acc.redefaulted[broken[~first[~kept]]] = True
    acc.last_broken[broken] = day
    acc.status[broken] = Status.ACTIVE
    acc.interest_frozen[broken] = acc.charged_off[broken]
    acc.promise_due[broken] = NOT_YET
    acc.plan_reages[broken] = False
    hardship = broken[np.isfinite(acc.hardship_until[broken])]  # the programme ends with it
    acc.hardship_payment[hardship] = 0
    acc.hardship_until[hardship] = np.inf
    return broken


def self_cure(acc: Accounts, behaviour: BehaviourModel, day: int,
              reminded: np.ndarray, linked: np.ndarray | None = None) -> np.ndarray:
    """Payments made without a promise during ``day``; returns the accounts they cured.

    The behaviour model says what share of the amount due each account being worked (pending,
    or active and not under a promise or plan; placed or in the control group) pays — the
    past-due amount before charge-off, the whole balance after. An account whose past-due
    amount is paid is cured (status ``CURED``), one whose balance reaches zero is paid in full
    (``PAID``); both count as self-cured. ``reminded`` and ``linked`` mark the accounts a
    message, and a message with a payment link, reached that day.
    """
    idx = np.flatnonzero(((acc.status == Status.ACTIVE) | (acc.status == Status.PENDING))
                         & acc.in_program() & ~acc.recalled
                         & (acc.outstanding > 0))
    if len(idx) == 0:
        return idx
    shares = behaviour.spontaneous(idx, day, reminded[idx],
                                   None if linked is None else linked[idx])
    paying = np.flatnonzero(shares > 0)
    payers = idx[paying]
    due = np.where(acc.charged_off[payers], acc.outstanding[payers],
                   lifecycle.amount_due(acc, payers))
    full = shares[paying] >= 1.0
    amounts = np.where(full, due, np.rint(due * shares[paying]).astype(np.int64))
    acc.pay(payers, amounts)
    paid_off = payers[acc.outstanding[payers] == 0]
    acc.status[paid_off] = Status.PAID
    acc.closed_day[paid_off] = day
    cured = payers[(acc.outstanding[payers] > 0) & (acc.past_due[payers] == 0)
                   & ~acc.charged_off[payers]]
    lifecycle.cure(acc, cured, day)
    done = np.concatenate([paid_off, cured])
    acc.self_cured[done] = True
    return done
