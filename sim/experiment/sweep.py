"""Sweeps: every design point of an experiment × its replications, on any backend, resumable.

:func:`sweep` checks the output folder *before* writing anything: a folder another sweep is
writing (see :func:`one_writer`), one holding another experiment's store, this experiment's
store without ``resume``, or a ``runs.sqlite`` that is not a collectsim store is refused
(``fresh`` starts over, deleting the old store, series and tables). Stored runs whose daily
file is missing, or whose row lacks its KPIs, are run again. It then runs the missing (point,
replication) pairs — replication-major, so a partial sweep covers every point evenly — and
records each in the store (:mod:`sim.experiment.store`) as it finishes. A run that fails is
recorded with its error and the sweep goes on.

A sweep may be split into ``N`` shards (``shard=Shard(i, N)``) that run as separate jobs — the
tasks of a batch scheduler's job array — each into its own folder: run ``(point, replication)``
belongs to shard ``(replication · points + point) mod N + 1``, a slice that does not change when
``replications`` is raised. :mod:`sim.experiment.merge` combines the shard folders into the
folder an unsharded sweep would have written.

At the end it writes, each atomically, ``runs.csv`` (one row per run × reported agency: point,
replication, seed, status, factor values, every KPI, error, seconds), ``summary.csv`` (per point
× agency × metric: factor values, mean, sd, ci95, n, failed) and ``manifest.json`` (experiment
as resolved, its key, versions, backend, counts, timings). All tables are built from the store
in (point, replication) order, so they are identical whatever the backend, the number of
workers, the completion order, or how many times the sweep was interrupted and resumed.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.loading import ScenarioError
from sim.experiment.backends import Backend, open_backend
from sim.experiment.experiment_file import Experiment, load_experiment
from sim.experiment.files import atomic_write, atomic_write_text, check_out_folder, mark_folder
from sim.experiment.intervals import t_half_width
from sim.experiment.marker import EXPORT_FILE, FIGURE_FILES, REPORT_FILE, FolderKind
from sim.experiment.output import package_versions
from sim.experiment.store import (
    DAILY_DIR,
    STORE_FILE,
    RunStore,
    StoreError,
    read_key,
    read_shard,
    writer_lock,
)
from sim.experiment.tasks import OK, PointTask, record_runs, run_point
from sim.model.kpis import KPI_NAMES

OUTPUT_FILES = ("runs.csv", "summary.csv", "manifest.json", "indices.csv")
EXTRA_PACKAGES = ("SALib", "dask", "distributed")


@dataclass(frozen=True)
class Shard:
    """Slice ``index`` (from 1) of ``count`` of a sweep's runs."""

    index: int = 1
    count: int = 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, point: int, replication: int, points: int) -> bool:
        """Whether run ``(point, replication)`` of a design of ``points`` points is in this
        slice."""
        return (replication * points + point) % self.count == self.index - 1


WHOLE = Shard()


def parse_shard(text: str) -> Shard:
    """``i/N`` as a :class:`Shard` (the one-line input error unless ``1 ≤ i ≤ N``)."""
    index, slash, count = text.partition("/")
    try:
        shard = Shard(int(index), int(count))
    except ValueError:
        shard = None
    if not slash or shard is None or not 1 <= shard.index <= shard.count <= 100_000:
        raise ScenarioError("--shard", None, "must be i/N with 1 <= i <= N <= 100000", text)
    return shard


@dataclass
class SweepResult:
    """What a sweep produced; ``runs`` and ``summary`` are the tables of the CSV files."""

    experiment: Experiment
    runs: pd.DataFrame
    summary: pd.DataFrame
    out: Path | None
    ran: int
    resumed: int
    failed: int
    seconds: float
    backend: str
    store: RunStore | None = None
    shard: Shard = WHOLE

    @property
    def daily(self) -> pd.DataFrame:
        """Daily series of every stored run, with ``point`` and ``replication`` columns."""
        if self.store is not None:
            return self.store.daily()
        if self.out is not None and (self.out / DAILY_DIR).is_dir() \
                and any((self.out / DAILY_DIR).glob("*.parquet")):
            return pd.read_parquet(self.out / DAILY_DIR)
        return pd.DataFrame()

    @property
    def total(self) -> int:
        """Runs in the design (points × replications), or in this sweep's shard of it."""
        points = len(self.experiment.assignments)
        if self.shard == WHOLE:
            return points * self.experiment.replications
        return sum(self.shard.holds(p, r, points)
                   for r in range(self.experiment.replications) for p in range(points))


def default_out(experiment: Experiment) -> Path:
    """``results/<experiment name>/``."""
    return Path("results") / experiment.name


def prepare_out(out: Path, experiment: Experiment, *, resume: bool, fresh: bool,
                kind: FolderKind = FolderKind.SWEEP, shard: Shard = WHOLE) -> None:
    """Check ``out`` may receive this sweep; with ``fresh``, clear an earlier store.

    Raises :class:`ScenarioError` (nothing written) when the folder is not an empty folder or a
    sweep's (:func:`~sim.experiment.files.check_out_folder`), when another sweep is writing it,
    when it holds another experiment's store, this one's without ``resume``/``fresh``, or a
    ``runs.sqlite`` that is not a collectsim store (``fresh`` replaces it). ``fresh`` removes
    only files a sweep writes.
    """
    if resume and fresh:
        raise ScenarioError("--resume", None, "give either --resume or --fresh, not both")
    check_out_folder(out, kind)
    if not out.is_dir():
        return
    with writer_lock(out):
        _check_store(out, experiment, resume=resume, fresh=fresh, shard=shard)


@contextlib.contextmanager
def one_writer(out: Path, kind: FolderKind = FolderKind.SWEEP) -> Iterator[None]:
    """Check ``out`` may hold results of ``kind``, then hold its one-writer lock for the block
    (a second sweep on the folder is refused at once; see
    :func:`~sim.experiment.store.writer_lock`)."""
    check_out_folder(out, kind)
    with writer_lock(out):
        yield


def _check_store(out: Path, experiment: Experiment, *, resume: bool, fresh: bool,
                 shard: Shard = WHOLE) -> None:
    try:
        key, name = read_key(out)
        stored_shard = read_shard(out) if key is not None else str(shard)
    except StoreError as exc:
        if not fresh:
            raise ScenarioError(str(exc.path), None, f"{exc.reason}; move it away or start "
                                "over with --fresh") from None
        key, name = "unreadable", None
    if key is None:
        return
    if fresh:
        (out / STORE_FILE).unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{out / STORE_FILE}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(out / DAILY_DIR, ignore_errors=True)
        for file in OUTPUT_FILES:
            (out / file).unlink(missing_ok=True)
        for stale in (*FIGURE_FILES, REPORT_FILE, EXPORT_FILE):  # made from the old runs
            (out / stale).unlink(missing_ok=True)
        return
    if key != experiment.key:
        what = (f"results of {name!r} for another scenario, design, seed or collectsim "
                "version" if name == experiment.name
                else f"the results of a different experiment ({name!r})")
        raise ScenarioError(str(out), None,
                            f"holds {what}; choose another --out or start over with --fresh")
    if stored_shard != str(shard):
        held = "the whole sweep" if stored_shard == str(WHOLE) else f"shard {stored_shard}"
        raise ScenarioError(str(out), "--shard", f"this folder holds {held} of this "
                            "experiment; choose another --out or start over with --fresh",
                            str(shard))
    if not resume:
        raise ScenarioError(str(out), None,
                            "already holds results of this experiment; add --resume to "
                            "continue or --fresh to start over")


def _tasks(experiment: Experiment, done: set[tuple[int, int]], keep_daily: bool,
           shard: Shard = WHOLE) -> list[PointTask]:
    points = len(experiment.assignments)
    return [PointTask(point=p, replication=r, seed=experiment.seed, base=experiment.base,
                      assignments=experiment.assignments[p], label=experiment.source,
                      keep_daily=keep_daily)
            for r in range(experiment.replications)
            for p in range(points) if (p, r) not in done and shard.holds(p, r, points)]


def run_table(experiment: Experiment, store: RunStore) -> pd.DataFrame:
    """``runs.csv``: one row per stored run × reported agency, in (point, replication) order.

    Only replications ``0 .. R-1`` of the experiment's points are included.
    """
    rows: list[dict[str, Any]] = []
    points = experiment.points
    for point, replication, seed, status, kpis, error, seconds, worker, _ in store.rows():
        if point >= len(points) or replication >= experiment.replications:
            continue
        values = json.loads(kpis) if kpis else {}
        for agency in experiment.agencies:
            row: dict[str, Any] = {"point": point, "replication": replication, "seed": seed,
                                   "status": status}
            row.update(experiment.point_values(point))
            row["agency"] = agency
            found = values.get(agency, {})
            row.update({k: found.get(k, float("nan")) for k in _kpi_columns(experiment)})
            row.update({"error": error, "seconds": seconds, "worker": worker})
            rows.append(row)
    columns = ["point", "replication", "seed", "status", *points.columns, "agency",
               *_kpi_columns(experiment), "error", "seconds", "worker"]
    return pd.DataFrame(rows, columns=columns)


def _kpi_columns(experiment: Experiment) -> list[str]:
    return [*KPI_NAMES, *(m for m in experiment.metrics if m not in KPI_NAMES)]


def summary_table(experiment: Experiment, runs: pd.DataFrame) -> pd.DataFrame:
    """``summary.csv``: per point × agency × metric, mean, sd, 95% half-width, n and failed."""
    rows: list[dict[str, Any]] = []
    ok = {key: group for key, group in
          runs[runs["status"] == OK].groupby(["point", "agency"], sort=False)}
    failed = runs[runs["status"] != OK].groupby(["point", "agency"]).size().to_dict()
    empty = np.array([], dtype=float)
    for point in range(len(experiment.assignments)):
        factors = experiment.point_values(point)
        for agency in experiment.agencies:
            group = ok.get((point, agency))
            for metric in experiment.metrics:
                values = group[metric].to_numpy(dtype=float) if group is not None else empty
                finite = values[np.isfinite(values)]
                rows.append({
                    "point": point, **factors, "agency": agency, "metric": metric,
                    "mean": float(finite.mean()) if len(finite) else float("nan"),
                    "sd": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
                    "ci95": t_half_width(values), "n": len(finite),
                    "failed": int(failed.get((point, agency), 0))})
    columns = ["point", *experiment.points.columns, "agency", "metric", "mean", "sd", "ci95",
               "n", "failed"]
    return pd.DataFrame(rows, columns=columns)


def versions() -> dict[str, str]:
    """Package versions for manifests (those of :mod:`sim.experiment.output` plus SALib and
    dask)."""
    return package_versions(EXTRA_PACKAGES)


def write_outputs(out: Path, result: SweepResult, extra: dict[str, Any] | None = None) -> None:
    """Write ``runs.csv``, ``summary.csv`` and ``manifest.json`` atomically into ``out``."""
    atomic_write(out / "runs.csv", lambda tmp: result.runs.to_csv(tmp, index=False))
    atomic_write(out / "summary.csv", lambda tmp: result.summary.to_csv(tmp, index=False))
    info = {
        "experiment": result.experiment.resolved(),
        "experiment_key": result.experiment.key,
        "replications": result.experiment.replications,
        "runs": {"total": result.total, "ran_now": result.ran, "resumed": result.resumed,
                 "failed": result.failed},
        "backend": result.backend,
        "seed_scheme": "every point: replication r of seed S uses SeedSequence(S) streams "
                       "spawned for r (common random numbers across points)",
        "versions": versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "timings": {"total_seconds": result.seconds},
        "store": STORE_FILE, "daily": f"{DAILY_DIR}/",
        "shard": str(result.shard),
        **(extra or {}),
    }
    atomic_write_text(out / "manifest.json", json.dumps(info, indent=2, default=str) + "\n")


def sweep(experiment: Experiment | str | Path, out: str | Path | None = None, *,
          backend: str | Backend | None = None, workers: int | None = None,
          scheduler: str | None = None, resume: bool = False, fresh: bool = False,
          keep_daily: bool = True,
          progress: Callable[[int, int, int], None] | None = None,
          kind: FolderKind = FolderKind.SWEEP, shard: Shard = WHOLE) -> SweepResult:
    """Run every (point, replication) of ``experiment`` (of its ``shard``) not yet in the
    store at ``out``.

    ``out=None`` keeps the store in memory and writes nothing (for notebooks).
    ``progress(done, failed, total)`` is called as runs finish. Returns the tables as
    DataFrames; the CSV files and manifest are written when ``out`` is given, into a folder
    marked as written by ``kind`` (a sweep, or a sensitivity analysis built on it).
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    folder = Path(out) if out is not None else None
    if folder is None:
        return _sweep(experiment, None, backend, workers, scheduler, keep_daily, progress,
                      shard)
    with one_writer(folder, kind):  # held until every file is written
        prepare_out(folder, experiment, resume=resume, fresh=fresh, kind=kind, shard=shard)
        mark_folder(folder, kind)
        return _sweep(experiment, folder, backend, workers, scheduler, keep_daily, progress,
                      shard)


def _sweep(experiment: Experiment, folder: Path | None, backend: str | Backend | None,
           workers: int | None, scheduler: str | None, keep_daily: bool,
           progress: Callable[[int, int, int], None] | None,
           shard: Shard = WHOLE) -> SweepResult:
    own = not isinstance(backend, Backend)
    engine = backend if isinstance(backend, Backend) else open_backend(backend, workers,
                                                                       scheduler)
    started = time.perf_counter()
    store = RunStore(folder)
    try:
        store.initialise(experiment.key, experiment.name,
                         [experiment.point_values(i)
                          for i in range(len(experiment.assignments))], str(shard))
        redo = store.incomplete(daily=keep_daily)
        if redo:
            store.forget(redo)
        done = store.finished()
        tasks = _tasks(experiment, done, keep_daily, shard)
        points = len(experiment.assignments)
        total = sum(shard.holds(p, r, points)
                    for r in range(experiment.replications) for p in range(points))
        resumed = total - len(tasks)
        record_runs(engine.map(run_point, tasks), tasks, store.record, progress, resumed, total)
        runs = run_table(experiment, store)
        per_run = runs.drop_duplicates(["point", "replication"])
        result = SweepResult(experiment=experiment, runs=runs,
                             summary=summary_table(experiment, runs), out=folder,
                             ran=len(tasks), resumed=resumed,
                             failed=int((per_run["status"] != OK).sum()),
                             seconds=time.perf_counter() - started,
                             backend=engine.describe(), store=store if folder is None else None,
                             shard=shard)
        if folder is not None:
            write_outputs(folder, result)
    finally:
        if own:
            engine.close()
        if folder is not None:
            store.close()
    return result
