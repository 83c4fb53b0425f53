"""Replications in the background for the page: cached by scenario, streamed, cancellable.

A :class:`RunJob` is a thread that runs the replications a page asked for on one of the
experiment backends (:mod:`sim.experiment.backends`), replication *r* of the scenario on the
streams of seed *S* exactly as ``collectsim run`` would (:func:`sim.experiment.tasks.run_full`),
so a result does not depend on the backend, the number of workers or the order in which
replications finish. Every replication that finishes is kept at once in a
:class:`ResultCache` keyed by the scenario's hash (:func:`sim.config.loading.scenario_hash`)
and the seed: the page reads it after each one, and a scenario seen before (a lever moved
back) is answered from the cache without running anything.

With a second scenario to compare with (the file as loaded), the job runs both on the same
replications, interleaved, so the paired differences on common random numbers grow with the
run (:mod:`sim.experiment.compare`).

Cancelling stops at the next replication boundary: no further replication is started, the
replications already finished are kept (and stay cached), and replications still running in
worker processes are abandoned (the backend stops their workers).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sim.config.loading import scenario_hash
from sim.config.schema import Scenario
from sim.experiment.backends import default_workers, open_backend
from sim.experiment.tasks import ReplicationTask, describe, run_full
from sim.model.results import Results

CACHED_SCENARIOS = 32
"""Scenarios whose replications the cache keeps (the least recently used go first)."""


class RunStatus(StrEnum):
    """Where a job is."""

    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ResultCache:
    """Finished replications by (scenario hash, seed) and replication index; thread-safe."""

    def __init__(self, capacity: int = CACHED_SCENARIOS) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._runs: OrderedDict[tuple[str, int], dict[int, Results]] = OrderedDict()

    @staticmethod
    def key(scenario: Scenario, seed: int) -> tuple[str, int]:
        """The cache key of ``scenario`` run on ``seed``."""
        return scenario_hash(scenario), seed

    def add(self, key: tuple[str, int], result: Results) -> None:
        """Keep one finished replication."""
        with self._lock:
            self._runs.setdefault(key, {})[result.replication] = result
            self._runs.move_to_end(key)
            while len(self._runs) > self.capacity:
                self._runs.popitem(last=False)

    def results(self, key: tuple[str, int], reps: int) -> list[Results]:
        """The cached replications among ``0 .. reps-1``, in index order."""
        with self._lock:
            found = self._runs.get(key, {})
            return [found[r] for r in range(reps) if r in found]

    def missing(self, key: tuple[str, int], reps: int) -> list[int]:
        """The replications among ``0 .. reps-1`` not cached yet."""
        with self._lock:
            found = self._runs.get(key, {})
            return [r for r in range(reps) if r not in found]


@dataclass(frozen=True)
class RunRequest:
    """What the page asked for: a scenario (and one to compare it with), replications, seed,
    backend and workers."""

    scenario: Scenario
    reps: int
    seed: int
    base: Scenario | None = None
    backend: str | None = None
    workers: int | None = None
    overrides: tuple[str, ...] = ()

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """The scenario, then the one it is compared with (if any)."""
        return (self.scenario,) if self.base is None else (self.scenario, self.base)


@dataclass
class Progress:
    """A job's state as the page shows it."""

    status: RunStatus = RunStatus.RUNNING
    done: int = 0
    total: int = 0
    error: str = ""
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    version: int = 0

    @property
    def seconds(self) -> float:
        """Seconds since the job started (until it ended)."""
        return (self.ended if self.ended is not None else time.monotonic()) - self.started


class RunJob(threading.Thread):
    """Runs a :class:`RunRequest`'s missing replications in the background."""

    def __init__(self, request: RunRequest, cache: ResultCache) -> None:
        super().__init__(name="collectsim-app-run", daemon=True)
        self.request = request
        self.cache = cache
        self.keys = [cache.key(s, request.seed) for s in request.scenarios]
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._progress = Progress()
        self.tasks = self._tasks()
        self._progress.total = len(self.tasks)

    def _tasks(self) -> list[tuple[tuple[str, int], ReplicationTask]]:
        """Missing replications, interleaved across scenarios in replication order."""
        missing = [set(self.cache.missing(key, self.request.reps)) for key in self.keys]
        tasks = []
        for replication in range(self.request.reps):
            for scenario, key, wanted in zip(self.request.scenarios, self.keys, missing,
                                             strict=True):
                if replication in wanted:
                    tasks.append((key, ReplicationTask(scenario, replication,
                                                       self.request.seed)))
        return tasks

    def cancel(self) -> None:
        """Start no further replication; keep those finished."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancel.is_set()

    def progress(self) -> Progress:
        """A copy of the job's state."""
        with self._lock:
            p = self._progress
            return Progress(p.status, p.done, p.total, p.error, p.started, p.ended, p.version)

    def results(self, which: int = 0) -> list[Results]:
        """The finished replications of scenario ``which`` (0: the scenario, 1: the one it is
        compared with), cached ones included, in index order."""
        return self.cache.results(self.keys[which], self.request.reps)

    def _update(self, **changes: object) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(self._progress, name, value)
            self._progress.version += 1

    def run(self) -> None:
        if self._cancel.is_set():
            self._update(status=RunStatus.CANCELLED, ended=time.monotonic())
            return
        if not self.tasks:
            self._update(status=RunStatus.FINISHED, ended=time.monotonic())
            return
        status, error = RunStatus.FINISHED, ""
        try:
            width = len(self.tasks)
            backend = open_backend(self.request.backend,
                                   min(self.request.workers or default_workers(), width),
                                   parallel_default=True)
            try:
                items = [task for _, task in self.tasks]
                for done, (index, result) in enumerate(backend.map(run_full, items), start=1):
                    if isinstance(result, BaseException):
                        status, error = RunStatus.FAILED, describe(result)
                        break
                    self.cache.add(self.tasks[index][0], result)
                    self._update(done=done)
                    if self._cancel.is_set():
                        status = RunStatus.CANCELLED
                        break
            finally:
                backend.close()
        except Exception as exc:  # a backend that cannot start: one line, never a traceback
            status, error = RunStatus.FAILED, describe(exc)
        if self._cancel.is_set() and status is RunStatus.FINISHED:
            status = RunStatus.CANCELLED
        self._update(status=status, error=error, ended=time.monotonic())


def finished_pairs(current: Sequence[Results], base: Sequence[Results]) -> list[int]:
    """Replication indices finished for both the scenario and the one it is compared with."""
    theirs = {r.replication for r in base}
    return [r.replication for r in current if r.replication in theirs]
