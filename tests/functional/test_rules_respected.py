"""Rules are never broken silently (DESIGN §2, §6).

The event log of a replication is replayed account by account against the scenario's
``[rules]`` by an independent checker (:func:`broken_rules`), which says, for every outbound
call, which rules it broke. A call that breaks a rule must carry a non-empty ``rule_broken``,
and a call that carries one must really have broken that rule. With ``compliance = 1`` nothing
is ever broken; with low compliance the violations appear in the log and in the KPI.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from sim.config.schema import Rules, clock_to_day_fraction
from sim.model.replication import run_replication
from sim.model.results import TOTAL
from sim.model.rules.book import RULE_NAMES

UNANSWERED = ("no_answer", "wrong_number")

# Collectors may dial the same account up to 6 times a day, half an hour apart, so the 7-in-7
# cap and the quiet period bind often.
PUSHY = {"max_attempts_per_day": 6, "retry_hours": 0.5}


def clock_minutes(t):
    """Minutes since midnight of time ``t`` (days), to a microsecond or so: ``day + 08:00`` in
    floating point lands a hair before 08:00 and is read as 08:00."""
    return np.round((t - np.floor(t)) * 1440.0, 3)


def outside_window(t, rules: Rules):
    minutes = clock_minutes(t)
    start = round(clock_to_day_fraction(rules.window_start) * 1440.0, 3)
    end = round(clock_to_day_fraction(rules.window_end) * 1440.0, 3)
    return (minutes < start) | (minutes >= end)


def broken_rules(events: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """The outbound calls of ``events`` with the set of rules each broke (column ``broken``).

    Replays every account's log in time order: calls placed in the 7 days before, the last
    telephone conversation (an answered outbound call or an inbound call), cease requests,
    dispute holds, and the calendar day's conversations and unanswered dials.
    """
    rows = []
    by_account: dict[int, list[tuple]] = defaultdict(list)
    for row in events.itertuples(index=False):
        by_account[row.account].append(row)
    for account, log in by_account.items():
        calls: list[float] = []
        last_conversation = -math.inf
        ceased = False
        dispute_until = -math.inf
        day = None
        conversations_today = unanswered_today = 0
        for event in log:
            t = event.time
            if math.floor(t) != day:
                day = math.floor(t)
                conversations_today = unanswered_today = 0
            conversation = event.kind == "inbound" or event.outcome not in UNANSWERED
            if event.kind == "call":
                broken = set()
                recent = len(calls) - bisect.bisect_right(calls, t - 7.0)
                if rules.max_calls_per_7_days and recent >= rules.max_calls_per_7_days:
                    broken.add("calls_per_7_days")
                if t - last_conversation < rules.quiet_days_after_conversation:
                    broken.add("quiet_after_conversation")
                if outside_window(t, rules):
                    broken.add("contact_window")
                if ceased and rules.honour_cease_requests:
                    broken.add("cease_request")
                if t < dispute_until:
                    broken.add("dispute_hold")
                if (rules.max_conversations_per_day
                        and conversations_today >= rules.max_conversations_per_day):
                    broken.add("conversations_per_day")
                if (rules.max_unanswered_per_day
                        and unanswered_today >= rules.max_unanswered_per_day):
                    broken.add("unanswered_per_day")
                rows.append((account, t, event.outcome, event.rule_broken, frozenset(broken)))
                calls.append(t)
                if not conversation:
                    unanswered_today += 1
            if conversation:
                last_conversation = t
                conversations_today += 1
            if event.outcome == "cease_request":
                ceased = True
            if event.outcome == "dispute":
                dispute_until = t + rules.dispute_hold_days
    return pd.DataFrame(rows, columns=["account", "time", "outcome", "rule_broken", "broken"])


def max_calls_in_7_days(events: pd.DataFrame) -> int:
    """Most outbound calls any account received within a 7-day window (t − 7, t]."""
    calls = events[events.kind == "call"]
    most = 0
    for _, group in calls.groupby("account"):
        times = np.sort(group.time.to_numpy())
        first_inside = np.searchsorted(times, times - 7.0, side="right")
        most = max(most, int((np.arange(len(times)) - first_inside + 1).max()))
    return most


@functools.cache
def _run(small_scenario, *overrides: str, compliance: float | None = None, **sizes):
    each = dict(PUSHY)
    if compliance is not None:
        each["compliance"] = compliance
    scenario = small_scenario(*overrides, each=each, **sizes)
    return scenario, run_replication(scenario, seed=11, record_events=True, keep_accounts=True)


@pytest.fixture(scope="module", params=["default", "strict", "lax"])
def logged(request, small_scenario):
    """Replications with the baseline's compliance, with perfect and with poor compliance."""
    compliance = {"default": None, "strict": 1.0, "lax": 0.5}[request.param]
    scenario, results = _run(small_scenario, accounts=1500, collectors=4, horizon=60,
                             compliance=compliance)
    return request.param, scenario, results, broken_rules(results.events, scenario.rules)


def test_event_log_is_well_formed(logged):
    _, _, results, _ = logged
    events = results.events
    assert list(events.columns) == ["time", "account", "agency", "kind", "outcome",
                                    "rule_broken"]
    assert len(events) > 1000
    assert set(events.kind) <= {"call", "inbound"}
    assert set(events.rule_broken) <= {"", *RULE_NAMES.values()}
    assert (np.diff(events.time.to_numpy()) >= 0).all()
    assert (events[events.kind == "inbound"].rule_broken == "").all()
    # every outbound call in the log is a call attempt in the KPIs
    assert (events.kind == "call").sum() == results.kpi("call_attempts")


def test_no_call_breaks_a_rule_silently(logged):
    _, _, _, calls = logged
    silent = calls[(calls.rule_broken == "") & (calls.broken.map(len) > 0)]
    assert silent.empty, f"{len(silent)} silent violations, e.g.\n{silent.head(10)}"


def test_flagged_calls_really_broke_the_rule_named(logged):
    _, _, _, calls = logged
    flagged = calls[calls.rule_broken != ""]
    wrong = flagged[[rule not in broken
                     for rule, broken in zip(flagged.rule_broken, flagged.broken, strict=True)]]
    assert wrong.empty, f"{len(wrong)} calls flagged with a rule they did not break\n{wrong.head()}"


def test_violations_are_counted(logged):
    name, _, results, calls = logged
    flagged = int((calls.rule_broken != "").sum())
    violations = results.kpi("rule_violations")
    # every flagged call is a violation; the rest are messages sent against the rules
    assert flagged <= violations
    assert results.accounts.violations.sum() == violations
    daily = results.daily
    assert daily[daily.agency == TOTAL].violations.sum() == violations
    # account by account: flagged calls plus messages sent against the rules
    per_account = calls[calls.rule_broken != ""].groupby("account").size()
    counted = results.accounts.set_index("account").violations
    assert (counted.reindex(per_account.index) >= per_account).all()
    if name == "strict":
        assert flagged == 0
        assert violations == 0
    elif name == "lax":
        assert flagged > 0
        assert violations > 0
        # with half the account-days defiant, each rule that binds is broken
        assert {"calls_per_7_days", "quiet_after_conversation"} <= set(calls.rule_broken)


def test_regulation_f_holds_under_full_compliance(small_scenario):
    _, results = _run(small_scenario, accounts=1500, collectors=4, horizon=60, compliance=1.0)
    assert max_calls_in_7_days(results.events) <= 7


@pytest.mark.parametrize("cap", [2, 3, 5, 7])
def test_calls_per_7_days_cap_holds(small_scenario, cap):
    """With compliance 1 no account gets more than ``cap`` calls in any 7 days."""
    _, results = _run(small_scenario, f"rules.max_calls_per_7_days={cap}", accounts=600,
                      collectors=3, horizon=30, compliance=1.0)
    assert results.kpi("rule_violations") == 0
    assert max_calls_in_7_days(results.events) <= cap


def test_china_style_daily_caps(small_scenario):
    """At most 3 conversations and 6 unanswered dials per account per calendar day."""
    scenario, results = _run(
        small_scenario, "rules.max_conversations_per_day=3", "rules.max_unanswered_per_day=6",
        "rules.max_calls_per_7_days=0", "rules.quiet_days_after_conversation=0",
        "agencies.alpha.max_attempts_per_day=20", "agencies.beta.max_attempts_per_day=20",
        "agencies.alpha.retry_hours=0.1", "agencies.beta.retry_hours=0.1",
        accounts=400, collectors=3, horizon=21, compliance=1.0)
    events = results.events
    calls = events[events.kind == "call"].assign(day=lambda e: np.floor(e.time).astype(int))
    calls = calls.assign(conversation=~calls.outcome.isin(UNANSWERED))
    per_day = calls.groupby(["account", "day"]).conversation.agg(["sum", "size"])
    conversations = per_day["sum"]
    unanswered = per_day["size"] - per_day["sum"]
    assert conversations.max() <= 3
    assert unanswered.max() <= 6
    # the caps bind (else this test shows nothing)
    assert (conversations == 3).any()
    assert (unanswered == 6).any()
    assert results.kpi("rule_violations") == 0
    checked = broken_rules(events, scenario.rules)
    assert (checked.broken.map(len) == 0).all()


def _outside(calls: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    return calls[outside_window(calls.time, rules)]


def test_no_call_outside_the_window_under_full_compliance(small_scenario):
    """Collectors on a 06:00-23:00 shift only dial between 08:00 and 21:00."""
    scenario, results = _run(small_scenario, 'agencies.alpha.shift.start="06:00"',
                             'agencies.alpha.shift.end="23:00"', accounts=1000, collectors=3,
                             horizon=21, compliance=1.0)
    events = results.events
    outbound = events[events.kind == "call"]
    assert len(_outside(outbound, scenario.rules)) == 0
    # ... but they do dial right up to the window's edges
    hours = clock_minutes(outbound.time) / 60.0
    assert hours.min() < 8.5
    assert hours.max() > 20.5


@pytest.fixture(scope="module")
def window_breakers(small_scenario):
    """A 06:00-23:00 shift at an agency that ignores the rules on half its account-days."""
    return _run(small_scenario, 'agencies.alpha.shift.start="06:00"',
                'agencies.alpha.shift.end="23:00"', accounts=1000, collectors=3, horizon=30,
                compliance=0.5)


def test_calls_outside_the_window_are_flagged(window_breakers):
    scenario, results = window_breakers
    outside = _outside(results.events[results.events.kind == "call"], scenario.rules)
    assert len(outside) > 0
    assert (outside.rule_broken != "").all()


def test_calls_outside_the_window_are_flagged_contact_window(window_breakers):
    """A call outside 08:00-21:00 is a contact-window violation, whatever else it breaks.

    (If a call breaks several rules the log may name them all; it must name the window.)
    """
    scenario, results = window_breakers
    outside = _outside(results.events[results.events.kind == "call"], scenario.rules)
    mislabelled = outside[~outside.rule_broken.str.contains("contact_window")]
    assert mislabelled.empty, (
        f"{len(mislabelled)} of {len(outside)} calls outside the contact window are not "
        f"flagged contact_window: {mislabelled.rule_broken.value_counts().to_dict()}")


def test_collectors_starting_before_the_window_call_once_it_opens(small_scenario):
    """A shift starting at 07:00 under an 08:00 window still dials on every working day."""
    scenario, results = _run(small_scenario, 'agencies.alpha.shift.start="07:00"',
                             'agencies.beta.shift.start="07:00"', accounts=1500, collectors=3,
                             horizon=30, compliance=1.0)
    daily = results.daily[results.daily.agency == TOTAL].set_index("day")
    start = scenario.scenario.start_date
    delay = scenario.bank.transfer_delay_days
    working = [d for d in range(delay, scenario.scenario.horizon_days)
               if (start.weekday() + d) % 7 < 5]
    idle = [d for d in working if daily.loc[d, "calls"] == 0]
    assert not idle, f"no calls at all on working days {idle}"


@pytest.mark.parametrize("compliance", [1.0, 0.5])
def test_message_cap_and_message_violations(small_scenario, compliance):
    """Daily SMS under a cap of 2 messages per 7 days, with no collectors at all."""
    scenario = small_scenario("rules.max_messages_per_7_days=2", accounts=1000, horizon=30,
                              each={"collectors": 0, "sms.every_days": 1,
                                    "compliance": compliance})
    results = run_replication(scenario, seed=2, record_events=True, keep_accounts=True)
    assert len(results.events) == 0  # no calls: every violation is a message
    daily = results.daily[results.daily.agency == TOTAL].set_index("day")
    violations = results.kpi("rule_violations")
    assert daily.violations.sum() == violations
    assert results.accounts.violations.sum() == violations
    weekly = daily.messages.rolling(7, min_periods=1).sum()
    n = scenario.portfolio.accounts
    if compliance == 1.0:
        assert violations == 0
        assert weekly.max() <= 2 * n
        assert weekly.max() > n  # the cap binds
    else:
        assert violations > 0
        assert weekly.max() > 2 * n


def test_without_messages_every_violation_is_a_flagged_call(small_scenario, no_messages):
    scenario = small_scenario(accounts=1000, collectors=3, horizon=30,
                              each={**PUSHY, **no_messages, "compliance": 0.5})
    results = run_replication(scenario, seed=4, record_events=True)
    calls = results.events[results.events.kind == "call"]
    flagged = int((calls.rule_broken != "").sum())
    assert flagged > 0
    assert results.kpi("rule_violations") == flagged
    for index, agency in enumerate(scenario.agencies):
        mine = calls[calls.agency == index]
        assert results.kpi("rule_violations", agency.name) == (mine.rule_broken != "").sum()
