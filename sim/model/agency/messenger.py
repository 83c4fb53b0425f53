"""An agency's messages and the callbacks they trigger: the vectorised side of its work.

SMS, e-mail and letter cadences are daily batches over the agency's accounts: a channel sends
every ``every_days`` from ``first_day`` after hand-over, to accounts that are being worked or
are under a promise or plan, subject to the rules (cease requests, dispute holds, breathing
space, message caps — defied only on the agency's defiant days, and then counted). SMS needs a
valid phone number and e-mail a valid address; letters always arrive. A delivered message may
make the cardholder phone the agency: callers join the inbound queue at uniform times in the
next working shift, each with an exponential patience. Batches go out at the start of every
day, weekends included; the contact window and the quiet days after a conversation govern
calls, not messages.

:class:`MessagingMixin` is part of :class:`sim.model.agency.desk.AgencyDesk`; it only uses the
desk's
own state.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.model.codes import Rule, Status
from sim.model.units import MINUTES_PER_DAY

if TYPE_CHECKING:
    from sim.config.schema import Agency
    from sim.model.agency.inbound_queue import InboundQueue
    from sim.model.rules.book import RuleBook
    from sim.model.world import World


class MessagingMixin:
    """Message batches and callbacks of an agency desk."""

    acc: Any
    index: int
    profile: Agency
    world: World
    rules: RuleBook
    members: np.ndarray
    defiant: np.ndarray
    daily: dict[str, list[int]]
    message_cost: float
    workdays: list[bool]
    shift_start: float
    shift_end: float
    queue: InboundQueue[int]
    _inbound_rng: np.random.Generator

    def _violation(self, i: int, rule: int, day: int) -> None:
        raise NotImplementedError

    def send_messages(self, day: int) -> np.ndarray:
        """Send today's SMS, e-mail and letter batches; return the accounts reached."""
        acc, profile = self.acc, self.profile
        members = self.members
        status = acc.status[members]
        live = members[((status == Status.ACTIVE) | (status == Status.PROMISE)
                        | (status == Status.PLAN)) & ~acc.recalled[members]
                       & (acc.agency[members] == self.index)
                       & (acc.workable_day[members] <= day)]
        reached: list[np.ndarray] = []
        for channel, deliverable in (("sms", acc.phone_valid), ("email", acc.email_valid),
                                     ("letter", None)):
            cadence = getattr(profile, channel)
            if not cadence.enabled or len(live) == 0:
                continue
            since = day - acc.workable_day[live] - cadence.first_day
            due = live[(since >= 0) & (np.mod(since, cadence.every_days) == 0)]
            if len(due) == 0:
                continue
            due = self._obey_message_rules(due, float(day))
            self.rules.record_messages(due, float(day))
            acc.messages[due] += 1
            self.message_cost += cadence.cost * len(due)
            self.daily["messages"][day] += len(due)
            reached.append(due if deliverable is None else due[deliverable[due]])
        if not reached:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(reached))

    def _obey_message_rules(self, due: np.ndarray, now: float) -> np.ndarray:
        reasons = self.rules.message_block_reasons(due, now)
        blocked = np.flatnonzero(reasons != Rule.ALLOWED)
        if len(blocked) == 0:
            return due
        defy = self.defiant[due[blocked]]
        for position in blocked[defy]:
            self._violation(int(due[position]), int(reasons[position]), int(now))
        keep = np.ones(len(due), dtype=np.bool_)
        keep[blocked[~defy]] = False
        return due[keep]

    def schedule_callbacks(self, callers: np.ndarray, day: int) -> None:
        """Queue callers on the next working day's shift, at uniform times within it."""
        if len(callers) == 0 or self.profile.collectors == 0:
            return
        call_day = day
        while call_day < self.world.horizon and not self.workdays[call_day]:
            call_day += 1
        if call_day >= self.world.horizon:
            return
        length = self.shift_end - self.shift_start
        times = call_day + self.shift_start + self._inbound_rng.random(len(callers)) * length
        order = np.argsort(times)
        patience = self._inbound_rng.exponential(
            self.profile.inbound_patience_minutes / MINUTES_PER_DAY, len(callers))
        self.world.env.process(self._feed(times[order].tolist(), callers[order].tolist(),
                                          patience.tolist(), call_day))

    def _feed(self, times: list[float], callers: list[int], patience: list[float],
              day: int) -> Generator[simpy.Event, Any, None]:
        env = self.world.env
        for when, i, wait in zip(times, callers, patience, strict=True):
            if when > env.now:
                yield env.timeout(when - env.now)
            self.daily["inbound"][day] += 1
            self.queue.arrive(i, wait)
