"""Selecting the best scenario on a KPI: the procedures of :mod:`sim.experiment.select` and
:mod:`sim.experiment.ocba` run on simulated scenarios.

Every scenario runs replications ``0, 1, 2, …`` of one seed (the first scenario's unless one is
given), so replication *r* of each draws the same portfolio wherever the scenarios share a
``[portfolio]`` table: the outputs are paired, and the Kim–Nelson procedure screens on the
variance of their differences. Replications are sent to a backend
(:mod:`sim.experiment.backends`) in batches: the survivors of a stage, a few stages at once when
there are more workers than survivors. The KPI's direction (higher or lower is better) comes
from the KPI registry (:mod:`sim.model.kpis`); a KPI with no better direction cannot be
selected on.

:func:`select_best` returns a :class:`Selection`: the outcome, Hsu's intervals, a table of every
replication run (``used`` marks those the procedure's decisions read; a batch may run a few
beyond the stopping point) and a summary per scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.config.loading import ScenarioError
from sim.config.schema import Scenario
from sim.experiment.backends import Backend, open_backend
from sim.experiment.intervals import t_half_width
from sim.experiment.ocba import ocba
from sim.experiment.replicate import kpi_columns
from sim.experiment.select import (
    DEFAULT_MAX_REPS,
    DEFAULT_N0,
    SelectionOutcome,
    check_pcs,
    kim_nelson,
    mcb_intervals,
)
from sim.experiment.tasks import PointTask, run_point
from sim.model.kpis import BY_NAME, Direction
from sim.model.results import TOTAL

METHODS = ("kn", "ocba")


@dataclass
class Selection:
    """A selection among scenarios: its outcome, intervals and tables."""

    labels: list[str]
    kpi: str
    seed: int
    outcome: SelectionOutcome
    intervals: list[tuple[float, float]]
    runs: pd.DataFrame
    n0: int
    max_reps: int
    budget: int | None
    backend: str

    @property
    def best(self) -> str:
        """The selected scenario's name."""
        return self.labels[self.outcome.best]

    @property
    def summary(self) -> pd.DataFrame:
        """Per scenario: replications used and run, the stage it was eliminated at, the KPI's
        mean, sd and 95% half-width over the replications used, Hsu's interval, selected."""
        rows = []
        for i, label in enumerate(self.labels):
            values = self.outcome.outputs[i]
            run = int((self.runs["scenario"] == label).sum())
            low, high = self.intervals[i]
            rows.append({"scenario": label, "metric": self.kpi,
                         "replications": len(values), "replications_run": run,
                         "eliminated_at": self.outcome.eliminated_at[i],
                         "mean": float(np.mean(values)),
                         "sd": float(np.std(values, ddof=1)) if len(values) > 1 else math.nan,
                         "ci95": t_half_width(values), "mcb_low": low, "mcb_high": high,
                         "selected": i == self.outcome.best})
        table = pd.DataFrame(rows)
        table["eliminated_at"] = pd.array(table["eliminated_at"], dtype="Int64")
        return table

    def as_json(self) -> dict[str, Any]:
        """``{"best", "replications", "equal_allocation_replications", "pcs", "delta",
        "intervals"}``."""
        return {"best": self.best,
                "replications": dict(zip(self.labels, self.outcome.replications, strict=True)),
                "equal_allocation_replications": self.outcome.equal_allocation,
                "pcs": self.outcome.pcs, "delta": self.outcome.delta,
                "intervals": {label: list(interval) for label, interval
                              in zip(self.labels, self.intervals, strict=True)}}


def direction_of(kpi: str) -> bool:
    """Whether higher is better for ``kpi`` (raises the one-line input error for an unknown
    KPI or one with no better direction)."""
    entry = BY_NAME.get(kpi)
    if entry is None:
        raise ScenarioError("--kpi", None, "unknown KPI (`collectsim kpis` lists them)", kpi)
    if entry.direction is Direction.NEITHER:
        raise ScenarioError("--kpi", None, "has no better direction (neither higher nor lower "
                            "is better), so there is no best", kpi)
    return entry.direction is Direction.HIGHER


def check_settings(k: int, kpi: str, delta: float, pcs: float | None, *, method: str = "kn",
                   budget: int | None = None, n0: int = DEFAULT_N0,
                   max_reps: int = DEFAULT_MAX_REPS) -> bool:
    """Refuse bad settings with the one-line input error; return whether higher is better."""
    if k < 2:
        raise ScenarioError("select", None, "needs at least two scenario files", k)
    maximise = direction_of(kpi)
    if not (math.isfinite(delta) and delta > 0):
        raise ScenarioError("--delta", None, "must be a positive number in the KPI's unit",
                            delta)
    if method not in METHODS:
        raise ScenarioError("--method", None, f"must be one of {', '.join(METHODS)}", method)
    if n0 < 2:
        raise ScenarioError("--n0", None, "must be at least 2", n0)
    if method == "kn":
        if pcs is None:
            raise ScenarioError("--pcs", None, "is needed with --method kn", pcs)
        try:
            check_pcs(pcs, k)
        except ValueError as exc:
            raise ScenarioError("--pcs", None, str(exc), pcs) from None
        if max_reps < n0:
            raise ScenarioError("--max-reps", None, f"must be at least --n0 ({n0})", max_reps)
    else:
        if budget is None:
            raise ScenarioError("--budget", None, "is needed with --method ocba", budget)
        if budget < k * n0:
            raise ScenarioError("--budget", None, f"must be at least scenarios × --n0 = "
                                f"{k * n0}", budget)
    return maximise


class _ScenarioSampler:
    """Runs (scenario, replication) requests on a backend and keeps every row it ran."""

    def __init__(self, scenarios: Sequence[Scenario], labels: Sequence[str], kpi: str,
                 seed: int, engine: Backend,
                 progress: Callable[[int, int, int], None] | None) -> None:
        self.scenarios = scenarios
        self.labels = labels
        self.kpi = kpi
        self.seed = seed
        self.engine = engine
        self.progress = progress
        self.rows: list[dict[str, Any]] = []
        self.asked = 0

    def __call__(self, requests: Sequence[tuple[int, int]]) -> list[float]:
        tasks = [PointTask(point=i, replication=r, seed=self.seed, base=self.scenarios[i],
                           label=self.labels[i], keep_daily=False) for i, r in requests]
        values = [math.nan] * len(tasks)
        done = len(self.rows)
        self.asked += len(tasks)
        for index, outcome in self.engine.map(run_point, tasks):
            task = tasks[index]
            if isinstance(outcome, BaseException):
                raise outcome
            if not outcome.ok:
                raise RuntimeError(f"{self.labels[task.point]} replication {task.replication} "
                                   f"failed: {outcome.error}")
            total = outcome.kpis[TOTAL]
            values[index] = float(total[self.kpi])
            self.rows.append({"scenario": self.labels[task.point], "order": task.point,
                              "replication": task.replication, "seed": self.seed, **total})
            done += 1
            if self.progress is not None:
                self.progress(done, 0, self.asked)
        return values

    def table(self, used: Sequence[int]) -> pd.DataFrame:
        """Every replication run, in (scenario, replication) order, with ``used``."""
        runs = pd.DataFrame(self.rows).sort_values(["order", "replication"], kind="stable")
        runs.insert(3, "used", [r < used[o] for o, r in zip(runs["order"], runs["replication"],
                                                           strict=True)])
        columns = ["scenario", "replication", "seed", "used", *kpi_columns(runs)]
        return runs[columns].reset_index(drop=True)


def select_best(scenarios: Sequence[Scenario], kpi: str, delta: float, pcs: float | None = None,
                *, method: str = "kn", budget: int | None = None, n0: int = DEFAULT_N0,
                max_reps: int = DEFAULT_MAX_REPS, seed: int | None = None,
                labels: Sequence[str] | None = None, backend: str | Backend | None = None,
                workers: int | None = None, scheduler: str | None = None,
                progress: Callable[[int, int, int], None] | None = None) -> Selection:
    """Select the best of ``scenarios`` on ``kpi`` (program total) with Kim–Nelson
    (``method="kn"``: ``delta``, ``pcs``, ``n0``, ``max_reps``) or OCBA (``method="ocba"``:
    ``budget`` replications in all). A failed replication raises :class:`RuntimeError`."""
    labels = list(labels) if labels is not None else [s.scenario.name for s in scenarios]
    if len(set(labels)) != len(labels):
        twice = next(label for label in labels if labels.count(label) > 1)
        raise ScenarioError("select", None, "two scenarios have the same [scenario] name; "
                            "rename one", twice)
    maximise = check_settings(len(scenarios), kpi, delta, pcs, method=method, budget=budget,
                              n0=n0, max_reps=max_reps)
    seed = scenarios[0].scenario.seed if seed is None else seed
    own = not isinstance(backend, Backend)
    engine = backend if isinstance(backend, Backend) else open_backend(backend, workers,
                                                                       scheduler)
    try:
        sampler = _ScenarioSampler(scenarios, labels, kpi, seed, engine, progress)
        try:
            if method == "kn":
                assert pcs is not None
                outcome = kim_nelson(
                    sampler, len(scenarios), delta, pcs, maximise=maximise, n0=n0,
                    max_reps=max_reps,
                    batch_stages=lambda alive: math.ceil(engine.workers / alive))
            else:
                assert budget is not None
                outcome = ocba(sampler, len(scenarios), budget, delta, maximise=maximise,
                               n0=n0, step=max(len(scenarios), engine.workers))
        except ValueError as exc:  # a KPI with no value in some replication
            raise RuntimeError(f"{kpi}: {exc}") from None
        name = engine.describe()
    finally:
        if own:
            engine.close()
    level = pcs if pcs is not None else 0.95
    return Selection(labels=labels, kpi=kpi, seed=seed, outcome=outcome,
                     intervals=mcb_intervals(outcome.outputs, level, maximise),
                     runs=sampler.table(outcome.replications), n0=n0, max_reps=max_reps,
                     budget=budget, backend=name)
