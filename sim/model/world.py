"""The shared state of one replication that agencies, the bank and payments all act on.

:class:`World` bundles the SimPy environment, the accounts, the rule books, the resolved scenario,
the calendar and the optional event log, so components receive one object instead of a long
argument list. It holds no behaviour of its own beyond the event log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from heapq import heappush
from itertools import count

import simpy
from simpy.core import NORMAL, EventPriority, SimTime

from sim.config.schema import Scenario
from sim.model.codes import RULE_LABELS
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams
from sim.model.rules.book import RuleBooks
from sim.model.rules.history import ContactHistory

EVENT_COLUMNS = ("time", "local_time", "account", "agency", "kind", "outcome", "rule_broken")
"""The event log's columns: ``time`` on the agencies' clock, ``local_time`` on the
cardholder's (both program days)."""


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules (``events_scheduled``).

    Each event gets the next number of its own counter as its tie-breaking id, exactly as the
    base class numbers them, so counting costs nothing; the event shortcuts (``timeout``,
    ``process``, …) are bound once per environment, as the base class binds its own.
    """

    def __init__(self, initial_time: SimTime = 0) -> None:
        super().__init__(initial_time)
        self._ids = count()
        for name in ("event", "process", "timeout", "all_of", "any_of"):
            setattr(self, name, getattr(self, name))

    def schedule(self, event: simpy.Event, priority: EventPriority = NORMAL,
                 delay: SimTime = 0) -> None:
        """Schedule ``event`` with ``priority`` after ``delay``, as the base class does."""
        heappush(self._queue, (self._now + delay, priority, next(self._ids), event))

    @property
    def events_scheduled(self) -> int:
        """Events scheduled so far."""
        scheduled = next(self._ids)
        self._ids = count(scheduled)  # reading the count schedules nothing
        return scheduled


@dataclass
class World:
    """Everything a replication's components share."""

    env: CountingEnvironment
    scenario: Scenario
    accounts: Accounts
    books: RuleBooks
    streams: Streams
    horizon: int
    start_weekday: int
    record_events: bool = False
    events: list[tuple[float, float, int, int, str, str, str]] = field(default_factory=list)

    @property
    def history(self) -> ContactHistory:
        """The contact history every rule book reads."""
        return self.books.history

    def log(self, time: float, account: int, agency: int, kind: str, outcome: str,
            rule: int) -> None:
        """Append to the event log when it is switched on (it is off by default: it costs)."""
        if self.record_events:
            local = time + float(self.accounts.local_offset[account])
            self.events.append((time, local, account, agency, kind, outcome,
                                RULE_LABELS[rule]))
