"""A side-by-side table of scenarios: the KPIs a planner compares, with 95% intervals.

``collectsim table SCENARIO... --reps N`` runs each scenario with ``N`` replications (on the
same seeds, so the portfolios are common random numbers wherever scenarios share a
``[portfolio]``) and prints one row per scenario: mean and 95% half-width of each metric for
the whole program. The README's "What the scenarios show" table is made this way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.config.loading import load_scenario
from sim.experiment.replicate import replicate, summarise
from sim.model.results import TOTAL

DEFAULT_METRICS = ("recovery_rate", "netback_rate", "rpc_rate", "ptp_kept_rate",
                   "complaints_per_1000", "rule_violations", "cx_index",
                   "never_attempted_share")
PERCENT = ("_rate", "_share")


def scenario_table(paths: Sequence[Path], reps: int = 5, metrics: Sequence[str] = DEFAULT_METRICS,
                   seed: int | None = None, backend: str = "serial",
                   workers: int | None = None) -> pd.DataFrame:
    """One row per scenario and metric: mean, 95% half-width and replications."""
    rows = []
    for path in paths:
        scenario = load_scenario(path)
        runs = replicate(scenario, reps, seed, backend=backend, workers=workers)
        summary = summarise(runs.kpis, metrics)
        total = summary[summary["agency"] == TOTAL].set_index("metric")
        for metric in metrics:
            rows.append({"scenario": scenario.scenario.name, "file": str(path),
                         "metric": metric, "mean": float(total.loc[metric, "mean"]),
                         "ci95": float(total.loc[metric, "ci95"]), "reps": runs.reps})
    return pd.DataFrame(rows)


def _cell(metric: str, mean: float, ci95: float) -> str:
    if not math.isfinite(mean):
        return "–"
    if metric.endswith(PERCENT):
        text = f"{100 * mean:.1f}%"
        return text + (f" ±{100 * ci95:.1f}" if math.isfinite(ci95) else "")
    digits = 0 if abs(mean) >= 100 else 1
    text = f"{mean:,.{digits}f}"
    return text + (f" ±{ci95:,.{digits}f}" if math.isfinite(ci95) else "")


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown: scenarios down, metrics across, ``mean ±half-width``."""
    metrics = list(dict.fromkeys(table["metric"]))
    lines = ["| scenario | " + " | ".join(f"`{m}`" for m in metrics) + " |",
             "|---" * (len(metrics) + 1) + "|"]
    for name, group in table.groupby("scenario", sort=False):
        cells = {r.metric: _cell(r.metric, r.mean, r.ci95) for r in group.itertuples()}
        lines.append(f"| {name} | " + " | ".join(cells[m] for m in metrics) + " |")
    reps = int(table["reps"].iloc[0]) if len(table) else 0
    lines.append("")
    lines.append(f"Mean ±95% half-width over {reps} replications per scenario.")
    return "\n".join(lines)
