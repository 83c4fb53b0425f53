"""What a worker runs: one replication, sent back as a small picklable record.

Workers may be local processes (forked from a fork server or spawned) or dask workers on other
machines, so every task here is a module-level function of a picklable, frozen argument — never
a closure — and the package must be importable where it runs. A task depends only on its
argument, which is what makes results identical whatever the backend, the number of workers or
the order in which tasks finish.

- :func:`run_full` returns the whole :class:`~sim.model.results.Results` (``collectsim run`` writes
  every table of it).
- :func:`run_point` builds a design point's scenario from a base and dotted assignments, runs it
  and returns a :class:`RunOutcome`: the KPI rows and the daily series, or the error. It never
  raises for a failing run, so a sweep records the failure and goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim import __version__
from sim.config.loading import ScenarioError, apply_override, validate
from sim.config.plain import python_value
from sim.config.schema import Scenario
from sim.model.replication import run_replication
from sim.model.results import Results

OK = "ok"
FAILED = "failed"


@dataclass(frozen=True)
class ReplicationTask:
    """Replication ``replication`` of ``scenario`` with ``seed``, returned in full."""

    scenario: Scenario
    replication: int
    seed: int
    keep_accounts: bool = False


def run_full(task: ReplicationTask) -> Results:
    """Run one replication and return its complete :class:`Results`."""
    return run_replication(task.scenario, task.replication, task.seed,
                           keep_accounts=task.keep_accounts)


@dataclass(frozen=True)
class PointTask:
    """Replication ``replication`` of design point ``point``.

    The point's scenario is ``base`` with each ``(dotted.path, value)`` of ``assignments``
    applied (agencies by name, as ``--set`` does) and validated again.
    """

    point: int
    replication: int
    seed: int
    base: Scenario
    assignments: tuple[tuple[str, Any], ...] = ()
    label: str = "experiment"
    keep_daily: bool = True


@dataclass
class RunOutcome:
    """What a finished run sends back: KPI rows per agency and ``total``, the daily series."""

    point: int
    replication: int
    seed: int
    status: str
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)
    daily: pd.DataFrame | None = None
    error: str | None = None
    seconds: float = 0.0
    worker: str = ""

    @property
    def ok(self) -> bool:
        """Whether the run finished without error."""
        return self.status == OK


def point_scenario(base: Scenario, assignments: tuple[tuple[str, Any], ...],
                   label: str) -> Scenario:
    """``base`` with the dotted ``assignments`` applied and validated."""
    if not assignments:
        return base
    data = base.model_dump()
    for path, value in assignments:
        apply_override(data, path.split("."), value, label)
    return validate(data, label)


def kpi_records(kpis: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """``{agency: {kpi: value}}`` from a Results KPI table, with plain Python values (NaN kept:
    the store records it as such)."""
    return {str(agency): {str(k): python_value(v) for k, v in row.items()}
            for agency, row in kpis.to_dict(orient="index").items()}


def describe(exc: BaseException) -> str:
    """One line naming an exception and where it was raised."""
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        last = frames[-1]
        where = f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    text = " ".join(str(exc).split())
    if isinstance(exc, ScenarioError):
        return f"invalid scenario: {text}"
    return f"{type(exc).__name__}: {text}{where}"


def worker_name() -> str:
    """``host:pid`` of the process running a task."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_point(task: PointTask) -> RunOutcome:
    """Run one design point's replication; a failure is returned, not raised."""
    started = time.perf_counter()
    outcome = RunOutcome(point=task.point, replication=task.replication, seed=task.seed,
                         status=OK, worker=worker_name())
    try:
        scenario = point_scenario(task.base, task.assignments, task.label)
        result = run_replication(scenario, task.replication, task.seed)
        outcome.kpis = kpi_records(result.kpis)
        if task.keep_daily:
            outcome.daily = result.daily
    except Exception as exc:
        outcome.status = FAILED
        outcome.error = describe(exc)
        outcome.kpis = {}
        outcome.daily = None
    outcome.seconds = time.perf_counter() - started
    return outcome


def package_version() -> str:
    """The collectsim version importable where this runs (to check remote workers)."""
    return __version__


# --------------------------------------------------------------------------- worker set-up


def _exit_with_parent(parent: Any) -> None:
    parent.join()
    os._exit(1)


def init_worker() -> None:
    """Initializer of local worker processes.

    Workers ignore Ctrl-C (the parent handles it and stops them), and exit as soon as their
    parent dies — even of ``kill -9`` — instead of lingering as orphans.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        with contextlib.suppress(RuntimeError):
            threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                             name="collectsim-parent-watch").start()


def record_runs(finished: Iterable[tuple[int, RunOutcome | BaseException]],
                tasks: list[PointTask], record: Callable[[RunOutcome], None],
                progress: Callable[[int, int, int], None] | None, resumed: int,
                total: int) -> None:
    """Record each of ``finished`` (a backend's ``map(run_point, tasks)``) as it arrives — an
    exception as a failed run of its task — and report ``progress(done, failed, total)``,
    counting the ``resumed`` runs already stored."""
    failed = 0
    for count, (index, outcome) in enumerate(finished, start=1):
        if isinstance(outcome, BaseException):
            task = tasks[index]
            outcome = RunOutcome(point=task.point, replication=task.replication,
                                 seed=task.seed, status="failed",
                                 error=f"{type(outcome).__name__}: {outcome}")
        record(outcome)
        failed += not outcome.ok
        if progress is not None:
            progress(resumed + count, failed, total)
