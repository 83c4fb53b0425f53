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
from sim.experiment.backends import BACKENDS, default_workers
from sim.model.kpis import MISSING

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


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
                        help="scale each agency's collectors with portfolio.accounts, relative "
                             "to the file's value (rounded, at least 1; a collectors value "
                             "given with --set is kept)")


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


def add_backend_options(parser: argparse.ArgumentParser, *, parallel_default: bool) -> None:
    """``--backend``, ``--workers`` and ``--scheduler``."""
    default = "process on every CPU" if parallel_default else "serial; process if --workers > 1"
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help=f"where runs execute (default: {default})")
    parser.add_argument("--workers", type=int, default=None, metavar="W",
                        help="worker processes (default: CPUs available)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="dask scheduler address, e.g. tcp://host:8786 (implies dask; "
                             "default: a local cluster)")


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
