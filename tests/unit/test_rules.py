"""RuleBook over a ContactHistory: the contact rules (sim.model.rules.book, .table, .history).

Times are program days on the agencies' clock; with ``local_offset`` 0 (the default here) the
cardholder's clock is the same, so ``d + 10/24`` is 10:00 on local day ``d``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.schema import ContactLimits, Rules
from sim.model.codes import Rule
from sim.model.rules.book import RuleBook
from sim.model.rules.history import ContactHistory, local_day
from sim.model.rules.table import RULES, Contact

ONE = np.array([0])
HOUR = 1 / 24


def book(n: int = 1, offset: float = 0.0, placed: float = 0.0, **rules) -> RuleBook:
    """The third-party rule book of ``Rules(**rules)`` over a fresh history of ``n`` accounts
    whose cardholders' clocks lead the agency's by ``offset`` days, placed on ``placed``."""
    limits = Rules(**rules).limits()
    history = ContactHistory([limits], np.full(n, offset), np.full(n, placed))
    return RuleBook(limits, history)


def attempt(rb: RuleBook, i: int, now: float, answered: bool = False) -> None:
    rb.history.record_attempts(np.array([i]), np.array([now]), np.array([answered]))


def talk(rb: RuleBook, i: int, now: float) -> None:
    """An answered call that became a conversation."""
    attempt(rb, i, now, answered=True)
    rb.history.record_conversation(i, now)


def messages_ok(rb: RuleBook, idx: np.ndarray, now: float) -> np.ndarray:
    return rb.message_block_reasons(idx, now) == Rule.ALLOWED


def allowed(rb: RuleBook, i: int, now: float) -> bool:
    """The one-account and many-account answers, checked to agree."""
    scalar = rb.call_block(i, now) == Rule.ALLOWED
    vector = bool(rb.call_block_reasons(np.array([i]), now)[0] == Rule.ALLOWED)
    assert scalar == vector
    return scalar


# --------------------------------------------------------------------------- calls per 7 days


def test_regulation_f_seven_calls_in_seven_calendar_days():
    """One call a day on days 1-7: the cap holds through day 7; on day 8 the day-1 call has
    left the seven days, and once day 8's call is placed the cap holds again until day 9."""
    rb = book()
    for day in range(1, 8):
        assert allowed(rb, 0, day + 10 * HOUR)
        attempt(rb, 0, day + 10 * HOUR)
    assert rb.call_block(0, 7 + 20 * HOUR) == Rule.CALLS_PER_7_DAYS
    assert allowed(rb, 0, 8 + 8 * HOUR)
    attempt(rb, 0, 8 + 8 * HOUR)
    assert rb.call_block(0, 8 + 20 * HOUR) == Rule.CALLS_PER_7_DAYS
    assert allowed(rb, 0, 9 + 8 * HOUR)


@pytest.mark.parametrize("cap", [1, 2, 3, 5, 7, 10, 25])
def test_call_cap_allows_exactly_cap_calls(cap):
    rb = book(max_calls_per_7_days=cap, quiet_days_after_conversation=0)
    for k in range(cap):
        now = 3.4 + 0.01 * k
        assert allowed(rb, 0, now), f"call {k + 1} of {cap} refused"
        attempt(rb, 0, now)
    assert rb.call_block(0, 3.4 + 0.01 * cap) == Rule.CALLS_PER_7_DAYS, (
        f"call {cap + 1} within 7 days allowed under a cap of {cap}")
    assert rb.call_block(0, 9 + 20.5 * HOUR) == Rule.CALLS_PER_7_DAYS  # day 3's seventh day
    assert allowed(rb, 0, 10 + 8 * HOUR)


def test_call_cap_zero_means_no_cap():
    rb = book(max_calls_per_7_days=0, quiet_days_after_conversation=0)
    for k in range(50):
        assert allowed(rb, 0, 1.4 + 0.001 * k)
        attempt(rb, 0, 1.4 + 0.001 * k)


def test_pressure_counts_calls_in_the_last_7_days():
    rb = book(max_calls_per_7_days=0)
    for t in (0.5, 1.0, 4.0, 6.0):
        attempt(rb, 0, t, answered=True)
    assert rb.history.pressure(0, 6.5) == 4
    assert rb.history.pressure(0, 7.6) == 3  # the 0.5 call is older than 7 days
    assert rb.history.pressure(0, 20.0) == 0


# --------------------------------------------------------------------------- quiet days


def test_quiet_days_after_conversation_run_to_the_seventh_calendar_day():
    rb = book(max_calls_per_7_days=0)
    talk(rb, 0, 5.5)
    assert rb.call_block(0, 5.6) == Rule.QUIET_AFTER_CONVERSATION
    assert rb.call_block(0, 11 + 20.5 * HOUR) == Rule.QUIET_AFTER_CONVERSATION
    assert allowed(rb, 0, 12 + 8 * HOUR)
    assert allowed(rb, 0, 13.5)


def test_quiet_days_zero_means_no_quiet_period():
    rb = book(quiet_days_after_conversation=0)
    talk(rb, 0, 5.5)
    assert allowed(rb, 0, 5.6)


def test_quiet_days_leave_messages_alone():
    rb = book()
    talk(rb, 0, 5.5)
    assert rb.call_block(0, 6.5) == Rule.QUIET_AFTER_CONVERSATION
    assert messages_ok(rb, ONE, 6.5)[0]


def test_quiet_period_is_per_account():
    rb = book(3)
    talk(rb, 1, 2.4)
    assert allowed(rb, 0, 2.5)
    assert not allowed(rb, 1, 2.5)
    assert allowed(rb, 2, 2.5)


# --------------------------------------------------------------------------- cease, dispute


def test_written_cease_blocks_calls_and_messages_of_that_account_only():
    rb = book(2)
    rb.history.record_cease(0, 1.0, received=1.0)
    assert rb.call_block(0, 1.5) == Rule.CEASED
    assert not allowed(rb, 0, 100.5)
    assert allowed(rb, 1, 1.5)
    assert list(rb.message_block_reasons(np.array([0, 1]), 1.5)) == [Rule.CEASED, Rule.ALLOWED]


def test_spoken_cease_blocks_everything_where_the_regime_does_not_ask_for_writing():
    rb = book(cease_needs_writing=False)
    rb.history.record_cease(0, 1.0, received=None)
    assert rb.call_block(0, 1.5) == Rule.CEASED
    assert rb.message_block_reasons(ONE, 1.5)[0] == Rule.CEASED


def test_cease_request_not_honoured_when_rules_do_not_ask():
    rb = book(honour_cease_requests=False)
    rb.history.record_cease(0, 1.0, received=1.0)
    assert allowed(rb, 0, 1.5)
    assert rb.message_block_reasons(ONE, 1.5)[0] == Rule.ALLOWED


def test_written_dispute_holds_calls_and_messages_to_the_end_of_its_last_day():
    rb = book(dispute_hold_days=30.0)
    rb.history.record_dispute(0, 4.25, received=4.25)
    assert rb.call_block(0, 4.4) == Rule.DISPUTE_HOLD
    assert rb.call_block(0, 34.8) == Rule.DISPUTE_HOLD  # 4.25 + 30 rounds up to day 35
    assert rb.message_block_reasons(ONE, 34.5)[0] == Rule.DISPUTE_HOLD
    assert allowed(rb, 0, 35 + 8 * HOUR)
    assert messages_ok(rb, ONE, 35.5)[0]


def test_any_dispute_holds_where_the_regime_does_not_ask_for_writing():
    rb = book(dispute_hold_days=3.0, dispute_needs_writing=False)
    rb.history.record_dispute(0, 4.25, received=None)
    assert rb.call_block(0, 4.4) == Rule.DISPUTE_HOLD
    assert rb.call_block(0, 7.8) == Rule.DISPUTE_HOLD
    assert allowed(rb, 0, 8 + 8 * HOUR)


def test_cease_takes_precedence_over_dispute_in_reasons():
    rb = book(max_messages_per_7_days=1)
    rb.history.record_messages(ONE, 1.5)
    rb.history.record_dispute(0, 1.5, received=1.5)
    rb.history.record_cease(0, 1.5, received=1.5)
    assert rb.call_block(0, 2.5) == Rule.CEASED
    assert rb.message_block_reasons(ONE, 2.5)[0] == Rule.CEASED


# --------------------------------------------------------------------------- daily caps


def test_conversations_per_day_cap_and_next_local_day():
    rb = book(max_conversations_per_day=3, quiet_days_after_conversation=0,
              max_calls_per_7_days=0)
    for k in range(3):
        assert allowed(rb, 0, 1.4 + 0.01 * k)
        talk(rb, 0, 1.4 + 0.01 * k)
    assert rb.call_block(0, 1.5) == Rule.CONVERSATIONS_PER_DAY
    assert allowed(rb, 0, 2.4)


def test_unanswered_per_day_cap_and_next_local_day():
    rb = book(max_unanswered_per_day=6, quiet_days_after_conversation=0,
              max_calls_per_7_days=0)
    for k in range(6):
        assert allowed(rb, 0, 1.4 + 0.01 * k)
        attempt(rb, 0, 1.4 + 0.01 * k)
    assert rb.call_block(0, 1.5) == Rule.UNANSWERED_PER_DAY
    assert allowed(rb, 0, 2.4)


def test_answered_calls_do_not_count_as_unanswered():
    rb = book(max_unanswered_per_day=2, quiet_days_after_conversation=0,
              max_calls_per_7_days=0)
    for k in range(5):
        attempt(rb, 0, 1.4 + 0.01 * k, answered=True)
    assert allowed(rb, 0, 1.5)


def test_daily_caps_zero_mean_no_cap():
    rb = book(quiet_days_after_conversation=0, max_calls_per_7_days=0)
    for k in range(20):
        attempt(rb, 0, 1.4 + 0.01 * k, answered=k % 2 == 0)
        rb.history.record_conversation(0, 1.4 + 0.01 * k)
    assert allowed(rb, 0, 1.7)


# --------------------------------------------------------------------------- messages


def test_message_cap_per_7_calendar_days():
    rb = book(3, max_messages_per_7_days=2)
    idx = np.array([0, 1, 2])
    rb.history.record_messages(np.array([0, 1]), 1.5)
    rb.history.record_messages(np.array([0]), 3.5)
    assert list(rb.message_block_reasons(idx, 4.5)) == [Rule.MESSAGES_PER_7_DAYS, Rule.ALLOWED,
                                                       Rule.ALLOWED]
    assert not messages_ok(rb, idx, 7 + 20 * HOUR)[0]  # day 1's message counts to day 7
    assert messages_ok(rb, idx, 8 + 8 * HOUR)[0]
    assert allowed(rb, 0, 4.5)  # calls are not limited by messages


def test_message_cap_reads_each_accounts_own_time():
    """With one time per account, each account's messages are counted up to its own time, as
    every other rule does: account 0's day-1 message still caps it on day 7, whatever the time
    given for account 1."""
    rb = book(2, max_messages_per_7_days=1)
    rb.history.record_messages(ONE, 1.5)
    alone = rb.message_block_reasons(ONE, 7.5)[0]
    together = rb.message_block_reasons(np.array([0, 1]), np.array([7.5, 8.5]))[0]
    assert alone == together == Rule.MESSAGES_PER_7_DAYS


def test_message_cap_zero_means_no_cap():
    rb = book(max_messages_per_7_days=0)
    for k in range(10):
        rb.history.record_messages(ONE, 1.4 + k / 100)
    assert messages_ok(rb, ONE, 1.5)[0]


# --------------------------------------------------------------------------- contact window


@pytest.mark.parametrize("contact", ["call", "message"])
def test_contact_window_edges(contact):
    rb = book()

    def reason(now: float) -> int:
        if contact == "call":
            return rb.call_block(0, now)
        return int(rb.message_block_reasons(ONE, now)[0])

    for hour, open_ in ((7.99, False), (8.0, True), (8.01, True), (20.99, True),
                        (21.0, False), (23.5, False), (0.0, False)):
        assert (reason(3 + hour / 24) != Rule.CONTACT_WINDOW) == open_, hour


def test_the_window_is_read_on_the_cardholders_local_clock():
    rb = book(2)
    rb.history.local_offset[1] = -3 * HOUR  # three hours behind the agency
    idx = np.array([0, 1])
    assert list(rb.call_block_reasons(idx, 3 + 9 * HOUR)) == [Rule.ALLOWED, Rule.CONTACT_WINDOW]
    assert list(rb.call_block_reasons(idx, 3 + 22 * HOUR)) == [Rule.CONTACT_WINDOW,
                                                              Rule.ALLOWED]
    assert list(rb.account_block_reasons(idx, 3 + 22 * HOUR)) == [Rule.ALLOWED, Rule.ALLOWED]


@pytest.mark.parametrize("start", ["08:00", "07:00", "09:30"])
def test_contact_window_opens_at_window_start_every_day(start):
    """``day + window_start`` is inside the window on every day (collectors wake then)."""
    rb = book(window_start=start)
    closed = [day for day in range(400)
              if rb.call_block(0, day + rb.window_start) == Rule.CONTACT_WINDOW]
    assert not closed, f"window {start} shut at its opening instant on days {closed[:10]}..."


# --------------------------------------------------------------------------- agreement


def test_every_rule_is_in_the_table_once_in_one_precedence_order():
    codes = [spec.code for spec in RULES]
    assert sorted(codes) == sorted(rule for rule in Rule if rule is not Rule.ALLOWED)
    assert len(set(codes)) == len(codes)
    assert codes == [Rule.CONTACT_WINDOW, Rule.CEASED, Rule.DISPUTE_HOLD, Rule.BREATHING_SPACE,
                     Rule.CALLS_PER_7_DAYS, Rule.QUIET_AFTER_CONVERSATION,
                     Rule.CONVERSATIONS_PER_DAY, Rule.UNANSWERED_PER_DAY,
                     Rule.MESSAGES_PER_7_DAYS, Rule.THIRD_PARTY_DISCLOSURE]
    for spec in RULES:
        assert spec.governs, spec.code
        assert set(spec.switches) <= set(ContactLimits.model_fields), spec.code
    assert Rule.ALLOWED.label == ""
    assert len({rule.label for rule in Rule}) == len(Rule)


SWITCHED_ON = {"window_start": "08:00", "window_end": "21:00", "max_calls_per_7_days": 7,
               "quiet_days_after_conversation": 7.0, "consent_exception": True,
               "max_conversations_per_day": 3, "max_unanswered_per_day": 6,
               "max_messages_per_7_days": 2, "honour_cease_requests": True,
               "cease_needs_writing": True, "dispute_hold_days": 30.0,
               "dispute_needs_writing": True, "validation_days": 37.0,
               "breathing_space_days": 60.0, "third_party_disclosure": True}


def test_switches_name_the_fields_that_turn_each_rule_on():
    """Each rule is off in the ``none`` regime, and setting its fields turns it on."""
    lax = Rules(regime="none").limits()
    for spec in RULES:
        assert not spec.on(lax), spec.code
        fields = {f: SWITCHED_ON[f] for f in spec.switches}
        assert spec.on(Rules(regime="none", **fields).limits()), spec.code


def test_disclosure_forbids_no_contact_but_is_forbidden():
    rb = book()
    assert rb.forbids_disclosure and not book(third_party_disclosure=False).forbids_disclosure
    assert allowed(rb, 0, 3.5)


# Random contact histories: (kind, account, time step). Accounts keep different clocks.
action = st.tuples(st.sampled_from(["call", "answered", "conversation", "cease_spoken",
                                    "cease_written", "dispute_spoken", "dispute_written",
                                    "breathing", "consent", "message"]),
                   st.integers(0, 4), st.floats(0.0, 0.5))
# The oracle's histories: mostly calls, mostly to the first accounts, over a few weeks, so caps
# fill and periods end near the probes.
busy_action = st.tuples(
    st.sampled_from(["call"] * 5 + ["answered"] * 2 + ["conversation", "cease_spoken",
                                                       "cease_written", "dispute_spoken",
                                                       "dispute_written", "breathing",
                                                       "consent", "consent", "message"]),
    st.sampled_from([0, 0, 0, 1, 1, 2, 3, 4]), st.floats(0.0, 1.2))
OFFSETS = np.array([0.0, -1 * HOUR, -3 * HOUR, 2 * HOUR, -0.5 * HOUR])
PLACED = np.array([0.0, 0.0, 2.0, 5.0, 1.0])
every_rule_on = {
    "cap": st.sampled_from([1, 3, 7, 9]), "quiet": st.sampled_from([1.0, 2.0, 7.0]),
    "conv_cap": st.sampled_from([1, 3]), "unanswered_cap": st.sampled_from([1, 2, 6]),
    "message_cap": st.sampled_from([1, 2, 5]), "window": st.sampled_from(
        [("08:00", "21:00"), ("00:00", "23:00"), ("07:30", "22:00")]),
    "writing": st.booleans(), "consent": st.booleans(),
}


def rules_with(cap, quiet, conv_cap, unanswered_cap, message_cap, window, writing,
               consent) -> dict:
    return dict(max_calls_per_7_days=cap, quiet_days_after_conversation=quiet,
                max_conversations_per_day=conv_cap, max_unanswered_per_day=unanswered_cap,
                max_messages_per_7_days=message_cap, window_start=window[0],
                window_end=window[1], honour_cease_requests=True, cease_needs_writing=writing,
                dispute_hold_days=3.0, dispute_needs_writing=writing, validation_days=4.0,
                breathing_space_days=2.0, consent_exception=consent)


def replayed(actions, **rules) -> tuple[RuleBook, list[float]]:
    """A rule book after ``actions``, and the times of the actions."""
    limits = Rules(**rules).limits()
    history = ContactHistory([limits], OFFSETS.copy(), PLACED.copy())
    rb = RuleBook(limits, history)
    now = 0.0
    times = [now]
    for kind, i, step in actions:
        now += step
        times.append(now)
        if kind in ("call", "answered"):
            attempt(rb, i, now, answered=kind == "answered")
        elif kind == "conversation":
            history.record_conversation(i, now)
        elif kind.startswith("cease"):
            history.record_cease(i, now, now + 1.0 if kind == "cease_written" else None)
        elif kind.startswith("dispute"):
            history.record_dispute(i, now, now + 1.0 if kind == "dispute_written" else None)
        elif kind == "breathing":
            history.record_breathing_space(i, now, 2.0)
        elif kind == "consent":
            history.record_consent(i, math.floor(now + OFFSETS[i]) + 1)
        else:
            history.record_messages(np.array([i]), now)
    return rb, times


# Probe times: after an action, or exactly when some rule's period ends after one (a hold, a
# quiet period, a 7-day window), where `<` and `<=` part ways.
probe = st.one_of(st.tuples(st.just(-1), st.floats(0.0, 20.0)),
                  st.tuples(st.integers(0, 60), st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0,
                                                                 7.0])))


def probe_times(times: list[float], probes) -> list[float]:
    return [times[k % len(times)] + offset for k, offset in probes]


@settings(max_examples=200, deadline=None)
@given(**every_rule_on, actions=st.lists(action, max_size=60),
       probes=st.lists(probe, min_size=1, max_size=5))
def test_rule_book_answers_with_the_first_rule_in_table_order(
        cap, quiet, conv_cap, unanswered_cap, message_cap, window, writing, consent, actions,
        probes):
    """Calls and messages name the first rule of the table that forbids them; one account at
    a time, many at once, and one time per account all agree; without the window, the answer
    is the same wherever the window is not the reason."""
    rb, times = replayed(actions, **rules_with(cap, quiet, conv_cap, unanswered_cap,
                                               message_cap, window, writing, consent))
    idx = np.arange(5)
    for t in probe_times(times, probes):
        for contact, reasons, without in (
                (Contact.CALL, rb.call_block_reasons(idx, t), rb.account_block_reasons(idx, t)),
                (Contact.MESSAGE, rb.message_block_reasons(idx, t),
                 rb.message_block_reasons(idx, t, window=False))):
            specs = [spec for spec in RULES if contact in spec.governs and spec.on(rb.limits)]
            forbids = {spec.code: spec.test(rb.history, rb.limits, idx, t, contact)
                       for spec in specs}
            for i in idx:
                first = next((code for code, hit in forbids.items() if hit[i]), Rule.ALLOWED)
                assert reasons[i] == first, (contact, i)
                if first is not Rule.CONTACT_WINDOW:
                    assert without[i] == first, (contact, i)
            if contact is Contact.CALL:
                assert [rb.call_block(i, t) for i in idx] == reasons.tolist()
                np.testing.assert_array_equal(rb.call_block_reasons(idx, np.full(5, t)),
                                              reasons)
                np.testing.assert_array_equal(rb.call_block_reasons(idx[::-1], t),
                                              reasons[::-1])


@settings(max_examples=400, deadline=None)
@given(cap=st.sampled_from([0, 2, 7, 9]), quiet=st.sampled_from([0.0, 2.0, 7.0]),
       conv_cap=st.sampled_from([0, 1, 3]), unanswered_cap=st.sampled_from([0, 2, 6]),
       honour=st.booleans(), writing=st.booleans(), consent=st.booleans(),
       actions=st.one_of(st.lists(action, max_size=60), st.lists(busy_action, max_size=60)),
       probes=st.lists(st.one_of(st.floats(0.0, 1.5), st.floats(0.0, 20.0),
                                 st.sampled_from([0.0, 1.0, 2.0, 3.0, 7.0])),
                       min_size=1, max_size=6))
def test_call_block_agrees_with_a_naive_oracle(cap, quiet, conv_cap, unanswered_cap, honour,
                                              writing, consent, actions, probes):
    """RuleBook against a direct reading of the rules over the full history, on each
    cardholder's local calendar (the window is left to the window tests), at times after the
    last action."""
    for probe in probes:
        assert_oracle_agrees(cap, quiet, conv_cap, unanswered_cap, honour, writing, consent,
                             actions, probe)


def assert_oracle_agrees(cap, quiet, conv_cap, unanswered_cap, honour, writing, consent,
                         actions, probe) -> None:
    rules = dict(max_calls_per_7_days=cap, quiet_days_after_conversation=quiet,
                 max_conversations_per_day=conv_cap, max_unanswered_per_day=unanswered_cap,
                 honour_cease_requests=honour, cease_needs_writing=writing,
                 dispute_hold_days=3.0, dispute_needs_writing=writing, validation_days=4.0,
                 breathing_space_days=2.0, consent_exception=consent)
    rb, times = replayed(actions, **rules)
    t = times[-1] + probe

    def day(time: float, i: int) -> int:
        return math.floor(time + OFFSETS[i])

    for i in range(5):
        mine = [(kind, when) for (kind, a, _), when in zip(actions, times[1:], strict=True)
                if a == i]
        today = day(t, i)
        consent_day, calls = -1, []  # calls: (time, asked for)
        for kind, when in mine:
            if kind == "consent":
                consent_day = day(when, i) + 1
            elif kind in ("call", "answered"):
                calls.append((when, consent_day == day(when, i)))
        asked_today = consent and consent_day == today
        ceases = [(kind, when) for kind, when in mine if kind.startswith("cease")]
        ceased = any(when <= t for _, when in ceases) or any(
            when + 1.0 <= t for kind, when in ceases if kind == "cease_written")
        written = [when + 1.0 for kind, when in mine if kind == "dispute_written"]
        spoken = [when for kind, when in mine if kind.startswith("dispute")]
        since = written[-1] if written and written[-1] <= PLACED[i] + 4.0 else math.inf
        if not writing and spoken:
            since = spoken[-1]  # from the latest dispute, however it was made
        breathing = None
        for kind, when in mine:
            # one breathing space in 12 months (SI 2020/1311): a later request starts none
            if kind == "breathing" and (breathing is None or when >= breathing[0] + 365.0):
                breathing = (when, when + 2.0)
        conversations = [when for kind, when in mine if kind == "conversation"]
        week = [c for c, asked in calls
                if day(c, i) > today - 7 and not (consent and asked)]
        expected = Rule.ALLOWED
        if honour and ceased:
            expected = Rule.CEASED
        elif since <= t < math.ceil(since + 3.0):
            expected = Rule.DISPUTE_HOLD
        elif breathing and breathing[0] <= t < breathing[1]:
            expected = Rule.BREATHING_SPACE
        elif cap and len(week) >= cap and not asked_today:
            expected = Rule.CALLS_PER_7_DAYS
        elif conversations and today - day(conversations[-1], i) < quiet and not asked_today:
            expected = Rule.QUIET_AFTER_CONVERSATION
        elif conv_cap and sum(day(c, i) == today for c in conversations) >= conv_cap:
            expected = Rule.CONVERSATIONS_PER_DAY
        elif unanswered_cap and sum(kind == "call" and day(when, i) == today
                                    for kind, when in mine) >= unanswered_cap:
            expected = Rule.UNANSWERED_PER_DAY
        assert rb.account_block_reasons(np.array([i]), t)[0] == expected, i


def test_message_precedence_is_the_call_precedence():
    """A message to an account under a dispute hold and a breathing space breaks the hold."""
    rb = book(max_messages_per_7_days=1, breathing_space_days=60.0)
    rb.history.record_messages(ONE, 1.5)
    rb.history.record_breathing_space(0, 1.5, 60.0)
    rb.history.record_dispute(0, 1.5, received=1.5)
    assert rb.call_block(0, 2.5) == Rule.DISPUTE_HOLD
    assert rb.message_block_reasons(ONE, 2.5)[0] == Rule.DISPUTE_HOLD


def test_local_day_is_the_floor_of_the_cardholders_clock():
    assert local_day(7.9, 0.0) == 7
    assert local_day(8 + 1 * HOUR, -3 * HOUR) == 7
    assert local_day(np.array([0.5, 1.5]), np.array([0.6, -0.6])).tolist() == [1, 0]
