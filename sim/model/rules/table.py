"""Every contact rule, defined once: what it governs, what switches it on, and its test.

:data:`RULES` is the table :class:`~sim.model.rules.book.RuleBook` answers from. Each
:class:`RuleSpec` holds

* ``code`` — its :class:`~sim.model.codes.Rule` (the label the outputs show);
* ``governs`` — the contacts it applies to: calls, messages, or both;
* ``switches`` — the ``[rules]`` fields that set it, and ``on(rules)``, whether a scenario
  switches it on (a rule that is off never blocks, so the rule book leaves it out);
* ``one(history)`` — its test for one account, bound to a history: ``test(i, now)`` is true
  when the rule forbids contacting account ``i`` at ``now`` (the per-call path calls it);
* ``many(history, idx, now)`` — the same test over many accounts at once.

The table's order is the one precedence order: when several rules forbid a contact, the first
of them is the one it breaks. The contact window comes first because it is a rule of the clock
(``clock``), not of the account: a call placed outside it is unlawful whoever it is to. The
agency decides each day whether to keep to the window (see :mod:`sim.model.agency.desk`);
the other rules it decides account by account.

Rules implemented (a cap of 0 means no cap):

* the local contact window (Regulation F, 12 CFR 1006.6(b)(1): 08:00-21:00);
* cease-contact requests (12 CFR 1006.6(c)), the dispute verification hold and breathing space
  (the UK Debt Respite Scheme: no contact, and no interest, while it lasts);
* calls per rolling 7 days per account (12 CFR 1006.14(b)(2): at most 7);
* quiet days after a telephone conversation (12 CFR 1006.14(b)(2): 7);
* conversations and unanswered dials per calendar day (China: 3 and 6);
* messages per rolling 7 days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from sim.config.schema import Rules, clock_to_day_fraction
from sim.model.codes import Rule
from sim.model.rules.history import BoolArray, ContactHistory, IntArray
from sim.model.units import ROLLING_WEEK_DAYS

CLOCK_TOLERANCE = 1e-9  # days (under a millisecond): day + 08:00 in floating point is 08:00


class Contact(Enum):
    """A kind of contact the rules govern."""

    CALL = "call"
    MESSAGE = "message"


CALLS = frozenset({Contact.CALL})
MESSAGES = frozenset({Contact.MESSAGE})
ALL_CONTACTS = CALLS | MESSAGES

OneTest = Callable[[int, float], bool]


@dataclass(frozen=True)
class RuleSpec:
    """One contact rule (see the module docstring)."""

    code: Rule
    governs: frozenset[Contact]
    switches: tuple[str, ...]
    on: Callable[[Rules], bool]
    one: Callable[[ContactHistory], OneTest]
    many: Callable[[ContactHistory, IntArray, float], BoolArray]
    clock: bool = False


class ContactWindow:
    """The daily window in which calls are allowed, in the cardholder's local time."""

    def __init__(self, rules: Rules) -> None:
        self.start = clock_to_day_fraction(rules.window_start)
        self.end = clock_to_day_fraction(rules.window_end)

    def contains(self, now: float) -> bool:
        """Whether the clock time of ``now`` lies inside the window."""
        clock = now - int(now) + CLOCK_TOLERANCE
        return self.start <= clock < self.end


# ---------------------------------------------------------------------------- the tests


def _outside_window(h: ContactHistory) -> OneTest:
    contains = ContactWindow(h.rules).contains
    return lambda i, now: not contains(now)


def _outside_window_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return np.full(len(idx), not ContactWindow(h.rules).contains(now))


def _ceased(h: ContactHistory) -> OneTest:
    ceased = h.views.ceased
    return lambda i, now: ceased[i]


def _ceased_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return h.ceased[idx]


def _disputed(h: ContactHistory) -> OneTest:
    until = h.views.dispute_until
    return lambda i, now: until[i] > now


def _disputed_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return h.dispute_until[idx] > now


def _breathing(h: ContactHistory) -> OneTest:
    until = h.views.breathing_until
    return lambda i, now: until[i] > now


def _breathing_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return h.breathing_until[idx] > now


def _calls_capped(h: ContactHistory) -> OneTest:
    # Blocked while the cap-th most recent call is less than 7 days old.
    times, slot, cap, ring = h.views.call_times, h.views.call_slot, \
        h.rules.max_calls_per_7_days, h.ring
    return lambda i, now: times[i, (slot[i] - cap) % ring] > now - ROLLING_WEEK_DAYS


def _calls_capped_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    capth_last = h.call_times[idx, (h.call_slot[idx] - h.rules.max_calls_per_7_days) % h.ring]
    return capth_last > now - ROLLING_WEEK_DAYS


def _quiet(h: ContactHistory) -> OneTest:
    last, quiet = h.views.last_conversation, h.rules.quiet_days_after_conversation
    return lambda i, now: now - last[i] < quiet


def _quiet_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return (now - h.last_conversation[idx]) < h.rules.quiet_days_after_conversation


def _conversations_capped(h: ContactHistory) -> OneTest:
    today, cap = h.views.conversations_today, h.rules.max_conversations_per_day
    return lambda i, now: today[i] >= cap


def _conversations_capped_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return h.conversations_today[idx] >= h.rules.max_conversations_per_day


def _unanswered_capped(h: ContactHistory) -> OneTest:
    today, cap = h.views.unanswered_today, h.rules.max_unanswered_per_day
    return lambda i, now: today[i] >= cap


def _unanswered_capped_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return h.unanswered_today[idx] >= h.rules.max_unanswered_per_day


def _messages_capped(h: ContactHistory) -> OneTest:
    # The ring holds exactly `cap` messages: blocked while its oldest is less than 7 days old.
    times, slot = h.views.message_times, h.views.message_slot
    return lambda i, now: times[i, slot[i]] > now - ROLLING_WEEK_DAYS


def _messages_capped_many(h: ContactHistory, idx: IntArray, now: float) -> BoolArray:
    return h.message_times[idx, h.message_slot[idx]] > now - ROLLING_WEEK_DAYS


# ---------------------------------------------------------------------------- the table

RULES: tuple[RuleSpec, ...] = (
    RuleSpec(Rule.CONTACT_WINDOW, CALLS, ("window_start", "window_end"),
             lambda r: True, _outside_window, _outside_window_many, clock=True),
    RuleSpec(Rule.CEASED, ALL_CONTACTS, ("honour_cease_requests",),
             lambda r: r.honour_cease_requests, _ceased, _ceased_many),
    RuleSpec(Rule.DISPUTE_HOLD, ALL_CONTACTS, ("dispute_hold_days",),
             lambda r: r.dispute_hold_days > 0, _disputed, _disputed_many),
    RuleSpec(Rule.BREATHING_SPACE, ALL_CONTACTS, ("breathing_space_days",),
             lambda r: r.breathing_space_days > 0, _breathing, _breathing_many),
    RuleSpec(Rule.CALLS_PER_7_DAYS, CALLS, ("max_calls_per_7_days",),
             lambda r: r.max_calls_per_7_days > 0, _calls_capped, _calls_capped_many),
    RuleSpec(Rule.QUIET_AFTER_CONVERSATION, CALLS, ("quiet_days_after_conversation",),
             lambda r: r.quiet_days_after_conversation > 0, _quiet, _quiet_many),
    RuleSpec(Rule.CONVERSATIONS_PER_DAY, CALLS, ("max_conversations_per_day",),
             lambda r: r.max_conversations_per_day > 0, _conversations_capped,
             _conversations_capped_many),
    RuleSpec(Rule.UNANSWERED_PER_DAY, CALLS, ("max_unanswered_per_day",),
             lambda r: r.max_unanswered_per_day > 0, _unanswered_capped,
             _unanswered_capped_many),
    RuleSpec(Rule.MESSAGES_PER_7_DAYS, MESSAGES, ("max_messages_per_7_days",),
             lambda r: r.max_messages_per_7_days > 0, _messages_capped, _messages_capped_many),
)
