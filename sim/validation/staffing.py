"""How many collectors an agency needs for its first-attempt service level and abandonment.

A placement contract asks the agency to attempt every account within ``first_attempt_sla_days``
of hand-over, and a predictive dialler must keep abandoned calls under ``abandon_target``. This
module turns a scenario into the head-count each needs, by a workload model of the dialler and
by Erlang A; :mod:`sim.experiment.staffing` sets it beside what the simulation gives.

**Dial workload.** Every vintage hands the agency ``N`` accounts at once (the portfolio's
accounts, less the bank's control group, times the agency's share, over the vintages), and they
become workable together ``transfer_delay_days`` after placement. Meeting a first-attempt service
level ``s`` means dialling ``s·N`` accounts once each in the collectors' shift hours ``H`` that
fall between that moment and the deadline ``first_attempt_sla_days`` later: one dial per
account, since a dial that rings out or reaches a wrong number is an attempt too. What a dial
costs a collector follows the dialler (:mod:`sim.model.agency.dialler`). With ``v`` the share of
valid numbers (each segment's ``phone_valid``, else ``[bank] phone_valid``, weighted by the
segments' shares), ``q`` the mean answer rate (the segments' ``answer_rate`` weighted by
their shares; a weekday-day call at no contact pressure) and ``w`` the share of pick-ups by
a wrong party (``[bank] wrong_party_share``), a dial is a wrong number with chance ``1 − v``,
rings out with ``v(1 − q)``, is picked up by a wrong party with ``vqw`` and by the
cardholder with ``vq(1 − w)``. Its collector time is

* ``preview`` — reading (``preview_seconds``) on every dial; ring and wrap-up on a dial that
  rings out; the wrong-number time and wrap-up on a wrong number; ring, then talk and wrap-up
  for the cardholder, or verification (wrong-number time and wrap-up) for a wrong party;
* ``progressive`` — the ring on a dial that rings out or is answered, the wrong-number time on a
  wrong number, then as for preview once answered (no reading, no wrap-up of a dial not
  answered);
* ``predictive`` — nothing on a dial nobody answers; talk and wrap-up for the cardholder,
  verification for a wrong party.

The agency then needs ``c = s·N·t / (H·u)`` collectors, rounded up, where ``t`` is the mean
collector time per dial and ``u`` the utilisation planned for (the rest of the shift is left for
callers phoning in and follow-up dials): the deterministic workload ("offered load") method of
workforce planning (Gans, Koole & Mandelbaum, "Telephone call centers: tutorial, review, and
research prospects", *M&SOM* 5(2), 2003, §4.1). The vintage whose window holds the fewest shift
hours decides.

**Abandonment.** A predictive dialler's answered calls arrive for collectors at rate
``λ = s·N·vq / H`` while it works through a vintage; each takes a collector for a mean handle
time ``1/μ`` (talk and wrap-up for the cardholder, verification for a wrong party) and is
abandoned if no collector is free within :data:`~sim.model.agency.dialler.CONNECT_WITHIN`. The
Erlang A (M/M/c+M) queue (:func:`sim.validation.erlang.erlang_a`; Garnett, Mandelbaum & Reiman,
*M&SOM* 4(3), 2002) with patience rate ``θ = 1 / CONNECT_WITHIN`` gives the abandonment of ``c``
collectors; it falls as ``c`` grows, so the smallest ``c`` at or under the target is found by
bisection. The model's patience is a fixed 2 seconds, not exponential with that mean, and its
dials are spread evenly over each pacing interval rather than Poisson: the simulated side shows
how far that matters.

The head-count to plan is the larger of the two. The model assumes the adaptive strategy (fresh
accounts dialled first, oldest hand-over first); under ``static`` the call list ignores the
deadline, which :func:`plan_staffing` notes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.config.capacity import MAX_COLLECTORS
from sim.config.schema import Agency, Scenario
from sim.config.schema.common import WEEKDAYS, clock_to_day_fraction
from sim.model.agency.dialler import CONNECT_WITHIN
from sim.validation.erlang import erlang_a

DEFAULT_UTILIZATION = 0.85
"""Share of shift time planned as busy (assumption: planners keep occupancy in the 80–90%
range, leaving time for callers phoning in and follow-up dials)."""
MINUTES_PER_HOUR = 60.0
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class DialOutcomes:
    """The chance of each outcome of one dial: ``wrong_number``, ``no_answer``,
    ``wrong_party`` (picked up by someone else) and ``answered`` (by the cardholder)."""

    wrong_number: float
    no_answer: float
    wrong_party: float
    answered: float

    @property
    def picked_up(self) -> float:
        """Chance somebody picks up: the calls that take a predictive dialler's collector."""
        return self.wrong_party + self.answered


@dataclass(frozen=True)
class AgencyPlan:
    """The head-count one agency needs, and the figures it comes from (minutes, hours, per hour)."""

    agency: str
    dialler: str
    collectors_in_file: int
    accounts_per_vintage: float
    vintages: int
    sla_days: float
    window_shift_hours: float
    """Shift hours between hand-over and the deadline, in the vintage with the fewest."""
    outcomes: DialOutcomes
    minutes_per_dial: float
    """Mean collector minutes per dial, every outcome weighted by its chance."""
    workload_hours: float
    """Collector hours to dial the share ``sla_share`` of a vintage once each."""
    collectors_for_sla: int | None
    """None: no shift hour falls within the window, so no head-count meets it."""
    answered_per_hour: float
    """Calls picked up per hour while a vintage is worked (the Erlang A arrival rate)."""
    handle_minutes: float
    """Mean collector minutes per call picked up (the Erlang A service time)."""
    collectors_for_abandon: int | None
    """Predictive dialler only: the smallest head-count Erlang A puts at or under the target;
    None for the other diallers (they never abandon) or when none is found."""
    abandon_at_plan: float | None
    """Erlang A abandonment at :attr:`collectors` (predictive dialler only)."""
    collectors: int | None
    """The head-count to plan: the larger of the two; None when none meets the targets."""
    notes: list[str] = field(default_factory=list)


def dial_outcomes(scenario: Scenario) -> DialOutcomes:
    """The chances of a first dial's outcomes (see the module docstring)."""
    segments = scenario.portfolio.segments.values()
    answer_rate = sum(s.share * s.answer_rate for s in segments) / sum(s.share for s in segments)
    bank = scenario.bank
    valid = sum(s.share * (bank.phone_valid if s.phone_valid is None else s.phone_valid)
                for s in segments) / sum(s.share for s in segments)
    wrong_party = bank.wrong_party_share
    return DialOutcomes(wrong_number=1.0 - valid, no_answer=valid * (1.0 - answer_rate),
                        wrong_party=valid * answer_rate * wrong_party,
                        answered=valid * answer_rate * (1.0 - wrong_party))


def handle_minutes(agency: Agency, outcomes: DialOutcomes) -> float:
    """Mean collector minutes of a call picked up: talk and wrap-up for the cardholder,
    verification (wrong-number time and wrap-up) for a wrong party."""
    if outcomes.picked_up == 0:
        return agency.talk_minutes + agency.wrap_minutes
    verify = agency.wrong_number_minutes + agency.wrap_minutes
    talk = agency.talk_minutes + agency.wrap_minutes
    return (outcomes.answered * talk + outcomes.wrong_party * verify) / outcomes.picked_up


def minutes_per_dial(agency: Agency, outcomes: DialOutcomes) -> float:
    """Mean collector minutes of one dial under the agency's dialler (module docstring)."""
    picked = outcomes.picked_up * handle_minutes(agency, outcomes)
    if agency.dialler == "predictive":
        return picked
    ring, wrong, wrap = agency.ring_minutes, agency.wrong_number_minutes, agency.wrap_minutes
    if agency.dialler == "progressive":
        return (outcomes.no_answer * ring + outcomes.wrong_number * wrong
                + outcomes.picked_up * ring + picked)
    return (agency.preview_seconds / 60.0 + outcomes.no_answer * (ring + wrap)
            + outcomes.wrong_number * (wrong + wrap) + outcomes.picked_up * ring + picked)


def shift_hours(agency: Agency, start_weekday: int, start: float, days: float) -> float:
    """Hours of the agency's shifts within ``[start, start + days)`` (program days from a
    ``start_weekday`` midnight; 0 = Monday)."""
    shift_start = clock_to_day_fraction(agency.shift.start)
    shift_end = clock_to_day_fraction(agency.shift.end)
    worked = {WEEKDAYS.index(d) for d in agency.shift.days}
    end = start + days
    total = 0.0
    for day in range(math.floor(start), math.ceil(end)):
        if (start_weekday + day) % 7 in worked:
            total += max(0.0, min(day + shift_end, end) - max(day + shift_start, start))
    return total * HOURS_PER_DAY


def placement_share(scenario: Scenario, agency: Agency) -> float:
    """The agency's share of each vintage: its ``share`` (under ``performance`` the starting
    share, under ``segment_rules`` the share of accounts no route matches), or the
    champion–challenger split."""
    allocation = scenario.bank.allocation
    if scenario.bank.second_placement == agency.name:
        return 0.0
    if allocation.method == "champion_challenger":
        if agency.name == allocation.challenger:
            return allocation.challenger_share
        return 1.0 - allocation.challenger_share if agency.name == allocation.champion else 0.0
    return agency.share or 0.0


def vintage_days(scenario: Scenario) -> list[int]:
    """The days on which vintages are placed."""
    bank = scenario.bank
    if bank.placement == "batch":
        return [0]
    return [v * bank.vintage_every_days for v in range(bank.vintages)]


def erlang_a_collectors(arrival_rate: float, service_rate: float, patience_rate: float,
                        target: float) -> int | None:
    """The smallest number of servers whose Erlang A abandonment is at most ``target`` (None if
    even :data:`MAX_COLLECTORS` are not enough). Abandonment falls as servers are added, so a
    doubling search brackets the answer and bisection finds it."""
    def meets(servers: int) -> bool:
        return erlang_a(servers, arrival_rate, service_rate, patience_rate)["p_abandon"] <= target

    high = 1
    while not meets(high):
        if high >= MAX_COLLECTORS:
            return None
        high = min(2 * high, MAX_COLLECTORS)
    low = high // 2  # fails (or 0)
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    return high


def plan_agency(scenario: Scenario, agency: Agency, sla_share: float, abandon: float | None,
                utilization: float = DEFAULT_UTILIZATION) -> AgencyPlan:
    """The head-count ``agency`` needs for a first-attempt service level ``sla_share`` and, with
    a predictive dialler, abandonment ``abandon`` (default its ``abandon_target``)."""
    vintages = vintage_days(scenario)
    accounts = (scenario.portfolio.accounts * (1.0 - scenario.bank.control_share)
                * placement_share(scenario, agency) / len(vintages))
    weekday = scenario.scenario.start_date.weekday()
    delay = scenario.bank.transfer_delay_days
    sla = agency.first_attempt_sla_days
    hours = min(shift_hours(agency, weekday, day + delay, sla) for day in vintages)
    outcomes = dial_outcomes(scenario)
    per_dial = minutes_per_dial(agency, outcomes)
    workload = sla_share * accounts * per_dial / MINUTES_PER_HOUR
    notes: list[str] = []
    for_sla: int | None
    if hours > 0:
        for_sla = max(1, math.ceil(workload / (hours * utilization) - 1e-9))
    else:
        for_sla = None
        notes.append(f"no shift hour falls within {sla:g} days of hand-over: no head-count "
                     "meets the first-attempt service level")
    handle = handle_minutes(agency, outcomes)
    answered_per_hour = sla_share * accounts * outcomes.picked_up / hours if hours > 0 else 0.0
    for_abandon: int | None = None
    abandon_at: float | None = None
    planned = for_sla
    if agency.dialler == "predictive":
        target = agency.abandon_target if abandon is None else abandon
        service_rate = MINUTES_PER_HOUR / handle
        patience_rate = 1.0 / (CONNECT_WITHIN * HOURS_PER_DAY)
        if answered_per_hour > 0:
            for_abandon = erlang_a_collectors(answered_per_hour, service_rate, patience_rate,
                                              target)
            if for_abandon is None:
                notes.append(f"no head-count up to {MAX_COLLECTORS:,} holds abandonment at "
                             f"{target:g}")
                planned = None
            elif planned is not None:
                planned = max(planned, for_abandon)
            if planned is not None:
                abandon_at = erlang_a(planned, answered_per_hour, service_rate,
                                      patience_rate)["p_abandon"]
    if agency.strategy != "adaptive":
        notes.append("the static strategy does not dial fresh accounts first: the workload "
                     "model assumes it does")
    return AgencyPlan(
        agency=agency.name, dialler=agency.dialler, collectors_in_file=agency.collectors,
        accounts_per_vintage=accounts, vintages=len(vintages), sla_days=sla,
        window_shift_hours=hours, outcomes=outcomes, minutes_per_dial=per_dial,
        workload_hours=workload, collectors_for_sla=for_sla, answered_per_hour=answered_per_hour,
        handle_minutes=handle, collectors_for_abandon=for_abandon, abandon_at_plan=abandon_at,
        collectors=planned, notes=notes)


def planned_agencies(scenario: Scenario, name: str | None = None) -> list[Agency]:
    """The agencies to plan: ``name``, or every agency with a share of the first placement."""
    if name is not None:
        return [a for a in scenario.agencies if a.name == name]
    return [a for a in scenario.agencies if placement_share(scenario, a) > 0]
