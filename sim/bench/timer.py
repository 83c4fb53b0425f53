"""One timed replication, through the public seam every revision of the package has.

This module imports nothing but the standard library at load time and, when it runs, only
``sim.load_scenario(path, overrides)`` and ``sim.run_replication(scenario, replication,
seed)``: the package's public API, exported by every revision since the v1 model (commit
9952e26). So the same source can time the revision it belongs to (imported, or run as a
script by this interpreter) and any other revision (run as a script by that revision's own
Python, in a working directory holding that revision's ``sim``), and both are measured the
same way.

Run as a script it reads one JSON object from its last argument — ``{"scenario": PATH,
"accounts": N or null, "seed": S or null, "overrides": [KEY=VALUE, ...]}`` (overrides
optional) — and prints the figures of :func:`time_replication` as one JSON object.

The scenario is scaled by ``--set`` overrides: ``portfolio.accounts`` set to
``accounts`` and every agency's collectors multiplied by the new number of accounts over the
file's, rounded half up and at least one (the rule of ``--scale-collectors``), so the work per
collector stays the same. The caller's own overrides come after these, so a number of
collectors it sets is kept as set. An *account-day* is one account simulated for one day of the
program (from the first placement to the last recall); account-days per second is the
benchmark's rate, since the number of events a replication schedules depends on how the model
is built (a batched dialler places many dials in one event).
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def scaled_collectors(collectors: int, ratio: float) -> int:
    """``collectors × ratio`` rounded half up, at least 1 (0 stays 0)."""
    if collectors == 0:
        return 0
    return max(1, math.floor(collectors * ratio + 0.5))


def scaling_overrides(accounts: int, file_accounts: int,
                      collectors: dict[str, int]) -> list[str]:
    """``--set`` overrides that scale a scenario of ``file_accounts`` to ``accounts``, the
    agencies' ``collectors`` (by name) in proportion."""
    ratio = accounts / file_accounts
    return [f"portfolio.accounts={accounts}"] + [
        f"agencies.{name}.collectors={scaled_collectors(count, ratio)}"
        for name, count in collectors.items()]


def program_days(scenario: Any) -> int:
    """Days from the first placement to the last recall: the last vintage's placement day
    plus one placement (two with a second placement). Fields a revision does not have take
    the values that mean "one vintage, no second placement"."""
    bank = getattr(scenario, "bank", None)
    vintages = int(getattr(bank, "vintages", 1))
    every = int(getattr(bank, "vintage_every_days", 0))
    placements = 2 if getattr(bank, "second_placement", None) is not None else 1
    return (vintages - 1) * every + placements * int(scenario.scenario.horizon_days)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2**20


def time_replication(scenario_path: str | Path, accounts: int | None = None,
                     seed: int | None = None, overrides: Sequence[str] = ()) -> dict[str, Any]:
    """Load the scenario with ``overrides`` (scaled to ``accounts`` unless ``None``), run
    replication 0 once and return its size, model time (the replication alone, not the
    loading: wall-clock, and the processor time this process spent, which other work on a
    shared machine disturbs less), events, account-days per second (of wall-clock time) and
    this process's peak memory."""
    import sim

    overrides = list(overrides)
    scenario = sim.load_scenario(scenario_path, overrides)
    if accounts is not None:
        crews = {agency.name: int(agency.collectors) for agency in scenario.agencies}
        scenario = sim.load_scenario(scenario_path, scaling_overrides(
            accounts, int(scenario.portfolio.accounts), crews) + overrides)
    days = program_days(scenario)
    size = int(scenario.portfolio.accounts)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = sim.run_replication(scenario, 0, seed)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    events = getattr(result, "meta", {}).get("events_scheduled")
    return {
        "scenario": str(scenario_path),
        "overrides": overrides,
        "accounts": size,
        "collectors": sum(int(agency.collectors) for agency in scenario.agencies),
        "program_days": days,
        "account_days": size * days,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "account_days_per_second": size * days / wall,
        "events": None if events is None else int(events),
        "peak_rss_mb": peak_rss_mb(),
    }


def main(argv: list[str]) -> int:
    """Time one replication as the last argument asks and print the figures as JSON."""
    request = json.loads(argv[-1])
    figures = time_replication(request["scenario"], request.get("accounts"),
                               request.get("seed"), request.get("overrides", []))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
