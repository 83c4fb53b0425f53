"""How far a finding holds: a Latin hypercube over its uncertain parameters, both scenarios
paired at every point, and where the claim fails.

For a :class:`~sim.experiment.finding.Finding` with ``N`` points and ``R`` replications:

1. **Design.** ``N`` points of a Latin hypercube over the ``[uncertain]`` ranges
   (:class:`scipy.stats.qmc.LatinHypercube`, seeded by ``[design] seed``; McKay, Beckman &
   Conover 1979, *Technometrics* 21:239–245), drawn by the experiment files' own design code
   (:func:`sim.experiment.design.design_points`).
2. **Runs.** At each point the point's values are applied to both scenarios, and both run
   replications ``0 … R−1`` of scenario ``a``'s seed: replication *r* of ``a`` and of ``b``
   share their random numbers (common random numbers), and so do the points.
3. **Decision at a point.** ``d`` is the mean over replications of the paired difference
   ``KPI(a, r) − KPI(b, r)`` (program total; ``b`` a fixed value: ``KPI(a, r) − b``). With
   margin ``m ≥ 0`` (default 0) the claim *holds* at the point when

   - ``a > b``: ``d > m`` — ``a`` exceeds ``b`` by more than the margin;
   - ``a < b``: ``d < −m``;
   - ``a >= b``: ``d ≥ −m`` — ``a`` falls short of ``b`` by at most the margin;
   - ``a <= b``: ``d ≤ m``.

   So a tie (``d`` exactly at the threshold, e.g. 0 when both scenarios agree) fails a strict
   claim and satisfies a non-strict one; the margin is the non-inferiority margin of clinical
   trials (Piaggio et al. 2012, *JAMA* 308:2594–2604, the CONSORT extension). A point where the
   KPI is undefined in some replication (``NaN``: nothing to divide by) or a run failed uses
   the pairs it has; with none it is *undecided* and left out of the share. Each point also
   gets the 95% Student-t half-width of ``d`` over its replications, and is *within noise* when
   that interval reaches across the threshold — a point decided by the sign of noise (with one
   replication there is no interval, and the count is ``null``).
4. **Share.** ``share_holding`` is the share of decided points where the claim holds, with
   the Wilson score interval (Wilson 1927, *JASA* 22:209–212) from
   :meth:`scipy.stats.binomtest.proportion_ci`. It is the share of the plausible *range*,
   each range weighted uniformly — not a probability that the claim is true.
5. **Drivers** come from scenario discovery (:mod:`sim.experiment.discovery`).

:func:`run_robustness` runs what its store (:mod:`sim.experiment.store`) lacks: the store's
point ``2i`` is design point *i* of scenario ``a``, ``2i + 1`` of scenario ``b``. Every run is
committed the moment it finishes, so an interrupted study continues with ``resume`` and runs
only what is missing.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from sim.config.loading import ScenarioError
from sim.experiment.backends import Backend, open_backend
from sim.experiment.design import design_points
from sim.experiment.finding import Finding
from sim.experiment.intervals import t_half_width
from sim.experiment.store import DAILY_DIR, STORE_FILE, RunStore, StoreError, read_key
from sim.experiment.tasks import OK, PointTask, record_runs, run_point
from sim.model.results import TOTAL

SIDES = ("a", "b")
CONFIDENCE = 0.95
HOLDS, FAILS, UNDECIDED = "holds", "fails", "undecided"
OUTPUT_FILES = ("manifest.json", "robustness.json", "points.parquet")


def lhs_points(finding: Finding) -> tuple[np.ndarray, list[tuple[tuple[str, Any], ...]]]:
    """``(values, assignments)``: the design as a points × parameters array (integers rounded)
    and, per point, the ``(path, value)`` pairs applied to both scenarios."""
    _, rows = design_points(finding.design, finding.factors)
    assignments = [tuple(zip(finding.paths, row, strict=True)) for row in rows]
    return np.asarray(rows, dtype=float).reshape(len(rows), len(finding.paths)), assignments


def threshold(direction: str, margin: float) -> float:
    """The value the mean paired difference is compared with (see the module docstring)."""
    if direction in ("a > b", "a <= b"):
        return margin
    if direction in ("a < b", "a >= b"):
        return -margin
    raise ValueError(f"unknown direction {direction!r}")


def holds(direction: str, difference: float, margin: float = 0.0) -> bool | None:
    """Whether the claim holds at a point whose mean paired difference ``a − b`` is
    ``difference``; ``None`` when it is not a number (undecided)."""
    if not np.isfinite(difference):
        return None
    edge = threshold(direction, margin)
    if direction == "a > b":
        return bool(difference > edge)
    if direction == "a < b":
        return bool(difference < edge)
    if direction == "a >= b":
        return bool(difference >= edge)
    return bool(difference <= edge)


def wilson_interval(holding: int, decided: int,
                    confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval of the share ``holding / decided`` (NaN, NaN with no points)."""
    if decided == 0:
        return float("nan"), float("nan")
    ci = binomtest(holding, decided).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def point_table(finding: Finding, values: np.ndarray, kpis: dict[tuple[int, str, int], float]
                ) -> pd.DataFrame:
    """One row per design point: the parameter values, each scenario's mean KPI, the mean
    paired difference ``a − b``, its 95% half-width, the pairs it rests on, whether it is
    within noise, and the outcome (``holds``, ``fails`` or ``undecided``).

    ``kpis`` maps ``(point, side, replication)`` to the KPI of a finished run.
    """
    reps = finding.spec.design.reps
    edge = threshold(finding.direction, finding.margin)
    rows: list[dict[str, Any]] = []
    for point in range(len(values)):
        a = np.array([kpis.get((point, "a", r), np.nan) for r in range(reps)])
        b = (np.full(reps, finding.value, dtype=float) if finding.value is not None
             else np.array([kpis.get((point, "b", r), np.nan) for r in range(reps)]))
        paired = a - b
        paired = paired[np.isfinite(paired)]
        difference = float(paired.mean()) if len(paired) else float("nan")
        half = t_half_width(paired)
        verdict = holds(finding.direction, difference, finding.margin)
        rows.append({
            "point": point, **dict(zip(finding.paths, values[point], strict=True)),
            "a_mean": float(np.nanmean(a)) if np.isfinite(a).any() else float("nan"),
            "b_mean": float(np.nanmean(b)) if np.isfinite(b).any() else float("nan"),
            "difference": difference, "ci95": half, "pairs": len(paired),
            "within_noise": bool(np.isfinite(half) and abs(difference - edge) <= half),
            "outcome": UNDECIDED if verdict is None else (HOLDS if verdict else FAILS)})
    return pd.DataFrame(rows, columns=["point", *finding.paths, "a_mean", "b_mean",
                                       "difference", "ci95", "pairs", "within_noise",
                                       "outcome"])


@dataclass
class Robustness:
    """What a robustness study found; ``points`` is ``points.parquet``."""

    finding: Finding
    points: pd.DataFrame
    drivers: list[dict[str, Any]]
    boxes: list[dict[str, Any]]
    ran: int
    resumed: int
    failed: int
    seconds: float
    backend: str

    @property
    def decided(self) -> pd.DataFrame:
        """The points where the claim holds or fails."""
        return self.points[self.points["outcome"] != UNDECIDED]

    @property
    def share(self) -> float:
        """Share of decided points where the claim holds."""
        decided = self.decided
        return float((decided["outcome"] == HOLDS).mean()) if len(decided) else float("nan")

    @property
    def ci95(self) -> tuple[float, float]:
        """Wilson 95% interval of :attr:`share`."""
        decided = self.decided
        return wilson_interval(int((decided["outcome"] == HOLDS).sum()), len(decided))

    def as_json(self) -> dict[str, Any]:
        """``{"share_holding", "ci95", "points", "drivers", …}`` at full precision."""
        decided = self.decided
        return {"claim": self.finding.claim, "kpi": self.finding.kpi,
                "direction": self.finding.direction, "margin": self.finding.margin,
                "share_holding": self.share, "ci95": list(self.ci95),
                "points": len(self.points), "decided": len(decided),
                "holding": int((decided["outcome"] == HOLDS).sum()),
                "within_noise": (int(decided["within_noise"].sum())
                                 if self.finding.spec.design.reps > 1 else None),
                "reps": self.finding.spec.design.reps,
                "drivers": self.drivers, "boxes": self.boxes,
                "failed_runs": self.failed}


def answer_sentence(info: dict[str, Any]) -> str:
    """``holds in 94% [89, 97] of the plausible range; fails when …`` in plain words."""
    share, (low, high) = info["share_holding"], info["ci95"]
    if not np.isfinite(share):
        return "undecided everywhere: no point had a finished pair of runs"
    text = (f"holds in {100 * share:.0f}% [{100 * low:.0f}, {100 * high:.0f}] of the "
            "plausible range")
    if info["boxes"]:
        limits = info["boxes"][0]["limits"]
        where = "; ".join(f"{path} in [{v[0]:.4g}, {v[1]:.4g}]"
                          for path, v in limits.items())
        text += f"; fails mostly when {where}"
    return text


# --------------------------------------------------------------------------- running


def check_store(out: Path, key: str, *, resume: bool, fresh: bool) -> None:
    """Refuse a folder holding another study's store, or this one's without ``resume``;
    with ``fresh``, delete the store and the outputs (only files a study writes)."""
    if resume and fresh:
        raise ScenarioError("--resume", None, "give either --resume or --fresh, not both")
    try:
        stored, _ = read_key(out)
    except StoreError as exc:
        if not fresh:
            raise ScenarioError(str(exc.path), None, f"{exc.reason}; move it away or start "
                                "over with --fresh") from None
        stored = "unreadable"
    if stored is None:
        return
    if fresh:
        for name in (STORE_FILE, f"{STORE_FILE}-wal", f"{STORE_FILE}-shm", *OUTPUT_FILES):
            (out / name).unlink(missing_ok=True)
        return
    if stored != key:
        raise ScenarioError(str(out), None, "holds the runs of another finding, scenario, "
                            "design or collectsim version; choose another --out or start "
                            "over with --fresh")
    if not resume:
        raise ScenarioError(str(out), None, "already holds runs of this finding; add "
                            "--resume to continue or --fresh to start over")


def _tasks(finding: Finding, assignments: list[tuple[tuple[str, Any], ...]],
           done: set[tuple[int, int]]) -> list[PointTask]:
    scenarios = [finding.a] if finding.b is None else [finding.a, finding.b]
    return [PointTask(point=2 * i + side, replication=r, seed=finding.seed, base=scenario,
                      assignments=assignments[i], label=finding.source, keep_daily=False)
            for r in range(finding.spec.design.reps)
            for i in range(len(assignments))
            for side, scenario in enumerate(scenarios) if (2 * i + side, r) not in done]


def _stored_kpis(store: RunStore, kpi: str, reps: int) -> dict[tuple[int, str, int], float]:
    found: dict[tuple[int, str, int], float] = {}
    for point, replication, _, status, kpis, *_ in store.rows():
        if status != OK or replication >= reps or not kpis:
            continue
        value = json.loads(kpis).get(TOTAL, {}).get(kpi)
        found[(point // 2, SIDES[point % 2], replication)] = \
            float(value) if value is not None else float("nan")
    return found


def run_robustness(finding: Finding, out: Path | None, *,
                   backend: str | Backend | None = None, workers: int | None = None,
                   scheduler: str | None = None,
                   progress: Callable[[int, int, int], None] | None = None,
                   drivers: Callable[[pd.DataFrame, dict[str, tuple[float, float]]],
                                     tuple[list[dict[str, Any]], list[dict[str, Any]]]]
                   | None = None) -> Robustness:
    """Run every (point, scenario, replication) the store in ``out`` lacks (``out=None``: an
    in-memory store), then judge the claim at every point. ``drivers(points, ranges)`` returns
    ``(drivers, boxes)`` (default: :func:`sim.experiment.discovery.failure_drivers`). The
    caller checks ``out`` first (:func:`check_store`) and holds its writer lock."""
    if drivers is None:
        from sim.experiment.discovery import failure_drivers
        drivers = failure_drivers
    values, assignments = lhs_points(finding)
    own = not isinstance(backend, Backend)
    engine = backend if isinstance(backend, Backend) else open_backend(backend, workers,
                                                                       scheduler)
    started = time.perf_counter()
    store = RunStore(out)
    try:
        labels = [{"design_point": i, "scenario": side, **dict(a)}
                  for i, a in enumerate(assignments) for side in SIDES]
        store.initialise(finding.key(assignments), Path(finding.source).stem, labels)
        redo = store.incomplete(daily=False)
        if redo:
            store.forget(redo)
        tasks = _tasks(finding, assignments, store.finished())
        sides = 1 if finding.b is None else 2
        total = len(assignments) * sides * finding.spec.design.reps
        resumed = total - len(tasks)
        record_runs(engine.map(run_point, tasks), tasks, store.record, progress, resumed, total)
        points = point_table(finding, values,
                             _stored_kpis(store, finding.kpi, finding.spec.design.reps))
        failed_runs = sum(1 for row in store.rows()
                          if row[3] != OK and row[1] < finding.spec.design.reps)
        described = engine.describe()
    finally:
        if own:
            engine.close()
        store.close()
    if out is not None:
        with contextlib.suppress(OSError):  # runs keep no daily series: no empty folder left
            (Path(out) / DAILY_DIR).rmdir()
    found, boxes = drivers(points, finding.ranges)
    return Robustness(finding=finding, points=points, drivers=found, boxes=boxes,
                      ran=len(tasks), resumed=resumed, failed=failed_runs,
                      seconds=time.perf_counter() - started, backend=described)
