"""Nothing happens after recall.

A batch placed at day 0 is recalled at ``horizon_days``. With a 30-day placement many accounts
are still paying instalments when they go back to the bank; none of those later instalments,
nor any contact, may appear in the results.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.replication import run_replication
from sim.model.results import TOTAL

HORIZON = 30


@pytest.fixture(scope="module", params=["stage", "hawkes"])
def recalled(request, small_scenario):
    scenario = small_scenario(f'behaviour.model="{request.param}"', accounts=2000,
                              collectors=4, horizon=HORIZON)
    results = run_replication(scenario, seed=3, record_events=True, keep_accounts=True,
                              audit=True)
    return scenario, results


def test_plans_are_still_running_at_recall(recalled):
    scenario, results = recalled
    if scenario.behaviour.model == "hawkes":
        # no promises in the hawkes model: repayments continue on open balances instead
        assert (results.accounts.outstanding > 0).mean() > 0.5
        return
    # otherwise the checks below would be vacuous
    assert results.kpi("on_plan_at_recall") > 0
    assert results.accounts.on_plan_at_recall.sum() == results.kpi("on_plan_at_recall")


def test_no_event_at_or_after_recall(recalled):
    scenario, results = recalled
    events = results.events
    assert len(events) > 0
    assert events.time.max() < scenario.scenario.horizon_days
    assert results.meta["horizon_days"] == HORIZON


def test_no_outbound_call_before_hand_over(recalled):
    scenario, results = recalled
    calls = results.events[results.events.kind == "call"]
    assert calls.time.min() >= scenario.bank.transfer_delay_days


def test_daily_series_stop_at_recall(recalled):
    _, results = recalled
    daily = results.daily
    assert daily.day.min() == 0
    assert daily.day.max() == HORIZON - 1
    for _, series in daily.groupby("agency"):
        assert sorted(series.day) == list(range(HORIZON))


def test_collected_at_end_equals_collected_at_recall(recalled):
    """The last daily snapshot is taken at the recall instant, before anything else happens."""
    scenario, results = recalled
    acc, daily, kpis = results.accounts, results.daily, results.kpis
    last = daily[daily.day == HORIZON - 1].set_index("agency")
    assert acc.collected.sum() == pytest.approx(last.loc[TOTAL, "collected_to_date"], abs=0.005)
    for agency in scenario.agencies:
        at_recall = last.loc[agency.name, "collected_to_date"]
        assert acc[acc.agency == agency.name].collected.sum() == pytest.approx(at_recall,
                                                                               abs=0.005)
        assert kpis.loc[agency.name, "collected"] == pytest.approx(at_recall, abs=0.005)


def test_status_is_frozen_at_recall(recalled):
    _, results = recalled
    acc = results.accounts
    # the plan flag was taken at recall, the status at the end: they agree account by account
    assert ((acc.status == "plan") == acc.on_plan_at_recall).all()
    # accounts on plans or promises at recall still owe money
    live = acc.status.isin(["plan", "promise"])
    assert (acc.outstanding[live] > 0).all()


def test_longer_placement_collects_more_from_the_same_accounts(small_scenario, recalled):
    """The 30-day results are a prefix of a longer placement of the same accounts."""
    short_scenario, short = recalled
    model = short_scenario.behaviour.model
    scenario = small_scenario(f'behaviour.model="{model}"', accounts=2000, collectors=4,
                              horizon=HORIZON + 30)
    longer = run_replication(scenario, seed=3, keep_accounts=True)
    short_daily = short.daily[short.daily.agency == TOTAL].set_index("day")
    long_daily = longer.daily[longer.daily.agency == TOTAL].set_index("day")
    # identical up to the recall of the shorter placement...
    np.testing.assert_allclose(short_daily.collected_to_date.to_numpy()[:HORIZON],
                               long_daily.collected_to_date.to_numpy()[:HORIZON])
    # ... and afterwards the still-running plans and promises keep paying
    assert longer.kpi("collected") > short.kpi("collected")


def test_promises_due_on_the_recall_day_are_settled_before_the_recall(small_scenario):
    """A promise falling due on the day its account is recalled is kept or broken first, so no
    account comes back under a promise that was already due."""
    # placed on a Monday: promises made on day 28 (a Monday) with 2 days fall due on day 31,
    # the recall day
    scenario = small_scenario("agencies.alpha.promise_days=2", "agencies.beta.promise_days=2",
                              accounts=2000, collectors=4, horizon=31)
    accounts = run_replication(scenario, seed=3, keep_accounts=True).accounts
    open_promises = accounts[accounts.status.astype(str) == "promise"]
    assert len(open_promises) > 0
    assert (open_promises.promise_due > open_promises.recall_day).all()
