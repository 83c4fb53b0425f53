"""The model benchmark on tiny portfolios: it times the workload it names.

* ``bench_model`` runs the scenario it was given, scaled, so its event count is the count a
  replication of that scaled scenario schedules, and the bare kernel it is set beside schedules
  that many events too;
* ``bench_scaling`` at three times the accounts (and collectors) sees about three times the
  events;
* ``collectsim bench --scenario`` runs any scenario with its collectors scaled with
  ``--accounts``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sim.bench.model import bench_model, bench_scaling, kernel_events_per_second, scenario_at
from sim.cli.main import main
from sim.model.replication import run_replication

REPO = Path(__file__).resolve().parents[2]


def test_bench_model_times_the_scaled_scenario_it_names() -> None:
    figures = bench_model(1_000)
    scenario = scenario_at(1_000)
    assert figures["accounts"] == scenario.portfolio.accounts == 1_000
    assert [a.collectors for a in scenario.agencies] == [1, 1]
    replication = run_replication(scenario, 0)
    assert figures["events"] == replication.meta["events_scheduled"] > 0
    for key in ("wall_seconds", "events_per_second", "kernel_events_per_second",
                "kernel_wall_seconds", "kernel_ratio", "peak_rss_mb"):
        assert math.isfinite(float(figures[key])) and float(figures[key]) > 0, key


@pytest.mark.parametrize("processes", [1, 7])
def test_kernel_schedules_the_events_it_is_asked_for(processes: int) -> None:
    rate, wall = kernel_events_per_second(10_000, processes)
    scheduled = rate * wall
    # each process schedules events // processes timeouts (plus its start and end events)
    assert 10_000 - processes <= scheduled <= 10_000 + 3 * processes


@pytest.mark.slow
def test_bench_scaling_sees_proportionally_more_events() -> None:
    figures = bench_scaling(1_000, 3)
    assert figures["scaled_accounts"] == 3_000 and figures["factor"] == 3
    # three times the accounts and collectors give about three times the events
    assert 2.0 < figures["events_ratio"] < 4.5
    for key in ("time_ratio", "kernel_time_ratio", "model_work_time_ratio", "peak_rss_mb",
                "kernel_ratio", "scaled_kernel_ratio"):
        assert math.isfinite(float(figures[key])) and float(figures[key]) > 0, key


def test_bench_runs_any_scenario_with_its_collectors_scaled(
        capsys: pytest.CaptureFixture[str]) -> None:
    three = REPO / "scenarios" / "three_agencies.toml"
    own = scenario_at(None, three)
    half = scenario_at(own.portfolio.accounts // 2, three)
    assert half.portfolio.accounts == own.portfolio.accounts // 2
    for mine, theirs in zip(half.agencies, own.agencies, strict=True):
        assert mine.collectors == max(1, round(theirs.collectors / 2))
    assert main(["bench", "--scenario", str(three), "--accounts", "600", "--format",
                 "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["accounts"] == 600 and figures["events"] > 0
