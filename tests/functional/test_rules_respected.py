"""Rules are never broken silently.

A replication's event log, and the messages it sent, are replayed account by account against
the scenario's ``[rules]`` by an independent checker (:func:`broken_rules`), which says, for
every outbound call and every message, which rules it broke. Which rules to check comes from
the rule table (:data:`sim.model.rules.table.RULES`): each rule the scenario switches on, for
each kind of contact it governs, is read here again from the replayed history
(:data:`REPLAY_CHECKS`), and a table rule without a replay check fails
:func:`test_every_rule_in_the_table_has_a_replay_check`. A call that breaks a rule must carry
a non-empty ``rule_broken``, and a call that carries one must really have broken that rule; a
message sent against a rule is a violation of the account it went to. With ``compliance = 1``
nothing is ever broken; with low compliance the violations appear in the log and in the KPI.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from unittest import mock

import numpy as np
import pandas as pd
import pytest

from sim.config.schema import Rules, clock_to_day_fraction
from sim.model.codes import Rule
from sim.model.replication import run_replication
from sim.model.results import TOTAL
from sim.model.rules.history import ContactHistory
from sim.model.rules.table import RULES, Contact

UNANSWERED = ("no_answer", "wrong_number")
# picked up, but no conversation with the cardholder: neither unanswered nor a conversation
NO_CONVERSATION = ("wrong_party", "abandoned")
CALL, MESSAGE = Contact.CALL, Contact.MESSAGE

# Collectors may dial the same account up to 6 times a day, half an hour apart, from the top of
# a static list, so the 7-in-7 cap and the quiet period bind often.
PUSHY = {"max_attempts_per_day": 6, "retry_hours": 0.5, "pacing_minutes": 15,
         "strategy": "static"}


def clock_minutes(t):
    """Minutes since midnight of time ``t`` (days), to a microsecond or so: ``day + 08:00`` in
    floating point lands a hair before 08:00 and is read as 08:00."""
    return np.round((t - np.floor(t)) * 1440.0, 3)


def outside_window(t, rules: Rules):
    minutes = clock_minutes(t)
    start = round(clock_to_day_fraction(rules.window_start) * 1440.0, 3)
    end = round(clock_to_day_fraction(rules.window_end) * 1440.0, 3)
    return (minutes < start) | (minutes >= end)


@dataclass
class Replayed:
    """One account's contact history as its event log and messages tell it."""

    calls: list[float] = field(default_factory=list)
    messages: list[float] = field(default_factory=list)
    last_conversation: float = -math.inf
    ceased: bool = False
    dispute_until: float = -math.inf
    breathing_until: float = -math.inf
    conversations_today: int = 0
    unanswered_today: int = 0
    local_offset: float = 0.0  # the cardholder's clock's lead on the agency's, days


def in_last_7_days(times: list[float], t: float) -> int:
    return len(times) - bisect.bisect_right(times, t - 7.0)


ReplayCheck = Callable[[Replayed, float, Rules], bool]

# Each rule, for each contact it governs, read directly from the replayed history: does a
# contact at time t break it?
REPLAY_CHECKS: dict[tuple[Rule, Contact], ReplayCheck] = {
    (Rule.CONTACT_WINDOW, CALL): lambda h, t, r: bool(outside_window(t + h.local_offset, r)),
    (Rule.CEASED, CALL): lambda h, t, r: h.ceased,
    (Rule.CEASED, MESSAGE): lambda h, t, r: h.ceased,
    (Rule.DISPUTE_HOLD, CALL): lambda h, t, r: t < h.dispute_until,
    (Rule.DISPUTE_HOLD, MESSAGE): lambda h, t, r: t < h.dispute_until,
    (Rule.BREATHING_SPACE, CALL): lambda h, t, r: t < h.breathing_until,
    (Rule.BREATHING_SPACE, MESSAGE): lambda h, t, r: t < h.breathing_until,
    (Rule.CALLS_PER_7_DAYS, CALL):
        lambda h, t, r: in_last_7_days(h.calls, t) >= r.max_calls_per_7_days,
    (Rule.QUIET_AFTER_CONVERSATION, CALL):
        lambda h, t, r: t - h.last_conversation < r.quiet_days_after_conversation,
    (Rule.CONVERSATIONS_PER_DAY, CALL):
        lambda h, t, r: h.conversations_today >= r.max_conversations_per_day,
    (Rule.UNANSWERED_PER_DAY, CALL):
        lambda h, t, r: h.unanswered_today >= r.max_unanswered_per_day,
    (Rule.MESSAGES_PER_7_DAYS, MESSAGE):
        lambda h, t, r: in_last_7_days(h.messages, t) >= r.max_messages_per_7_days,
}


def checks_for(rules: Rules, contact: Contact) -> list[tuple[str, ReplayCheck]]:
    """The replay checks of every rule of the table that ``rules`` switch on for ``contact``."""
    return [(spec.code.label, REPLAY_CHECKS[spec.code, contact]) for spec in RULES
            if contact in spec.governs and spec.on(rules)]


def broken_rules(events: pd.DataFrame, rules: Rules,
                 messages: pd.DataFrame | None = None) -> pd.DataFrame:
    """The outbound calls of ``events`` and the ``messages`` (time, account) sent, each with
    the set of rules it broke (column ``broken``; ``rule_broken`` is ``None`` for messages,
    which the event log does not show).

    Replays every account's contacts in time order: calls and messages placed in the 7 days
    before, the last telephone conversation (an answered outbound call or an inbound call),
    cease requests, dispute holds, breathing spaces, and the calendar day's conversations and
    unanswered dials.
    """
    call_checks, message_checks = checks_for(rules, CALL), checks_for(rules, MESSAGE)
    by_account: dict[int, list[tuple]] = defaultdict(list)
    if messages is not None:  # sent at 00:00, before any call of the day
        for row in messages.itertuples(index=False):
            by_account[row.account].append((row.time, 0, None))
    for row in events.itertuples(index=False):
        by_account[row.account].append((row.time, 1, row))
    rows = []
    for account, log in by_account.items():
        log.sort(key=lambda item: item[:2])
        h = Replayed()
        day = None
        for t, _, event in log:
            if math.floor(t) != day:
                day = math.floor(t)
                h.conversations_today = h.unanswered_today = 0
            if event is None:
                broken = frozenset(name for name, check in message_checks if check(h, t, rules))
                rows.append((account, t, "message", "", None, broken))
                h.messages.append(t)
                continue
            h.local_offset = event.local_time - event.time
            conversation = event.kind == "inbound" or (
                event.outcome not in UNANSWERED and event.outcome not in NO_CONVERSATION)
            if event.kind == "call":
                broken = frozenset(name for name, check in call_checks if check(h, t, rules))
                rows.append((account, t, "call", event.outcome, event.rule_broken, broken))
                h.calls.append(t)
                if event.outcome in UNANSWERED:
                    h.unanswered_today += 1
            if conversation:
                h.last_conversation = t
                h.conversations_today += 1
            if event.outcome == "cease_request":
                h.ceased = True
            if event.outcome == "dispute":
                h.dispute_until = t + rules.dispute_hold_days
            if event.outcome == "breathing_space":
                h.breathing_until = t + rules.breathing_space_days
    return pd.DataFrame(rows, columns=["account", "time", "kind", "outcome", "rule_broken",
                                       "broken"])


def run_recording_messages(scenario, seed: int):
    """:func:`run_replication` with the event log, and the messages it sent (time, account)."""
    sent: list[tuple[float, np.ndarray]] = []
    record = ContactHistory.record_messages

    def recording(history: ContactHistory, idx: np.ndarray, now: float) -> None:
        sent.append((now, np.array(idx)))
        record(history, idx, now)

    with mock.patch.object(ContactHistory, "record_messages", recording):
        results = run_replication(scenario, seed=seed, record_events=True, keep_accounts=True)
    messages = pd.DataFrame({"time": np.concatenate([np.full(len(i), t) for t, i in sent]
                                                    or [np.zeros(0)]),
                             "account": np.concatenate([i for _, i in sent]
                                                       or [np.zeros(0, np.int64)])})
    return results, messages


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
def _run_logged(small_scenario, *overrides: str, compliance: float | None = None,
                each: tuple[tuple[str, float], ...] = (), **sizes):
    """A small scenario with pushy collectors, run with its event log and messages."""
    settings = {**PUSHY, **dict(each)}
    if compliance is not None:
        settings["compliance"] = compliance
    scenario = small_scenario(*overrides, each=settings, **sizes)
    results, messages = run_recording_messages(scenario, seed=11)
    return scenario, results, messages


def _run(small_scenario, *overrides: str, **settings):
    scenario, results, _ = _run_logged(small_scenario, *overrides, **settings)
    return scenario, results


@functools.cache
def _replayed(small_scenario, name: str):
    """The scenario, results and replayed contacts of one of the ``LAX`` runs (or the
    baseline's own compliance, ``default``, or perfect compliance, ``strict``)."""
    overrides, each, accounts = LAX.get(name, ((), (), 1500))
    compliance = {"default": None, "strict": 1.0}.get(name, 0.5)
    horizon = 60 if accounts == 1500 else 40
    scenario, results, messages = _run_logged(small_scenario, *overrides, compliance=compliance,
                                              each=each, collectors=4, accounts=accounts,
                                              horizon=horizon)
    return scenario, results, broken_rules(results.events, scenario.rules, messages)


# Lax agencies under each regime, with caps that bind: between them every rule of the table is
# broken (see test_every_rule_of_the_table_is_exercised).
LAX = {
    "lax": ((), (), 1500),
    "uk": (('rules.regime="uk"', "rules.max_messages_per_7_days=1"), (), 800),
    "china": (('rules.regime="china"', "rules.max_messages_per_7_days=1"),
              (("max_attempts_per_day", 20), ("retry_hours", 0.1)), 400),
}


@pytest.fixture(scope="module", params=[
    "default", *(pytest.param(name, marks=pytest.mark.slow)
                 for name in ("strict", "lax", "uk", "china"))])
def logged(request, small_scenario):
    """Replications with the baseline's compliance, with perfect and with poor compliance
    (under Regulation F, and under the UK and Chinese regimes with a message cap)."""
    return (request.param, *_replayed(small_scenario, request.param))


def test_every_rule_in_the_table_has_a_replay_check():
    governed = {(spec.code, contact) for spec in RULES for contact in spec.governs}
    assert governed == set(REPLAY_CHECKS)


def test_event_log_is_well_formed(logged):
    _, _, results, _ = logged
    events = results.events
    assert list(events.columns) == ["time", "local_time", "account", "agency", "kind", "outcome",
                                    "rule_broken"]
    assert len(events) > 1000
    assert set(events.kind) <= {"call", "inbound"}
    assert set(events.rule_broken) <= {rule.label for rule in Rule}
    assert (np.diff(events.time.to_numpy()) >= 0).all()
    assert (events[events.kind == "inbound"].rule_broken == "").all()
    # every outbound call in the log is a call attempt in the KPIs
    assert (events.kind == "call").sum() == results.kpi("call_attempts")


def test_no_call_breaks_a_rule_silently(logged):
    _, _, _, contacts = logged
    calls = contacts[contacts.kind == "call"]
    silent = calls[(calls.rule_broken == "") & (calls.broken.map(len) > 0)]
    assert silent.empty, f"{len(silent)} silent violations, e.g.\n{silent.head(10)}"


def test_flagged_calls_really_broke_the_rule_named(logged):
    _, _, _, contacts = logged
    flagged = contacts[(contacts.kind == "call") & (contacts.rule_broken != "")]
    wrong = flagged[[rule not in broken
                     for rule, broken in zip(flagged.rule_broken, flagged.broken, strict=True)]]
    assert wrong.empty, f"{len(wrong)} calls flagged with a rule they did not break\n{wrong.head()}"


def test_every_contact_against_the_rules_is_one_violation(logged):
    """Account by account: flagged calls plus messages sent against the rules, no more."""
    name, _, results, contacts = logged
    calls = contacts[contacts.kind == "call"]
    messages = contacts[contacts.kind == "message"]
    daily = results.daily[results.daily.agency == TOTAL]
    assert len(messages) == daily.messages.sum() > 0
    expected = (calls.rule_broken != "").groupby(calls.account).sum().add(
        (messages.broken.map(len) > 0).groupby(messages.account).sum(), fill_value=0)
    counted = results.accounts.set_index("account").violations
    pd.testing.assert_series_equal(
        expected.reindex(counted.index, fill_value=0).astype(np.int64),
        counted.astype(np.int64), check_names=False)
    violations = results.kpi("rule_violations")
    assert counted.sum() == violations
    assert daily.violations.sum() == violations
    if name == "strict":
        assert violations == 0
    elif name in LAX:
        assert (calls.rule_broken != "").any() and (messages.broken.map(len) > 0).any()


@pytest.mark.slow
def test_every_rule_of_the_table_is_exercised(small_scenario, window_breakers):
    """Between the lax runs, every rule is broken for every contact it governs, so the checks
    above are not empty."""
    seen: set[tuple[str, Contact]] = set()
    for name in LAX:
        _, _, contacts = _replayed(small_scenario, name)
        for kind, broken in zip(contacts.kind, contacts.broken, strict=True):
            seen |= {(rule, Contact(kind)) for rule in broken}
    scenario, results = window_breakers
    contacts = broken_rules(results.events, scenario.rules)
    seen |= {(rule, CALL) for broken in contacts.broken for rule in broken}
    governed = {(spec.code.label, contact) for spec in RULES for contact in spec.governs}
    assert governed - seen == set()


def test_lax_agencies_break_the_binding_rules(logged):
    name, _, _, contacts = logged
    if name == "lax":
        # with half the account-days defiant, each rule that binds is broken
        flagged = set(contacts.rule_broken.dropna())
        assert {"calls_per_7_days", "quiet_after_conversation"} <= flagged


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
    calls = calls.assign(conversation=~calls.outcome.isin(UNANSWERED + NO_CONVERSATION),
                         unanswered=calls.outcome.isin(UNANSWERED))
    per_day = calls.groupby(["account", "day"])[["conversation", "unanswered"]].sum()
    conversations = per_day["conversation"]
    unanswered = per_day["unanswered"]
    assert conversations.max() <= 3
    assert unanswered.max() <= 6
    # the caps bind (else this test shows nothing)
    assert (conversations == 3).any()
    assert (unanswered == 6).any()
    assert results.kpi("rule_violations") == 0
    checked = broken_rules(events, scenario.rules)
    assert (checked.broken.map(len) == 0).all()


def _outside(calls: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    return calls[outside_window(calls.local_time, rules)]


def test_no_call_outside_the_window_under_full_compliance(small_scenario):
    """Collectors on a 06:00-23:00 shift only dial between 08:00 and 21:00 on each
    cardholder's local clock."""
    scenario, results = _run(small_scenario, 'agencies.alpha.shift.start="06:00"',
                             'agencies.alpha.shift.end="23:00"', accounts=1000, collectors=3,
                             horizon=21, compliance=1.0)
    events = results.events
    outbound = events[events.kind == "call"]
    assert len(_outside(outbound, scenario.rules)) == 0
    # ... but they do dial right up to the window's edges
    hours = clock_minutes(outbound.local_time) / 60.0
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
                             horizon=30, compliance=1.0,
                             each=(("strategy", "adaptive"), ("max_attempts_per_day", 2),
                                   ("retry_hours", 3.0)))
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
