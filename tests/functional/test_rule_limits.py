"""The contact rules bind, measured directly on a replication's contacts.

Where the replay of :mod:`rule_replay` checks every contact against every rule, these tests
measure what a cardholder would see — calls in any seven of their calendar days, the hours of
the calls on their clock, messages a week — and show each limit holds under full compliance
and binds (the measurement reaches the limit), so the check has teeth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rule_replay import clock_minutes, run_recording_messages

from sim.model.replication import run_replication
from sim.model.results import TOTAL

# Collectors who would dial the same account up to 6 times a day, half an hour apart, from the
# top of a static list; no cardholder asks to be called back (no call is exempt from the cap).
PUSHY = {"max_attempts_per_day": 6, "retry_hours": 0.5, "pacing_minutes": 15,
         "strategy": "static", "compliance": 1.0}
NO_CONSENT = "rules.callback_request_share=0"


def most_in_7_local_days(frame: pd.DataFrame) -> int:
    """Most contacts any account had on 7 consecutive local calendar days (``day`` column)."""
    most = 0
    for _, group in frame.groupby("account"):
        days = np.sort(group.day.to_numpy())
        first_inside = np.searchsorted(days, days - 6, side="left")
        most = max(most, int((np.arange(len(days)) - first_inside + 1).max()))
    return most


@pytest.mark.parametrize("cap", [2, 7])
def test_calls_per_7_days_cap_holds_and_binds(small_scenario, cap):
    scenario = small_scenario(f"rules.max_calls_per_7_days={cap}", NO_CONSENT, accounts=200,
                              collectors=2, horizon=20, each=PUSHY)
    results = run_replication(scenario, seed=2, record_events=True)
    calls = results.events[results.events.kind == "call"]
    calls = calls.assign(day=np.floor(calls.local_time).astype(int))
    assert results.kpi("rule_violations") == 0
    assert most_in_7_local_days(calls) == cap


def test_calls_keep_to_the_window_on_the_cardholders_clock_up_to_its_edges(small_scenario):
    """Collectors on a 06:00-23:00 shift, with no cap on their calls but the window, only dial
    between 08:00 and 21:00 on each cardholder's clock, right up to the window's edges."""
    scenario = small_scenario('agencies.alpha.shift.start="06:00"',
                              'agencies.alpha.shift.end="23:00"', "rules.max_calls_per_7_days=0",
                              "rules.quiet_days_after_conversation=0", accounts=300,
                              collectors=2, horizon=15,
                              each={**PUSHY, "max_attempts_per_day": 30})
    results = run_replication(scenario, seed=3, record_events=True)
    calls = results.events[results.events.kind == "call"]
    hours = calls.local_time.map(clock_minutes) / 60.0
    assert hours.min() >= 8.0 and hours.max() < 21.0
    assert hours.min() < 8.5 and hours.max() > 20.5
    assert (calls.local_time != calls.time).any()  # cardholders in several time zones


def test_collectors_starting_before_the_window_call_once_it_opens(small_scenario):
    """A shift starting at 07:00 under an 08:00 window still dials on every working day."""
    scenario = small_scenario('agencies.alpha.shift.start="07:00"',
                              'agencies.beta.shift.start="07:00"', accounts=600, collectors=2,
                              horizon=20, each={"compliance": 1.0, "max_attempts_per_day": 2,
                                                "retry_hours": 3.0})
    results = run_replication(scenario, seed=3)
    daily = results.daily[results.daily.agency == TOTAL].set_index("day")
    start = scenario.scenario.start_date
    delay = scenario.bank.transfer_delay_days
    working = [d for d in range(delay, scenario.scenario.horizon_days)
               if (start.weekday() + d) % 7 < 5]
    idle = [d for d in working if daily.loc[d, "calls"] == 0]
    assert not idle, f"no calls at all on working days {idle}"


@pytest.mark.parametrize("compliance", [1.0, 0.5])
def test_message_cap_holds_and_binds(small_scenario, compliance):
    """Daily SMS under a cap of 2 messages per 7 calendar days, with no collectors at all. With
    full compliance the cap holds and binds; a lax agency's violations are all messages (sent
    outside the window through a wrong time zone on file: no slip sends one over the cap)."""
    scenario = small_scenario("rules.max_messages_per_7_days=2", accounts=300, horizon=25,
                              each={"collectors": 0, "sms.every_days": 1,
                                    "compliance": compliance,
                                    "conduct.wrong_time_zone": 1.0})
    results, messages = run_recording_messages(scenario, seed=2)
    assert len(results.events) == 0  # no calls: every violation is a message
    offsets = results.accounts.set_index("account").local_offset_hours / 24.0
    messages = messages.assign(
        day=np.floor(messages.time + messages.account.map(offsets)).astype(int))
    violations = results.kpi("rule_violations")
    daily = results.daily[results.daily.agency == TOTAL]
    assert daily.violations.sum() == violations == results.accounts.violations.sum()
    if compliance == 1.0:
        assert violations == 0
        assert most_in_7_local_days(messages) == 2
    else:
        assert violations > 0


def test_without_messages_every_violation_is_a_flagged_call(small_scenario, no_messages):
    scenario = small_scenario(NO_CONSENT, accounts=250, collectors=2, horizon=15,
                              each={**PUSHY, **no_messages, "compliance": 0.3,
                                    "conduct.manual_redial": 0.5})
    results = run_replication(scenario, seed=4, record_events=True)
    calls = results.events[results.events.kind == "call"]
    flagged = int((calls.rule_broken != "").sum())
    assert flagged > 0
    assert results.kpi("rule_violations") == flagged
    for index, agency in enumerate(scenario.agencies):
        mine = calls[calls.agency == index]
        assert results.kpi("rule_violations", agency.name) == (mine.rule_broken != "").sum()
