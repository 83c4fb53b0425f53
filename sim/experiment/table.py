"""A side-by-side table of scenarios: the KPIs a planner compares, with 95% intervals.

``collectsim table SCENARIO... --reps N`` runs each scenario with ``N`` replications (on the
same seeds, so the portfolios are common random numbers wherever scenarios share a
``[portfolio]``) and prints one row per scenario: mean and 95% half-width of each metric for
the whole program, each in its unit (:mod:`sim.model.kpis`). The README's "What the scenarios
show" table is made this way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from sim.config.loading import load_scenario
from sim.config.schema import Scenario
from sim.experiment.backends import Backend, open_backend
from sim.experiment.replicate import replicate, summarise
from sim.model.kpis import format_interval
from sim.model.results import TOTAL

DEFAULT_METRICS = ("recovery_rate", "netback_rate", "cost_per_dollar_collected",
                   "agency_margin", "cure_rate", "roll_forward_rate", "charged_off_share",
                   "delinquency_change", "ptp_kept_rate", "complaints_per_1000",
                   "conduct_breaches", "cx_index", "never_attempted_share")


def scenario_table(scenarios: Sequence[Path | Scenario], reps: int = 5,
                   metrics: Sequence[str] = DEFAULT_METRICS, seed: int | None = None,
                   backend: str = "serial", workers: int | None = None,
                   scheduler: str | None = None, files: Sequence[Path] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """One row per scenario and metric: mean, 95% half-width and replications.

    ``scenarios`` are files or scenarios already loaded (then ``files`` names their files).
    ``progress(done, total)`` is called as replications finish, counted over every scenario
    (``total`` = scenarios × ``reps``). One backend (``backend``, ``workers``, ``scheduler``,
    as :func:`~sim.experiment.backends.open_backend` takes them) serves every scenario."""
    with open_backend(backend, workers, scheduler, parallel_default=False) as engine:
        return _table(scenarios, reps, metrics, seed, engine, files, progress)


def _table(scenarios: Sequence[Path | Scenario], reps: int, metrics: Sequence[str],
           seed: int | None, engine: Backend, files: Sequence[Path] | None,
           progress: Callable[[int, int], None] | None) -> pd.DataFrame:
    rows = []
    every = len(scenarios) * reps
    for k, item in enumerate(scenarios):
        scenario = item if isinstance(item, Scenario) else load_scenario(item)
        path = files[k] if files is not None else item

        def report(done: int, _: int, before: int = k * reps) -> None:
            if progress is not None:
                progress(before + done, every)

        runs = replicate(scenario, reps, seed, backend=engine, progress=report)
        summary = summarise(runs.kpis, metrics)
        total = summary[summary["agency"] == TOTAL].set_index("metric")
        for metric in metrics:
            rows.append({"scenario": scenario.scenario.name, "file": str(path),
                         "metric": metric, "mean": float(total.loc[metric, "mean"]),
                         "ci95": float(total.loc[metric, "ci95"]), "reps": runs.reps})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown: scenarios down, metrics across, ``mean ±half-width``."""
    metrics = list(dict.fromkeys(table["metric"]))
    reps = int(table["reps"].iloc[0]) if len(table) else 0
    lines = ["| scenario | " + " | ".join(f"`{m}`" for m in metrics) + " |",
             "|---" * (len(metrics) + 1) + "|"]
    for name, group in table.groupby("scenario", sort=False):
        cells = {str(r.metric): format_interval(str(r.metric), r.mean, r.ci95, reps > 1)
                 for r in group.itertuples()}
        lines.append(f"| {name} | " + " | ".join(cells[m] for m in metrics) + " |")
    lines.append("")
    lines.append(f"Mean ±95% half-width over {reps} replications per scenario.")
    return "\n".join(lines)
