"""An agency's messages and the callbacks they trigger: the vectorised side of its work.

Message cadences are daily batches over the agency's accounts, one per channel of
:data:`sim.model.agency.channels.CHANNELS`: a channel sends every ``every_days`` from
``first_day`` after hand-over, to accounts that are being worked or are under a promise or
plan, subject to the rules that govern messages (cease requests, dispute holds, breathing
space, message caps — defied only on the agency's defiant days, and then counted). A message
reaches the accounts its channel can deliver to. A delivered message may make the cardholder
phone the agency: callers are booked on the inbound line at uniform times in the next working
shift, each with an exponential patience. Batches go out at the start of the agency's shift on
its working days; a message falling due on a day the agency does not work goes out on its next
working day. The quiet days after a conversation govern calls, not messages.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.schema import Agency
from sim.model.agency.call_list import CallList
from sim.model.agency.channels import CHANNELS
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.inbound import InboundLine
from sim.model.codes import Rule, Status
from sim.model.portfolio.accounts import Accounts
from sim.model.rules.book import RuleBook
from sim.model.units import MINUTES_PER_DAY


class Messenger:
    """Message batches and callbacks of agency ``index``.

    It messages the members of ``call_list`` and defies the rules for the accounts the call
    list marks defiant today; callbacks are booked on ``line`` in the next of ``shifts``, at
    times and with patience drawn from ``inbound_rng``.
    """

    def __init__(self, index: int, profile: Agency, accounts: Accounts, rules: RuleBook,
                 call_list: CallList, shifts: Shifts, line: InboundLine,
                 counters: DeskCounters, legal: LegalRecord,
                 inbound_rng: np.random.Generator) -> None:
        self.index = index
        self.profile = profile
        self.acc = accounts
        self.rules = rules
        self.call_list = call_list
        self.shifts = shifts
        self.line = line
        self.counters = counters
        self.legal = legal
        self._inbound_rng = inbound_rng
        self._messages_by_day = counters.daily["messages"]

    def send_messages(self, day: int) -> np.ndarray:
        """Send today's batches on every channel; return the accounts reached."""
        acc, profile = self.acc, self.profile
        workdays = self.shifts.workdays
        if not workdays[day]:
            return np.zeros(0, dtype=np.int64)
        previous = next((d for d in range(day - 1, -1, -1) if workdays[d]), -1)
        gap = day - previous  # the days since the last working day, this one included
        now = day + self.shifts.start
        members = self.call_list.members
        status = acc.status[members]
        live = members[((status == Status.ACTIVE) | (status == Status.PROMISE)
                        | (status == Status.PLAN)) & ~acc.recalled[members]
                       & (acc.agency[members] == self.index)
                       & (acc.workable_day[members] <= day)]
        reached: list[np.ndarray] = []
        for channel in CHANNELS:
            cadence = channel.cadence(profile)
            if not cadence.enabled or len(live) == 0:
                continue
            # due today, or on a day since the last working day
            since = day - acc.workable_day[live] - cadence.first_day
            due = live[(since >= 0) & (np.mod(since, cadence.every_days) < gap)]
            if len(due) == 0:
                continue
            due = self.obey_message_rules(due, now)
            self.rules.record_messages(due, now)
            acc.messages[due] += 1
            self.counters.message_cost += cadence.cost * len(due)
            self._messages_by_day[day] += len(due)
            deliverable = channel.deliverable
            reached.append(due if deliverable is None else due[deliverable(acc)[due]])
        if not reached:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(reached))

    def obey_message_rules(self, due: np.ndarray, now: float) -> np.ndarray:
        """Of accounts ``due`` a message at ``now``, those it goes to: the rules allow it, or
        the agency defies them today (each such message counted as a violation)."""
        reasons = self.rules.message_block_reasons(due, now)
        blocked = np.flatnonzero(reasons != Rule.ALLOWED)
        if len(blocked) == 0:
            return due
        defy = self.call_list.defiant[due[blocked]]
        for position in blocked[defy]:
            self.legal.violation(int(due[position]), int(reasons[position]), math.floor(now))
        keep = np.ones(len(due), dtype=np.bool_)
        keep[blocked[~defy]] = False
        return due[keep]

    def schedule_callbacks(self, callers: np.ndarray, day: int) -> None:
        """Book callers on the next working day's shift, at uniform times within it."""
        if len(callers) == 0 or self.profile.collectors == 0:
            return
        shifts = self.shifts
        call_day = shifts.next_workday(day)
        if call_day is None:
            return
        times = call_day + shifts.start + self._inbound_rng.random(len(callers)) * shifts.length
        patience = self._inbound_rng.exponential(
            self.profile.inbound_patience_minutes / MINUTES_PER_DAY, len(callers))
        self.line.book(times, callers, patience)
