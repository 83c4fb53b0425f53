"""The delinquency lifecycle, one mechanism at a time: minimums, days past due, cures, rolls,
charge-off, re-age plans and the payments that drive them."""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.schema import Bank, Portfolio, Segment
from sim.model.codes import Delinquency, Status
from sim.model.payments import accrue_interest, resolve_instalments, resolve_promises, self_cure
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams

BALANCE = 100_000  # $1,000.00 in cents
MINIMUM = 3_500  # 1% + 30% APR / 12 = 3.5% of the balance


def placed(dpd: list[int], day: int = 0, charged_off: bool = False,
           minimum_miss: float = 0.0) -> Accounts:
    """Accounts of $1,000.00 placed on ``day`` at the given days past due."""
    n = len(dpd)
    spec = Portfolio(accounts=n, segments={"only": Segment(
        share=1.0, minimum_miss=minimum_miss, unaffordable_minimum_miss=minimum_miss)})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.balance[:] = acc.placed[:] = acc.outstanding[:] = BALANCE
    acc.days_past_due[:] = dpd
    acc.status[:] = Status.ACTIVE
    acc.is_placed[:] = True
    acc.placed_day[:] = float(day)
    acc.recall_day[:] = 1e9
    lifecycle.enter(acc, np.arange(n), day, 0.01, 25.0, 0.30, charged_off=charged_off)
    return acc


class Keeps:
    """A behaviour model that keeps every promise and instalment and never self-cures."""

    def keeps(self, idx, day, first):
        return np.ones(len(idx), dtype=np.bool_)

    def spontaneous(self, idx, day, reminded, linked=None):
        return np.ones(len(idx))


def run_days(acc: Accounts, days: range, charge_off_days: int = 180,
             rolls: lifecycle.RollCounts | None = None) -> lifecycle.RollCounts:
    rolls = rolls or lifecycle.RollCounts()
    rng = np.random.default_rng(0)
    for day in days:
        lifecycle.advance(acc, day, charge_off_days, rng, rolls)
        acc.check_ledger()
    return rolls


def test_minimum_payment_is_share_plus_interest_within_floor_and_balance():
    balance = np.array([100_000, 50_000, 1_000, 0], dtype=np.int64)
    minimum = lifecycle.minimum_payments(balance, 0.01, 25.0, 0.30)
    np.testing.assert_array_equal(minimum, [3_500, 2_500, 1_000, 0])


def test_entry_sets_past_due_due_day_and_bucket():
    acc = placed([30, 45, 59, 60, 170], day=10)
    # two minimums past due at 30-59 days, three at 60-89, six at 150-179
    np.testing.assert_array_equal(acc.past_due, np.array([2, 2, 2, 3, 6]) * MINIMUM)
    # the last due date was 0, 15, 29, 0 and 20 days before day 10
    np.testing.assert_array_equal(acc.due_offset, [10, 25, 11, 10, 20])
    every = np.arange(acc.n)
    np.testing.assert_array_equal(lifecycle.days_past_due(acc, every, 10), [30, 45, 59, 60, 170])
    run_days(acc, range(11, 15))  # the third passes a due date on day 11
    np.testing.assert_array_equal(lifecycle.days_past_due(acc, every, 14), [34, 49, 63, 64, 174])
    assert [Delinquency(s).label for s in acc.state_at_placement] == \
        ["30-59", "30-59", "30-59", "60-89", "150-179"]


def test_a_missed_minimum_rolls_one_paid_minimum_stays_past_due_paid_cures():
    acc = placed([30, 30, 30, 30])
    every = np.arange(acc.n)
    acc.pay(np.array([1, 2, 3]), np.array([MINIMUM, 2 * MINIMUM, MINIMUM // 2]))
    # paying the past-due amount cures at once; one minimum rolls back a cycle
    np.testing.assert_array_equal(lifecycle.days_past_due(acc, every, 5), [35, 5, 0, 35])
    rolls = run_days(acc, range(1, 31))
    # day 30, a due date: nothing paid rolls; one minimum paid stays; half a minimum rolls
    np.testing.assert_array_equal(lifecycle.days_past_due(acc, every, 30), [60, 30, 0, 60])
    assert acc.status[2] == Status.CURED and acc.cured_day[2] == 1
    assert [Delinquency(s).label for s in acc.cycle_state] == ["60-89", "30-59", "current",
                                                                "60-89"]
    assert rolls.placed[Delinquency.DPD_30_59, Delinquency.DPD_60_89] == 2
    assert rolls.placed[Delinquency.DPD_30_59, Delinquency.DPD_30_59] == 1
    assert rolls.placed[Delinquency.DPD_30_59, Delinquency.CURRENT] == 1


def test_charge_off_at_180_days_stops_interest_and_writes_off_the_balance():
    acc = placed([150, 120])
    run_days(acc, range(1, 31))
    assert acc.charged_off.tolist() == [True, False]
    assert acc.charged_off_day[0] == 30  # 180 days past due on its next due date
    assert acc.written_off[0] == BALANCE
    assert acc.cycle_state[0] == lifecycle.NOT_TRACKED
    before = acc.outstanding.copy()
    accrue_interest(acc, apr=0.365, day=31)
    assert acc.outstanding[0] == before[0]  # non-accrual
    assert acc.outstanding[1] > before[1]
    acc.pay(np.array([0]), np.array([10_000]))
    assert acc.collected_after_charge_off[0] == 10_000
    acc.check_ledger()


def test_charge_off_days_between_due_dates():
    acc = placed([150])
    rolls = run_days(acc, range(1, 20), charge_off_days=165)
    assert acc.charged_off_day[0] == 15
    assert rolls.placed[Delinquency.DPD_150_179, Delinquency.CHARGED_OFF] == 1


def test_post_charge_off_placement_enters_charged_off_and_is_not_counted_as_a_charge_off():
    acc = placed([200], charged_off=True)
    assert acc.charged_off[0] and acc.charged_off_day[0] == -np.inf
    assert acc.state_at_placement[0] == Delinquency.CHARGED_OFF
    assert acc.past_due[0] == BALANCE


def test_current_accounts_pay_their_minimum_or_roll_back_to_1_29():
    acc = placed([30] * 2000, minimum_miss=0.25)
    acc.pay(np.arange(acc.n), acc.past_due.copy())
    run_days(acc, range(1, 31))  # the cure payment covers the cycle ending on day 30
    assert (acc.status == Status.CURED).all()
    run_days(acc, range(31, 61))
    missed = acc.status == Status.ACTIVE
    share, se = missed.mean(), np.sqrt(0.25 * 0.75 / acc.n)
    assert abs(share - 0.25) < 4 * se
    assert acc.redefaulted[missed].all() and not acc.redefaulted[~missed].any()
    assert (acc.past_due[missed] == MINIMUM).all()
    assert (lifecycle.days_past_due(acc, np.flatnonzero(missed), 61) == 1).all()
    # the others paid their minimum, which is now collected
    assert (acc.collected[~missed] == 2 * MINIMUM + MINIMUM).all()


def test_cure_promise_pays_the_past_due_amount_agreed():
    acc = placed([30, 30])
    acc.status[:] = Status.PROMISE
    acc.promise_cures[:] = True
    acc.promise_amount[:] = acc.past_due
    acc.promise_due[:] = [5.0, 35.0]
    acc.keep_probability[:] = 1.0
    resolve_promises(acc, Keeps(), day=5)
    assert acc.status[0] == Status.CURED and acc.collected[0] == 2 * MINIMUM
    run_days(acc, range(6, 31))  # a due date adds a minimum before the second pays
    resolve_promises(acc, Keeps(), day=35)
    assert acc.status[1] == Status.ACTIVE  # paid what it agreed, one minimum still past due
    assert acc.past_due[1] == MINIMUM


def test_reage_plan_brings_the_account_current_after_three_minimums():
    acc = placed([60, 60])
    acc.status[:] = Status.PLAN
    acc.plan_reages[:] = True
    acc.plan_installment[:] = MINIMUM
    acc.plan_left[:] = 3
    acc.promise_due[:] = 5.0
    acc.keep_probability[:] = 1.0
    acc.reages[1] = 2  # already re-aged twice in five years
    owed = acc.outstanding.copy()
    for day in (5, 35, 65):
        resolve_instalments(acc, Keeps(), day)
        run_days(acc, range(day, day + 30))
    assert acc.status[0] == Status.CURED and acc.past_due[0] == 0
    assert acc.reages[0] == 1
    assert acc.outstanding[0] == owed[0] - 3 * MINIMUM  # nothing forgiven
    assert not lifecycle.can_reage(acc, 1, 100.0)
    assert not lifecycle.can_reage(acc, 0, 100.0)  # once in twelve months
    assert lifecycle.can_reage(acc, 0, 65.0 + 365)


def test_self_cure_before_charge_off_pays_the_past_due_amount():
    acc = placed([45, 200])
    lifecycle.charge_off(acc, np.array([1]), 0)
    cured = self_cure(acc, Keeps(), day=3, reminded=np.zeros(2, dtype=np.bool_))
    np.testing.assert_array_equal(np.sort(cured), [0, 1])
    assert acc.status[0] == Status.CURED and acc.collected[0] == 2 * MINIMUM
    assert acc.status[1] == Status.PAID and acc.outstanding[1] == 0
    assert acc.self_cured.all()


def test_delinquent_means_past_due_or_charged_off_and_owing():
    acc = placed([30, 30, 200, 200])
    lifecycle.charge_off(acc, np.array([2, 3]), 0)
    acc.pay(np.array([0, 3]), np.array([2 * MINIMUM, BALANCE]))
    assert lifecycle.delinquent(acc, np.arange(4)).tolist() == [False, True, True, False]


@pytest.mark.parametrize("share", [0.0, 0.3])
def test_roll_counts_keep_control_apart(share):
    acc = placed([30] * 1000)
    acc.in_control[: int(share * 1000)] = True
    rolls = run_days(acc, range(1, 31))
    assert rolls.placed.sum() + rolls.control.sum() == 1000
    assert rolls.control.sum() == int(share * 1000)
    rows = rolls.frame_rows()
    assert {row["group"] for row in rows} == ({"placed", "control"} if share else {"placed"})
    for row in rows:
        assert row["share"] == pytest.approx(1.0)  # everyone rolled 30-59 -> 60-89


def test_self_cure_hazard_falls_with_each_week_past_due():
    from sim.config.schema import StageParameters
    from sim.model.behaviour.stage import StageModel

    acc = placed([30, 100, 100])
    acc.self_cure_rate[:] = 0.01
    acc.cure_budget[:] = 10.0
    model = StageModel(acc, StageParameters(cure_decay_per_week=0.1), Streams(1, 0))
    model.spontaneous(np.array([0, 1]), 0, np.zeros(2, dtype=np.bool_))
    assert acc.cure_level[0] == pytest.approx(0.01)
    assert acc.cure_level[1] == pytest.approx(0.01 * 0.9 ** 10)
    # a week later both have aged a week
    model.spontaneous(np.array([0, 1]), 7, np.zeros(2, dtype=np.bool_))
    assert acc.cure_level[0] == pytest.approx(0.01 + 0.01 * 0.9)


def test_an_account_placed_on_its_due_date_counts_that_minimum_once():
    acc = placed([60, 30])
    rolls = run_days(acc, range(0, 5))
    assert lifecycle.days_past_due(acc, np.arange(2), 4).tolist() == [64, 34]
    assert rolls.placed.sum() == 0  # its first transition is at its next due date


def test_an_account_placed_charged_off_is_not_tracked_through_cycles():
    acc = placed([180, 210], charged_off=True)
    rolls = run_days(acc, range(0, 61))
    assert rolls.placed.sum() == 0
    assert (acc.past_due <= acc.outstanding).all()
    assert (acc.cycle_state == lifecycle.NOT_TRACKED).all()


def test_what_is_asked_never_exceeds_what_is_owed_but_the_age_keeps_growing():
    acc = placed([150])
    acc.outstanding[0] = acc.placed[0] = acc.balance[0] = 5_000  # less than two minimums
    run_days(acc, range(1, 10))
    assert lifecycle.amount_due(acc, np.array([0]))[0] == 5_000
    assert lifecycle.days_past_due(acc, np.array([0]), 9)[0] == 159


def test_an_account_paid_in_full_counts_as_current_at_its_next_due_date_then_leaves():
    acc = placed([45])
    acc.pay(np.array([0]), np.array([BALANCE]))
    rolls = run_days(acc, range(1, 40))
    assert rolls.placed[Delinquency.DPD_30_59, Delinquency.CURRENT] == 1
    assert rolls.placed.sum() == 1
    assert acc.cycle_state[0] == lifecycle.NOT_TRACKED


def test_a_late_fee_follows_each_missed_minimum_at_its_due_date():
    """Due dates on days 30, 60, …: a fee for every cycle whose minimum went unpaid — the
    first miss of a current cardholder included — and none for a minimum paid, on a plan or
    in a breathing space; none on the day an account enters."""
    acc = placed([0, 0, 30, 30, 30, 30], minimum_miss=1.0)  # current ones always miss
    acc.pay(np.array([1]), np.array([MINIMUM]))  # 1 pays this cycle's minimum early
    acc.pay(np.array([3]), np.array([MINIMUM // 2]))  # 3, behind, pays less than a minimum
    acc.status[4] = Status.PLAN
    paused = np.zeros(acc.n, dtype=np.bool_)
    paused[5] = True
    entered = acc.accrued.copy()
    rng, rolls = np.random.default_rng(0), lifecycle.RollCounts()
    lifecycle.advance(acc, 0, 180, rng, rolls, late_fee_cents=2_900, paused=paused)
    np.testing.assert_array_equal(acc.accrued, entered)  # the entry day closes no cycle
    for day in range(1, 31):
        lifecycle.advance(acc, day, 180, rng, rolls, late_fee_cents=2_900, paused=paused)
        acc.check_ledger()
    np.testing.assert_array_equal(acc.accrued - entered, [2_900, 0, 2_900, 2_900, 0, 0])
