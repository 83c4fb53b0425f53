"""The calibration sheet: does a scenario reproduce a targets file's figures?

For each figure of a targets file (:mod:`sim.experiment.targets`) the sheet gives its
definition, its source, the observed value with the interval its own sampling error allows at
the observed portfolio size (observed ± 1.96 sampling standard deviations), and the scenario's
simulated mean with a 95% confidence half-width over replications. A figure is **reproduced**
when the simulated mean lies inside the observed figure's interval: the model's answer is one
the bank's portfolio could have measured. The statistics are those a calibration fits
(:func:`sim.experiment.calibrate.statistics`): program-total KPIs and liquidation-curve
points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.config.schema import Scenario
from sim.experiment.backends import Backend
from sim.experiment.calibrate import statistics
from sim.experiment.replicate import half_width, replicate
from sim.experiment.targets import CURVE_PREFIX, Targets
from sim.model.kpis import lookup

Z95 = 1.959963984540054  # two-sided 95% normal quantile


@dataclass(frozen=True)
class SheetRow:
    """One figure of the sheet."""

    name: str
    definition: str
    source: str
    observed: float
    low: float  # observed ± Z95 sampling sd
    high: float
    simulated: float  # mean over replications
    half_width: float  # 95% confidence half-width of the mean (NaN with one replication)
    reps: int

    @property
    def reproduced(self) -> bool:
        return self.low <= self.simulated <= self.high

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "definition": self.definition, "source": self.source,
                "observed": self.observed, "interval": [self.low, self.high],
                "simulated": {"mean": self.simulated, "ci95": self.half_width,
                              "reps": self.reps},
                "reproduced": self.reproduced}


def definition(name: str) -> str:
    """What the statistic ``name`` measures (a curve point: share of placed balance collected
    by the end of that day of the placement)."""
    if name.startswith(CURVE_PREFIX):
        return (f"share of placed balance collected by the end of day "
                f"{name.removeprefix(CURVE_PREFIX)} of the placement")
    return lookup(name).definition


def target_sheet(scenario: Scenario, targets: Targets, reps: int, seed: int | None,
                 backend: Backend | str | None = None) -> list[SheetRow]:
    """Simulate ``reps`` replications of ``scenario`` and set each target beside them."""
    replicated = replicate(scenario, reps, seed, backend=backend)
    measured = [statistics(result, targets.names) for result in replicated.results]
    rows = []
    for name in targets.names:
        values = np.array([m[name] for m in measured], dtype=float)
        observed, sd = targets.observed[name], targets.sd[name]
        rows.append(SheetRow(
            name, definition(name), targets.sources.get(name, targets.source), observed,
            max(observed - Z95 * sd, 0.0), observed + Z95 * sd, float(values.mean()),
            half_width(values) if len(values) > 1 else float("nan"), len(values)))
    return rows
