"""What every ``collectsim`` sub-command shares: the parser class, option checks, JSON output.

Bad input never produces a traceback: :class:`Parser` prints a usage error as one line and
exits with :data:`EXIT_BAD_INPUT`, and :func:`require` raises
:class:`~sim.config.loading.ScenarioError`, which :func:`sim.cli.main.main` prints as one line
before exiting with the same status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sim.config.loading import ScenarioError, load_scenario
from sim.config.plain import json_ready
from sim.config.schema import Scenario
from sim.experiment.backends import BACKENDS, default_workers, resolve
from sim.model.kpis import MISSING

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


class DeprecatedFlag(argparse.Action):
    """A flag's old spelling, kept working for one release: it sets what ``replacement`` sets
    and prints one ``note:`` line on stderr saying what to write instead."""

    def __init__(self, option_strings: Sequence[str], dest: str, *, replacement: str,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help=help)
        self.replacement = replacement

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"note: {option_string} is deprecated and will be removed in the next release; "
              f"write {self.replacement}", file=sys.stderr)
        setattr(namespace, self.dest, True)


def require(condition: bool, flag: str, problem: str, got: Any) -> None:
    """Raise the one-line input error ``flag: problem (got ...)`` unless ``condition``."""
    if not condition:
        raise ScenarioError(flag, None, problem, got)


FORMAT_HELP = ("table: each figure in its unit, for reading (default); json: every figure at "
               "full precision, for programs")
SEED_HELP = "seed of the random streams (default 0)"


def with_legend(text: str) -> str:
    """``text`` (a table) followed, if any of its cells is empty (``–``: a rate with nothing to
    divide by, a difference with no control group, a half-width from one replication), by a
    line saying what that means."""
    if MISSING not in text:
        return text
    return text + f"\n{MISSING} no value: nothing to divide by or compare with"


def add_override_options(parser: argparse.ArgumentParser, which: str = "") -> None:
    """``--set`` and ``--scale-collectors`` (``which`` says which files they apply to)."""
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE",
                        help=f"override a value{which} by dotted path, agencies by name; the "
                             "value is TOML (repeatable)")
    parser.add_argument("--scale-collectors", action="store_true",
                        help="scale each agency's collectors and fixed monthly cost with "
                             "portfolio.accounts, relative to the file's value (collectors "
                             "rounded, at least 1; a value given with --set is kept)")


def load_scenarios(paths: Sequence[Path], overrides: Sequence[str] = (), *,
                   scale_collectors: bool = False) -> list[Scenario]:
    """Load every scenario file, raising the problems of all of them together (one line
    each) if any is bad."""
    scenarios: list[Scenario] = []
    problems: list[ScenarioError] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path, overrides,
                                           scale_collectors=scale_collectors))
        except ScenarioError as exc:
            problems.append(exc)
    if problems:
        raise ScenarioError.several(problems)
    return scenarios


def print_json(value: Any) -> None:
    """Print ``value`` as indented strict JSON, at full precision (non-finite as ``null``)."""
    print(json.dumps(json_ready(value), indent=2))


WORKERS_DEFAULT = "every CPU available, at most one per run"
"""The default of ``--workers``, the same for every command that runs the model: replications
give bit-identical results whatever the number of workers, so nothing is gained by leaving CPUs
idle, and more worker processes than CPUs only share them (:func:`cap_workers`)."""
WORKERS_HELP = f"worker processes (default: {WORKERS_DEFAULT}; 1: serially, in this process)"
BACKEND_HELP = ("where runs execute: serial in this process, a process pool, or dask "
                "(default: process with more than one worker, else serial)")
SCHEDULER_HELP = ("dask scheduler address, e.g. tcp://host:8786 (implies dask; default: a "
                  "local cluster)")


def add_backend_options(parser: argparse.ArgumentParser, *, scheduler: bool = True,
                        workers_note: str = "") -> None:
    """``--backend``, ``--workers`` (default :data:`WORKERS_DEFAULT`, with ``workers_note``
    after it) and, unless ``scheduler`` is false, ``--scheduler``."""
    parser.add_argument("--backend", choices=BACKENDS, default=None, help=BACKEND_HELP)
    parser.add_argument("--workers", type=int, default=None, metavar="W",
                        help=WORKERS_HELP + workers_note)
    if scheduler:
        parser.add_argument("--scheduler", default=None, metavar="ADDR", help=SCHEDULER_HELP)


def default_worker_count(runs: int | None) -> int:
    """Workers when ``--workers`` is not given: every CPU available, at most one per run
    (``runs`` when the command knows it up front)."""
    cpus = default_workers()
    return cpus if runs is None else max(1, min(cpus, runs))


def choose_backend(args: argparse.Namespace, runs: int | None = None) -> tuple[str, int]:
    """The backend name and worker count of a command that runs the model, from ``--backend``,
    ``--workers`` and ``--scheduler``: ``--workers`` is capped at the CPUs available
    (:func:`cap_workers`) and, with none of the three given, set to
    :func:`default_worker_count` of ``runs``, so ``args`` carries the choice to whatever runs
    the work. An explicit value is kept as given."""
    cap_workers(args)
    backend = getattr(args, "backend", None)
    scheduler = getattr(args, "scheduler", None)
    if args.workers is None and backend is None and scheduler is None:
        args.workers = default_worker_count(runs)
    return resolve(backend, args.workers, scheduler)


def cap_workers(args: argparse.Namespace) -> None:
    """Cap ``--workers`` at the CPUs this process may use, with one ``note:`` line (more worker
    processes than CPUs only share them). A dask ``--scheduler`` runs on its own cluster, so
    its workers are not capped."""
    workers = getattr(args, "workers", None)
    if workers is None or getattr(args, "scheduler", None) is not None:
        return
    cpus = default_workers()
    if workers > cpus:
        print(f"note: --workers {workers} is more than the {cpus} CPUs available; using {cpus}",
              file=sys.stderr)
        args.workers = cpus
