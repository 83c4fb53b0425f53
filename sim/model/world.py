"""The shared state of one replication that agencies, the bank and payments all act on.

:class:`World` bundles the SimPy environment, the accounts, the rule book, the resolved scenario,
the calendar and the optional event log, so components receive one object instead of a long
argument list. It holds no behaviour of its own beyond the event log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import simpy

from sim.config.schema import Scenario
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams
from sim.model.rules.book import RULE_NAMES, RuleBook

# Per-agency daily counters kept by the desks (the rest of the daily series is derived).
DAILY_SERIES = ("calls", "rpcs", "conversations", "promises", "complaints", "violations",
                "messages", "inbound")

EVENT_COLUMNS = ("time", "account", "agency", "kind", "outcome", "rule_broken")


@dataclass
class World:
    """Everything a replication's components share."""

    env: simpy.Environment
    scenario: Scenario
    accounts: Accounts
    rules: RuleBook
    streams: Streams
    horizon: int
    start_weekday: int
    record_events: bool = False
    events: list[tuple[float, int, int, str, str, str]] = field(default_factory=list)

    def log(self, time: float, account: int, agency: int, kind: str, outcome: str,
            rule: int) -> None:
        """Append to the event log when it is switched on (it is off by default: it costs)."""
        if self.record_events:
            self.events.append((time, account, agency, kind, outcome, RULE_NAMES.get(rule, "")))
