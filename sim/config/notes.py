"""Notes on valid scenarios whose settings do less than a reader might expect.

A scenario can be valid and still contain settings that the model, as configured, never
reads: the offer terms of an agency when repayments follow the Hawkes model, say. Silently
ignoring them would let a planner believe a lever was pulled. :func:`scenario_notes` lists each
such case in one sentence; ``collectsim validate`` and ``collectsim run`` print them as
``note:`` lines on stderr, and ``manifest.json`` keeps them beside the results.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.config.schema import Scenario


def scenario_notes(scenario: Scenario) -> list[str]:
    """One sentence for each setting that has no effect, or less than its name suggests."""
    notes: list[str] = []
    if scenario.behaviour.model == "hawkes":
        notes.append(
            "behaviour.model = \"hawkes\": repayments come only from the repayment intensity, "
            "so promises, the agencies' offers (settlement discounts, instalment plans, interest "
            "waivers, promise_days) and the segments' willingness, self_cure_rate and "
            "promise_keep have no effect")
    allocation = scenario.bank.allocation
    if allocation.method == "champion_challenger":
        idle = [a.name for a in scenario.agencies
                if a.name not in (allocation.champion, allocation.challenger,
                                  scenario.bank.second_placement)]
        if idle:
            notes.append(f"bank.allocation: champion_challenger places accounts only with "
                         f"{allocation.champion} and {allocation.challenger}; "
                         f"{', '.join(idle)} receive none at placement")
    for agency in scenario.agencies:
        if (agency.kind == "contingency" and agency.commission_tiers
                and agency.min_expected_fee > 0):
            notes.append(f"agencies.{agency.name}: expected-fee screening (min_expected_fee) "
                         f"prices accounts at the base commission {agency.commission:g}, "
                         f"not at the commission tiers")
        if agency.cure_bonus > 0 and scenario.bank.stage != "pre_charge_off":
            notes.append(f"agencies.{agency.name}: cure_bonus pays only for accounts placed "
                         f"before charge-off; with bank.stage = \"{scenario.bank.stage}\" "
                         f"there are none")
    return notes


def print_notes(source: str | Path, scenario: Scenario) -> None:
    """Each of the scenario's notes as one ``note: <file>: <text>`` line on stderr."""
    for note in scenario_notes(scenario):
        print(f"note: {source}: {note}", file=sys.stderr)
