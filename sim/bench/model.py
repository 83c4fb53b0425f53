"""The project's own benchmark: the model against the bare SimPy kernel, in one process.

:func:`bench_model` runs the baseline scenario (or any other) at a chosen number of accounts
(collectors scaled in proportion, so the work per account stays the same) and then, in the same
process, the bare SimPy kernel scheduling the same number of events: as many processes as the
model has collectors, each looping on ``timeout`` with exponential delays, so the event heap has
a similar size. Their events per second and the ratio between them are what the performance
targets are stated in; absolute times on a shared machine are noise, ratios measured in one run
are not.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from sim.config.loading import load_scenario
from sim.config.schema import Scenario
from sim.model.replication import run_replication
from sim.model.world import CountingEnvironment

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
BASELINE_ACCOUNTS = 20_000


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2**20


def scaled_overrides(accounts: int, base_accounts: int = BASELINE_ACCOUNTS,
                     collectors: dict[str, int] | None = None) -> list[str]:
    """Overrides that scale the baseline to ``accounts`` with collectors in proportion."""
    collectors = collectors if collectors is not None else {"alpha": 20, "beta": 20}
    factor = accounts / base_accounts
    overrides = [f"portfolio.accounts={accounts}"]
    overrides += [f"agencies.{name}.collectors={max(1, round(count * factor))}"
                  for name, count in collectors.items()]
    return overrides


def kernel_events_per_second(events: int, processes: int, seed: int = 0) -> tuple[float, float]:
    """Time the bare SimPy kernel scheduling ``events`` timeouts from ``processes`` loops (in
    the environment the model runs in, which counts its events at no cost)."""
    env = CountingEnvironment()
    per_process = max(1, events // max(1, processes))
    delays = np.random.default_rng(seed).exponential(1.0, per_process).tolist()

    def loop() -> Generator[simpy.Event, Any, None]:
        for delay in delays:
            yield env.timeout(delay)

    for _ in range(max(1, processes)):
        env.process(loop())
    started = time.perf_counter()
    env.run()
    wall = time.perf_counter() - started
    scheduled = env.events_scheduled
    return scheduled / wall, wall


def bench_scaling(accounts: int, factor: int, scenario_path: Path = BASELINE
                  ) -> dict[str, float | int]:
    """The model at ``accounts`` and at ``factor`` times as many, one after the other in this
    process: the time ratio (``factor`` for linear scaling) and the larger run's memory.

    ``kernel_time_ratio`` is the same ratio for the bare kernel scheduling each run's events
    from as many processes as that run has collectors (the event heap deepens as collectors
    are added); ``model_work_time_ratio`` is the ratio of what remains of the model's time once
    the kernel's time for the same events is taken away: the growth of the model's own work.
    """
    small = bench_model(accounts, scenario_path)
    large = bench_model(accounts * factor, scenario_path)
    return {
        "accounts": accounts, "scaled_accounts": accounts * factor, "factor": factor,
        "wall_seconds": small["wall_seconds"], "scaled_wall_seconds": large["wall_seconds"],
        "time_ratio": large["wall_seconds"] / small["wall_seconds"],
        "kernel_time_ratio": large["kernel_wall_seconds"] / small["kernel_wall_seconds"],
        "model_work_time_ratio": (large["wall_seconds"] - large["kernel_wall_seconds"])
        / max(1e-9, small["wall_seconds"] - small["kernel_wall_seconds"]),
        "events_ratio": large["events"] / small["events"],
        "events_per_second": small["events_per_second"],
        "scaled_events_per_second": large["events_per_second"],
        "kernel_ratio": small["kernel_ratio"], "scaled_kernel_ratio": large["kernel_ratio"],
        "peak_rss_mb": large["peak_rss_mb"],
        "bytes_per_account": large["bytes_per_account"],
    }


def scenario_at(accounts: int | None, scenario_path: Path = BASELINE) -> Scenario:
    """The scenario at ``path`` scaled to ``accounts`` (its own size if ``None``), every
    agency's collectors scaled in proportion so the work per account stays the same."""
    base = load_scenario(scenario_path)
    if accounts is None:
        return base
    crews = {agency.name: agency.collectors for agency in base.agencies}
    return load_scenario(scenario_path,
                         scaled_overrides(accounts, base.portfolio.accounts, crews))


def bench_model(accounts: int | None = None, scenario_path: Path = BASELINE,
                seed: int | None = None) -> dict[str, float | int]:
    """Run the scenario (the baseline unless told), scaled to ``accounts``, once, and the
    bare kernel once; return the figures."""
    scenario = scenario_at(accounts, scenario_path)
    accounts = scenario.portfolio.accounts
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    result = run_replication(scenario, 0, seed)
    wall = time.perf_counter() - started
    rss_after = peak_rss_mb()
    events = int(result.meta["events_scheduled"])
    collectors = sum(a.collectors for a in scenario.agencies)
    kernel_rate, kernel_wall = kernel_events_per_second(events, collectors)
    model_rate = events / wall
    return {
        "accounts": accounts,
        "wall_seconds": wall,
        "events": events,
        "events_per_second": model_rate,
        "kernel_events_per_second": kernel_rate,
        "kernel_wall_seconds": kernel_wall,
        "kernel_ratio": model_rate / kernel_rate,
        "accounts_per_second": accounts / wall,
        "peak_rss_mb": rss_after,
        "bytes_per_account": max(0.0, rss_after - rss_before) * 2**20 / accounts,
    }
