"""RuleBook: the contact rules and the history they need (sim.model.rules.book)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.schema import Rules
from sim.model.codes import Rule
from sim.model.rules.book import RuleBook
from sim.model.rules.table import RULES, Contact

ONE = np.array([0])


def book(n: int = 1, **rules) -> RuleBook:
    return RuleBook(Rules(**rules), n)


def messages_ok(rb: RuleBook, idx: np.ndarray, now: float) -> np.ndarray:
    return rb.message_block_reasons(idx, now) == Rule.ALLOWED


def allowed(rb: RuleBook, i: int, now: float) -> bool:
    """Scalar and vectorised answers, checked to agree."""
    scalar = rb.call_block(i, now) == Rule.ALLOWED
    vector = bool(rb.call_allowed(np.array([i]), now)[0])
    assert scalar == vector
    return scalar


# --------------------------------------------------------------------------- calls per 7 days


def test_regulation_f_seven_calls_in_seven_days():
    rb = book()
    times = [1.40 + 0.1 * k for k in range(7)]
    for t in times:
        assert allowed(rb, 0, t)
        rb.record_attempt(0, t, answered=False)
    assert rb.call_block(0, 2.2) == Rule.CALLS_PER_7_DAYS
    assert not allowed(rb, 0, 2.2)
    # still blocked until the first of the seven calls is 7 days old ...
    assert rb.call_block(0, times[0] + 7.0 - 1e-6) == Rule.CALLS_PER_7_DAYS
    # ... then one more call is allowed, and blocked again once placed
    assert allowed(rb, 0, times[0] + 7.0 + 1e-6)
    rb.record_attempt(0, times[0] + 7.0 + 1e-6, answered=False)
    assert rb.call_block(0, times[1] + 7.0 - 1e-6) == Rule.CALLS_PER_7_DAYS
    assert allowed(rb, 0, times[1] + 7.0 + 1e-6)


@pytest.mark.parametrize("cap", [1, 2, 3, 5, 7, 10, 25])
def test_call_cap_allows_exactly_cap_calls(cap):
    rb = book(max_calls_per_7_days=cap, quiet_days_after_conversation=0)
    for k in range(cap):
        now = 3.0 + 0.01 * k
        assert allowed(rb, 0, now), f"call {k + 1} of {cap} refused"
        rb.record_attempt(0, now, answered=False)
    assert rb.call_block(0, 3.0 + 0.01 * cap) == Rule.CALLS_PER_7_DAYS, (
        f"call {cap + 1} within 7 days allowed under a cap of {cap}")
    assert not allowed(rb, 0, 3.0 + 0.01 * cap)
    assert allowed(rb, 0, 10.0 + 1e-6)


def test_call_cap_zero_means_no_cap():
    rb = book(max_calls_per_7_days=0, quiet_days_after_conversation=0)
    for k in range(50):
        assert allowed(rb, 0, 1.0 + 0.001 * k)
        rb.record_attempt(0, 1.0 + 0.001 * k, answered=False)


def test_pressure_counts_calls_in_the_last_7_days():
    rb = book(max_calls_per_7_days=0)
    for t in (0.5, 1.0, 4.0, 6.0):
        rb.record_attempt(0, t, answered=True)
    assert rb.pressure(0, 6.5) == 4
    assert rb.pressure(0, 7.6) == 3  # the 0.5 call is older than 7 days
    assert rb.pressure(0, 20.0) == 0


# --------------------------------------------------------------------------- quiet days


def test_quiet_days_after_conversation():
    rb = book(max_calls_per_7_days=0)
    rb.record_conversation(0, 5.5)
    assert rb.call_block(0, 5.6) == Rule.QUIET_AFTER_CONVERSATION
    assert rb.call_block(0, 12.5 - 1e-6) == Rule.QUIET_AFTER_CONVERSATION
    assert not allowed(rb, 0, 12.0)
    assert allowed(rb, 0, 12.5)
    assert allowed(rb, 0, 13.0)


def test_quiet_days_zero_means_no_quiet_period():
    rb = book(quiet_days_after_conversation=0)
    rb.record_conversation(0, 5.5)
    assert allowed(rb, 0, 5.5)


def test_quiet_period_is_per_account():
    rb = book(3)
    rb.record_conversation(1, 2.0)
    assert allowed(rb, 0, 2.1)
    assert not allowed(rb, 1, 2.1)
    assert allowed(rb, 2, 2.1)


# --------------------------------------------------------------------------- cease, dispute


def test_cease_request_blocks_calls_and_messages():
    rb = book(2)
    rb.record_cease(0)
    assert rb.call_block(0, 1.5) == Rule.CEASED
    assert not allowed(rb, 0, 100.0)
    assert allowed(rb, 1, 1.5)
    assert list(messages_ok(rb, np.array([0, 1]), 1.0)) == [False, True]
    assert list(rb.message_block_reasons(np.array([0, 1]), 1.0)) == [Rule.CEASED, Rule.ALLOWED]


def test_cease_request_not_honoured_when_rules_do_not_ask():
    rb = book(honour_cease_requests=False)
    rb.record_cease(0)
    assert allowed(rb, 0, 1.5)
    assert messages_ok(rb, ONE, 1.0)[0]
    assert rb.message_block_reasons(ONE, 1.0)[0] == Rule.ALLOWED


def test_dispute_hold():
    rb = book(dispute_hold_days=30.0)
    rb.record_dispute(0, 4.25)
    assert rb.call_block(0, 4.3) == Rule.DISPUTE_HOLD
    assert rb.call_block(0, 34.2) == Rule.DISPUTE_HOLD
    assert not messages_ok(rb, ONE, 34.0)[0]
    assert rb.message_block_reasons(ONE, 34.0)[0] == Rule.DISPUTE_HOLD
    assert allowed(rb, 0, 34.25)
    assert messages_ok(rb, ONE, 35.0)[0]


def test_cease_takes_precedence_over_dispute_in_reasons():
    rb = book(max_messages_per_7_days=1)
    rb.record_messages(ONE, 1.0)
    rb.record_dispute(0, 1.0)
    rb.record_cease(0)
    assert rb.call_block(0, 2.0) == Rule.CEASED
    assert rb.message_block_reasons(ONE, 2.0)[0] == Rule.CEASED


# --------------------------------------------------------------------------- daily caps


def test_conversations_per_day_cap_and_reset():
    rb = book(max_conversations_per_day=3, quiet_days_after_conversation=0,
              max_calls_per_7_days=0)
    for k in range(3):
        assert allowed(rb, 0, 1.4 + 0.01 * k)
        rb.record_attempt(0, 1.4 + 0.01 * k, answered=True)
        rb.record_conversation(0, 1.4 + 0.01 * k)
    assert rb.call_block(0, 1.5) == Rule.CONVERSATIONS_PER_DAY
    assert not allowed(rb, 0, 1.5)
    rb.new_day()
    assert allowed(rb, 0, 2.4)


def test_unanswered_per_day_cap_and_reset():
    rb = book(max_unanswered_per_day=6, quiet_days_after_conversation=0,
              max_calls_per_7_days=0)
    for k in range(6):
        assert allowed(rb, 0, 1.4 + 0.01 * k)
        rb.record_attempt(0, 1.4 + 0.01 * k, answered=False)
    assert rb.call_block(0, 1.5) == Rule.UNANSWERED_PER_DAY
    rb.new_day()
    assert allowed(rb, 0, 2.4)


def test_answered_calls_do_not_count_as_unanswered():
    rb = book(max_unanswered_per_day=2, quiet_days_after_conversation=0,
              max_calls_per_7_days=0)
    for k in range(5):
        rb.record_attempt(0, 1.4 + 0.01 * k, answered=True)
    assert allowed(rb, 0, 1.5)


def test_daily_caps_zero_mean_no_cap():
    rb = book(quiet_days_after_conversation=0, max_calls_per_7_days=0)
    for k in range(20):
        rb.record_attempt(0, 1.4 + 0.01 * k, answered=k % 2 == 0)
        rb.record_conversation(0, 1.4 + 0.01 * k)
    assert allowed(rb, 0, 1.7)


# --------------------------------------------------------------------------- messages


def test_message_cap_per_7_days():
    rb = book(3, max_messages_per_7_days=2)
    idx = np.array([0, 1, 2])
    rb.record_messages(np.array([0, 1]), 1.0)
    rb.record_messages(np.array([0]), 3.0)
    assert list(messages_ok(rb, idx, 4.0)) == [False, True, True]
    assert list(rb.message_block_reasons(idx, 4.0)) == [Rule.MESSAGES_PER_7_DAYS, Rule.ALLOWED,
                                                       Rule.ALLOWED]
    assert messages_ok(rb, idx, 8.0 + 1e-6)[0]
    # calls are not limited by messages
    assert allowed(rb, 0, 4.0)


def test_message_cap_zero_means_no_cap():
    rb = book(max_messages_per_7_days=0)
    for day in range(10):
        rb.record_messages(ONE, day / 10)
    assert messages_ok(rb, ONE, 1.0)[0]


# --------------------------------------------------------------------------- contact window


def test_contact_window_edges():
    rb = book()
    assert not rb.in_window(3 + 7.99 / 24)
    assert rb.in_window(3 + 8.01 / 24)
    assert rb.in_window(3 + 20.99 / 24)
    assert not rb.in_window(3 + 21.0 / 24)
    assert not rb.in_window(3 + 23.5 / 24)
    assert not rb.in_window(3.0)


@pytest.mark.parametrize("start", ["08:00", "07:00", "09:30"])
def test_contact_window_opens_at_window_start_every_day(start):
    """``day + window_start`` is inside the window on every day (collectors wake then)."""
    rb = book(window_start=start)
    closed = [day for day in range(400) if not rb.in_window(day + rb.window_start)]
    assert not closed, f"window {start} shut at its opening instant on days {closed[:10]}..."


# --------------------------------------------------------------------------- agreement


def test_every_rule_is_in_the_table_once_in_one_precedence_order():
    codes = [spec.code for spec in RULES]
    assert sorted(codes) == sorted(rule for rule in Rule if rule is not Rule.ALLOWED)
    assert len(set(codes)) == len(codes)
    assert codes == [Rule.CONTACT_WINDOW, Rule.CEASED, Rule.DISPUTE_HOLD, Rule.BREATHING_SPACE,
                     Rule.CALLS_PER_7_DAYS, Rule.QUIET_AFTER_CONVERSATION,
                     Rule.CONVERSATIONS_PER_DAY, Rule.UNANSWERED_PER_DAY,
                     Rule.MESSAGES_PER_7_DAYS]
    for spec in RULES:
        assert spec.governs, spec.code
        assert set(spec.switches) <= set(Rules.model_fields), spec.code
    assert Rule.ALLOWED.label == ""
    assert len({rule.label for rule in Rule}) == len(Rule)


def test_switches_name_the_fields_that_turn_each_rule_on():
    """Each rule is off in the ``none`` regime, or (the window) spans the whole day there, and
    setting its fields turns it on."""
    lax = Rules(regime="none")
    on = {"max_calls_per_7_days": 7, "quiet_days_after_conversation": 7.0,
          "max_conversations_per_day": 3, "max_unanswered_per_day": 6,
          "max_messages_per_7_days": 2, "honour_cease_requests": True,
          "dispute_hold_days": 30.0, "breathing_space_days": 60.0}
    for spec in RULES:
        if spec.clock:
            continue
        assert not spec.on(lax), spec.code
        assert spec.on(Rules(regime="none", **{f: on[f] for f in spec.switches})), spec.code


action = st.tuples(st.sampled_from(["call", "answered", "conversation", "cease", "dispute",
                                    "breathing", "message", "new_day"]),
                   st.integers(0, 4), st.floats(0.0, 0.5))
every_rule_on = {
    "cap": st.sampled_from([1, 3, 7, 9]), "quiet": st.sampled_from([0.5, 2.0, 7.0]),
    "conv_cap": st.sampled_from([1, 3]), "unanswered_cap": st.sampled_from([1, 2, 6]),
    "message_cap": st.sampled_from([1, 2, 5]), "window": st.sampled_from(
        [("08:00", "21:00"), ("00:00", "24:00"), ("07:30", "22:00")]),
}


def replayed(actions, n: int = 5, **rules) -> tuple[RuleBook, list[float]]:
    """A rule book after ``actions`` (kind, account, time step), and the times of the actions."""
    rb = book(n, **rules)
    now = 0.0
    times = [now]
    for kind, i, step in actions:
        now += step
        times.append(now)
        if kind in ("call", "answered"):
            rb.record_attempt(i, now, answered=kind == "answered")
        elif kind == "conversation":
            rb.record_conversation(i, now)
        elif kind == "cease":
            rb.record_cease(i)
        elif kind == "dispute":
            rb.record_dispute(i, now)
        elif kind == "breathing":
            rb.record_breathing_space(i, now)
        elif kind == "message":
            rb.record_messages(np.array([i]), now)
        else:
            rb.new_day()
    return rb, times


# Probe times: after the last action, or exactly when some rule's period ends after an action
# (a hold, a quiet period, a 7-day window), where `<` and `<=` part ways.
probe = st.one_of(st.tuples(st.just(-1), st.floats(0.0, 20.0)),
                  st.tuples(st.integers(0, 60), st.sampled_from([0.0, 0.5, 2.0, 3.0, 7.0])))


def probe_times(times: list[float], probes) -> list[float]:
    return [times[k % len(times)] + offset for k, offset in probes]


def rules_with(cap, quiet, conv_cap, unanswered_cap, message_cap, window) -> dict:
    return dict(max_calls_per_7_days=cap, quiet_days_after_conversation=quiet,
                max_conversations_per_day=conv_cap, max_unanswered_per_day=unanswered_cap,
                max_messages_per_7_days=message_cap, window_start=window[0],
                window_end=window[1], honour_cease_requests=True, dispute_hold_days=3.0,
                breathing_space_days=2.0)


@settings(max_examples=300, deadline=None)
@given(**every_rule_on, actions=st.lists(action, max_size=60),
       probes=st.lists(probe, min_size=1, max_size=8))
def test_each_rules_single_and_vectorised_tests_agree(cap, quiet, conv_cap, unanswered_cap,
                                                      message_cap, window, actions, probes):
    """For every rule of the table, on random contact histories (calls and messages alike)."""
    rb, times = replayed(actions, **rules_with(cap, quiet, conv_cap, unanswered_cap,
                                               message_cap, window))
    idx = np.arange(5)
    for spec in RULES:
        assert spec.on(rb.rules), spec.code
        one = spec.one(rb)
        for t in probe_times(times, probes):
            scalar = np.array([bool(one(i, t)) for i in idx])
            np.testing.assert_array_equal(spec.many(rb, idx, t), scalar, err_msg=spec.code.label)


@settings(max_examples=200, deadline=None)
@given(**every_rule_on, actions=st.lists(action, max_size=60),
       probes=st.lists(probe, min_size=1, max_size=5))
def test_rule_book_answers_with_the_first_rule_in_table_order(
        cap, quiet, conv_cap, unanswered_cap, message_cap, window, actions, probes):
    """Calls (one account and many) and messages name the first rule of the table that
    forbids them; the contact window is left to ``in_window``."""
    rb, times = replayed(actions, **rules_with(cap, quiet, conv_cap, unanswered_cap,
                                               message_cap, window))
    idx = np.arange(5)
    for t in probe_times(times, probes):
        for contact, reasons in ((Contact.CALL, rb.call_block_reasons(idx, t)),
                                 (Contact.MESSAGE, rb.message_block_reasons(idx, t))):
            specs = [spec for spec in RULES if contact in spec.governs and not spec.clock]
            for i in idx:
                first = next((spec.code for spec in specs if spec.one(rb)(i, t)), Rule.ALLOWED)
                assert reasons[i] == first, (contact, i)
                if contact is Contact.CALL:
                    assert rb.call_block(i, t) == first
        np.testing.assert_array_equal(rb.call_allowed(idx, t),
                                      rb.call_block_reasons(idx, t) == Rule.ALLOWED)
        assert rb.in_window(t) == (not RULES[0].one(rb)(0, t))


def test_message_precedence_is_the_call_precedence():
    """A message to an account under a dispute hold and a breathing space breaks the hold."""
    rb = book(max_messages_per_7_days=1, breathing_space_days=60.0)
    rb.record_messages(ONE, 1.0)
    rb.record_breathing_space(0, 1.0)
    rb.record_dispute(0, 1.0)
    assert rb.call_block(0, 2.0) == Rule.DISPUTE_HOLD
    assert rb.message_block_reasons(ONE, 2.0)[0] == Rule.DISPUTE_HOLD


@settings(max_examples=150, deadline=None)
@given(cap=st.sampled_from([0, 7, 9]), quiet=st.sampled_from([0.0, 2.0, 7.0]),
       conv_cap=st.sampled_from([0, 1, 3]), unanswered_cap=st.sampled_from([0, 2, 6]),
       honour=st.booleans(), actions=st.lists(action, max_size=60),
       probe=st.floats(0.0, 20.0))
def test_call_block_agrees_with_a_naive_oracle(cap, quiet, conv_cap, unanswered_cap, honour,
                                              actions, probe):
    """RuleBook against a direct reading of the rules over the full history.

    (Caps below 7 are left to ``test_call_cap_allows_exactly_cap_calls``.)
    """
    rb = book(5, max_calls_per_7_days=cap, quiet_days_after_conversation=quiet,
              max_conversations_per_day=conv_cap, max_unanswered_per_day=unanswered_cap,
              honour_cease_requests=honour, dispute_hold_days=3.0, breathing_space_days=2.0)
    calls: list[list[float]] = [[] for _ in range(5)]
    last_conversation = [-1e9] * 5
    ceased = [False] * 5
    dispute_until = [-1e9] * 5
    breathing_until = [-1e9] * 5
    conversations_today = [0] * 5
    unanswered_today = [0] * 5
    now = 0.0
    for kind, i, step in actions:
        now += step
        if kind in ("call", "answered"):
            rb.record_attempt(i, now, answered=kind == "answered")
            calls[i].append(now)
            unanswered_today[i] += kind == "call"
        elif kind == "conversation":
            rb.record_conversation(i, now)
            last_conversation[i] = now
            conversations_today[i] += 1
        elif kind == "cease":
            rb.record_cease(i)
            ceased[i] = True
        elif kind == "dispute":
            rb.record_dispute(i, now)
            dispute_until[i] = now + 3.0
        elif kind == "breathing":
            rb.record_breathing_space(i, now)
            breathing_until[i] = now + 2.0
        elif kind == "new_day":
            rb.new_day()
            conversations_today = [0] * 5
            unanswered_today = [0] * 5
    t = now + probe
    for i in range(5):
        expected = Rule.ALLOWED
        if ceased[i] and honour:
            expected = Rule.CEASED
        elif dispute_until[i] > t:
            expected = Rule.DISPUTE_HOLD
        elif breathing_until[i] > t:
            expected = Rule.BREATHING_SPACE
        elif cap and sum(c > t - 7.0 for c in calls[i]) >= cap:
            expected = Rule.CALLS_PER_7_DAYS
        elif t - last_conversation[i] < quiet:
            expected = Rule.QUIET_AFTER_CONVERSATION
        elif conv_cap and conversations_today[i] >= conv_cap:
            expected = Rule.CONVERSATIONS_PER_DAY
        elif unanswered_cap and unanswered_today[i] >= unanswered_cap:
            expected = Rule.UNANSWERED_PER_DAY
        assert rb.call_block(i, t) == expected
