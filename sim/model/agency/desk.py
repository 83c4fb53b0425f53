"""An agency at work: a dialler working a call list, inbound callbacks, messages.

:class:`AgencyDesk` runs one agency profile (``[[agencies]]``) inside a replication. It is made
of parts, each with what it needs passed in:

* the **call list** (:class:`~sim.model.agency.call_list.CallList`): the agency's accounts in
  priority order, and the accounts it may dial in each pacing interval under its strategy;
* its **conduct** (:class:`~sim.model.agency.conduct.Conduct`): the slips by which its work
  breaks rules, and the controls that catch them;
* the **dialler** (:class:`~sim.model.agency.dialler.Dialler`): batches of dials each pacing
  interval of the shifts, the collectors who take the answered calls and the cardholders who
  phone in (:class:`~sim.model.agency.inbound.InboundLine`), and the **conversations**
  (:class:`~sim.model.agency.conversation.Conversations`) they hold;
* the **messenger** (:class:`~sim.model.agency.messenger.Messenger`): SMS, e-mail and letter
  batches on each channel's cadence, and the callbacks they trigger;
* **skip tracing**: a number found wrong is sent for tracing, which after
  ``skip_trace_days`` turns up a working number with chance ``skip_trace_success`` (each
  trace costs ``skip_trace_cost``);
* the **counters** (:class:`~sim.model.agency.counters.DeskCounters`) they all add to, and the
  **legal record** of violations, conduct breaches and complaints.

The desk is bound by its party's rules: the regime's third-party rules for an agency, its
first-party rules (and the bank's policy) for the bank's own team (``kind = "in_house"``).
Every contact is read against them (a violation) and against the reference standard (a conduct
breach), never silently. Accounts screened out as not worth the fee get only the first call the
placement contract asks for, but still get the agency's messages.
"""

from __future__ import annotations

import zlib

import numpy as np

from sim.config.schema import Agency
from sim.model.agency.call_list import CallList
from sim.model.agency.conduct import Conduct
from sim.model.agency.conversation import Conversations
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.dialler import Dialler
from sim.model.agency.inbound import InboundLine
from sim.model.agency.messenger import Messenger
from sim.model.behaviour.base import BehaviourModel
from sim.model.rng import Streams, counter_uniforms, uniform_draws
from sim.model.units import DAYS_PER_MONTH, HOURS_PER_DAY
from sim.model.world import World


class AgencyDesk:
    """One agency's collectors, call list, inbound queue and message cadences."""

    def __init__(self, index: int, profile: Agency, world: World, behaviour: BehaviourModel,
                 streams: Streams, score: np.ndarray) -> None:
        self.index = index
        self.profile = profile
        self.horizon = world.horizon
        self.accounts = world.accounts
        sub = zlib.crc32(profile.name.encode())
        self.counters = DeskCounters(world.horizon)
        self.shifts = Shifts.of(profile.shift, world.start_weekday, world.horizon)
        self.queue = InboundLine()
        self.legal = LegalRecord(world.accounts, self.counters, world.scenario.rules,
                                 uniform_draws(streams.get("legal", sub)))
        book = world.books.of(in_house=profile.kind == "in_house")
        self.conduct = Conduct(profile, world.accounts, book, streams.get("compliance", sub, 2),
                               key=streams.key("compliance", 3))
        self.call_list = CallList(index, profile, world.accounts, book, self.conduct,
                                  world.scenario.scenario.horizon_days, score,
                                  priority_rng=streams.get("scores", sub, 1),
                                  start_weekday=world.start_weekday,
                                  posting_lag=world.scenario.bank.posting_lag_days)
        self.messenger = Messenger(index, profile, world.accounts, book, world.books.reference,
                                   self.call_list,
                                   self.shifts, self.queue, self.counters, self.legal,
                                   inbound_key=streams.key("inbound"), env=world.env,
                                   horizon=world.horizon, behaviour=behaviour)
        conversations = Conversations(index, profile, world, behaviour, self.counters,
                                      self.legal, key=streams.key("conversations"))
        self.dialler = Dialler(index, profile, world, behaviour, self.call_list, conversations,
                               self.queue, self.shifts, self.counters, self.legal,
                               keys=(streams.key("calls"), streams.key("durations", 1),
                                     streams.key("calls", 1), streams.key("durations", 2)),
                               book=book, conduct=self.conduct)
        self._trace_key = streams.key("tracing")
        self._placement_days = world.scenario.scenario.horizon_days
        # collectors working this client each day (its response to its standing may move them)
        self.collectors_on = np.full(world.horizon + 1, profile.collectors, dtype=np.int64)
        self.engaged_from, self.engaged_until = float("inf"), float("-inf")

    def add_members(self, idx: np.ndarray) -> None:
        """Take on accounts ``idx`` placed today: the call list's, and the days the desk is
        engaged on the client (paid for), from its first placement to its last recall."""
        if len(idx):
            placed = self.accounts.placed_day[idx]
            self.engaged_from = min(self.engaged_from, float(placed.min()))
            self.engaged_until = max(self.engaged_until,
                                     float(placed.max()) + self._placement_days)
        self.call_list.add_members(idx)

    def start(self) -> None:
        """Start the dialler's and the messenger's processes."""
        self.dialler.start()
        self.messenger.start()

    def new_day(self, day: int) -> None:
        """Take in the traces answered overnight, then start the call list's day."""
        self.take_traces(day)
        self.call_list.new_day(day)
        if day < len(self.collectors_on):
            self.collectors_on[day] = self.call_list.effort.collectors

    def take_traces(self, day: int) -> None:
        """Numbers found wrong whose trace answers by ``day``: a working number with chance
        ``skip_trace_success`` (drawn per account and trace), else the account stays without
        one."""
        acc, members = self.accounts, self.call_list.members
        due = members[acc.trace_due[members] <= day]
        if len(due) == 0:
            return
        acc.trace_due[due] = np.inf
        draws = counter_uniforms(self._trace_key, due, acc.traces[due])
        found = due[draws < self.profile.skip_trace_success]
        acc.phone_valid[found] = True
        acc.phone_known_bad[found] = False

    # ------------------------------------------------------------------ what it counted

    @property
    def members(self) -> np.ndarray:
        """The accounts placed with the agency, in the order they were placed."""
        return self.call_list.members

    @property
    def days_behind(self) -> int:
        """Days the agency started behind its target recovery pace."""
        return self.call_list.days_behind

    @property
    def daily(self) -> dict[str, list[int]]:
        return self.counters.daily

    @property
    def busy_by_day(self) -> list[float]:
        return self.counters.busy_by_day

    @property
    def calls(self) -> int:
        return self.counters.calls

    @property
    def violations_by_rule(self) -> dict[str, int]:
        return self.counters.violations_by_rule

    @property
    def lawsuits(self) -> int:
        return self.counters.lawsuits

    @property
    def message_cost(self) -> float:
        return self.counters.message_cost

    # ------------------------------------------------------------------ staffing

    @property
    def staffed_days(self) -> float:
        """Collector-days of paid shift time over the program: the collectors working the
        client each working day the desk is engaged (:meth:`engaged_days`) × shift length."""
        return float(self._collectors_working(self.engaged_days())) * self.shifts.length

    @property
    def busy_days(self) -> float:
        """Collector-days spent on calls over the program (each call whole, on its first day)."""
        return sum(self.counters.busy_by_day)

    def staffed_hours_on(self, day: int) -> float:
        """Paid collector-hours of shift time on ``day`` (0 on a day the agency is closed or
        does not hold the client's accounts)."""
        if day not in self.engaged_days() or not self.shifts.workdays[day]:
            return 0.0
        return int(self.collectors_on[day]) * self.shifts.length * HOURS_PER_DAY

    @property
    def loaded_hourly_cost(self) -> float:
        """What one collector-hour costs the desk: the wage × ``benefits_multiplier`` ×
        ``overhead_multiplier`` (supervision, facilities, technology, compliance)."""
        p = self.profile
        return p.collector_hourly_wage * p.benefits_multiplier * p.overhead_multiplier

    def engaged_days(self, days: int | None = None) -> range:
        """The days (of the first ``days``) the desk holds the client's accounts: from its first
        placement to the end of its last. Collectors and the fixed cost of serving the client
        are paid on these days only, as an agency staffs a client while it has the client's
        work, and collector utilisation and dials per collector-hour are read against the
        shift time of these days."""
        end = self.horizon if days is None else min(days, self.horizon)
        if not np.isfinite(self.engaged_from):
            return range(0)
        return range(max(0, int(self.engaged_from)), max(0, min(end, int(self.engaged_until))))

    def staff_cost(self, days: int | None = None) -> float:
        """Loaded cost of the paid shift time of the collectors working this client each
        engaged day (of the first ``days``)."""
        paid = self._collectors_working(self.engaged_days(days))
        return paid * self.shifts.length * HOURS_PER_DAY * self.loaded_hourly_cost

    def _collectors_working(self, days: range) -> int:
        """Collector-shifts worked on the client over ``days``: the collectors working it on
        each of them the agency works."""
        workdays = self.shifts.workdays
        return sum(int(self.collectors_on[day]) for day in days if workdays[day])

    def fixed_cost(self, days: int | None = None) -> float:
        """The fixed cost of serving the client (``fixed_monthly_cost`` per 30 days) over the
        engaged days (of the first ``days``)."""
        return self.profile.fixed_monthly_cost * len(self.engaged_days(days)) / DAYS_PER_MONTH

    def operating_cost(self, days: int | None = None) -> float:
        """Fully loaded cost of running the desk (over the first ``days`` days): collectors'
        shift time at the loaded hourly cost and the fixed cost of serving the client, on the
        days the desk is engaged; calls, messages and traces as made."""
        return (self.staff_cost(days) + self.calls * self.profile.cost_per_call
                + self.counters.message_cost + self.counters.trace_cost + self.fixed_cost(days))
