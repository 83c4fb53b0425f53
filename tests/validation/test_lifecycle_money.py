"""Money stays sound through the delinquency lifecycle: a property test on random histories.

Hypothesis draws a few accounts (balances from a cent to 50,000, days past due at entry before
and after charge-off, minimum-payment terms, interest and late fees, each cardholder's chance
of missing a minimum once current, the charge-off threshold) and a random history of payments
— a minimum, the past-due amount, everything owed, part of it, a few cents, or a settlement
that waives the rest — on random days. The history runs day by day in the replication's order:
payments, interest and fees (:func:`sim.model.payments.accrue_interest`), then
:func:`sim.model.portfolio.lifecycle.advance` with its due dates, rolls and charge-offs. After
every day :meth:`~sim.model.portfolio.accounts.Accounts.check_ledger` must pass (placed +
accrued = collected + waived + outstanding; a charged-off balance never grows; only
charged-off accounts have anything written off), no past-due amount is negative, and a
charged-off account's past-due amount never exceeds what it owes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.payments import accrue_interest
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams
from sim.model.units import CENTS_PER_UNIT
from sim.validation.lifecycle import idle_scenario

KINDS = ("minimum", "past_due", "outstanding", "part", "cents", "settle")


def _accounts(balances: list[int], days_past_due: list[int],
              minimum_miss: list[float]) -> Accounts:
    """Accounts with the given balances (cents), days past due and minimum-miss chances; the
    other attributes come from the model's own portfolio draw and play no part here."""
    scenario = idle_scenario(1, 1, len(balances), seed=0)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, Streams(0))
    acc.placed[:] = acc.outstanding[:] = acc.balance[:] = balances
    acc.days_past_due[:] = days_past_due
    acc.minimum_miss[:] = minimum_miss
    acc.is_placed[:] = True
    return acc


@st.composite
def histories(draw):
    n = draw(st.integers(1, 6))
    days = draw(st.integers(1, 240))
    charged = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    dpd = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    return {
        "balances": draw(st.lists(st.integers(1, 5_000_000), min_size=n, max_size=n)),
        "days_past_due": dpd,
        "charged_off": charged,
        "minimum_miss": draw(st.lists(st.sampled_from([0.0, 0.3, 1.0]), min_size=n,
                                      max_size=n)),
        "share": draw(st.sampled_from([0.0, 0.01, 0.05, 0.3, 1.0])),
        "floor": draw(st.sampled_from([0.0, 25.0, 500.0])),
        "apr": draw(st.sampled_from([0.0, 0.2499, 1.5])),
        "late_fee": draw(st.sampled_from([0.0, 0.01, 35.0])),
        "charge_off_days": draw(st.sampled_from([30, 90, 180, 181, 240])),
        "entry_day": draw(st.integers(0, 45)),
        "days": days,
        "payments": draw(st.lists(
            st.tuples(st.integers(0, days - 1), st.integers(0, n - 1), st.sampled_from(KINDS),
                      st.floats(0.0, 1.0)), max_size=40)),
        "seed": draw(st.integers(0, 2**32)),
    }


def _amount(acc: Accounts, i: int, kind: str, fraction: float) -> int:
    if kind == "minimum":
        return int(acc.minimum_payment[i])
    if kind == "past_due":
        return int(acc.past_due[i])
    if kind == "outstanding":
        return int(acc.outstanding[i])
    if kind == "cents":
        return int(fraction * 100)
    return int(fraction * acc.outstanding[i])  # part of what is owed, or a settlement's share


def _check(acc: Accounts, day: int) -> None:
    acc.check_ledger()
    assert (acc.past_due >= 0).all(), (day, acc.past_due)
    charged = acc.charged_off
    assert (acc.past_due[charged] <= acc.outstanding[charged]).all(), (
        day, acc.past_due[charged], acc.outstanding[charged])
    assert (acc.collected_after_charge_off <= acc.collected).all()


@given(histories())
@settings(max_examples=50, deadline=None)
def test_ledger_and_past_due_hold_through_any_history(history) -> None:
    _run(history)


@pytest.mark.slow
@given(histories())
@settings(max_examples=500, deadline=None)
def test_ledger_and_past_due_hold_through_many_more_histories(history) -> None:
    _run(history)


def _run(history: dict) -> None:
    acc = _accounts(history["balances"], history["days_past_due"], history["minimum_miss"])
    rng = np.random.default_rng(history["seed"])
    rolls = lifecycle.RollCounts()
    start = history["entry_day"]
    fee = round(history["late_fee"] * CENTS_PER_UNIT)
    terms = (history["share"], history["floor"], history["apr"])
    charged = np.array(history["charged_off"])
    for flag in (False, True):
        lifecycle.enter(acc, np.flatnonzero(charged == flag), start, *terms, charged_off=flag)
    _check(acc, start)
    by_day: dict[int, dict[int, tuple[str, float]]] = {}
    for offset, i, kind, fraction in history["payments"]:
        by_day.setdefault(start + offset, {}).setdefault(i, (kind, fraction))
    for day in range(start, start + history["days"]):
        today = by_day.get(day, {})
        if today:
            idx = np.array(sorted(today), dtype=np.int64)
            amounts = np.array([_amount(acc, i, *today[i]) for i in idx], dtype=np.int64)
            acc.pay(idx, amounts)
            settled = np.array([today[i][0] == "settle" for i in idx])
            acc.waive(idx[settled])
        if day > 0:
            accrue_interest(acc, history["apr"], day)
        lifecycle.advance(acc, day, history["charge_off_days"], rng, rolls, fee)
        _check(acc, day)
