"""An agency's messages and the callbacks they trigger: the vectorised side of its work.

Message cadences are daily batches over the agency's accounts, one per channel of
:data:`sim.model.agency.channels.CHANNELS`: a channel sends every ``every_days`` from
``first_day`` after hand-over, to accounts that are being worked or are under a promise or
plan, subject to the rules that govern messages (the contact window, requests to stop, dispute
holds, breathing space, message caps). A message reaches the accounts its channel can deliver
to. A delivered message may make the cardholder phone the agency: callers are booked on the
inbound line at uniform times in the next working shift, each with an exponential patience.
They phone whether or not anyone works the client when they call (the team is the day's: an
agency coasting at the top of the ranking, or staffing an empty book, may have none), and with
nobody there they hang up, counted abandoned by the dialler; only an agency with no collectors
at all, and so no line, books none.
The messenger is a SimPy process: on each working day it lists at the start of the shift the
messages due, each going to its cardholder at the start of the shift or, if later, when the
contact window opens on their clock as the agency's records have it (none after the shift
ends), and sends them at those moments, reading the rules then; a message falling due on a day
the agency does not work goes out on its next working day. Cardholders it reaches are reminded
(for the self-cure hazard at the next midnight) and some phone back later in the shift. The
quiet days after a conversation govern calls, not messages (12 CFR 1006.14(b)(2) counts
telephone calls). Each message is read against the agency's rule book (a violation) and the
reference standard (a conduct breach) at the time it goes out; one the rules forbid goes out
only through one of the agency's slips (a letter not yet posted, a wrong time zone).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from numba import njit

from sim.config.schema import Agency
from sim.model.agency.call_list import CallList
from sim.model.agency.channels import CHANNELS, MessageChannel
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.inbound import InboundLine
from sim.model.behaviour.base import BehaviourModel
from sim.model.codes import Rule, Status
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import counter_uniforms
from sim.model.rules.book import RuleBook
from sim.model.rules.table import CLOCK_TOLERANCE, Contact, outside_window
from sim.model.units import MINUTES_PER_DAY


def ahead_of_calls(env: simpy.Environment, moment: float) -> simpy.Event:
    """A timeout that ends a hair (:data:`CLOCK_TOLERANCE`) before ``moment``.

    The dialler plays out each pacing interval when it starts (its dials, conversations and
    requests up to the interval's end), so a message due at an interval's start is sent just
    before it, reading the history as it stood then; it is dated ``moment``.
    """
    return env.timeout(max(moment - CLOCK_TOLERANCE - env.now, 0.0))


class Messenger:
    """Message batches and callbacks of agency ``index``.

    It messages the members of ``call_list`` in a process of ``env`` over ``horizon`` days,
    under the rule book ``rules`` and the reference standard ``reference``; the cardholders
    ``behaviour`` makes phone back are booked on ``line`` in ``shifts``, at times and with
    patience drawn by :func:`~sim.model.rng.counter_uniforms` with ``inbound_key``, keyed by the
    account and the day of the message (so the same cardholder phones back at the same moment in
    every scenario that sends them that day's message).
    """

    def __init__(self, index: int, profile: Agency, accounts: Accounts, rules: RuleBook,
                 reference: RuleBook, call_list: CallList, shifts: Shifts, line: InboundLine,
                 counters: DeskCounters, legal: LegalRecord, inbound_key: int,
                 env: simpy.Environment, horizon: int, behaviour: BehaviourModel) -> None:
        self.env = env
        self.horizon = horizon
        self.behaviour = behaviour
        self.index = index
        self.profile = profile
        self.acc = accounts
        self.rules = rules
        self.reference = reference
        self.call_list = call_list
        self.shifts = shifts
        self.line = line
        self.counters = counters
        self.legal = legal
        self._inbound_key = inbound_key
        self._messages_by_day = counters.daily["messages"]

    def start(self) -> None:
        """Start the messenger's process."""
        self.env.process(self.run())

    def run(self) -> Generator[simpy.Event, Any, None]:
        """Every working day: the day's messages, each sent at its time (see
        :meth:`due_today`), the rules read at that moment."""
        env = self.env
        for day in range(self.horizon):
            if not self.shifts.workdays[day]:
                continue
            first = day + self.shifts.start
            if env.now < first:
                yield ahead_of_calls(env, first)
            batches = self.due_today(day)
            if not batches:
                continue
            times = np.unique(np.concatenate([when for _, _, when in batches]))
            for moment in times[times < day + self.shifts.end].tolist():
                if env.now < moment - CLOCK_TOLERANCE:
                    yield ahead_of_calls(env, moment)
                self.send(day, moment, [(channel, due[when == moment])
                                        for channel, due, when in batches])

    def due_today(self, day: int) -> list[tuple[MessageChannel, np.ndarray, np.ndarray]]:
        """Each channel's messages due ``day`` (or on a day since the last working day) and
        the time each goes out, read at the start of the shift."""
        acc, profile = self.acc, self.profile
        workdays = self.shifts.workdays
        previous = next((d for d in range(day - 1, -1, -1) if workdays[d]), -1)
        gap = day - previous  # the days since the last working day, this one included
        live = messaged(self.call_list.by_account, acc.status, acc.recalled, acc.agency,
                        self.index, acc.workable_day, day)
        batches = []
        for channel in CHANNELS:
            cadence = channel.cadence(profile)
            if not cadence.enabled or len(live) == 0:
                continue
            since = day - acc.workable_day[live] - cadence.first_day
            due = live[(since >= 0) & (np.mod(since, cadence.every_days) < gap)]
            if len(due):
                batches.append((channel, due, self.send_times(due, day)))
        return batches

    def send(self, day: int, now: float, batches: list[tuple[MessageChannel, np.ndarray]]) -> None:
        """Send each channel's messages to its accounts at ``now`` where the rules (or a slip)
        let them; mark the cardholders reached as reminded (and those a payment link reached
        as linked) and book those who phone back."""
        acc = self.acc
        reached: list[np.ndarray] = []
        for channel, due in batches:
            cadence = channel.cadence(self.profile)
            if len(due) == 0:
                continue
            when = np.full(len(due), now)
            due = due[self.obey_message_rules(due, when, day)]
            self.rules.history.record_messages(due, now)
            acc.messages[due] += 1
            self.counters.message_cost += cadence.cost * len(due)
            self._messages_by_day[day] += len(due)
            deliverable = channel.deliverable
            delivered = due if deliverable is None else due[deliverable(acc)[due]]
            reached.append(delivered)
            if cadence.payment_link:
                acc.linked[delivered] = True
        if not reached:
            return
        everyone = np.unique(np.concatenate(reached))
        acc.reminded[everyone] = True
        self.schedule_callbacks(everyone[self.behaviour.calls_back(everyone, day)], day, now)

    def send_times(self, due: np.ndarray, day: int) -> np.ndarray:
        """When each of ``due`` gets today's message: at the start of the shift, or when the
        contact window opens on the cardholder's clock as the agency has it, if later."""
        opens = self.rules.window_start - self.call_list.conduct.believed_offset[due]
        return day + np.maximum(self.shifts.start, opens)

    def obey_message_rules(self, due: np.ndarray, now: np.ndarray, day: int) -> np.ndarray:
        """Which of the messages to ``due`` at ``now`` go out: those the rules allow, and those
        one of the agency's slips lets through; each is read against the rule book (a
        violation) and the reference standard (a conduct breach)."""
        conduct, limits = self.call_list.conduct, self.rules.limits
        # the window comes first in precedence: the law reads it on the cardholder's clock,
        # the agency on the clock its records give
        agency_sees = self.rules.message_block_reasons(due, now, window=False)
        reasons = np.where(outside_window(limits, now + self.acc.local_offset[due]),
                           int(Rule.CONTACT_WINDOW), agency_sees)
        sent = (agency_sees == Rule.ALLOWED) | conduct.overlooked(due, agency_sees, now,
                                                                  Contact.MESSAGE)
        in_window = ~outside_window(limits, now + conduct.believed_offset[due])
        sent &= in_window & (now < day + self.shifts.end)
        breaches = self.reference.message_block_reasons(due, now)
        for position in np.flatnonzero(sent & (reasons != Rule.ALLOWED)).tolist():
            self.legal.violation(int(due[position]), int(reasons[position]), day)
        for position in np.flatnonzero(sent & (breaches != Rule.ALLOWED)).tolist():
            self.legal.breach(int(due[position]), int(breaches[position]), day)
        return sent

    def schedule_callbacks(self, callers: np.ndarray, day: int, sent: float) -> None:
        """Book callers at uniform times in what is left of the shift after the message went
        out at ``sent``, or in the next working day's shift (whoever works it: a caller who
        finds nobody hangs up), unless the agency has no collectors and so no line."""
        if len(callers) == 0 or self.profile.collectors == 0:
            return
        shifts = self.shifts
        call_day = shifts.next_workday(day)
        if call_day is None:
            return
        opens, closes = call_day + shifts.start, call_day + shifts.end
        if call_day == day:
            opens = max(opens, sent)
        when = counter_uniforms(self._inbound_key, callers, np.full(len(callers), 2 * day))
        wait = counter_uniforms(self._inbound_key, callers, np.full(len(callers), 2 * day + 1))
        times = opens + when * (closes - opens)
        patience = -np.log(wait) * (self.profile.inbound_patience_minutes / MINUTES_PER_DAY)
        self.line.book(times, callers, patience)


MESSAGED = np.zeros(max(int(status) for status in Status) + 1, dtype=np.bool_)
MESSAGED[[int(Status.ACTIVE), int(Status.PROMISE), int(Status.PLAN)]] = True
"""Whether an account of each status is sent the agency's messages: worked, or under a promise
or plan (reminders)."""


@njit(cache=True)
def messaged(members: np.ndarray, status: np.ndarray, recalled: np.ndarray,
             agency: np.ndarray, index: int, workable_day: np.ndarray, day: int) -> np.ndarray:
    """The accounts of ``members`` agency ``index`` messages on ``day``: held by it, not
    recalled, workable by ``day``, and :data:`MESSAGED` by status (one compiled pass over the
    agency's accounts, in storage order)."""
    out = np.empty(len(members), dtype=np.int64)
    n = 0
    for i in members:
        if MESSAGED[status[i]] and not recalled[i] and agency[i] == index \
                and workable_day[i] <= day:
            out[n] = i
            n += 1
    return out[:n]
