"""This revision's model and another's, timed in turn in one run, and the table of both.

Both are timed the same way (:mod:`sim.bench.timer`, each replication in a fresh process), in
alternation — this revision, the other, this revision, … — so that whatever else loads the
machine during the run weighs on both alike. Each side's figure is the median of its runs; the
time ratio is the other revision's median over this one's (above 1: this revision is faster),
and its spread is the lowest and highest ratio of the runs taken pairwise (the i-th run of the
other revision over the i-th of this one). The processor time each replication spent is
kept beside its wall-clock time, and its ratio beside the time ratio: on a machine shared
with other work it moves less.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

TimedRun = Callable[[], dict[str, Any]]
"""Times one replication of one side and returns its figures (:func:`timer.time_replication`)."""


def alternate(current: TimedRun, other: TimedRun, repeats: int,
              progress: Callable[[str], None] | None = None
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``repeats`` runs of each side, interleaved: this revision first, then the other."""
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    for index in range(repeats):
        for side, runs, run in (("this revision", ours, current),
                                ("the other", theirs, other)):
            if progress is not None:
                progress(f"run {index + 1}/{repeats}: {side}")
            runs.append(run())
    return ours, theirs


def side_summary(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One side's figures: its runs' wall times, their median, the rate at the median, the
    largest peak memory, and the size it ran (the same in every run)."""
    if not runs:
        raise ValueError("no runs to summarise")
    first = runs[0]
    walls = [float(run["wall_seconds"]) for run in runs]
    median = statistics.median(walls)
    cpus = [float(run["cpu_seconds"]) for run in runs]
    events = [run.get("events") for run in runs]
    return {
        "scenario": first["scenario"],
        "overrides": list(first.get("overrides", [])),
        "accounts": first["accounts"],
        "collectors": first["collectors"],
        "program_days": first["program_days"],
        "wall_seconds": walls,
        "median_wall_seconds": median,
        "cpu_seconds": cpus,
        "median_cpu_seconds": statistics.median(cpus),
        "account_days_per_second": first["account_days"] / median,
        "events": events[0] if len(set(events)) == 1 else events,
        "peak_rss_mb": max(float(run["peak_rss_mb"]) for run in runs),
    }


def summarise(ours: Sequence[dict[str, Any]], theirs: Sequence[dict[str, Any]],
              current: str, against: str) -> dict[str, Any]:
    """Both sides and the ratio of the other revision's time to this one's."""
    if len(ours) != len(theirs):
        raise ValueError(f"unpaired runs: {len(ours)} of this revision, {len(theirs)} of the "
                         "other")
    mine, other = side_summary(ours), side_summary(theirs)
    pairs = [b / a for a, b in zip(mine["wall_seconds"], other["wall_seconds"], strict=True)]
    changed = mine["overrides"]
    return {
        "repeats": len(ours),
        "note": "each revision runs its own scenarios/baseline.toml, scaled to the same "
                "number of accounts with its collectors in proportion"
                + (f", with {' '.join(changed)}" if changed else ""),
        "current": {"revision": current, **mine},
        "against": {"revision": against, **other},
        "time_ratio": other["median_wall_seconds"] / mine["median_wall_seconds"],
        "time_ratio_low": min(pairs),
        "time_ratio_high": max(pairs),
        "cpu_time_ratio": other["median_cpu_seconds"] / mine["median_cpu_seconds"],
    }


def table_lines(summary: dict[str, Any]) -> list[str]:
    """The side-by-side table for the terminal."""
    sides = (summary["current"], summary["against"])

    def row(label: str, cell: Callable[[dict[str, Any]], str]) -> tuple[str, str, str]:
        return label, cell(sides[0]), cell(sides[1])

    rows = [
        ("", "this revision", "against"),
        row("revision", lambda side: side["revision"][:12]
            + (" +changes" if "uncommitted" in side["revision"] else "")),
        row("accounts", lambda side: f"{side['accounts']:,}"),
        row("collectors", lambda side: f"{side['collectors']:,}"),
        row("program days", lambda side: f"{side['program_days']:,}"),
        row("model time, median (s)", lambda side: f"{side['median_wall_seconds']:.2f}"),
        row("model time, runs (s)",
            lambda side: " ".join(f"{wall:.2f}" for wall in side["wall_seconds"])),
        row("CPU time, median (s)", lambda side: f"{side['median_cpu_seconds']:.2f}"),
        row("account-days per second", lambda side: f"{side['account_days_per_second']:,.0f}"),
        row("events", lambda side: _events(side["events"])),
        row("peak memory (MiB)", lambda side: f"{side['peak_rss_mb']:,.0f}"),
    ]
    label = max(len(row[0]) for row in rows)
    widths = [max(len(row[column]) for row in rows) for column in (1, 2)]
    lines = [f"{row[0]:<{label}}  {row[1]:>{widths[0]}}  {row[2]:>{widths[1]}}" for row in rows]
    lines.append(f"time ratio, against / this revision: {summary['time_ratio']:.2f}× (runs "
                 f"paired in turn: {summary['time_ratio_low']:.2f}–"
                 f"{summary['time_ratio_high']:.2f}×; above 1: this revision is faster), "
                 f"medians of {summary['repeats']} runs each, alternated; of CPU time: "
                 f"{summary['cpu_time_ratio']:.2f}×")
    lines.append(f"note: {summary['note']}")
    return lines


def _events(events: Any) -> str:
    if events is None:
        return "—"
    if isinstance(events, list):
        return "/".join("—" if count is None else f"{count:,}" for count in events)
    return f"{events:,}"
