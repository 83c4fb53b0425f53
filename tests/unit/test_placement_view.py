"""Who is credited with what when an account is placed twice (sim.model.bank.second_placement).

Three accounts placed with alpha on day 0 (handed over on day 2): accounts 0 and 1 come back
owing on day 90 and are placed again with delta (handed over on day 92); account 2 stays with
alpha. In its first placement account 0 was called (day 3.5) but never reached, pressed hard
(5 calls in 7 days), paid an instalment, cured on day 30 of its own accord and fell behind
again; account 1 was reached on day 4. In its second placement account 0 is called on day
92.5, reached on day 93 and cured again on day 120; account 1 is left alone.

* the program as a whole (``"all"``) keeps each account's first placement's start (agency,
  placement and hand-over days, state at placement), the earlier first call and conversation,
  the higher pressure, and the events of either placement;
* the first agency's view is its placement as it ended, whatever delta did later;
* delta's view holds only what happened while delta held the account: a cure, instalment,
  re-default or self-cure of the first placement earns delta nothing;
* the daily series split the money the same way (:func:`sim.model.series.placements`), and an
  income shock runs its course from the first placement (:mod:`sim.model.portfolio.reasons`).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.schema import Bank, Portfolio, Rules, Segment
from sim.model.agency.fees import cured
from sim.model.bank.second_placement import PlacementView, replace_accounts, start_copies
from sim.model.codes import Delinquency, Status
from sim.model.portfolio import lifecycle, reasons
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams
from sim.model.rules.book import RuleBooks
from sim.model.rules.history import ContactHistory
from sim.model.series import placements

ALPHA, DELTA = 0, 2
BALANCE = 100_000  # $1,000.00 in cents
AGAIN = np.array([0, 1])
EVERYONE = np.arange(3)


def first_placement() -> tuple[Accounts, ContactHistory]:
    """The three accounts at the end of their first placement (see the module)."""
    spec = Portfolio(accounts=3, segments={"only": Segment(share=1.0)})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.balance[:] = acc.placed[:] = acc.outstanding[:] = BALANCE
    acc.agency[:] = ALPHA
    acc.is_placed[:] = True
    acc.status[:] = Status.ACTIVE
    acc.placed_day[:] = 0.0
    acc.workable_day[:] = 2.0
    acc.recall_day[:] = 90.0
    acc.recalled[:] = True  # all three came back on day 90
    acc.state_at_placement[:] = Delinquency.DPD_30_59
    acc.state_at_recall[:] = Delinquency.DPD_1_29
    acc.first_attempt[:] = [3.5, 4.0, 2.5]
    acc.first_rpc[:] = [np.nan, 4.0, np.nan]
    acc.attempts[:] = [9, 3, 2]
    acc.max_pressure[:] = [5, 1, 1]
    acc.cured_day[0] = 30.0
    acc.ever_paid_instalment[0] = acc.redefaulted[0] = acc.self_cured[0] = True
    acc.collected[:] = [5_000, 7_000, 100]
    acc.outstanding[:] = BALANCE - acc.collected
    history = RuleBooks(Rules(), acc.local_offset, acc.placed_day).history
    start_copies(acc, history)
    return acc, history


def placed_again() -> tuple[Accounts, ContactHistory]:
    """Accounts 0 and 1 placed again with delta on day 90, and what delta did with them."""
    acc, history = first_placement()
    replace_accounts(acc, history, AGAIN, DELTA, 90, transfer_days=2, horizon_days=90)
    acc.first_attempt[0] = 92.5
    acc.first_rpc[0] = 93.0
    acc.attempts[0] += 4
    acc.max_pressure[0] = 2
    acc.status[0] = Status.ACTIVE
    lifecycle.cure(acc, np.array([0]), 120)
    acc.collected[0] += 2_000
    acc.outstanding[0] -= 2_000
    return acc, history


def test_the_program_keeps_the_first_placements_start_and_earliest_events():
    acc, history = placed_again()
    program = PlacementView(acc, history, EVERYONE, "all")
    np.testing.assert_array_equal(program.agency, [ALPHA] * 3)
    np.testing.assert_array_equal(program.placed_day, [0.0] * 3)
    np.testing.assert_array_equal(program.workable_day, [2.0] * 3)
    np.testing.assert_array_equal(program.state_at_placement, [Delinquency.DPD_30_59] * 3)
    np.testing.assert_array_equal(program.first_attempt, [3.5, 4.0, 2.5])
    np.testing.assert_array_equal(program.first_rpc, [93.0, 4.0, np.nan])
    np.testing.assert_array_equal(program.max_pressure, [5, 1, 1])
    np.testing.assert_array_equal(program.cured_day, [30.0, np.nan, np.nan])
    for flag in ("ever_paid_instalment", "redefaulted", "self_cured"):
        np.testing.assert_array_equal(getattr(program, flag), [True, False, False], err_msg=flag)
    np.testing.assert_array_equal(program.attempts, [13, 3, 2])  # counters: the whole program
    assert cured(program).tolist() == [True, False, False]


def test_the_first_agency_sees_its_placement_as_it_ended():
    acc, history = placed_again()
    alpha = PlacementView(acc, history, EVERYONE, "first")
    np.testing.assert_array_equal(alpha.agency, [ALPHA] * 3)
    np.testing.assert_array_equal(alpha.workable_day, [2.0] * 3)
    np.testing.assert_array_equal(alpha.placed_day, [0.0] * 3)
    np.testing.assert_array_equal(alpha.first_attempt, [3.5, 4.0, 2.5])
    np.testing.assert_array_equal(alpha.first_rpc, [np.nan, 4.0, np.nan])
    np.testing.assert_array_equal(alpha.cured_day, [30.0, np.nan, np.nan])
    np.testing.assert_array_equal(alpha.self_cured, [True, False, False])
    np.testing.assert_array_equal(alpha.collected, [5_000, 7_000, 100])
    assert cured(alpha).tolist() == [True, False, False]


def test_the_second_agency_is_credited_only_with_its_own_placement():
    acc, history = placed_again()
    delta = PlacementView(acc, history, AGAIN, "second")
    np.testing.assert_array_equal(delta.agency, [DELTA] * 2)
    np.testing.assert_array_equal(delta.placed_day, [90.0] * 2)
    np.testing.assert_array_equal(delta.workable_day, [92.0] * 2)
    np.testing.assert_array_equal(delta.state_at_placement, [Delinquency.DPD_1_29] * 2)
    np.testing.assert_array_equal(delta.first_attempt, [92.5, np.nan])
    np.testing.assert_array_equal(delta.first_rpc, [93.0, np.nan])
    np.testing.assert_array_equal(delta.max_pressure, [2, 0])
    np.testing.assert_array_equal(delta.cured_day, [120.0, np.nan])  # its own cure
    for flag in ("ever_paid_instalment", "redefaulted", "self_cured"):
        np.testing.assert_array_equal(getattr(delta, flag), [False, False], err_msg=flag)
    np.testing.assert_array_equal(delta.collected, [2_000, 0])
    np.testing.assert_array_equal(delta.placed, [95_000, 93_000])
    assert cured(delta).tolist() == [True, False]  # no bonus for alpha's cure of account 0


def test_a_cure_in_the_first_placement_earns_the_second_agency_nothing():
    acc, history = first_placement()
    replace_accounts(acc, history, AGAIN, DELTA, 90, transfer_days=2, horizon_days=90)
    delta = PlacementView(acc, history, AGAIN, "second")
    assert cured(delta).tolist() == [False, False]
    assert cured(PlacementView(acc, history, AGAIN, "first")).tolist() == [True, False]


def test_daily_money_is_credited_to_the_placement_it_was_collected_in():
    acc, _ = placed_again()
    credited = placements(acc, EVERYONE)
    groups = DELTA + 1
    collected = np.bincount(credited.agency, weights=credited.collected, minlength=groups)
    placed = np.bincount(credited.agency, weights=credited.placed, minlength=groups)
    assert collected.tolist() == [12_100.0, 0.0, 2_000.0]  # alpha keeps what it collected
    assert placed.tolist() == [3 * BALANCE, 0.0, 95_000 + 93_000]  # delta: owed at day 90
    assert collected.sum() == acc.collected.sum()
    np.testing.assert_array_equal(np.sort(credited.placed_day), [0.0, 0.0, 0.0, 90.0, 90.0])


def test_placements_of_a_program_without_a_second_placement_are_the_accounts():
    spec = Portfolio(accounts=4, segments={"only": Segment(share=1.0)})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.agency[:] = [0, 1, 1, 0]
    acc.collected[:] = [1, 2, 3, 4]
    idx = np.array([1, 3])
    credited = placements(acc, idx)
    assert credited.agency.tolist() == [1, 0]
    assert credited.collected.tolist() == [2, 4]
    assert credited.placed.tolist() == acc.placed[idx].tolist()


@pytest.mark.parametrize(("day", "back"), [(99, False), (100, True)])
def test_income_returns_on_the_first_placements_clock(day, back):
    """An income shock that ends 100 days after the first placement ends on day 100, though
    the account was placed again on day 90."""
    acc, _ = placed_again()
    acc.income_returns_after[:] = 100.0
    acc.recovered_capacity[:] = 0.9
    reasons.advance(acc, day)
    assert acc.income_returned[AGAIN].tolist() == [back, back]
    assert not acc.income_returned[2]  # recalled on day 90: frozen
