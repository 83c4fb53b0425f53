"""An agency at work: collectors dialling a prioritised call list, inbound callbacks, messages.

:class:`AgencyDesk` runs one agency profile (``[[agencies]]``) inside a replication:

* **collectors** are SimPy processes. During each shift a collector answers queued inbound
  callers first, then takes the next account from the agency's call list, checks the rules,
  dials, and is busy for the call's duration (ring, wrong number, or conversation, plus wrap-up);
* the **call list** is the agency's accounts in priority order (score, balance, days past due or
  random), filtered with one vectorised pass whenever it runs out: workable, worth the agency's
  effort (expected fee at least ``min_expected_fee``), not under a promise, number not known to
  be wrong, attempts today below the agency's cap, last attempt at least ``retry_hours`` ago,
  and allowed by the rules (see :mod:`sim.model.agency.call_list`);
* **compliance**: each day, for each of its accounts, the agency ignores the rules with
  probability ``1 − compliance`` (``1 − compliance_when_behind`` while behind its target pace);
  the contact window is obeyed or not for the whole agency each day, with the same chance;
  every call or message a rule forbids but the agency makes anyway is counted as a violation
  of that rule, never silent. Accounts screened out as not worth the fee are never called but
  still get the agency's messages;
* **conversations** go to the behaviour model with the agency's offer (pay in full — with the
  interest accrued during placement waived if ``waive_interest`` — a settlement within its
  authority, or instalments up to ``plan_max_months``), and their outcomes change the
  account: promise or plan, dispute hold, cease request, complaint (and perhaps a lawsuit);
* **messages** (SMS, e-mail, letter) are vectorised daily batches on each channel's cadence;
  a delivered message may make the cardholder phone in, joining the inbound queue (see
  :mod:`sim.model.agency.messenger`).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Generator
from typing import Any, cast

import numpy as np
import simpy

from sim.config.schema import WEEKDAYS, Agency, clock_to_day_fraction
from sim.model.agency.call_list import CallListMixin
from sim.model.agency.inbound_queue import InboundQueue
from sim.model.agency.messenger import MessagingMixin
from sim.model.agency.negotiation import make_offer, record_promise
from sim.model.behaviour.base import AgencyStyle, BehaviourModel
from sim.model.codes import OUTCOME_LABELS, RULE_LABELS, RULES_BROKEN, Outcome, Rule, Status
from sim.model.portfolio.accounts import scalar_view
from sim.model.rng import Streams, exponential_draws, uniform_draws
from sim.model.rules.book import RuleBook
from sim.model.units import HOURS_PER_DAY, MINUTE, MINUTES_PER_DAY
from sim.model.world import DAILY_SERIES, World

# Codes as plain ints, for the per-call path.
ALLOWED, CONTACT_WINDOW = int(Rule.ALLOWED), int(Rule.CONTACT_WINDOW)
ACTIVE = int(Status.ACTIVE)
PROMISE, DISPUTE = int(Outcome.PROMISE), int(Outcome.DISPUTE)
CEASE_REQUEST = int(Outcome.CEASE_REQUEST)
BREATHING_SPACE_REQUEST = int(Outcome.BREATHING_SPACE_REQUEST)


class AgencyDesk(CallListMixin, MessagingMixin):
    """One agency's collectors, call list, inbound queue and message cadences."""

    def __init__(self, index: int, profile: Agency, world: World, behaviour: BehaviourModel,
                 streams: Streams, score: np.ndarray) -> None:
        self.index = index
        self.profile = profile
        self.world = world
        self.acc = world.accounts
        self.rules: RuleBook = world.rules
        self.behaviour = behaviour
        self.members = np.zeros(0, dtype=np.int64)
        self.style = AgencyStyle(skill=profile.skill, tone=profile.tone)
        sub = zlib.crc32(profile.name.encode())
        self._u = uniform_draws(streams.get("compliance", sub))
        self._durations = exponential_draws(streams.get("durations", sub))
        self._legal = uniform_draws(streams.get("legal", sub))
        self._inbound_rng = streams.get("inbound", sub)
        self._batch_rng = streams.get("compliance", sub, 2)
        self._priority_key = self._priority_keys(score, streams.get("scores", sub, 1))
        self._score = score
        self.worked = np.ones(world.accounts.n, dtype=np.bool_)
        self.days_behind = 0
        self.compliance_today = profile.compliance
        self.order = self.members
        self.queue: InboundQueue[int] = InboundQueue(world.env)
        shift = profile.shift
        self.shift_start = clock_to_day_fraction(shift.start)
        self.shift_end = clock_to_day_fraction(shift.end)
        work_days = {WEEKDAYS.index(d) for d in shift.days}
        self.workdays = [(world.start_weekday + d) % 7 in work_days
                         for d in range(world.horizon + 1)]
        self.retry = profile.retry_hours / HOURS_PER_DAY
        self._views = world.accounts.views
        self._logging = world.record_events
        self._answers = behaviour.answers  # bound once: the per-call path looks them up often
        self._record_attempt = self.rules.record_attempt
        self._wrong_number_days = (profile.wrong_number_minutes + profile.wrap_minutes) \
            / MINUTES_PER_DAY
        self._no_answer_days = (profile.ring_minutes + profile.wrap_minutes) / MINUTES_PER_DAY
        self._answered_days = (profile.ring_minutes + profile.wrap_minutes) / MINUTES_PER_DAY
        self._talk_days = profile.talk_minutes / MINUTES_PER_DAY
        self._pressure: list[int] = []
        self._exact_until: list[float] = []
        self._attempts_then: list[int] = []
        self._list: list[int] = []
        self._position = 0
        self.defiant = np.zeros(world.accounts.n, dtype=np.bool_)
        self._defiant = scalar_view(self.defiant)
        self._idle_until = -1.0
        self._window_obeyed: dict[int, bool] = {}
        self.daily = {name: [0] * (world.horizon + 1) for name in DAILY_SERIES}
        self._daily_calls, self._daily_rpcs = self.daily["calls"], self.daily["rpcs"]
        self.violations_by_rule: dict[str, int] = {rule.label: 0 for rule in RULES_BROKEN}
        self.calls = 0
        self.busy_by_day = [0.0] * (world.horizon + 1)  # busy time of calls begun each day
        self.message_cost = 0.0
        self.lawsuits = 0

    # ------------------------------------------------------------------ staffing

    @property
    def staffed_days(self) -> float:
        """Collector-days of paid shift time over the program (collectors × shift length)."""
        days = sum(self.workdays[: self.world.horizon])
        return self.profile.collectors * days * (self.shift_end - self.shift_start)

    @property
    def busy_days(self) -> float:
        """Collector-days spent on calls over the program (each call whole, on its first day)."""
        return sum(self.busy_by_day)

    def staffed_hours_on(self, day: int) -> float:
        """Paid collector-hours of shift time on ``day`` (0 on a day the agency is closed)."""
        if day >= self.world.horizon or not self.workdays[day]:
            return 0.0
        return self.profile.collectors * (self.shift_end - self.shift_start) * HOURS_PER_DAY

    @property
    def staff_cost(self) -> float:
        return self.staffed_days * HOURS_PER_DAY * self.profile.collector_hourly_wage

    def operating_cost(self, days: int | None = None) -> float:
        """Staff, call and message costs of running the desk (over the first ``days`` days)."""
        staff = self.staff_cost
        if days is not None:
            worked = sum(self.workdays[: min(days, self.world.horizon)])
            total = sum(self.workdays[: self.world.horizon])
            staff *= worked / total if total else 0.0
        return staff + self.calls * self.profile.cost_per_call + self.message_cost

    def start(self) -> None:
        for _ in range(self.profile.collectors):
            self.world.env.process(self._collector())

    # ------------------------------------------------------------------ collectors

    def _window_ok_today(self, day: int) -> bool:
        obeyed = self._window_obeyed.get(day)
        if obeyed is None:
            obeyed = self._u() < self.compliance_today
            self._window_obeyed[day] = obeyed
        return obeyed

    def _collector(self) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        rules = self.rules
        queue = self.queue
        callers = queue.waiting
        window_start, in_window = rules.window_start, rules.in_window
        timeout, next_outbound, dial = env.timeout, self._next_outbound, self._dial
        busy_by_day = self.busy_by_day
        horizon = self.world.horizon
        for day in range(horizon):
            if not self.workdays[day]:
                continue
            start, end = day + self.shift_start, day + self.shift_end
            if env.now < start:
                yield env.timeout(start - env.now)
            while True:
                now = env.now
                if now >= end:
                    break
                if callers:
                    taken = queue.take()
                    if taken is not None:
                        duration = self._inbound_call(taken[0], now, day)
                        busy_by_day[day] += duration
                        yield timeout(duration)
                        continue
                window_break = False
                if not in_window(now):
                    if self._window_ok_today(day):
                        opens = day + window_start
                        wake = opens if now < opens else end
                        yield from self._idle(min(wake, end), day)
                        continue
                    window_break = True
                i, block, pressure = next_outbound(now)
                if i < 0:
                    wake = min(end, self._idle_until)
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
            duration = self._inbound_call(item, env.now, day)
            self.busy_by_day[day] += duration
            yield env.timeout(duration)
        else:
            self.queue.withdraw(waiter)

    # ------------------------------------------------------------------ one call

    def _dial(self, i: int, now: float, day: int, block: int, pressure: int) -> float:
        """Place one call to account ``i``; returns the collector's busy time in days."""
        v = self._views
        record_attempt = self._record_attempt
        self.calls += 1
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
                self.world.log(now, i, self.index, "call", "wrong_number", block)
            return self._wrong_number_days
        if not self._answers(i, now, pressure):
            record_attempt(i, now, answered=False)
            if logging:
                self.world.log(now, i, self.index, "call", "no_answer", block)
            return self._no_answer_days
        record_attempt(i, now, answered=True)
        v.rpcs[i] += 1
        self._daily_rpcs[day] += 1
        if math.isnan(v.first_rpc[i]):
            v.first_rpc[i] = now
        outcome = self._converse(i, now, day, pressure, block != ALLOWED)
        if logging:
            self.world.log(now, i, self.index, "call", outcome, block)
        return self._answered_days + self._talk_days * self._durations()

    def _inbound_call(self, i: int, now: float, day: int) -> float:
        acc, profile = self.acc, self.profile
        if acc.status[i] != ACTIVE or acc.recalled[i] or acc.agency[i] != self.index:
            return profile.wrap_minutes / MINUTES_PER_DAY or 1e-6
        if math.isnan(acc.first_rpc[i]):
            acc.first_rpc[i] = now
        outcome = self._converse(i, now, day, self.rules.pressure(i, now), False)
        self.world.log(now, i, self.index, "inbound", outcome, ALLOWED)
        talk = profile.talk_minutes * self._durations()
        return (talk + profile.wrap_minutes) / MINUTES_PER_DAY

    def _violation(self, i: int, rule: int, day: int) -> None:
        self.acc.violations[i] += 1
        self.violations_by_rule[RULE_LABELS[rule]] += 1
        self.daily["violations"][day] += 1
        if self._legal() < self.world.scenario.rules.lawsuit_per_violation:
            self.lawsuits += 1

    def _converse(self, i: int, now: float, day: int, pressure: int, violated: bool) -> str:
        acc, world = self.acc, self.world
        self.rules.record_conversation(i, now)
        self.behaviour.contacted(i, now)
        acc.conversations[i] += 1
        self.daily["conversations"][day] += 1
        offer = make_offer(acc, self.profile, i)
        result = self.behaviour.converse(i, now, self.style, offer, pressure, violated)
        if result.complaint:
            acc.complaints[i] += 1
            self.daily["complaints"][day] += 1
            if self._legal() < world.scenario.rules.lawsuit_per_complaint:
                self.lawsuits += 1
        if result.outcome == PROMISE:
            record_promise(acc, self.profile, i, now, offer, result.keep_probability)
            self.daily["promises"][day] += 1
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
