"""The per-account contact history the contact rules read, and how contacts are recorded.

:class:`ContactHistory` keeps, for every account: the times of its last calls (a ring, enough to
apply the calls-per-7-days cap and to measure contact pressure), of its last messages, of its
last telephone conversation, the end of any dispute hold or breathing space, whether it asked
for contact to cease, and today's conversations and unanswered dials. The rules themselves are
in :mod:`sim.model.rules.table`; :class:`~sim.model.rules.book.RuleBook` answers from both.

The fields every call reads sit in one record per account (see
:func:`sim.model.portfolio.accounts.record_table`), so a call touches one cache line of them;
``views`` gives the per-call path one-element access to all of them as plain Python numbers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from sim.config.schema import Rules
from sim.model.portfolio.accounts import ScalarViews, record_table
from sim.model.units import PRESSURE_WINDOW_DAYS

NEVER = -1e9  # the time of a contact that never happened

# Per-account contact history read on every call; the ring of call times is kept beside it as
# an (accounts, ring) array.
CALL_HISTORY_FIELDS: list[tuple[str, str]] = [
    ("dispute_until", "f8"), ("breathing_until", "f8"), ("last_conversation", "f8"),
    ("call_slot", "i8"), ("conversations_today", "i4"), ("unanswered_today", "i4"),
    ("ceased", "?"),
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class ContactHistory:
    """What happened to each of ``accounts`` accounts that the rules of ``rules`` need."""

    def __init__(self, rules: Rules, accounts: int) -> None:
        self.rules = rules
        # The ring keeps the last `ring` call times: enough to apply the cap (a call is allowed
        # when the cap-th most recent call is at least 7 days old) and to measure contact
        # pressure over the last 7 days.
        self.ring = max(rules.max_calls_per_7_days, 7)
        self.call_times = np.full((accounts, self.ring), NEVER)
        self.message_ring = max(rules.max_messages_per_7_days, 1)
        self.message_times = np.full((accounts, self.message_ring), NEVER)
        self.message_slot = np.zeros(accounts, dtype=np.int64)
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

    # ------------------------------------------------------------------ one contact

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
        """Note that account ``i`` asked for contact to cease."""
        self.ceased[i] = True

    def record_dispute(self, i: int, now: float) -> None:
        """Note a dispute: collection pauses for ``dispute_hold_days`` while it is verified."""
        self.dispute_until[i] = now + self.rules.dispute_hold_days

    def record_breathing_space(self, i: int, now: float) -> None:
        """Grant a breathing space: no contact and no interest until it ends."""
        self.breathing_until[i] = now + self.rules.breathing_space_days

    def pressure(self, i: int, now: float) -> int:
        """Calls placed to account ``i`` in the last 7 days (contact pressure)."""
        cutoff = now - PRESSURE_WINDOW_DAYS
        return sum(t > cutoff for t in self.call_times[i].tolist())  # a handful of slots

    # ------------------------------------------------------------------ many accounts

    def record_attempts(self, idx: IntArray, times: FloatArray, answered: BoolArray) -> None:
        """Note calls placed to each of ``idx`` (distinct accounts) at ``times``."""
        slots = self.call_slot[idx]
        self.call_times[idx, slots] = times
        self.call_slot[idx] = (slots + 1) % self.ring
        self.unanswered_today[idx[~answered]] += 1

    def record_messages(self, idx: IntArray, now: float) -> None:
        """Note a message sent to each of ``idx`` (distinct accounts) at ``now``."""
        slots = self.message_slot[idx]
        self.message_times[idx, slots] = now
        self.message_slot[idx] = (slots + 1) % self.message_ring

    def in_breathing_space(self, day: float) -> BoolArray:
        """Accounts whose breathing space covers ``day`` (interest and fees pause)."""
        return self.breathing_until > day

    def new_day(self) -> None:
        """Reset the per-calendar-day counters."""
        self.conversations_today[:] = 0
        self.unanswered_today[:] = 0
