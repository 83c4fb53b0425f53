"""Daily money movements (sim.model.payments) on a tiny hand-set portfolio.

Each test draws a few accounts with :func:`sim.model.portfolio.accounts.draw_portfolio`, gives
them round
balances and states by hand, applies one payments function with a scripted behaviour model,
and checks what moved, the ledger identity, and that recalled accounts were not touched.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.schema import Bank, Portfolio, Segment, StageParameters
from sim.model.behaviour.stage import StageModel
from sim.model.codes import Status
from sim.model.payments import accrue_interest, resolve_instalments, resolve_promises, self_cure
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import NOT_YET, Accounts, draw_portfolio
from sim.model.rng import Streams

BALANCE = 100_000  # $1,000.00 in cents
LEDGER_FIELDS = ("placed", "accrued", "collected", "waived", "outstanding", "status",
                 "promise_due", "promises_kept", "promises_broken", "plan_left", "plan_paid",
                 "interest_frozen", "self_cured", "closed_day", "redefaulted", "cure_level")


def tiny(n: int = 10, charged_off: bool = True, **segment) -> Accounts:
    """``n`` accounts of $1,000.00 placed on day 0 at 30 days past due (due dates on days 0,
    30, 60, …; two minimums of $35.00 past due); ``charged_off`` (the default) places them
    after charge-off, where every payment is owed against the whole balance."""
    spec = Portfolio(accounts=n, segments={"only": Segment(share=1.0, **segment)})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.balance[:] = BALANCE
    acc.placed[:] = BALANCE
    acc.outstanding[:] = BALANCE
    acc.status[:] = Status.ACTIVE
    acc.is_placed[:] = True  # placed at day 0 with no agency-specific dates needed here
    acc.placed_day[:] = 0.0
    acc.days_past_due[:] = 30
    lifecycle.enter(acc, np.arange(n), 0, 0.01, 25.0, 0.30, charged_off=charged_off)
    return acc


def snapshot(acc: Accounts, idx) -> dict[str, np.ndarray]:
    return {name: getattr(acc, name)[idx].copy() for name in LEDGER_FIELDS}


def assert_untouched(acc: Accounts, idx, before: dict[str, np.ndarray]) -> None:
    for name, values in before.items():
        np.testing.assert_array_equal(getattr(acc, name)[idx], values, err_msg=name)


def assert_ledger(acc: Accounts) -> None:
    acc.check_ledger()
    assert (acc.ledger_gap() == 0).all()
    assert (acc.outstanding >= 0).all()


class Scripted:
    """A behaviour model whose answers are fixed in advance; it records what it was asked."""

    def __init__(self, keep=(), cure=(), part=None) -> None:
        self.keep = np.array(sorted(keep), dtype=np.int64)
        self.cure = np.array(sorted(cure), dtype=np.int64)
        self.part = dict(part or {})  # account -> share of its balance repaid today
        self.asked_keeps: list[tuple[np.ndarray, np.ndarray]] = []
        self.asked_cure: list[tuple[np.ndarray, np.ndarray]] = []

    def keeps(self, idx, day, first):
        self.asked_keeps.append((idx.copy(), np.asarray(first).copy()))
        return np.isin(idx, self.keep)

    def spontaneous(self, idx, day, reminded, linked=None):
        self.asked_cure.append((idx.copy(), np.asarray(reminded).copy()))
        shares = np.isin(idx, self.cure).astype(np.float64)
        for position, i in enumerate(idx):
            shares[position] = self.part.get(int(i), shares[position])
        return shares

    def contacted(self, i, now):
        pass


# --------------------------------------------------------------------------- the ledger


def test_pay_is_capped_at_outstanding_and_waive_clears_it():
    acc = tiny(3, charged_off=False)
    acc.pay(np.array([0, 1]), np.array([30_000, 250_000]))
    assert list(acc.collected) == [30_000, BALANCE, 0]
    assert list(acc.outstanding) == [70_000, 0, BALANCE]
    acc.waive(np.array([0]))
    assert acc.waived[0] == 70_000
    assert acc.outstanding[0] == 0
    acc.accrue(np.array([2]), np.array([123]))
    assert acc.outstanding[2] == BALANCE + 123
    assert_ledger(acc)


def test_check_ledger_detects_a_broken_account():
    acc = tiny(3)
    acc.collected[1] += 1
    with pytest.raises(AssertionError):
        acc.check_ledger()


# --------------------------------------------------------------------------- interest and fees


def states_for_interest() -> Accounts:
    acc = tiny(8, charged_off=False)
    acc.outstanding[:] = acc.placed[:] = acc.balance[:] = 123_457
    acc.status[:] = [Status.ACTIVE, Status.PENDING, Status.PROMISE, Status.PLAN,
                     Status.PLAN, Status.ACTIVE, Status.ACTIVE, Status.ACTIVE]
    acc.interest_frozen[3] = True
    acc.pay(np.array([5]), acc.outstanding[[5]])
    acc.status[5] = Status.PAID
    acc.pay(np.array([6]), np.array([50_000]))
    acc.waive(np.array([6]))
    acc.status[6] = Status.SETTLED
    acc.recalled[7] = True
    return acc


def test_daily_interest_on_open_unfrozen_balances():
    acc = states_for_interest()
    before = snapshot(acc, [3, 5, 6, 7])
    accrue_interest(acc, apr=0.365, day=5)
    daily = round(123_457 * 0.365 / 365)  # 123 cents
    assert list(acc.accrued) == [daily, daily, daily, 0, daily, 0, 0, 0]
    assert acc.outstanding[0] == 123_457 + daily
    assert_untouched(acc, [3, 5, 6, 7], before)
    assert_ledger(acc)


def test_no_interest_when_apr_is_zero():
    acc = states_for_interest()
    accrue_interest(acc, apr=0.0, day=30)
    assert (acc.accrued == 0).all()


# --------------------------------------------------------------------------- promises


def promises() -> Accounts:
    """0 full (kept), 1 settlement 40% off (kept), 2 full (broken), 3 not yet due,
    4 due but recalled, 5 a plan (not a promise), 6 settlement (broken),
    7 full with the interest accrued in placement waived (kept)."""
    acc = tiny(8)
    acc.status[:] = Status.PROMISE
    acc.promise_due[:] = 5.0
    acc.promise_due[3] = 9.0
    acc.promise_settles[[1, 6]] = True
    acc.promise_waives[[1, 6, 7]] = True
    acc.promise_amount[:] = BALANCE
    acc.promise_amount[[1, 6]] = 60_000
    acc.accrue(np.array([0, 1, 7]), np.array([250, 250, 400]))  # interest during placement
    acc.recalled[4] = True
    acc.status[5] = Status.PLAN
    acc.promises[:] = 1
    return acc


def test_resolve_promises():
    acc = promises()
    behaviour = Scripted(keep=[0, 1, 3, 4, 5, 7])
    untouched = [3, 4, 5]
    before = snapshot(acc, untouched)
    broken = resolve_promises(acc, behaviour, day=5)
    asked, first = behaviour.asked_keeps[0]
    assert sorted(asked) == [0, 1, 2, 6, 7]
    assert first.all()
    np.testing.assert_array_equal(np.sort(broken), [2, 6])
    # kept, in full: everything owed, including interest accrued since the promise
    assert acc.status[0] == Status.PAID
    assert acc.collected[0] == BALANCE + 250
    assert acc.outstanding[0] == 0
    assert acc.waived[0] == 0
    # kept, settlement: the agreed amount, the rest waived
    assert acc.status[1] == Status.SETTLED
    assert acc.collected[1] == 60_000
    assert acc.waived[1] == BALANCE + 250 - 60_000
    assert acc.outstanding[1] == 0
    # kept, in full with an interest waiver: the balance placed, the interest waived
    assert acc.status[7] == Status.PAID
    assert acc.collected[7] == BALANCE
    assert acc.waived[7] == 400
    assert acc.outstanding[7] == 0
    for i in (0, 1, 7):
        assert acc.promises_kept[i] == 1
        assert acc.closed_day[i] == 5
    # broken: back to being worked, nothing paid
    for i in (2, 6):
        assert acc.status[i] == Status.ACTIVE
        assert acc.promises_broken[i] == 1
        assert acc.collected[i] == 0
        assert acc.waived[i] == 0
        assert np.isnan(acc.closed_day[i])
    assert (acc.promise_due[[0, 1, 2, 6, 7]] == NOT_YET).all()
    assert_untouched(acc, untouched, before)
    assert_ledger(acc)


def test_resolve_promises_with_nothing_due():
    acc = promises()
    behaviour = Scripted()
    assert len(resolve_promises(acc, behaviour, day=2)) == 0
    assert behaviour.asked_keeps == []


# --------------------------------------------------------------------------- instalments


def plans() -> Accounts:
    """0 first instalment (kept), 1 last instalment (kept), 2 first (missed),
    3 a later one (missed), 4 due but recalled, 5 not yet due, 6 a promise (not a plan).
    Not charged off, so interest resumes when a plan ends."""
    acc = tiny(7, charged_off=False)
    acc.status[:] = Status.PLAN
    acc.promise_due[:] = 10.0
    acc.promise_due[5] = 20.0
    acc.plan_installment[:] = 25_000
    acc.plan_left[:] = [4, 1, 4, 3, 4, 4, 0]
    acc.plan_paid[:] = [0, 3, 0, 1, 0, 0, 0]
    acc.interest_frozen[:] = True
    acc.pay(np.array([1, 3]), np.array([75_000, 25_000]))
    acc.accrue(np.array([1]), np.array([99]))  # a little interest before the freeze
    acc.recalled[4] = True
    acc.status[6] = Status.PROMISE
    acc.promises[:] = 1
    return acc


def test_resolve_instalments():
    acc = plans()
    behaviour = Scripted(keep=[0, 1, 4, 5, 6])
    untouched = [4, 5, 6]
    before = snapshot(acc, untouched)
    broken = resolve_instalments(acc, behaviour, day=10)
    asked, first = behaviour.asked_keeps[0]
    assert list(asked) == [0, 1, 2, 3]
    assert list(first) == [True, False, True, False]
    np.testing.assert_array_equal(np.sort(broken), [2, 3])
    # first instalment paid: a kept promise, next one due in a month
    assert acc.status[0] == Status.PLAN
    assert acc.collected[0] == 25_000
    assert acc.plan_left[0] == 3
    assert acc.plan_paid[0] == 1
    assert acc.promise_due[0] == 40.0
    assert acc.promises_kept[0] == 1
    assert acc.ever_paid_instalment[0]
    # last instalment clears what is left, whatever the instalment size
    assert acc.status[1] == Status.PAID
    assert acc.outstanding[1] == 0
    assert acc.collected[1] == BALANCE + 99
    assert acc.closed_day[1] == 10
    assert acc.promise_due[1] == NOT_YET
    assert not acc.interest_frozen[1]
    assert acc.promises_kept[1] == 0  # only a plan's first instalment keeps the promise
    # a missed first instalment breaks the promise; a later one is a re-default
    assert acc.status[2] == Status.ACTIVE
    assert acc.promises_broken[2] == 1
    assert not acc.redefaulted[2]
    assert acc.status[3] == Status.ACTIVE
    assert acc.promises_broken[3] == 0
    assert acc.redefaulted[3]
    for i in (2, 3):
        assert not acc.interest_frozen[i]
        assert acc.promise_due[i] == NOT_YET
    assert_untouched(acc, untouched, before)
    assert_ledger(acc)


def test_instalment_larger_than_what_is_owed_is_capped():
    acc = plans()
    acc.plan_installment[0] = 10 * BALANCE
    resolve_instalments(acc, Scripted(keep=[0]), day=10)
    assert acc.collected[0] == BALANCE
    assert acc.status[0] == Status.PAID
    assert_ledger(acc)


# --------------------------------------------------------------------------- self-cure


def test_self_cure_pays_in_full_and_only_for_workable_accounts():
    acc = tiny(7)
    acc.status[:] = [Status.ACTIVE, Status.PENDING, Status.ACTIVE,
                     Status.PROMISE, Status.PLAN, Status.PAID, Status.ACTIVE]
    acc.pay(np.array([5]), acc.outstanding[[5]])
    acc.accrue(np.array([0]), np.array([777]))
    acc.recalled[6] = True
    reminded = np.zeros(7, dtype=np.bool_)
    reminded[1] = True
    untouched = [3, 4, 5, 6]
    before = snapshot(acc, untouched)
    behaviour = Scripted(cure=[0, 1, 3, 4, 6])
    cured = self_cure(acc, behaviour, day=12, reminded=reminded)
    asked, told_reminded = behaviour.asked_cure[0]
    assert list(asked) == [0, 1, 2]
    assert list(told_reminded) == [False, True, False]
    np.testing.assert_array_equal(cured, [0, 1])
    for i in (0, 1):
        assert acc.status[i] == Status.PAID
        assert acc.self_cured[i]
        assert acc.outstanding[i] == 0
        assert acc.closed_day[i] == 12
    assert acc.collected[0] == BALANCE + 777
    assert acc.status[2] == Status.ACTIVE
    assert not acc.self_cured[2]
    assert_untouched(acc, untouched, before)
    assert_ledger(acc)


def test_a_later_vintages_control_accounts_wait_for_their_vintage():
    """Control accounts whose vintage is still to come neither accrue interest nor pay, as the
    placed accounts of that vintage do not; once held out they do both."""
    acc = tiny(4, charged_off=False)  # before charge-off: interest accrues
    later = np.array([2, 3])
    acc.is_placed[later] = False  # the bank's control group of the next vintage
    acc.in_control[later] = True
    acc.placed_day[later] = np.inf
    acc.status[later] = Status.PENDING
    before = snapshot(acc, later)
    accrue_interest(acc, apr=0.365, day=30)
    behaviour = Scripted(cure=[0, 1, 2, 3])
    cured = self_cure(acc, behaviour, day=31, reminded=np.zeros(4, dtype=np.bool_))
    np.testing.assert_array_equal(behaviour.asked_cure[0][0], [0, 1])
    np.testing.assert_array_equal(cured, [0, 1])
    assert (acc.accrued[[0, 1]] > 0).all()
    assert_untouched(acc, later, before)
    acc.placed_day[later] = 40.0  # the vintage arrives: held out
    acc.status[later] = Status.ACTIVE
    accrue_interest(acc, apr=0.365, day=41)
    assert (acc.accrued[later] > 0).all()
    cured = self_cure(acc, Scripted(cure=[2, 3]), day=42, reminded=np.zeros(4, dtype=np.bool_))
    np.testing.assert_array_equal(cured, later)
    assert_ledger(acc)


def test_partial_spontaneous_payment_leaves_the_account_open():
    acc = tiny(3)
    behaviour = Scripted(cure=[2], part={0: 0.25, 1: 0.0})
    cured = self_cure(acc, behaviour, day=4, reminded=np.zeros(3, dtype=np.bool_))
    np.testing.assert_array_equal(cured, [2])
    assert acc.collected[0] == BALANCE // 4
    assert acc.status[0] == Status.ACTIVE
    assert not acc.self_cured[0]
    assert acc.collected[1] == 0
    assert acc.status[2] == Status.PAID
    assert acc.self_cured[2]
    assert_ledger(acc)


def test_stage_model_self_cure_accumulates_hazard_to_the_budget():
    acc = tiny(3, self_cure_rate=0.01, reminder_lift=1.0)
    acc.cure_budget[:] = [0.045, 0.045, 10.0]
    model = StageModel(acc, StageParameters(cure_decay_per_week=0.0), Streams(1, 0))
    reminded = np.array([False, True, False])
    days = {}
    for day in range(10):
        for i in self_cure(acc, model, day, reminded):
            days[int(i)] = day
    # plain: 0.01 a day crosses 0.045 on the 5th day (day 4); reminded daily: 0.02 → day 2
    assert days == {0: 4, 1: 2}
    assert acc.cure_level[2] == pytest.approx(0.1)
    assert_ledger(acc)


def test_a_payment_link_adds_its_lift_to_the_reminder_on_the_day_it_arrives():
    """Hazard per day 0.01 × (1 + reminder_lift·reminded + payment_link_lift·linked): plain 0.01,
    reminded 0.02, reminded with a link 0.03; budgets of 0.045 are crossed on days 4, 2 and 1."""
    acc = tiny(4, self_cure_rate=0.01, reminder_lift=1.0, payment_link_lift=1.0)
    acc.cure_budget[:] = [0.045, 0.045, 0.045, 10.0]
    model = StageModel(acc, StageParameters(cure_decay_per_week=0.0), Streams(1, 0))
    reminded = np.array([False, True, True, True])
    linked = np.array([False, False, True, True])
    days = {}
    for day in range(10):
        for i in self_cure(acc, model, day, reminded, linked):
            days[int(i)] = day
    assert days == {0: 4, 1: 2, 2: 1}
    assert acc.cure_level[3] == pytest.approx(0.3)
    assert_ledger(acc)


def test_stage_model_keeps_follow_keep_probability():
    acc = tiny(4)
    acc.keep_probability[:] = [1.0, 0.0, 1.0, 0.0]
    model = StageModel(acc, StageParameters(instalment_persistence=0.0), Streams(1, 0))
    first = np.array([True, True, False, False])
    kept = model.keeps(np.arange(4), 3, first)
    # certain promises are kept, hopeless first ones broken; with persistence 0 a later
    # instalment after a paid first one is never missed
    assert list(kept) == [True, False, True, True]


def test_nothing_accrues_on_the_day_an_account_enters_the_program():
    """A later vintage placed on day 30: its balance is as of its placement, so no interest
    is added that day; from the next day interest runs as for the first vintage."""
    acc = tiny(4, charged_off=False)
    later = np.array([2, 3])
    lifecycle.enter(acc, later, 30, 0.01, 25.0, 0.30, charged_off=False)
    acc.placed_day[later] = 30.0
    accrue_interest(acc, apr=0.365, day=30)
    assert (acc.accrued[later] == 0).all() and (acc.accrued[[0, 1]] > 0).all()
    accrue_interest(acc, apr=0.365, day=31)
    assert (acc.accrued[later] > 0).all()
    assert_ledger(acc)
