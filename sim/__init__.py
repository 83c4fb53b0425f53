"""collectsim: a discrete-event simulator of outsourced credit-card collection programs.

The seam between the model and everything that runs experiments on it is one function::

    from sim import load_scenario, run_replication
    results = run_replication(load_scenario("scenarios/baseline.toml"), replication=0)
    results.kpis.loc["total", "recovery_rate"]
"""

from __future__ import annotations

from sim.config import Scenario, ScenarioError, load_scenario
from sim.model.replication import run_replication
from sim.model.results import KPI_NAMES, Results

__all__ = ["KPI_NAMES", "Results", "Scenario", "ScenarioError", "load_scenario",
           "run_replication"]
__version__ = "0.1.0"
