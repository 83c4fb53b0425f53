"""Every contact rule, defined once: whom it binds, what it governs, what switches it on, and
its test.

:data:`RULES` is the table :class:`~sim.model.rules.book.RuleBook` answers from. Each
:class:`RuleSpec` holds

* ``code`` — its :class:`~sim.model.codes.Rule` (the label the outputs show);
* ``governs`` — the contacts it applies to: calls, messages, or both;
* ``switches`` — the ``[rules]`` fields that set it, and ``on(limits)``, whether a set of
  :class:`~sim.config.schema.ContactLimits` switches it on (a rule that is off never binds);
* ``test(history, limits, idx, now, contact)`` — for each account of ``idx``, whether the rule
  forbids that contact at ``now`` (a time, or one time per account).

Whom a rule binds is not in the table: a regime states, in its data file
(:mod:`sim.config.rules`), its rules for third-party collectors and for first-party creditors,
and each desk is given the rule book of its party.

The table's order is the one precedence order: when several rules forbid a contact, the first
of them is the one it breaks. The contact window comes first: a contact outside it is unlawful
whoever it is to. Third-party disclosure forbids no contact: it is broken by what is said (to a
wrong party, in a voicemail), which the dialler records as it happens.

Rules (a cap of 0 means no cap; days are the cardholder's local calendar days):

* the local contact window (Regulation F, 12 CFR 1006.6(b)(1): 08:00-21:00), for calls and
  messages;
* requests to stop contact: in writing, all contact from the day the letter is received
  (FDCPA §805(c)); spoken, calls only (12 CFR 1006.14(h)) — or all contact at once where the
  regime does not ask for writing;
* the dispute hold: from a written dispute received within the validation period, until it
  is verified (FDCPA §809(b)) — or, where the regime does not ask for writing, from the latest
  dispute however it was made (a later spoken dispute holds anew after an earlier letter);
* breathing space (the UK Debt Respite Scheme: no contact, and no interest, while it lasts);
* calls per 7 calendar days per account and quiet days after a telephone conversation (12 CFR
  1006.14(b)(2): 7 and 7), neither counting a call the cardholder asked for that day where the
  regime has the consent exception (12 CFR 1006.14(b)(3));
* conversations and unanswered dials per calendar day (China: 3 and 6);
* messages per 7 calendar days;
* no disclosure of the debt to third parties (FDCPA §805(b), 12 CFR 1006.6(d)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np

from sim.config.schema import ContactLimits, clock_to_day_fraction
from sim.model.codes import Rule
from sim.model.rules.history import BoolArray, ContactHistory, FloatArray, IntArray, local_day

CLOCK_TOLERANCE = 1e-9  # days (under a millisecond): day + 08:00 in floating point is 08:00

Times = FloatArray | float


class Contact(Enum):
    """A kind of contact the rules govern."""

    CALL = "call"
    MESSAGE = "message"


CALLS = frozenset({Contact.CALL})
MESSAGES = frozenset({Contact.MESSAGE})
ALL_CONTACTS = CALLS | MESSAGES

Test = Callable[[ContactHistory, ContactLimits, IntArray, Times, Contact], BoolArray]


@dataclass(frozen=True)
class RuleSpec:
    """One contact rule (see the module docstring)."""

    code: Rule
    governs: frozenset[Contact]
    switches: tuple[str, ...]
    on: Callable[[ContactLimits], bool]
    test: Test


def outside_window(limits: ContactLimits, local_times: Times) -> BoolArray:
    """Whether each local clock time lies outside the contact window of ``limits``."""
    clock = np.mod(local_times, 1.0) + CLOCK_TOLERANCE
    start = clock_to_day_fraction(limits.window_start)
    end = clock_to_day_fraction(limits.window_end)
    return np.asarray((clock < start) | (clock >= end))


def _broadcast(flags: BoolArray, idx: IntArray) -> BoolArray:
    return np.broadcast_to(flags, idx.shape).copy()


# ---------------------------------------------------------------------------- the tests


def _window(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
            contact: Contact) -> BoolArray:
    return _broadcast(outside_window(r, now + h.local_offset[idx]), idx)


def _ceased(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
            contact: Contact) -> BoolArray:
    written = h.cease_written_at[idx] <= now
    spoken = h.cease_spoken_at[idx] <= now
    if r.cease_needs_writing and contact is Contact.MESSAGE:
        return written  # a spoken request not to be called leaves letters and messages
    return written | spoken


def _disputed(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
              contact: Contact) -> BoolArray:
    written = h.dispute_written_at[idx]
    if r.validation_days > 0:
        late = written > h.placed_day[idx] + r.validation_days
        written = np.where(late, np.inf, written)
    if r.dispute_needs_writing:
        since = written
    else:  # from the latest dispute, made in a conversation (a letter after it is the same)
        spoken = h.dispute_spoken_at[idx]
        since = np.where(np.isfinite(spoken), spoken, written)
    return (since <= now) & (now < np.ceil(since + r.dispute_hold_days))


def _breathing(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
               contact: Contact) -> BoolArray:
    return (h.breathing_from[idx] <= now) & (now < h.breathing_until[idx])


def _asked_for_today(h: ContactHistory, r: ContactLimits, idx: IntArray,
                     now: Times) -> BoolArray:
    if not r.consent_exception:
        return np.zeros(len(idx), dtype=np.bool_)
    return h.consent_day[idx] == local_day(now, h.local_offset[idx])


def _calls_capped(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
                  contact: Contact) -> BoolArray:
    capped = h.calls_capped(idx, now, r.max_calls_per_7_days, r.consent_exception)
    return capped & ~_asked_for_today(h, r, idx, now)


def _quiet(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
           contact: Contact) -> BoolArray:
    offset = h.local_offset[idx]
    since = local_day(now, offset) - local_day(h.last_conversation[idx], offset)
    return (since < r.quiet_days_after_conversation) & ~_asked_for_today(h, r, idx, now)


def _counted_today(h: ContactHistory, idx: IntArray, now: Times) -> BoolArray:
    return h.count_day[idx] == local_day(now, h.local_offset[idx])


def _conversations_capped(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
                          contact: Contact) -> BoolArray:
    return _counted_today(h, idx, now) & (
        h.conversations_today[idx] >= r.max_conversations_per_day)


def _unanswered_capped(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
                       contact: Contact) -> BoolArray:
    return _counted_today(h, idx, now) & (h.unanswered_today[idx] >= r.max_unanswered_per_day)


def _messages_capped(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
                     contact: Contact) -> BoolArray:
    return h.messages_in_week(idx, now) >= r.max_messages_per_7_days


def _forbids_no_contact(h: ContactHistory, r: ContactLimits, idx: IntArray, now: Times,
                        contact: Contact) -> BoolArray:
    return np.zeros(len(idx), dtype=np.bool_)


# ---------------------------------------------------------------------------- the table

RULES: tuple[RuleSpec, ...] = (
    RuleSpec(Rule.CONTACT_WINDOW, ALL_CONTACTS, ("window_start", "window_end"),
             lambda r: (r.window_start, r.window_end) != ("00:00", "24:00"), _window),
    RuleSpec(Rule.CEASED, ALL_CONTACTS, ("honour_cease_requests", "cease_needs_writing"),
             lambda r: r.honour_cease_requests, _ceased),
    RuleSpec(Rule.DISPUTE_HOLD, ALL_CONTACTS,
             ("dispute_hold_days", "dispute_needs_writing", "validation_days"),
             lambda r: r.dispute_hold_days > 0, _disputed),
    RuleSpec(Rule.BREATHING_SPACE, ALL_CONTACTS, ("breathing_space_days",),
             lambda r: r.breathing_space_days > 0, _breathing),
    RuleSpec(Rule.CALLS_PER_7_DAYS, CALLS, ("max_calls_per_7_days", "consent_exception"),
             lambda r: r.max_calls_per_7_days > 0, _calls_capped),
    RuleSpec(Rule.QUIET_AFTER_CONVERSATION, CALLS,
             ("quiet_days_after_conversation", "consent_exception"),
             lambda r: r.quiet_days_after_conversation > 0, _quiet),
    RuleSpec(Rule.CONVERSATIONS_PER_DAY, CALLS, ("max_conversations_per_day",),
             lambda r: r.max_conversations_per_day > 0, _conversations_capped),
    RuleSpec(Rule.UNANSWERED_PER_DAY, CALLS, ("max_unanswered_per_day",),
             lambda r: r.max_unanswered_per_day > 0, _unanswered_capped),
    RuleSpec(Rule.MESSAGES_PER_7_DAYS, MESSAGES, ("max_messages_per_7_days",),
             lambda r: r.max_messages_per_7_days > 0, _messages_capped),
    RuleSpec(Rule.THIRD_PARTY_DISCLOSURE, ALL_CONTACTS, ("third_party_disclosure",),
             lambda r: r.third_party_disclosure, _forbids_no_contact),
)
