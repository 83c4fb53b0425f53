"""The project's own benchmark of the model: account-days per second, and how time grows
with size.

:func:`bench_model` times one replication of the baseline scenario (or any other) at a chosen
number of accounts, collectors scaled in proportion so the work per collector stays the same
(:mod:`sim.bench.timer`, which also defines the rate: accounts × program days simulated per
second of model time). :func:`bench_scaling` times two sizes, each in a fresh process of this
interpreter so that each peak memory is its own run's, and reports how much longer the larger
takes: linear scaling is a time ratio equal to the size ratio.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.bench import timer
from sim.bench.revisions import CURRENT_ROOT, Runner, run_command, run_timer
from sim.config.loading import load_scenario
from sim.config.schema import Scenario

BASELINE = CURRENT_ROOT / "scenarios" / "baseline.toml"
SCALING_ACCOUNTS = 100_000
"""Smaller size of ``bench --scaling`` unless ``--accounts`` says otherwise."""
SCALING_FACTOR = 10
"""Size ratio of ``bench --scaling`` unless given: 100,000 against 1,000,000 accounts."""


def scenario_at(accounts: int | None, scenario_path: Path = BASELINE,
                overrides: Sequence[str] = ()) -> Scenario:
    """The scenario at ``path`` with ``overrides``, scaled to ``accounts`` (its own size if
    ``None``) as the benchmark scales it (:func:`sim.bench.timer.time_replication`)."""
    base = load_scenario(scenario_path, overrides)
    if accounts is None:
        return base
    crews = {agency.name: agency.collectors for agency in base.agencies}
    return load_scenario(scenario_path, timer.scaling_overrides(
        accounts, base.portfolio.accounts, crews) + list(overrides))


def bench_model(accounts: int | None = None, scenario_path: Path = BASELINE,
                seed: int | None = None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Time one replication of the scenario (the baseline unless told) with ``overrides``,
    scaled to ``accounts``, in this process."""
    return timer.time_replication(scenario_path, accounts, seed, overrides)


def bench_scaling(accounts: int, factor: int, scenario_path: Path = BASELINE,
                  runner: Runner = run_command, repeats: int = 1,
                  overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Time the scenario at ``accounts`` and at ``factor`` times as many, each in its own
    process of this interpreter: the time ratio (``factor`` for linear scaling) of wall-clock
    and of processor time, the events ratio, and each run's peak memory.

    With ``repeats`` above 1 the two sizes are run in turn that many times (smaller, larger,
    smaller, …), the figures are of each size's median times, and the lowest and highest
    ratio of the pairs taken in turn are added (``time_ratio_low``, ``time_ratio_high``).
    ``overrides`` (``KEY=VALUE``) change the scenario at both sizes."""
    request = {"scenario": str(scenario_path), "overrides": list(overrides)}
    pairs = [tuple(run_timer(None, CURRENT_ROOT, {**request, "accounts": size}, runner)
                   for size in (accounts, accounts * factor)) for _ in range(repeats)]
    small, large = (median_run([pair[k] for pair in pairs]) for k in (0, 1))
    figures = scaling_figures(small, large, factor)
    if repeats > 1:
        ratios = [b["wall_seconds"] / a["wall_seconds"] for a, b in pairs]
        figures.update(repeats=repeats, time_ratio_low=min(ratios), time_ratio_high=max(ratios))
    return figures


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One size's figures over its ``runs``: median wall-clock and processor time (the rate
    from the median), the largest peak memory."""
    wall = statistics.median(run["wall_seconds"] for run in runs)
    return {**runs[0], "wall_seconds": wall,
            "cpu_seconds": statistics.median(run["cpu_seconds"] for run in runs),
            "account_days_per_second": runs[0]["account_days"] / wall,
            "peak_rss_mb": max(run["peak_rss_mb"] for run in runs)}


def scaling_figures(small: dict[str, Any], large: dict[str, Any], factor: int
                    ) -> dict[str, Any]:
    """The scaling summary of two timed runs (figures of :func:`timer.time_replication`)."""
    events = (large["events"] / small["events"]
              if small.get("events") and large.get("events") is not None else None)
    return {
        "overrides": small.get("overrides", []),
        "accounts": small["accounts"], "scaled_accounts": large["accounts"], "factor": factor,
        "collectors": small["collectors"], "scaled_collectors": large["collectors"],
        "program_days": small["program_days"],
        "wall_seconds": small["wall_seconds"], "scaled_wall_seconds": large["wall_seconds"],
        "time_ratio": large["wall_seconds"] / small["wall_seconds"],
        "cpu_seconds": small["cpu_seconds"], "scaled_cpu_seconds": large["cpu_seconds"],
        "cpu_time_ratio": large["cpu_seconds"] / small["cpu_seconds"],
        "events_ratio": events,
        "account_days_per_second": small["account_days_per_second"],
        "scaled_account_days_per_second": large["account_days_per_second"],
        "peak_rss_mb": small["peak_rss_mb"],
        "scaled_peak_rss_mb": large["peak_rss_mb"],
    }
