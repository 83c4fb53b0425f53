"""Scenario configuration: the schema of scenario files, loading with ``extends`` and ``--set``,
notes on unused settings, and the one-line input error.

This is the lowest layer of the package: it knows nothing of the model that runs a scenario.
"""

from __future__ import annotations

from sim.config.loading import ScenarioError, load_scenario, scenario_hash
from sim.config.schema import Scenario

__all__ = ["Scenario", "ScenarioError", "load_scenario", "scenario_hash"]
