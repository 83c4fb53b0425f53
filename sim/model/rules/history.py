"""The per-account contact history the contact rules read, and how contacts are recorded.

:class:`ContactHistory` keeps, for every account, what happened — never what a rule makes of it,
so one history serves every rule book of a replication (the regime's rules for agencies and for
the bank's own collectors, and the reference standard; see :mod:`sim.model.rules.book`):

* the times of its last calls (a ring), of its last calls other than those the cardholder asked
  for (a second ring: the calls a cap counts under the consent exception) and of its last
  messages, and of its last telephone conversation;
* its requests, each with its form and date: a request to stop contact, spoken or received in
  writing; a dispute, spoken or received in writing; a callback the cardholder asked for (the
  local calendar day agreed); a breathing space (when it starts and ends);
* the local calendar day's conversations and unanswered dials.

Times are program days on the agencies' clock; each account's ``local_offset`` turns them into
its cardholder's clock, on which calendar days are counted. A time ``NOT_YET`` (+inf) marks a
request never made; ``NEVER`` (far in the past) a contact that never happened.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from sim.config.schema import ContactLimits
from sim.model.portfolio.accounts import ScalarViews, record_table
from sim.model.units import DAYS_PER_YEAR, PRESSURE_WINDOW_DAYS, ROLLING_WEEK_DAYS

NEVER = -1e9  # the time of a contact that never happened
NOT_YET = np.inf  # the time of a request never made

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Per-account contact history, one record per account (see record_table).
HISTORY_FIELDS: list[tuple[str, str]] = [
    ("last_conversation", "f8"), ("cease_spoken_at", "f8"), ("cease_written_at", "f8"),
    ("dispute_spoken_at", "f8"), ("dispute_written_at", "f8"), ("breathing_from", "f8"),
    ("breathing_until", "f8"), ("call_slot", "i8"), ("counted_slot", "i8"),
    ("consent_day", "i8"), ("count_day", "i8"),
    ("conversations_today", "i4"), ("unanswered_today", "i4"),
]
REQUEST_TIMES = ("cease_spoken_at", "cease_written_at", "dispute_spoken_at",
                 "dispute_written_at", "breathing_from", "breathing_until")


def local_day(times: FloatArray | float, offset: FloatArray | float) -> IntArray:
    """The cardholder's calendar day (program day on their clock) of ``times``."""
    return np.floor(np.asarray(times) + offset).astype(np.int64)


class ContactHistory:
    """What happened to each account that any of ``books`` (the rules of each rule book of
    the replication) needs; ``local_offset`` (days) is each cardholder's clock's lead on the
    agencies', ``placed_day`` each account's day of placement."""

    def __init__(self, books: list[ContactLimits], local_offset: FloatArray,
                 placed_day: FloatArray) -> None:
        accounts = len(local_offset)
        self.local_offset = local_offset
        self.placed_day = placed_day
        # Enough calls to apply the largest cap (a call is allowed when the cap-th most recent
        # is on a local day 7 or more days back) and to measure contact pressure over 7 days.
        cap = max(b.max_calls_per_7_days for b in books)
        self.ring = max(cap, 7)
        self.call_times = np.full((accounts, self.ring), NEVER)
        self.counted_ring = max(cap, 1)
        self.counted_times = np.full((accounts, self.counted_ring), NEVER)
        self.message_ring = max(max(b.max_messages_per_7_days for b in books), 1)
        self.message_times = np.full((accounts, self.message_ring), NEVER)
        self.message_slot = np.zeros(accounts, dtype=np.int64)
        record = self.table = record_table(accounts, HISTORY_FIELDS)
        self.last_conversation: FloatArray = record["last_conversation"]
        self.cease_spoken_at: FloatArray = record["cease_spoken_at"]
        self.cease_written_at: FloatArray = record["cease_written_at"]
        self.dispute_spoken_at: FloatArray = record["dispute_spoken_at"]
        self.dispute_written_at: FloatArray = record["dispute_written_at"]
        self.breathing_from: FloatArray = record["breathing_from"]
        self.breathing_until: FloatArray = record["breathing_until"]
        self.call_slot: IntArray = record["call_slot"]
        self.counted_slot: IntArray = record["counted_slot"]
        self.consent_day: IntArray = record["consent_day"]
        self.count_day: IntArray = record["count_day"]
        self.conversations_today: npt.NDArray[np.int32] = record["conversations_today"]
        self.unanswered_today: npt.NDArray[np.int32] = record["unanswered_today"]
        self.last_conversation[:] = NEVER
        for name in REQUEST_TIMES:
            record[name] = NOT_YET
        self.consent_day[:] = self.count_day[:] = -1
        self.views = ScalarViews(self)  # one-account access on the hot path

    @property
    def ceased(self) -> BoolArray:
        """Accounts that asked, in any form, for contact to stop."""
        return np.isfinite(self.cease_spoken_at) | np.isfinite(self.cease_written_at)

    # ------------------------------------------------------------------ one contact

    def _today(self, i: int, now: float) -> None:
        """Start account ``i``'s daily counts afresh on a new local calendar day."""
        v = self.views
        day = math.floor(now + v.local_offset[i])
        if v.count_day[i] != day:
            v.count_day[i] = day
            v.conversations_today[i] = v.unanswered_today[i] = 0

    def record_conversation(self, i: int, now: float) -> None:
        """Note a telephone conversation (outbound or inbound) with account ``i``."""
        self.record_conversations(np.array([i]), np.array([now]))

    def record_conversations(self, idx: IntArray, now: FloatArray) -> None:
        """Note a telephone conversation with each of the distinct accounts ``idx`` at
        ``now``."""
        day = np.floor(now + self.local_offset[idx]).astype(np.int64)
        fresh = self.count_day[idx] != day
        anew = idx[fresh]
        self.count_day[anew] = day[fresh]
        self.conversations_today[anew] = self.unanswered_today[anew] = 0
        self.last_conversation[idx] = now
        self.conversations_today[idx] += 1

    def record_cease(self, i: int, now: float, received: float | None) -> None:
        """Note a request to stop contact: spoken at ``now``, and with a letter ``received``
        on that date when it is also put in writing (``None``: spoken only)."""
        v = self.views
        v.cease_spoken_at[i] = min(v.cease_spoken_at[i], now)
        if received is not None:
            v.cease_written_at[i] = min(v.cease_written_at[i], received)

    def record_dispute(self, i: int, now: float, received: float | None) -> None:
        """Note a dispute: spoken at ``now``, and ``received`` in writing (or ``None``). The
        latest of each form is kept: a hold runs from the latest dispute — from its letter
        where the rules ask for writing, else from when it was made (the spoken time: a
        letter following it is the same dispute, and an earlier dispute's letter no longer
        counts)."""
        v = self.views
        v.dispute_spoken_at[i] = now
        if received is not None:
            v.dispute_written_at[i] = received

    def record_breathing_space(self, i: int, start: float, days: float) -> None:
        """Note a breathing space for account ``i`` from ``start`` for ``days``, unless it has
        had one (or has one pending) in the last 12 months, which the scheme does not allow
        (Debt Respite Scheme regulations 2020, SI 2020/1311, reg. 5(3))."""
        v = self.views
        if math.isfinite(v.breathing_from[i]) and start < v.breathing_from[i] + DAYS_PER_YEAR:
            return
        v.breathing_from[i] = start
        v.breathing_until[i] = start + days

    def record_consent(self, i: int, day: int) -> None:
        """Note that account ``i``'s cardholder asked to be called on local day ``day``."""
        self.views.consent_day[i] = day

    def pressure(self, i: int, now: float) -> int:
        """Calls placed to account ``i`` in the last 7 days (contact pressure)."""
        cutoff = now - PRESSURE_WINDOW_DAYS
        return sum(t > cutoff for t in self.call_times[i].tolist())  # a handful of slots

    # ------------------------------------------------------------------ many accounts

    def asked_for(self, idx: IntArray, times: FloatArray | float) -> BoolArray:
        """Whether a call to each of ``idx`` at ``times`` falls on the local day its cardholder
        asked to be called (read before the call's conversation, which may ask again)."""
        return np.asarray(self.consent_day[idx] == local_day(times, self.local_offset[idx]))

    def record_attempts(self, idx: IntArray, times: FloatArray, answered: BoolArray,
                        asked_for: BoolArray | None = None) -> None:
        """Note calls placed to each of ``idx`` (distinct accounts) at ``times``; ``asked_for``
        marks the calls their cardholders asked for (default: read now, see :meth:`asked_for`),
        which a cap under the consent exception does not count."""
        slots = self.call_slot[idx]
        days = local_day(times, self.local_offset[idx])
        self.call_times[idx, slots] = times
        self.call_slot[idx] = (slots + 1) % self.ring
        counted = ~(self.asked_for(idx, times) if asked_for is None else asked_for)
        if counted.any():
            ids = idx[counted]
            slots = self.counted_slot[ids]
            self.counted_times[ids, slots] = times[counted]
            self.counted_slot[ids] = (slots + 1) % self.counted_ring
        missed = ~answered
        if missed.any():
            quiet, quiet_days = idx[missed], days[missed]
            stale = self.count_day[quiet] != quiet_days
            self.count_day[quiet] = quiet_days
            self.conversations_today[quiet[stale]] = 0
            self.unanswered_today[quiet[stale]] = 0
            self.unanswered_today[quiet] += 1

    def record_messages(self, idx: IntArray, now: FloatArray | float) -> None:
        """Note a message sent to each of ``idx`` (distinct accounts) at ``now`` (one time, or
        one per account)."""
        slots = self.message_slot[idx]
        self.message_times[idx, slots] = now
        self.message_slot[idx] = (slots + 1) % self.message_ring

    def in_breathing_space(self, day: float) -> BoolArray:
        """Accounts whose breathing space covers ``day`` (interest and fees pause)."""
        return (self.breathing_from <= day) & (self.breathing_until > day)

    def calls_capped(self, idx: IntArray, now: FloatArray | float, cap: int,
                     consent_exempt: bool) -> BoolArray:
        """Whether each of ``idx`` has had ``cap`` calls on the local calendar day of ``now``
        and the 6 before it (with ``consent_exempt``, not counting calls the cardholder asked
        for): its ``cap``-th most recent such call falls within those 7 days."""
        if consent_exempt:
            times, slots, ring = self.counted_times, self.counted_slot, self.counted_ring
        else:
            times, slots, ring = self.call_times, self.call_slot, self.ring
        offset = self.local_offset[idx]
        capth = times[idx, (slots[idx] - cap) % ring]
        return np.asarray(local_day(capth, offset) > local_day(now, offset) - ROLLING_WEEK_DAYS)

    def messages_in_week(self, idx: IntArray, now: FloatArray | float) -> IntArray:
        """Messages to each of ``idx`` on the local calendar day of ``now`` and the 6 before."""
        offset = self.local_offset[idx][:, None]
        today = local_day(now, self.local_offset[idx])[:, None]
        recent = local_day(self.message_times[idx], offset) > today - ROLLING_WEEK_DAYS
        return np.asarray(recent.sum(axis=1), dtype=np.int64)
