"""Regulation: what a contact may do, decided in one place.

:class:`RuleBook` answers two questions, both from the per-account contact history it keeps:

* ``call_block(i, now)`` — may account *i* be called now? ``ALLOWED`` or the code of the first
  per-account rule that says no (scalar, used on the per-call hot path); the contact window,
  which depends only on the clock, is asked separately with ``in_window(now)``;
* ``call_allowed(idx, now)`` / ``message_allowed(idx, now)`` — the same test over many accounts
  at once (vectorised, used to build call lists and message batches).

It also records what happened (``record_attempt``, ``record_conversation``, ``record_message``)
so the next answer is right. Whether an agency obeys is not decided here: an agency that acts
when a rule says no must count the act as a violation of the returned rule (see
:mod:`sim.model.agency.desk`). Rules implemented (a cap of 0 means no cap):

* calls per rolling 7 days per account (Regulation F: at most 7);
* quiet days after a telephone conversation (Regulation F: 7);
* the local contact window (Regulation F: 08:00-21:00);
* conversations and unanswered dials per calendar day (China: 3 and 6);
* messages per rolling 7 days;
* cease-contact requests, the dispute verification hold and breathing space (UK-style: no
  contact, and no interest, while it lasts).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.config.schema import Rules, clock_to_day_fraction
from sim.model.portfolio.accounts import ScalarViews, record_table

ALLOWED = 0
CEASED = 1
DISPUTE_HOLD = 2
CALLS_PER_7_DAYS = 3
QUIET_AFTER_CONVERSATION = 4
CONTACT_WINDOW = 5
CONVERSATIONS_PER_DAY = 6
UNANSWERED_PER_DAY = 7
MESSAGES_PER_7_DAYS = 8
BREATHING_SPACE = 9

RULE_NAMES = {
    CEASED: "cease_request",
    DISPUTE_HOLD: "dispute_hold",
    CALLS_PER_7_DAYS: "calls_per_7_days",
    QUIET_AFTER_CONVERSATION: "quiet_after_conversation",
    CONTACT_WINDOW: "contact_window",
    CONVERSATIONS_PER_DAY: "conversations_per_day",
    UNANSWERED_PER_DAY: "unanswered_per_day",
    MESSAGES_PER_7_DAYS: "messages_per_7_days",
    BREATHING_SPACE: "breathing_space",
}

PRESSURE_WINDOW_DAYS = 7.0
CLOCK_TOLERANCE = 1e-9  # days (under a millisecond): day + 08:00 in floating point is 08:00
NEVER = -1e9

# Per-account contact history read by call_block on every call; the ring of call times is kept
# beside it as a (accounts, ring) array.
CALL_HISTORY_FIELDS: list[tuple[str, str]] = [
    ("dispute_until", "f8"), ("breathing_until", "f8"), ("last_conversation", "f8"),
    ("call_slot", "i8"), ("conversations_today", "i4"), ("unanswered_today", "i4"),
    ("ceased", "?"),
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class RuleBook:
    """Contact rules and the contact history they need, for ``accounts`` accounts."""

    def __init__(self, rules: Rules, accounts: int) -> None:
        self.rules = rules
        self.call_cap = rules.max_calls_per_7_days
        self.quiet_days = rules.quiet_days_after_conversation
        self.window_start = clock_to_day_fraction(rules.window_start)
        self.window_end = clock_to_day_fraction(rules.window_end)
        self.conversation_cap = rules.max_conversations_per_day
        self.unanswered_cap = rules.max_unanswered_per_day
        self.message_cap = rules.max_messages_per_7_days
        self.honour_cease = rules.honour_cease_requests
        self.dispute_hold_days = rules.dispute_hold_days
        # The ring keeps the last `ring` call times: enough to apply the cap (a call is allowed
        # when the cap-th most recent call is at least 7 days old) and to measure contact
        # pressure over the last 7 days.
        self.ring = max(self.call_cap, 7)
        self.call_times = np.full((accounts, self.ring), NEVER)
        self.message_ring = max(self.message_cap, 1)
        self.message_times = np.full((accounts, self.message_ring), NEVER)
        self.message_slot = np.zeros(accounts, dtype=np.int64)
        self.breathing_space_days = rules.breathing_space_days
        # What call_block reads, one record per account (see
        # sim.model.portfolio.accounts.record_table).
        history = self.call_history = record_table(accounts, CALL_HISTORY_FIELDS)
        self.dispute_until: FloatArray = history["dispute_until"]
        self.breathing_until: FloatArray = history["breathing_until"]
        self.last_conversation: FloatArray = history["last_conversation"]
        self.call_slot: IntArray = history["call_slot"]
        self.conversations_today: npt.NDArray[np.int32] = history["conversations_today"]
        self.unanswered_today: npt.NDArray[np.int32] = history["unanswered_today"]
        self.ceased: BoolArray = history["ceased"]
        self.dispute_until[:] = self.breathing_until[:] = self.last_conversation[:] = NEVER
        self.views = ScalarViews(self)  # one-account access on the hot path

    # ------------------------------------------------------------------ scalar (hot path)

    def in_window(self, now: float) -> bool:
        """Whether the clock time of ``now`` lies inside the legal contact window."""
        clock = now - int(now) + CLOCK_TOLERANCE
        return self.window_start <= clock < self.window_end

    def call_block(self, i: int, now: float) -> int:
        """``ALLOWED`` if account ``i`` may be called at ``now``, else the blocking rule."""
        v = self.views
        if self.honour_cease and v.ceased[i]:
            return CEASED
        if v.dispute_until[i] > now:
            return DISPUTE_HOLD
        if v.breathing_until[i] > now:
            return BREATHING_SPACE
        cap = self.call_cap
        if cap and v.call_times[i, (v.call_slot[i] - cap) % self.ring] > now - 7.0:
            return CALLS_PER_7_DAYS
        if now - v.last_conversation[i] < self.quiet_days:
            return QUIET_AFTER_CONVERSATION
        if self.conversation_cap and v.conversations_today[i] >= self.conversation_cap:
            return CONVERSATIONS_PER_DAY
        if self.unanswered_cap and v.unanswered_today[i] >= self.unanswered_cap:
            return UNANSWERED_PER_DAY
        return ALLOWED

    def pressure(self, i: int, now: float) -> int:
        """Calls placed to account ``i`` in the last 7 days (contact pressure)."""
        cutoff = now - PRESSURE_WINDOW_DAYS
        return sum(t > cutoff for t in self.call_times[i].tolist())  # a handful of slots

    def record_attempt(self, i: int, now: float, answered: bool) -> None:
        """Note a call placed to account ``i`` at ``now``."""
        v = self.views
        slot = v.call_slot[i]
        v.call_times[i, slot] = now
        v.call_slot[i] = (slot + 1) % self.ring
        if not answered:
            v.unanswered_today[i] += 1

    def record_conversation(self, i: int, now: float) -> None:
        """Note a telephone conversation (outbound or inbound) with account ``i``."""
        v = self.views
        v.last_conversation[i] = now
        v.conversations_today[i] += 1

    def record_cease(self, i: int) -> None:
        self.ceased[i] = True

    def record_dispute(self, i: int, now: float) -> None:
        self.dispute_until[i] = now + self.dispute_hold_days

    def record_breathing_space(self, i: int, now: float) -> None:
        """Grant a breathing space: no contact and no interest until it ends."""
        self.breathing_until[i] = now + self.breathing_space_days

    def in_breathing_space(self, day: float) -> BoolArray:
        """Accounts whose breathing space covers ``day`` (interest and fees pause)."""
        return self.breathing_until > day

    # ------------------------------------------------------------------ vectorised

    def call_allowed(self, idx: IntArray, now: float) -> BoolArray:
        """Vectorised :meth:`call_block` ``== ALLOWED`` over accounts ``idx``."""
        ok = (self.dispute_until[idx] <= now) & (self.breathing_until[idx] <= now)
        if self.honour_cease:
            ok &= ~self.ceased[idx]
        if self.call_cap:
            capth_last = self.call_times[idx, (self.call_slot[idx] - self.call_cap) % self.ring]
            ok &= capth_last <= now - 7.0
        ok &= (now - self.last_conversation[idx]) >= self.quiet_days
        if self.conversation_cap:
            ok &= self.conversations_today[idx] < self.conversation_cap
        if self.unanswered_cap:
            ok &= self.unanswered_today[idx] < self.unanswered_cap
        return ok

    def message_allowed(self, idx: IntArray, now: float) -> BoolArray:
        """Whether a message (SMS, e-mail, letter) may be sent to each of ``idx`` at ``now``."""
        ok = (self.dispute_until[idx] <= now) & (self.breathing_until[idx] <= now)
        if self.honour_cease:
            ok &= ~self.ceased[idx]
        if self.message_cap:
            oldest = self.message_times[idx, self.message_slot[idx]]
            ok &= oldest <= now - 7.0
        return ok

    def message_block_reasons(self, idx: IntArray, now: float) -> IntArray:
        """The rule blocking a message to each of ``idx`` (``ALLOWED`` where none does)."""
        reasons = np.zeros(len(idx), dtype=np.int64)
        if self.message_cap:
            oldest = self.message_times[idx, self.message_slot[idx]]
            reasons[oldest > now - 7.0] = MESSAGES_PER_7_DAYS
        reasons[self.dispute_until[idx] > now] = DISPUTE_HOLD
        reasons[self.breathing_until[idx] > now] = BREATHING_SPACE
        if self.honour_cease:
            reasons[self.ceased[idx]] = CEASED
        return reasons

    def record_messages(self, idx: IntArray, now: float) -> None:
        """Note a message sent to each of ``idx`` (distinct accounts) at ``now``."""
        slots = self.message_slot[idx]
        self.message_times[idx, slots] = now
        self.message_slot[idx] = (slots + 1) % self.message_ring

    def new_day(self) -> None:
        """Reset the per-calendar-day counters."""
        self.conversations_today[:] = 0
        self.unanswered_today[:] = 0
