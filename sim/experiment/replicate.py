"""Replications of one scenario and their summary: mean, standard deviation, 95% interval.

Replication *r* of seed *S* always uses the streams of ``SeedSequence(S).spawn(...)[r]``
(see :mod:`sim.model.rng`), so any replication re-run on its own gives the same result as inside a
batch, and results do not depend on how many replications run, on which backend, or in what
order they finish.

:func:`replicate` runs replications on any backend (:mod:`sim.experiment.backends`) and, given
precision targets, keeps adding replications until each target's 95% half-width is reached — the
sequential procedure of Hoad, Robinson & Davies (2010, J. Oper. Res. Soc. 61:1632): start with
at least three replications; once the precision is met at *n*, confirm it stays met for the
next ``f(n)`` replications (``f = 5``, or ``5·n/100`` beyond 100) before stopping, and start
looking again if it is lost. Decisions are taken on replications in index order, and
replications run ahead in a parallel batch beyond the stopping point are discarded, so the
number of replications chosen does not depend on the number of workers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from sim.config.loading import ScenarioError
from sim.config.schema import Scenario
from sim.experiment.backends import Backend, open_backend
from sim.experiment.intervals import t_half_width
from sim.experiment.tasks import ReplicationTask, run_full
from sim.model.kpis import EXTRA_KPIS, KPI_NAMES
from sim.model.results import TOTAL, Results

MIN_SEQUENTIAL = 3
DEFAULT_MAX_REPS = 200
LOOKAHEAD = 5
BAND_SERIES = ("collected_to_date", "recovery_to_date", "calls", "rpcs", "conversations",
               "promises", "complaints", "active_plans", "delinquent_share")


def kpi_table(results: Sequence[Results]) -> pd.DataFrame:
    """Long table of KPIs: one row per (replication, agency) including ``total``."""
    frames = []
    for result in results:
        frame = result.kpis.reset_index()
        frame.insert(0, "replication", result.replication)
        frame.insert(0, "seed", result.seed)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def segment_table(results: Sequence[Results]) -> pd.DataFrame:
    """KPIs per segment of the placed accounts: one row per replication and segment, with the
    segment in an ``agency`` column so it summarises like an agency's rows (empty if the
    results have none)."""
    return _rows_as_agencies(results, "segments", "segment")


def control_table(results: Sequence[Results]) -> pd.DataFrame:
    """The bank's control group's KPIs: one row per replication (empty without a control
    group), with ``agency`` = ``control`` so it summarises like an agency's rows."""
    return _rows_as_agencies(results, "control", "group")


def _rows_as_agencies(results: Sequence[Results], table: str, index: str) -> pd.DataFrame:
    """The KPI table ``table`` of every result, its ``index`` as the ``agency`` column."""
    frames = []
    for result in results:
        rows: pd.DataFrame = getattr(result, table)
        if rows.empty:
            continue
        frame = rows.reset_index().rename(columns={index: "agency"})
        frame.insert(0, "replication", result.replication)
        frame.insert(0, "seed", result.seed)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def half_width(values: np.ndarray, confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean of ``values``."""
    return t_half_width(values, confidence)


def summarise(table: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per agency and metric: mean, sd and 95% half-width over replications."""
    rows = []
    for agency, group in table.groupby("agency", sort=False):
        for metric in metrics:
            values = group[metric].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            rows.append({
                "agency": agency, "metric": metric,
                "mean": float(finite.mean()) if len(finite) else float("nan"),
                "sd": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
                "ci95": half_width(values), "n": len(finite),
            })
    return pd.DataFrame(rows)


def daily_bands(results: Sequence[Results], series: Sequence[str] = BAND_SERIES
                ) -> pd.DataFrame:
    """The daily series over replications: per day, agency and series, mean ± 95% half-width.

    Columns ``day, agency, series, mean, sd, ci95, low, high, n``.
    """
    daily = pd.concat([r.daily.assign(replication=r.replication) for r in results],
                      ignore_index=True)
    columns = [c for c in series if c in daily.columns]
    long = daily.melt(id_vars=["day", "agency", "replication"], value_vars=columns,
                      var_name="series")
    grouped = long.groupby(["series", "agency", "day"], sort=False)["value"]
    frame = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    ci = grouped.apply(lambda v: t_half_width(v.to_numpy())).to_numpy()
    frame["ci95"] = ci
    frame["low"] = frame["mean"] - frame["ci95"]
    frame["high"] = frame["mean"] + frame["ci95"]
    return frame[["day", "agency", "series", "mean", "sd", "ci95", "low", "high", "n"]]


def kpi_columns(frame: pd.DataFrame) -> list[str]:
    """The KPI columns of a table, in contract order (``KPI_NAMES``, then extras)."""
    return [k for k in (*KPI_NAMES, *EXTRA_KPIS) if k in frame.columns]


def run_summary(kpis: pd.DataFrame) -> pd.DataFrame:
    """Per agency (or whatever the ``agency`` column names) × KPI: mean, sd, ci95 and n, for
    every KPI column; ``summary.csv`` holds these rows per agency, per segment and in total
    (:func:`sim.experiment.kpi_rows.summary_rows`)."""
    return summarise(kpis, kpi_columns(kpis))


# --------------------------------------------------------------------------- precision targets


@dataclass(frozen=True)
class Target:
    """Stop when the 95% half-width of ``metric`` (of ``agency``) is at most ``half_width``;
    with ``relative``, the half-width divided by the absolute mean."""

    metric: str
    half_width: float
    agency: str = TOTAL
    relative: bool = False

    def achieved(self, results: Sequence[Results]) -> float:
        """The half-width reached by ``results`` (relative when the target is)."""
        values = np.array([r.kpi(self.metric, self.agency) for r in results], dtype=float)
        width = t_half_width(values)
        if self.relative:
            mean = float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
            width = width / abs(mean) if mean else float("nan")
        return width

    def met(self, results: Sequence[Results]) -> bool:
        """Whether ``results`` reach the target."""
        width = self.achieved(results)
        return math.isfinite(width) and width <= self.half_width

    def __str__(self) -> str:
        name = self.metric if self.agency == TOTAL else f"{self.agency}.{self.metric}"
        value = f"{100 * self.half_width:g}%" if self.relative else f"{self.half_width:g}"
        return f"{name}={value}"


def parse_target(text: str) -> Target:
    """Parse ``[AGENCY.]METRIC=HALF_WIDTH`` (a trailing ``%`` makes it relative to the mean)."""
    if "=" not in text:
        raise ScenarioError("--target-ci", None, "expected METRIC=HALF_WIDTH", text)
    name, raw = (part.strip() for part in text.split("=", 1))
    agency, _, metric = name.rpartition(".")
    if metric not in (*KPI_NAMES, *EXTRA_KPIS):
        raise ScenarioError("--target-ci", None, f"unknown KPI {metric!r}", text)
    relative = raw.endswith("%")
    try:
        value = float(raw.removesuffix("%")) / (100.0 if relative else 1.0)
    except ValueError:
        raise ScenarioError("--target-ci", None, "half-width must be a number", text) from None
    if not (math.isfinite(value) and value > 0):
        raise ScenarioError("--target-ci", None, "half-width must be positive", text)
    return Target(metric=metric, half_width=value, agency=agency or TOTAL, relative=relative)


def lookahead(n: int) -> int:
    """Replications that must confirm a precision first met at ``n`` (Hoad et al. 2010)."""
    return LOOKAHEAD if n <= 100 else math.floor(n * LOOKAHEAD / 100)


# --------------------------------------------------------------------------- replicate


@dataclass
class Replications:
    """Replications of one scenario, with their KPI tables as pandas DataFrames."""

    scenario: str
    seed: int
    results: list[Results]
    targets: tuple[Target, ...] = ()
    target_reached: bool | None = None
    backend: str = "serial"
    metrics: tuple[str, ...] = field(default=KPI_NAMES)

    @property
    def reps(self) -> int:
        """Number of replications kept."""
        return len(self.results)

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """One row per replication × agency (and ``total``)."""
        return kpi_table(self.results)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Per agency and KPI: mean, sd, 95% half-width and n."""
        return summarise(self.kpis, self.metrics)

    @cached_property
    def daily(self) -> pd.DataFrame:
        """All daily series, with a ``replication`` column."""
        return pd.concat([r.daily.assign(replication=r.replication) for r in self.results],
                         ignore_index=True)

    @cached_property
    def bands(self) -> pd.DataFrame:
        """The daily series' means with 95% bands (see :func:`daily_bands`)."""
        return daily_bands(self.results)


def replicate(scenario: Scenario, reps: int = 1, seed: int | None = None, *,
              backend: str | Backend | None = None, workers: int | None = None,
              scheduler: str | None = None, targets: Sequence[Target | str] = (),
              max_reps: int = DEFAULT_MAX_REPS, keep_accounts: bool = False,
              progress: Callable[[int, int], None] | None = None) -> Replications:
    """Run replications ``0 .. reps-1`` (or until ``targets`` are met) on a backend.

    ``backend`` is a name (``serial``, ``process``, ``dask``) or an open :class:`Backend` to
    reuse; by default replications run serially, or on a process pool when ``workers`` > 1.
    With ``targets``, ``reps`` (at least 3) is the initial number and ``max_reps`` the
    cap. A replication that raises stops everything and the error propagates.
    """
    if reps < 1:
        raise ScenarioError("--reps", None, "must be at least 1", reps)
    goals = tuple(parse_target(t) if isinstance(t, str) else t for t in targets)
    start = max(reps, MIN_SEQUENTIAL) if goals else reps
    if goals and max_reps < start:
        raise ScenarioError("--max-reps", None,
                            f"must be at least the initial replications ({start})", max_reps)
    seed = scenario.scenario.seed if seed is None else seed
    own = not isinstance(backend, Backend)
    engine = open_backend(backend, workers, scheduler, parallel_default=False) \
        if not isinstance(backend, Backend) else backend
    try:
        runner = _Runner(engine, scenario, seed, keep_accounts, progress,
                         max_reps if goals else reps)
        if not goals:
            kept, reached = runner.upto(reps), None
        else:
            kept, reached = _sequential(runner, goals, start, max_reps)
        name = engine.describe()
    finally:
        if own:
            engine.close()
    return Replications(scenario=scenario.scenario.name, seed=seed, results=kept,
                        targets=goals, target_reached=reached, backend=name)


class _Runner:
    """Runs replications in batches of the backend's width, keeping them by index."""

    def __init__(self, backend: Backend, scenario: Scenario, seed: int, keep_accounts: bool,
                 progress: Callable[[int, int], None] | None, total: int) -> None:
        self.backend = backend
        self.scenario = scenario
        self.seed = seed
        self.keep_accounts = keep_accounts
        self.progress = progress
        self.total = total
        self.results: dict[int, Results] = {}

    def upto(self, n: int) -> list[Results]:
        """Replications ``0 .. n-1``, running those not yet run (a whole batch at a time)."""
        if n > len(self.results):
            width = max(n - len(self.results), self.backend.workers)
            stop = min(len(self.results) + width, max(self.total, n))
            tasks = [ReplicationTask(self.scenario, r, self.seed, self.keep_accounts)
                     for r in range(len(self.results), stop)]
            for index, result in self.backend.map(run_full, tasks):
                if isinstance(result, BaseException):
                    raise result
                self.results[tasks[index].replication] = result
                if self.progress is not None:
                    self.progress(len(self.results), self.total)
        return [self.results[r] for r in range(n)]


def _sequential(runner: _Runner, targets: tuple[Target, ...], start: int,
                max_reps: int) -> tuple[list[Results], bool]:
    solution: int | None = None
    n = start
    while True:
        kept = runner.upto(n)
        met = all(t.met(kept) for t in targets)
        if solution is None and met:
            solution = n
        elif solution is not None and not met:
            solution = None
        if solution is not None and n >= solution + lookahead(solution):
            return kept, True
        if n >= max_reps:
            return kept, met
        n += 1
