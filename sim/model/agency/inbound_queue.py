"""The inbound callback queue: callers wait first-come first-served for a free collector.

One :class:`InboundQueue` per agency holds cardholders who phoned in (after a message, say).
Each caller has a patience; a caller not answered within it hangs up (abandons). Collectors
take callers with :meth:`InboundQueue.take` when they finish a call, and an idle collector
waits on :meth:`InboundQueue.wait_for_caller`, so a caller who finds a collector idle is
answered at once.

Abandonment is settled lazily and exactly: a caller whose patience ran out before a collector
took them is counted as abandoned (having waited their whole patience) when the queue next
looks at them. Because collectors only look when they become free, this gives the same
figures as scheduling an abandonment event per caller, at a fraction of the cost.

It serves the M/M/c(+M) validation and benchmark in :mod:`sim.validation.queue`. The full model
no longer uses it: the dialler (:mod:`sim.model.agency.dialler`) serves the callers of each
pacing interval by the same first-come first-served rule with patience, from a heap of
collectors' free times, and that path is not yet checked against Erlang A.
"""

from __future__ import annotations

import contextlib
from collections import deque
from typing import Generic, TypeVar

import simpy

Item = TypeVar("Item")


class InboundQueue(Generic[Item]):
    """FIFO queue of callers with patience, served by collectors that pull from it."""

    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        # Callers on the line, oldest first, as (arrived, deadline, item); read-only outside.
        self.waiting: deque[tuple[float, float, Item]] = deque()
        self._idle: deque[simpy.Event] = deque()
        self.arrivals = 0
        self.served = 0
        self.abandoned = 0
        self.served_immediately = 0
        self.total_wait = 0.0  # summed over served and abandoned callers

    def __len__(self) -> int:
        return len(self.waiting)

    def arrive(self, item: Item, patience: float) -> None:
        """A caller arrives now and will wait at most ``patience`` (time units of the env)."""
        self.arrivals += 1
        now = self.env.now
        while self._idle:
            waiter = self._idle.popleft()
            if waiter.triggered:
                continue
            self.served += 1
            self.served_immediately += 1
            waiter.succeed((item, 0.0))
            return
        self.waiting.append((now, now + patience, item))

    def take(self) -> tuple[Item, float] | None:
        """The next caller still on the line and their wait, or ``None`` if nobody is."""
        now = self.env.now
        waiting = self.waiting
        while waiting:
            arrived, deadline, item = waiting.popleft()
            if deadline < now:
                self.abandoned += 1
                self.total_wait += deadline - arrived
                continue
            wait = now - arrived
            self.served += 1
            self.total_wait += wait
            return item, wait
        return None

    def wait_for_caller(self) -> simpy.Event:
        """An event that fires with ``(item, 0.0)`` when the next caller arrives."""
        event = self.env.event()
        self._idle.append(event)
        return event

    def withdraw(self, event: simpy.Event) -> None:
        """Stop waiting (a collector whose shift ended); harmless if already served."""
        with contextlib.suppress(ValueError):
            self._idle.remove(event)

    def close(self) -> int:
        """Settle callers still queued at the end: those past their patience abandoned.

        Returns how many callers were still waiting within their patience (censored).
        """
        now = self.env.now
        censored = 0
        for arrived, deadline, _ in self.waiting:
            if deadline <= now:
                self.abandoned += 1
                self.total_wait += deadline - arrived
            else:
                censored += 1
        self.waiting.clear()
        return censored
