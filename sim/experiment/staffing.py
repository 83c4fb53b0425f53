"""The analytic head-count beside the simulated answer: the scenario run at the plan and around it.

:func:`simulate_plans` runs the scenario with every planned agency at ``factor`` times its
analytic head-count (:mod:`sim.validation.staffing`; given here as a plain head-count per
agency), for each factor of :data:`FACTORS` (every
agency moves together: agencies share no collectors, so one run serves them all), and
summarises the KPIs of :data:`METRICS` for each agency over the replications. Every head-count
uses the same seed, so the same cardholders answer the same calls (common random numbers) and
the differences between head-counts are not sampling noise of the portfolio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.config.capacity import MAX_COLLECTORS
from sim.config.loading import load_scenario
from sim.config.schema import Scenario
from sim.experiment.backends import Backend
from sim.experiment.replicate import kpi_table, replicate, summarise

FACTORS = (0.75, 1.0, 1.25)
"""Head-counts simulated, as multiples of the analytic answer."""
METRICS = ("first_attempt_sla_share", "abandon_rate", "collector_utilization")
"""What the simulation reports at each head-count: the two targets and the collectors' load."""


@dataclass(frozen=True)
class SimulatedLevel:
    """One head-count level: each agency's collectors and its KPIs' summary (the rows of
    :func:`sim.experiment.replicate.summarise`: agency, metric, mean, sd, ci95, n)."""

    factor: float
    collectors: dict[str, int]
    summary: pd.DataFrame


def head_count(base: int, factor: float) -> int:
    """``factor`` times the head-count ``base``: rounded, at least 1, and one away from
    ``base`` when rounding would land on it."""
    if factor == 1.0:
        return base
    count = round(factor * base)
    if factor < 1.0:
        return max(1, min(count, base - 1))
    return min(MAX_COLLECTORS, max(count, base + 1))


def overrides_at(planned: Mapping[str, int], factor: float) -> list[str]:
    """``--set`` overrides putting every agency of ``planned`` at ``factor`` times its
    head-count."""
    return [f"agencies.{name}.collectors={head_count(base, factor)}"
            for name, base in planned.items()]


def scenarios_at(path: Path, overrides: Sequence[str], planned: Mapping[str, int], *,
                 scale_collectors: bool = False) -> list[tuple[float, Scenario]]:
    """The scenario at each factor of :data:`FACTORS`, loaded with ``overrides`` and then the
    head-counts (which ``--scale-collectors`` keeps, as any collectors set explicitly)."""
    return [(factor, load_scenario(path, [*overrides, *overrides_at(planned, factor)],
                                   scale_collectors=scale_collectors))
            for factor in FACTORS]


def simulate_plans(levels: Sequence[tuple[float, Scenario]], names: Sequence[str],
                   reps: int, seed: int | None, backend: Backend) -> list[SimulatedLevel]:
    """Run ``reps`` replications of each level's scenario on ``backend`` and summarise
    :data:`METRICS` for the agencies ``names``."""
    out = []
    for factor, scenario in levels:
        replicated = replicate(scenario, reps, seed, backend=backend)
        table = kpi_table(replicated.results)
        summary = summarise(table[table["agency"].isin(names)], METRICS)
        counts = {a.name: a.collectors for a in scenario.agencies if a.name in names}
        out.append(SimulatedLevel(factor, counts, summary))
    return out
