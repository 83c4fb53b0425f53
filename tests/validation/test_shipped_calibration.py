"""The shipped baseline reproduces the shipped public targets.

``experiments/targets/industry.toml`` holds the public figures for an early-stage card program
(right-party contacts per dial; complaints to a regulator per 1,000 accounts in 90 days), and
the reason profiles' answer rates and complaint sensitivities are calibrated to them
(``sim/config/schema/reasons.py``). Here the baseline at its full 20,000 accounts, three
replications, must put each figure's simulated mean inside the interval the figure's own
sampling error allows (observed ± 1.96 sd at 20,000 accounts), as ``collectsim check targets``
reports it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.loading import load_scenario
from sim.experiment.target_sheet import target_sheet
from sim.experiment.targets import load_targets

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_baseline_reproduces_the_public_targets() -> None:
    targets = load_targets(REPO / "experiments" / "targets" / "industry.toml")
    scenario = load_scenario(REPO / "scenarios" / "baseline.toml")
    rows = target_sheet(scenario, targets, reps=3, seed=None)
    assert {row.name for row in rows} == set(targets.observed)
    for row in rows:
        assert row.reproduced, (row.name, row.simulated, (row.low, row.high))
