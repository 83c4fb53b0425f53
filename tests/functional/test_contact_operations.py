"""Contact operations: the clock matters.

The contact window and the agencies' shifts are read on each cardholder's local clock, and
cardholders answer more in some parts of the week than others
(:mod:`sim.model.agency.reach`). So moving the window or a shift moves the results: these
tests run small variants of the baseline on the same seed and compare them.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from sim.model.replication import run_replication

pytestmark = pytest.mark.slow  # several small replications with the event log

SIZE = {"accounts": 3000, "collectors": 4, "horizon": 40}
ONE_ZONE = "[{offset_hours = 0, share = 1.0}]"


@functools.cache
def _run(small_scenario, *overrides: str):
    scenario = small_scenario(*overrides, **SIZE, each={"compliance": 1.0})
    return scenario, run_replication(scenario, seed=7, record_events=True)


def _rpc_rate(results) -> tuple[float, float]:
    """Right-party contacts per dial and its binomial standard error."""
    rate, calls = results.kpi("rpc_rate"), results.kpi("call_attempts")
    return rate, math.sqrt(rate * (1 - rate) / calls)


def test_a_later_window_opens_no_call_before_it_and_changes_the_results(small_scenario):
    _, usual = _run(small_scenario)
    _, later = _run(small_scenario, 'rules.window_start="10:00"')
    calls = later.events[later.events.kind == "call"]
    local_hours = (calls.local_time - np.floor(calls.local_time)) * 24
    assert local_hours.min() >= 10 - 1e-6
    usual_calls = usual.events[usual.events.kind == "call"]
    usual_hours = (usual_calls.local_time - np.floor(usual_calls.local_time)) * 24
    assert usual_hours.min() < 10
    assert later.kpi("call_attempts") != usual.kpi("call_attempts")
    assert later.kpi("collected") != usual.kpi("collected")


def test_an_evening_shift_reaches_more_cardholders_per_dial(small_scenario):
    """Employed cardholders answer more on weekday evenings (``evening_answer_factor``): a
    13:00-21:00 shift gets more right-party contacts per dial than 09:00-17:00 (everyone on
    the agency's clock, so half the later shift is evening)."""
    one_zone = f"portfolio.time_zones={ONE_ZONE}"
    _, day = _run(small_scenario, one_zone)
    evening = ['agencies.alpha.shift.start="13:00"', 'agencies.alpha.shift.end="21:00"',
               'agencies.beta.shift.start="13:00"', 'agencies.beta.shift.end="21:00"']
    _, late = _run(small_scenario, one_zone, *evening)
    (day_rate, day_se), (late_rate, late_se) = _rpc_rate(day), _rpc_rate(late)
    assert late_rate > day_rate + 4 * math.hypot(day_se, late_se)


def test_a_saturday_shift_works_saturdays_and_reaches_more(small_scenario):
    days = '["mon", "tue", "wed", "thu", "fri", "sat"]'
    _, weekdays = _run(small_scenario)
    _, six = _run(small_scenario, f"agencies.alpha.shift.days={days}",
                  f"agencies.beta.shift.days={days}")
    scenario, _ = _run(small_scenario)
    calls = six.events[six.events.kind == "call"]
    weekday = (scenario.scenario.start_date.weekday() + np.floor(calls.time).astype(int)) % 7
    assert (weekday == 5).any() and not (weekday == 6).any()
    assert six.kpi("conversations") > weekdays.kpi("conversations")


def test_cardholders_on_the_agencys_clock_are_called_from_the_shifts_start(small_scenario):
    """With the US time zones, a 09:00 shift cannot call Pacific cardholders (06:00 local)
    until 11:00; with everyone on the agency's clock, it calls from 09:00."""
    _, spread = _run(small_scenario)
    _, one = _run(small_scenario, f"portfolio.time_zones={ONE_ZONE}")
    spread_calls = spread.events[spread.events.kind == "call"]
    pacific = spread_calls[np.isclose(spread_calls.local_time - spread_calls.time, -3 / 24)]
    assert len(pacific)
    assert ((pacific.time - np.floor(pacific.time)) * 24).min() >= 11 - 1e-6
    one_calls = one.events[one.events.kind == "call"]
    assert ((one_calls.time - np.floor(one_calls.time)) * 24).min() < 10


def test_numbers_found_wrong_are_traced_and_some_reached(small_scenario):
    """A number found wrong goes for tracing; with every trace successful the cardholder is
    called again and often reached, with none the agency only hears from them if they phone."""
    runs = {}
    for success in (1.0, 0.0):
        scenario = small_scenario(**SIZE, each={"skip_trace_success": success,
                                                "skip_trace_days": 2.0})
        runs[success] = run_replication(scenario, seed=7, keep_accounts=True)
    found, lost = runs[1.0].accounts, runs[0.0].accounts
    traced = found[found.traces > 0]
    assert len(traced) > 50
    # traced numbers work: the accounts are called again after the wrong number
    assert (traced.attempts > 1).mean() > 0.5
    # without tracing the same cardholders (same portfolio) get the one call that found the
    # number wrong and no more
    assert lost.traces.sum() == 0
    assert (lost.loc[traced.index].attempts <= 1).all()
    assert runs[1.0].kpi("contact_rate") > runs[0.0].kpi("contact_rate")


def test_cardholders_who_paid_are_called_only_until_the_payment_posts(small_scenario):
    """A payment made of the cardholder's own accord reaches the agency posting_lag_days
    later; until then the agency may call them (``already_paid``), never after."""
    lagged = {}
    for lag in (0.0, 3.0):
        scenario = small_scenario(f"bank.posting_lag_days={lag}", **SIZE)
        lagged[lag] = run_replication(scenario, seed=7, record_events=True, keep_accounts=True)
    assert (lagged[0.0].events.outcome == "already_paid").sum() == 0
    results = lagged[3.0]
    paid_calls = results.events[results.events.outcome == "already_paid"]
    assert len(paid_calls) > 0
    accounts = results.accounts.set_index("account")
    left = np.fmin(accounts.closed_day, accounts.cured_day).loc[paid_calls.account].to_numpy()
    delay = paid_calls.time.to_numpy() - left
    assert (delay >= 0).all() and (delay < 3.0 + 1.0).all()
