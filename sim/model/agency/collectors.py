"""An agency's collectors: shifts of dialling, inbound callers, and what a conversation does.

Collectors are SimPy processes. During each shift a collector answers queued inbound callers
first, then takes the next account from the call list (:mod:`sim.model.agency.call_list`),
which has checked the rules, dials, and is busy for the call's duration (ring, wrong number,
or conversation, plus wrap-up). An idle collector waits for a caller, or until the list may
have someone again.

The contact window is kept or not for the whole agency each day, with the chance of the day's
compliance: on a day it keeps it, a collector outside the window waits for it to open; on a
day it does not, the calls it places outside the window break it, whatever else they break.

A conversation (outbound or inbound) goes to the behaviour model with the agency's offer
(:mod:`sim.model.agency.negotiation`), and its outcome changes the account: a promise or plan,
a dispute hold, a cease request, a breathing space, a complaint (and perhaps a lawsuit).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any, cast

import simpy

from sim.config.schema import Agency
from sim.model.agency.call_list import CallList
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.inbound_queue import InboundQueue
from sim.model.agency.negotiation import make_offer, record_promise
from sim.model.behaviour.base import AgencyStyle, BehaviourModel
from sim.model.codes import NO_ANSWER, OUTCOME_LABELS, WRONG_NUMBER, Outcome, Rule, Status
from sim.model.rules.book import RuleBook
from sim.model.units import MINUTE, MINUTES_PER_DAY
from sim.model.world import World

# Codes as plain ints, for the per-call path.
ALLOWED, CONTACT_WINDOW = int(Rule.ALLOWED), int(Rule.CONTACT_WINDOW)
ACTIVE = int(Status.ACTIVE)
PROMISE, DISPUTE = int(Outcome.PROMISE), int(Outcome.DISPUTE)
CEASE_REQUEST = int(Outcome.CEASE_REQUEST)
BREATHING_SPACE_REQUEST = int(Outcome.BREATHING_SPACE_REQUEST)


class Collectors:
    """The collectors of agency ``index``.

    They dial the accounts ``call_list`` gives them and answer the callers of ``queue`` during
    ``shifts``. ``window_draw`` gives the uniform draw that decides each day whether the agency
    keeps the contact window (kept when below the day's compliance); ``talk_draw`` the length
    of each conversation, in mean talk times.
    """

    def __init__(self, index: int, profile: Agency, world: World, behaviour: BehaviourModel,
                 call_list: CallList, queue: InboundQueue[int], shifts: Shifts,
                 counters: DeskCounters, legal: LegalRecord,
                 window_draw: Callable[[], float], talk_draw: Callable[[], float]) -> None:
        self.index = index
        self.profile = profile
        self.world = world
        self.acc = world.accounts
        self.rules: RuleBook = world.rules
        self.behaviour = behaviour
        self.call_list = call_list
        self.queue = queue
        self.shifts = shifts
        self.counters = counters
        self.legal = legal
        self.style = AgencyStyle(skill=profile.skill, tone=profile.tone)
        self._window_draw = window_draw
        self._durations = talk_draw
        self._window_kept: dict[int, bool] = {}
        self._views = world.accounts.views
        self._logging = world.record_events
        self._answers = behaviour.answers  # bound once: the per-call path looks them up often
        self._record_attempt = self.rules.record_attempt
        self._violation = legal.violation
        self._daily = counters.daily
        self._daily_calls, self._daily_rpcs = self._daily["calls"], self._daily["rpcs"]
        self._wrong_number_days = (profile.wrong_number_minutes + profile.wrap_minutes) \
            / MINUTES_PER_DAY
        self._no_answer_days = (profile.ring_minutes + profile.wrap_minutes) / MINUTES_PER_DAY
        self._answered_days = (profile.ring_minutes + profile.wrap_minutes) / MINUTES_PER_DAY
        self._talk_days = profile.talk_minutes / MINUTES_PER_DAY

    def start(self) -> None:
        """Start one SimPy process per collector."""
        for _ in range(self.profile.collectors):
            self.world.env.process(self.work())

    # ------------------------------------------------------------------ shifts

    def keeps_window(self, day: int) -> bool:
        """Whether the agency keeps to the contact window on ``day`` (drawn once a day)."""
        kept = self._window_kept.get(day)
        if kept is None:
            kept = self._window_draw() < self.call_list.compliance_today
            self._window_kept[day] = kept
        return kept

    def work(self) -> Generator[simpy.Event, Any, None]:
        """One collector's shifts over the program."""
        env = self.world.env
        rules, queue, call_list, shifts = self.rules, self.queue, self.call_list, self.shifts
        callers = queue.waiting
        window_start, in_window = rules.window_start, rules.in_window
        timeout, next_outbound, dial = env.timeout, call_list.next_outbound, self.dial
        busy_by_day = self.counters.busy_by_day
        for day in range(self.world.horizon):
            if not shifts.workdays[day]:
                continue
            start, end = day + shifts.start, day + shifts.end
            if env.now < start:
                yield env.timeout(start - env.now)
            while True:
                now = env.now
                if now >= end:
                    break
                if callers:
                    taken = queue.take()
                    if taken is not None:
                        duration = self.inbound_call(taken[0], now, day)
                        busy_by_day[day] += duration
                        yield timeout(duration)
                        continue
                window_break = False
                if not in_window(now):
                    if self.keeps_window(day):
                        opens = day + window_start
                        wake = opens if now < opens else end
                        yield from self._idle(min(wake, end), day)
                        continue
                    window_break = True
                i, block, pressure = next_outbound(now)
                if i < 0:
                    wake = min(end, call_list.idle_until)
                    yield from self._idle(wake, day)
                    continue
                if window_break:
                    block = CONTACT_WINDOW  # the act is outside the window, whatever else
                duration = dial(i, now, day, block, pressure)
                busy_by_day[day] += duration
                yield timeout(duration)

    def _idle(self, until: float, day: int) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        if until <= env.now:
            until = env.now + MINUTE
        waiter = self.queue.wait_for_caller()
        yield waiter | env.timeout(until - env.now)
        if waiter.triggered:
            item, _ = cast(tuple[int, float], waiter.value)
            duration = self.inbound_call(item, env.now, day)
            self.counters.busy_by_day[day] += duration
            yield env.timeout(duration)
        else:
            self.queue.withdraw(waiter)

    # ------------------------------------------------------------------ one call

    def dial(self, i: int, now: float, day: int, block: int, pressure: int) -> float:
        """Place one call to account ``i``, breaking rule ``block`` (``ALLOWED``: none), at
        contact ``pressure``; returns the collector's busy time in days."""
        v = self._views
        record_attempt = self._record_attempt
        self._daily_calls[day] += 1
        attempts = v.attempts
        if attempts[i] == 0:
            v.first_attempt[i] = now
        attempts[i] += 1
        v.attempts_today[i] += 1
        v.last_attempt[i] = now
        if block != ALLOWED:
            self._violation(i, block, day)
        if pressure >= v.max_pressure[i]:
            v.max_pressure[i] = pressure + 1
        logging = self._logging
        if not v.phone_valid[i]:
            record_attempt(i, now, answered=False)
            v.phone_known_bad[i] = True
            if logging:
                self.world.log(now, i, self.index, "call", WRONG_NUMBER, block)
            return self._wrong_number_days
        if not self._answers(i, now, pressure):
            record_attempt(i, now, answered=False)
            if logging:
                self.world.log(now, i, self.index, "call", NO_ANSWER, block)
            return self._no_answer_days
        record_attempt(i, now, answered=True)
        v.rpcs[i] += 1
        self._daily_rpcs[day] += 1
        if math.isnan(v.first_rpc[i]):
            v.first_rpc[i] = now
        outcome = self.converse(i, now, day, pressure, block != ALLOWED)
        if logging:
            self.world.log(now, i, self.index, "call", outcome, block)
        return self._answered_days + self._talk_days * self._durations()

    def inbound_call(self, i: int, now: float, day: int) -> float:
        """Answer a cardholder of account ``i`` who phoned in; returns the busy time in days."""
        acc, profile = self.acc, self.profile
        if acc.status[i] != ACTIVE or acc.recalled[i] or acc.agency[i] != self.index:
            return profile.wrap_minutes / MINUTES_PER_DAY or 1e-6
        if math.isnan(acc.first_rpc[i]):
            acc.first_rpc[i] = now
        outcome = self.converse(i, now, day, self.rules.pressure(i, now), False)
        self.world.log(now, i, self.index, "inbound", outcome, ALLOWED)
        talk = profile.talk_minutes * self._durations()
        return (talk + profile.wrap_minutes) / MINUTES_PER_DAY

    def converse(self, i: int, now: float, day: int, pressure: int, violated: bool) -> str:
        """A conversation with account ``i``; returns its outcome's label."""
        acc = self.acc
        self.rules.record_conversation(i, now)
        self.behaviour.contacted(i, now)
        acc.conversations[i] += 1
        self._daily["conversations"][day] += 1
        offer = make_offer(acc, self.profile, i)
        result = self.behaviour.converse(i, now, self.style, offer, pressure, violated)
        if result.complaint:
            self.legal.complaint(i, day)
        if result.outcome == PROMISE:
            record_promise(acc, self.profile, i, now, offer, result.keep_probability)
            self._daily["promises"][day] += 1
        elif result.outcome == DISPUTE:
            acc.disputes[i] += 1
            acc.misunderstanding[i] = False  # the verification explains the terms
            self.rules.record_dispute(i, now)
        elif result.outcome == CEASE_REQUEST:
            self.rules.record_cease(i)
        elif result.outcome == BREATHING_SPACE_REQUEST:
            self.rules.record_breathing_space(i, now)
            acc.breathing_spaces[i] += 1
        return OUTCOME_LABELS[result.outcome]
