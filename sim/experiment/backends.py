"""Where runs execute: in this process, in a local process pool, or on a dask cluster.

Every backend offers one operation, :meth:`Backend.map`: apply a module-level task function
(:mod:`sim.experiment.tasks`) to a list of picklable items and yield ``(index, result)`` pairs
*as they finish*, with an exception object in place of the result when a task raised. Callers
sort what they receive by index, so results never depend on completion order. Submission is
windowed (a few tasks per worker in flight) so that a sequential procedure can stop early and a
sweep of a million runs does not queue a million futures.

- ``serial``: runs tasks one after another in this process.
- ``process``: a :class:`~concurrent.futures.ProcessPoolExecutor` whose workers are forked
  from a fork server that has pre-imported the model (spawned where there is no fork server;
  forked directly when the main script came from stdin and cannot be re-imported). As with
  any multiprocessing, a script that starts a pool needs an ``if __name__ == "__main__":``
  guard. Workers ignore Ctrl-C and exit when their parent dies. A worker crash (out of memory, say)
  restarts the pool and resubmits the runs in flight; a run in flight during two crashes is
  reported as failed.
- ``dask``: a ``dask.distributed`` client, either to an existing scheduler
  (``tcp://host:port``; its workers must have the same collectsim installed) or to a
  ``LocalCluster`` of single-threaded worker processes on the loopback interface. The local
  cluster starts with no worker and grows as work arrives, to at most as many workers as tasks
  and CPUs: two runs on ``--workers 8`` start two worker processes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any

from sim.config.loading import ScenarioError
from sim.experiment.tasks import init_worker, package_version

BACKENDS = ("serial", "process", "dask")
IN_FLIGHT_PER_WORKER = 2
MAX_CRASHES = 2


class Backend(ABC):
    """Runs task functions over items; see the module docstring."""

    name = "backend"

    def __init__(self, workers: int) -> None:
        self.workers = workers

    @abstractmethod
    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]
            ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(items[index]))`` as tasks finish (an exception if one raised)."""

    @abstractmethod
    def close(self) -> None:
        """Release workers and connections."""

    def describe(self) -> str:
        """``name (N workers)`` for manifests and messages."""
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class SerialBackend(Backend):
    """Tasks one after another in this process."""

    name = "serial"

    def __init__(self) -> None:
        super().__init__(1)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]
            ) -> Iterator[tuple[int, Any]]:
        for index, item in enumerate(items):
            try:
                result = fn(item)
            except Exception as exc:
                result = exc
            yield index, result

    def close(self) -> None:
        """Nothing to release."""


def _main_is_a_missing_file() -> bool:
    """Whether ``__main__`` claims a file that does not exist (a script read from stdin):
    spawned and fork-server workers would try to re-run it and die."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    spec = getattr(main, "__spec__", None)
    return spec is None and isinstance(path, str) and not os.path.isfile(path)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _main_is_a_missing_file():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.experiment.tasks"])
        return context
    return multiprocessing.get_context("spawn")


class ProcessBackend(Backend):
    """A local pool of worker processes."""

    name = "process"

    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self._pool: ProcessPoolExecutor | None = None
        self._interrupted = False

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(),
                                             initializer=init_worker)
        return self._pool

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]
            ) -> Iterator[tuple[int, Any]]:
        window = max(1, IN_FLIGHT_PER_WORKER * self.workers)
        queue = list(range(len(items)))[::-1]
        crashes: dict[int, int] = {}
        pending: dict[Future[Any], int] = {}
        self._interrupted = True
        try:
            while queue or pending:
                while queue and len(pending) < window:
                    index = queue.pop()
                    try:
                        pending[self._executor().submit(fn, items[index])] = index
                    except BrokenProcessPool:
                        queue.append(index)
                        self._restart()
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=pending.__getitem__):
                    index = pending.pop(future)
                    if future.cancelled():
                        queue.append(index)
                        continue
                    error = future.exception()
                    if isinstance(error, BrokenProcessPool):
                        crashes[index] = crashes.get(index, 0) + 1
                        if crashes[index] < MAX_CRASHES:
                            queue.append(index)
                            continue
                    yield index, (error if error is not None else future.result())
                if any(not f.cancelled() and isinstance(f.exception(), BrokenProcessPool)
                       for f in done):
                    self._restart()
            self._interrupted = False
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        """Shut the pool down; stop workers still running abandoned tasks."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not self._interrupted:
            pool.shutdown(wait=True)
            return
        processes = dict(getattr(pool, "_processes", None) or {})
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes.values():
            if process.is_alive():
                process.terminate()
        for process in processes.values():
            process.join(timeout=5)


class DaskBackend(Backend):
    """A dask.distributed client: an existing scheduler or a local cluster."""

    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None) -> None:
        try:  # distributed takes about 0.2 s to import; only the dask backend needs it
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - dask is a declared dependency
            raise ScenarioError("--backend", None, "dask.distributed is not installed",
                                "dask") from None
        self.scheduler = scheduler
        self._cluster: Any = None
        if scheduler is None:
            self._cluster = LocalCluster(n_workers=0, threads_per_worker=1,
                                         processes=True, host="127.0.0.1",
                                         dashboard_address=None, silence_logs=logging.ERROR)
            self._client: Any = Client(self._cluster)
            super().__init__(min(workers, default_workers()))
            return
        try:
            self._client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ScenarioError("--scheduler", None, f"cannot connect: {exc}",
                                scheduler) from None
        self._check_versions()
        threads = sum(self._client.nthreads().values())
        super().__init__(max(1, threads))

    def _check_versions(self) -> None:
        mine = package_version()
        theirs = self._client.run(package_version)
        wrong = {w: v for w, v in theirs.items() if v != mine}
        if wrong:
            worker, version = next(iter(wrong.items()))
            self.close()
            raise ScenarioError("--scheduler", None,
                                f"worker {worker} runs collectsim {version}, this is {mine}",
                                self.scheduler)

    def describe(self) -> str:
        where = self.scheduler or "local cluster"
        return f"dask ({self.workers} worker threads, {where})"

    @property
    def started_workers(self) -> int:
        """Worker processes the local cluster has started or is starting (the workers of a
        remote scheduler)."""
        if self._cluster is not None:
            return len(self._cluster.plan)
        return len(self._client.scheduler_info().get("workers", {}))

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (for libraries that submit to dask themselves)."""
        return self._client

    def start_workers(self, count: int, timeout: float = 60.0) -> None:
        """Start local workers for ``count`` tasks at a time (up to :attr:`workers`) and wait
        until they run (on a remote scheduler: until one runs). A library that sizes its work
        by the cluster's cores, as pyabc's dask sampler does, would otherwise see none."""
        self._grow(count)
        wanted = min(count, self.workers) if self._cluster is not None else 1
        self._client.wait_for_workers(max(1, wanted), timeout=timeout)

    def _grow(self, tasks: int) -> None:
        """Start local workers for ``tasks`` more tasks, up to :attr:`workers`."""
        wanted = min(self.workers, tasks)
        if self._cluster is not None and wanted > len(self._cluster.plan):
            self._cluster.scale(wanted)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]
            ) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed  # see __init__: only the dask backend needs it

        window = max(1, IN_FLIGHT_PER_WORKER * self.workers)
        upcoming = iter(range(len(items)))
        index_of: dict[str, int] = {}
        self._grow(len(items))

        def submit(index: int) -> Any:
            future = self._client.submit(fn, items[index], pure=False)
            index_of[future.key] = index
            return future

        first = [submit(i) for _, i in zip(range(window), upcoming, strict=False)]
        stream = as_completed(first)
        try:
            for future in stream:
                index = index_of.pop(future.key)
                if future.status == "error":
                    result: Any = future.exception()
                else:
                    result = future.result()
                future.release()
                nxt = next(upcoming, None)
                if nxt is not None:
                    stream.add(submit(nxt))
                yield index, result
        finally:
            for future in list(stream.futures):
                future.cancel()

    def close(self) -> None:
        client, self._client = getattr(self, "_client", None), None
        cluster, self._cluster = self._cluster, None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def default_workers() -> int:
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def resolve(backend: str | None, workers: int | None, scheduler: str | None = None, *,
            parallel_default: bool = True) -> tuple[str, int]:
    """Choose a backend name and worker count from what the user gave.

    With nothing given, ``parallel_default`` picks a process pool on every CPU or runs
    serially (the library's :func:`~sim.experiment.replicate.replicate` and scenario table; the
    commands give a worker count of their own: :func:`sim.cli.options.choose_backend`).
    ``--workers 1`` means serial unless a backend is named; ``--scheduler`` implies dask.
    """
    if workers is not None and workers < 1:
        raise ScenarioError("--workers", None, "must be at least 1", workers)
    if backend is not None and backend not in BACKENDS:
        raise ScenarioError("--backend", None, f"must be one of {', '.join(BACKENDS)}",
                            backend)
    if scheduler is not None:
        if backend not in (None, "dask"):
            raise ScenarioError("--scheduler", None, "only applies to --backend dask",
                                scheduler)
        backend = "dask"
    if backend is None:
        if workers is not None:
            backend = "serial" if workers == 1 else "process"
        else:
            backend = "process" if parallel_default and default_workers() > 1 else "serial"
    if backend == "serial":
        return backend, 1
    return backend, workers if workers is not None else default_workers()


def open_backend(backend: str | None = None, workers: int | None = None,
                 scheduler: str | None = None, *, parallel_default: bool = True) -> Backend:
    """Start a backend (use it as a context manager so its workers are released)."""
    name, count = resolve(backend, workers, scheduler, parallel_default=parallel_default)
    if name == "serial":
        return SerialBackend()
    if name == "process":
        return ProcessBackend(count)
    return DaskBackend(count, scheduler)
