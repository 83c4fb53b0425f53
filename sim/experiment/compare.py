"""Paired comparison of scenarios on common random numbers.

Every scenario runs replications ``0 .. R-1`` with the *same* seed (the first scenario's unless
one is given), so replication *r* of each draws the same portfolio wherever the scenarios share
a ``[portfolio]`` table, and the same streams for everything else they have in common. Each
KPI's difference to the first scenario is then estimated replication by replication, with a
paired Student-t interval (:mod:`sim.experiment.intervals`); a difference is significant when
its interval excludes zero. Next to it stands the Welch half-width the same replications would
give if the scenarios had been run independently, and the ratio of the two: the variance
reduction bought by common random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.loading import ScenarioError
from sim.config.plain import json_ready
from sim.config.schema import Scenario
from sim.experiment.backends import Backend, open_backend
from sim.experiment.intervals import paired_difference
from sim.experiment.replicate import summarise
from sim.experiment.tasks import PointTask, run_point
from sim.model.kpis import (
    BY_NAME,
    KPI_NAMES,
    MISSING,
    format_difference,
    format_half,
    format_interval,
)
from sim.model.results import TOTAL


@dataclass
class Comparison:
    """Runs of several scenarios and their differences to the first, as DataFrames."""

    labels: list[str]
    seed: int
    reps: int
    agency: str
    runs: pd.DataFrame
    differences: pd.DataFrame
    summary: pd.DataFrame
    backend: str = "serial"

    @property
    def base(self) -> str:
        """The scenario the others are compared with."""
        return self.labels[0]


def unique_labels(names: Sequence[str], files: Sequence[str] | None = None) -> list[str]:
    """Scenario names made unique: clashing names become file stems, then get ``#k``."""
    labels = list(names)
    if files is not None:
        labels = [n if labels.count(n) == 1 else Path(f).stem
                  for n, f in zip(labels, files, strict=True)]
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        if labels.count(label) == 1:
            result.append(label)
        else:
            seen[label] = seen.get(label, 0) + 1
            result.append(f"{label}#{seen[label]}")
    return result


def differences(runs: pd.DataFrame, labels: Sequence[str], metrics: Sequence[str],
                agency: str = TOTAL) -> pd.DataFrame:
    """Each scenario's paired difference to ``labels[0]`` for each metric of ``agency``."""
    rows: list[dict[str, Any]] = []
    chosen = runs[runs["agency"] == agency]
    base = chosen[chosen["scenario"] == labels[0]].set_index("replication").sort_index()
    for label in labels[1:]:
        other = chosen[chosen["scenario"] == label].set_index("replication").sort_index()
        shared = base.index.intersection(other.index)
        for metric in metrics:
            d = paired_difference(base.loc[shared, metric].to_numpy(dtype=float),
                                  other.loc[shared, metric].to_numpy(dtype=float))
            rows.append({"scenario": label, "base": labels[0], "agency": agency,
                         "metric": metric, "n": d.n, "base_mean": d.mean_a, "mean": d.mean_b,
                         "diff": d.diff, "ci95": d.ci95, "low": d.low, "high": d.high,
                         "p_value": d.p_value, "significant": d.significant,
                         "ci95_unpaired": d.ci95_unpaired, "paired_to_unpaired": d.ratio})
    return pd.DataFrame(rows)


def compare(scenarios: Sequence[Scenario], reps: int = 5, seed: int | None = None, *,
            metrics: Sequence[str] = KPI_NAMES, agency: str = TOTAL,
            labels: Sequence[str] | None = None, backend: str | Backend | None = None,
            workers: int | None = None, scheduler: str | None = None,
            progress: Callable[[int, int, int], None] | None = None) -> Comparison:
    """Run every scenario on replications ``0 .. reps-1`` of one seed and compare them with
    the first. A failed run raises (a comparison needs every pair)."""
    if len(scenarios) < 2:
        raise ScenarioError("compare", None, "needs at least two scenarios", len(scenarios))
    if reps < 2:
        raise ScenarioError("--reps", None, "a paired comparison needs at least 2", reps)
    unknown = [m for m in metrics if m not in BY_NAME]
    if unknown:
        raise ScenarioError("--metric", None, f"unknown KPI {unknown[0]!r}", unknown[0])
    for scenario in scenarios:
        names = {a.name for a in scenario.agencies} | {TOTAL}
        if agency not in names:
            raise ScenarioError("--agency", None,
                                f"scenario {scenario.scenario.name!r} has no agency {agency!r}",
                                agency)
    labels = list(labels) if labels is not None \
        else unique_labels([s.scenario.name for s in scenarios])
    seed = scenarios[0].scenario.seed if seed is None else seed
    tasks = [PointTask(point=k, replication=r, seed=seed, base=scenario, label=labels[k],
                       keep_daily=False)
             for r in range(reps) for k, scenario in enumerate(scenarios)]
    own = not isinstance(backend, Backend)
    engine = backend if isinstance(backend, Backend) else open_backend(backend, workers,
                                                                       scheduler)
    rows: list[dict[str, Any]] = []
    try:
        for count, (index, outcome) in enumerate(engine.map(run_point, tasks), start=1):
            task = tasks[index]
            if isinstance(outcome, BaseException):
                raise outcome
            if not outcome.ok:
                raise RuntimeError(f"{labels[task.point]} replication {task.replication} "
                                   f"failed: {outcome.error}")
            for name, values in outcome.kpis.items():
                rows.append({"scenario": labels[task.point], "order": task.point,
                             "replication": task.replication, "seed": seed, "agency": name,
                             **values})
            if progress is not None:
                progress(count, 0, len(tasks))
        name = engine.describe()
    finally:
        if own:
            engine.close()
    runs = pd.DataFrame(rows).sort_values(["order", "replication"], kind="stable")
    runs = runs.drop(columns="order").reset_index(drop=True)
    summary = pd.concat([summarise(runs[runs["scenario"] == label], metrics)
                         .assign(scenario=label) for label in labels], ignore_index=True)
    summary = summary[summary["agency"] == agency][
        ["scenario", "agency", "metric", "mean", "sd", "ci95", "n"]].reset_index(drop=True)
    return Comparison(labels=labels, seed=seed, reps=reps, agency=agency, runs=runs,
                      differences=differences(runs, labels, metrics, agency),
                      summary=summary, backend=name)


# --------------------------------------------------------------------------- presentation


def comparison_text(result: Comparison) -> str:
    """The comparison as a plain-text table per compared scenario."""
    lines = [f"paired comparison with {result.base!r}: seed {result.seed}, {result.reps} "
             f"replications on common random numbers, agency {result.agency}",
             "base, scenario: mean ±95% half-width; diff = scenario − base, ±95% paired "
             "half-width; * = interval excludes 0; ratio = paired / unpaired (Welch) "
             "half-width"]
    header = ("metric", "base", "scenario", "diff", "±paired", "±unpaired", "ratio", "")
    half = {(str(r["scenario"]), str(r["metric"])): r["ci95"]
            for _, r in result.summary.iterrows()}

    def level(label: str, metric: str, mean: Any) -> str:
        return format_interval(metric, mean, half.get((label, metric)))

    for label in result.labels[1:]:
        table = result.differences[result.differences["scenario"] == label]
        cells = [header]
        for _, row in table.iterrows():
            metric = row["metric"]
            ratio = row["paired_to_unpaired"]
            cells.append((metric, level(result.base, metric, row["base_mean"]),
                          level(label, metric, row["mean"]),
                          format_difference(metric, row["diff"]),
                          format_half(metric, row["ci95"]).removeprefix("±"),
                          format_half(metric, row["ci95_unpaired"]).removeprefix("±"),
                          f"{ratio:.2f}" if math.isfinite(ratio) else MISSING,
                          "*" if row["significant"] else ""))
        widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
        lines.append("")
        lines.append(f"{label} vs {result.base}")
        for c in cells:
            lines.append("  ".join([c[0].ljust(widths[0])]
                                   + [c[i].rjust(widths[i]) for i in range(1, len(c))])
                         .rstrip())
    return "\n".join(lines)


def comparison_json(result: Comparison) -> dict[str, Any]:
    """``{"base", "seed", "reps", "agency", "comparisons": [{"scenario", "kpis": {...}}]}``."""
    keys = ("base_mean", "mean", "diff", "ci95", "low", "high", "p_value", "significant",
            "ci95_unpaired", "paired_to_unpaired")
    comparisons = []
    for label in result.labels[1:]:
        table = result.differences[result.differences["scenario"] == label]
        comparisons.append({"scenario": label, "kpis": {
            row["metric"]: {k: row[k] for k in keys} for _, row in table.iterrows()}})
    return json_ready({"base": result.base, "seed": result.seed, "reps": result.reps,
                       "agency": result.agency, "comparisons": comparisons})
