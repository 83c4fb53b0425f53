"""What an agency desk counts as it works, and the working days and hours it counts them in.

* :class:`DeskCounters` — the per-day series (calls, right-party contacts, conversations,
  promises, complaints, violations, messages, inbound calls), collector busy time by day,
  message cost, lawsuits and violations by rule: the one place the desk's parts add to and the
  KPIs and daily series read from;
* :class:`LegalRecord` — each contact the regime in force forbade (a violation) or the reference
  standard would forbid (a conduct breach), and each complaint, counted on the account, on the
  day and by rule; a complaint is taken to a regulator with chance
  ``[rules] regulator_complaint_share``; violations and complaints may become lawsuits
  (``lawsuit_per_violation``, ``lawsuit_per_complaint``);
* :class:`Shifts` — the days the agency works and its collectors' shift on those days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sim.config.schema import WEEKDAYS, Rules, Shift, clock_to_day_fraction
from sim.model.codes import RULE_LABELS, RULES_BROKEN
from sim.model.portfolio.accounts import Accounts

# Per-agency daily counters kept by the desks (the rest of the daily series is derived).
DAILY_SERIES = ("calls", "rpcs", "conversations", "promises", "complaints", "violations",
                "breaches", "messages", "inbound", "answered_calls", "abandoned_calls")


@dataclass
class DeskCounters:
    """Counts of one agency desk over a program of ``horizon`` days."""

    horizon: int
    daily: dict[str, list[int]] = field(init=False)
    """Each of :data:`DAILY_SERIES`, one count per day."""
    busy_by_day: list[float] = field(init=False)
    """Collector busy time (days) of the calls begun each day."""
    violations_by_rule: dict[str, int] = field(init=False)
    breaches_by_rule: dict[str, int] = field(init=False)
    message_cost: float = 0.0
    trace_cost: float = 0.0
    lawsuits: int = 0

    def __post_init__(self) -> None:
        self.daily = {name: [0] * (self.horizon + 1) for name in DAILY_SERIES}
        self.busy_by_day = [0.0] * (self.horizon + 1)
        self.violations_by_rule = {rule.label: 0 for rule in RULES_BROKEN}
        self.breaches_by_rule = {rule.label: 0 for rule in RULES_BROKEN}

    @property
    def calls(self) -> int:
        """Outbound calls placed over the program."""
        return sum(self.daily["calls"])


class LegalRecord:
    """Violations, conduct breaches and complaints of one desk, drawn with ``draw()``."""

    def __init__(self, accounts: Accounts, counters: DeskCounters, rules: Rules,
                 draw: Callable[[], float]) -> None:
        self.acc = accounts
        self.counters = counters
        self.rules = rules
        self.draw = draw
        self._violations_by_day = counters.daily["violations"]
        self._complaints_by_day = counters.daily["complaints"]
        self._breaches_by_day = counters.daily["breaches"]

    def violation(self, i: int, rule: int, day: int) -> None:
        """Count a contact with account ``i`` on ``day`` that ``rule`` forbade."""
        self.acc.violations[i] += 1
        self.counters.violations_by_rule[RULE_LABELS[rule]] += 1
        self._violations_by_day[day] += 1
        if self.draw() < self.rules.lawsuit_per_violation:
            self.counters.lawsuits += 1

    def breach(self, i: int, rule: int, day: int) -> None:
        """Count a contact with account ``i`` on ``day`` that the reference standard's ``rule``
        forbids."""
        self.acc.breaches[i] += 1
        self.counters.breaches_by_rule[RULE_LABELS[rule]] += 1
        self._breaches_by_day[day] += 1

    def complaint(self, i: int, day: int) -> None:
        """Count a complaint by account ``i`` on ``day`` (to the agency or the bank, and
        perhaps taken on to a regulator)."""
        self.acc.complaints[i] += 1
        self._complaints_by_day[day] += 1
        if self.draw() < self.rules.regulator_complaint_share:
            self.acc.regulator_complaints[i] += 1
        if self.draw() < self.rules.lawsuit_per_complaint:
            self.counters.lawsuits += 1


@dataclass(frozen=True)
class Shifts:
    """The collectors' shift (``start``–``end``, fractions of a day) and, for each day of the
    program, whether the agency works it."""

    start: float
    end: float
    workdays: list[bool]

    @classmethod
    def of(cls, shift: Shift, start_weekday: int, horizon: int) -> Shifts:
        """The shifts of ``[agencies.shift]`` over ``horizon`` days from ``start_weekday``."""
        work_days = {WEEKDAYS.index(d) for d in shift.days}
        return cls(start=clock_to_day_fraction(shift.start), end=clock_to_day_fraction(shift.end),
                   workdays=[(start_weekday + d) % 7 in work_days for d in range(horizon + 1)])

    @property
    def length(self) -> float:
        """The length of a shift, days."""
        return self.end - self.start

    def next_workday(self, day: int) -> int | None:
        """The first working day of the program from ``day`` on, or ``None``."""
        horizon = len(self.workdays) - 1
        while day < horizon and not self.workdays[day]:
            day += 1
        return day if day < horizon else None
