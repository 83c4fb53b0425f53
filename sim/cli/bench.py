"""``collectsim bench``: the model's account-days per second, how its time grows with size,
the same measured side by side against another revision (``--against``), and the inbound
queue against Ciw (``--queue``).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sim.bench import revisions, side_by_side
from sim.bench.model import (
    BASELINE,
    SCALING_ACCOUNTS,
    SCALING_FACTOR,
    bench_model,
    bench_scaling,
    scenario_at,
)
from sim.bench.queue import FIGURES, MIN_CUSTOMERS, bench_queue, have_ciw
from sim.cli.options import EXIT_BAD_INPUT, FORMAT_HELP, print_json, require
from sim.config.loading import ScenarioError, load_scenario
from sim.experiment import preflight

BENCH_CUSTOMERS = 100_000  # bench_queue's default
MAX_ACCOUNTS = 50_000_000
DEFAULT_REPEATS = 3
T = TypeVar("T")
QUEUE_OPTIONS = ("servers", "arrival_rate", "service_rate", "patience_rate", "customers")


def add_parsers(sub: Any) -> None:
    """Add ``bench`` to the command's sub-parsers."""
    bench = sub.add_parser("bench", help="time the model: account-days per second, scaling, "
                           "side by side with another revision (--queue: the inbound queue "
                           "against Ciw)")
    bench.add_argument("--accounts", type=int, default=None,
                       help="accounts in the timed portfolio, every agency's collectors scaled "
                            "in proportion (default: the scenario's own, 20,000 for the "
                            f"baseline; with --scaling {SCALING_ACCOUNTS:,})")
    bench.add_argument("--scenario", type=Path, default=None,
                       metavar="FILE",
                       help="time this scenario instead of the baseline (default: "
                            "scenarios/baseline.toml; its collectors scale with --accounts)")
    bench.add_argument("--scaling", type=int, nargs="?", const=SCALING_FACTOR, default=None,
                       metavar="FACTOR",
                       help="time --accounts and FACTOR times as many (default "
                            f"{SCALING_FACTOR}), each in its own process: the time ratio "
                            "(linear scaling: near FACTOR) and each run's peak memory")
    bench.add_argument("--against", default=None, metavar="REV",
                       help="time the baseline of this revision too (a commit of the "
                            "repository the package is installed from; checked out with its "
                            "own virtual environment in the user cache, once), alternating "
                            "with this revision's (default: none, this revision alone)")
    bench.add_argument("--repeats", type=int, default=None, metavar="R",
                       help=f"with --against: runs of each revision (default {DEFAULT_REPEATS}); "
                            "with --scaling: runs of each size, in turn, the figures of their "
                            "medians (default 1)")
    bench.add_argument("--set", dest="overrides", action="append", default=[],
                       metavar="KEY=VALUE",
                       help="change the timed scenario by dotted path, agencies by name, as "
                            "`run --set` does; with --against, both revisions' baselines "
                            "(repeatable; collectors set here are kept, not scaled)")
    bench.add_argument("--queue", action="store_true",
                       help="time the inbound queue against Ciw on an M/M/c+M workload, both "
                            "beside Erlang A (needs the bench extra)")
    for flag, kind, meaning, default in (
            ("--servers", int, "agents answering the queue (c)", "10"),
            ("--arrival-rate", float, "callers per unit of time (lambda)", "9"),
            ("--service-rate", float, "calls one agent completes per unit of time (mu)", "1"),
            ("--patience-rate", float, "rate at which a waiting caller hangs up (theta)",
             "0.5"),
            ("--customers", int, "callers simulated", "100,000")):
        bench.add_argument(flag, type=kind, default=None,
                           help=f"with --queue: {meaning} (default {default})")
    bench.add_argument("--format", choices=("table", "json"), default="table",
                       help=FORMAT_HELP)


def bench_command(args: argparse.Namespace) -> int:
    """``collectsim bench``."""
    queue = {key: getattr(args, key) for key in QUEUE_OPTIONS}
    if args.queue:
        for flag in ("accounts", "scenario", "scaling", "against", "repeats"):
            value = getattr(args, flag)
            require(value is None, f"--{flag}", "does not apply with --queue",
                    value if not isinstance(value, Path) else str(value))
        require(not args.overrides, "--set", "does not apply with --queue",
                " ".join(args.overrides))
        return _bench_queue(args.format, {k: v for k, v in queue.items() if v is not None})
    for key, value in queue.items():
        require(value is None, f"--{key.replace('_', '-')}", "only applies with --queue", value)
    if args.accounts is not None:
        require(1 <= args.accounts <= MAX_ACCOUNTS, "--accounts",
                f"must be 1 to {MAX_ACCOUNTS:,}", args.accounts)
    for text in args.overrides:
        require(text.split("=", 1)[0].strip() != "portfolio.accounts", "--set",
                "use --accounts to change the number of accounts (collectors follow it)", text)
    if args.against is not None:
        return _bench_against(args)
    require(args.repeats is None or args.scaling is not None, "--repeats",
            "only applies with --against or --scaling", args.repeats)
    path = BASELINE if args.scenario is None else args.scenario
    if args.scaling is not None:
        repeats = 1 if args.repeats is None else args.repeats
        require(1 <= repeats <= 20, "--repeats", "must be 1 to 20", repeats)
        accounts = SCALING_ACCOUNTS if args.accounts is None else args.accounts
        require(2 <= args.scaling <= 100 and accounts * args.scaling <= MAX_ACCOUNTS,
                "--scaling", f"must be 2 to 100 (and at most {MAX_ACCOUNTS:,} accounts)",
                args.scaling)
        _preflight(accounts * args.scaling, path, "--scaling", args.overrides)
        figures = _checked(lambda: bench_scaling(accounts, args.scaling, path,
                                                 repeats=repeats, overrides=args.overrides))
    else:
        accounts = load_scenario(path, args.overrides).portfolio.accounts \
            if args.accounts is None else args.accounts
        _preflight(accounts, path, "--accounts", args.overrides)
        figures = bench_model(accounts, path, overrides=args.overrides)
    if args.format == "json":
        print_json(figures)
    else:
        for key, value in figures.items():
            print(f"{key:>30}  {_cell(value)}")
    return 0


def _bench_against(args: argparse.Namespace) -> int:
    """``bench --against REV``: both revisions' baselines, alternated, and the table."""
    require(args.scenario is None, "--scenario", "does not apply with --against: each "
            "revision runs its own scenarios/baseline.toml", str(args.scenario))
    require(args.scaling is None, "--scaling", "does not apply with --against", args.scaling)
    repeats = DEFAULT_REPEATS if args.repeats is None else args.repeats
    require(1 <= repeats <= 20, "--repeats", "must be 1 to 20", repeats)
    accounts = load_scenario(BASELINE).portfolio.accounts if args.accounts is None \
        else args.accounts
    _preflight(accounts, BASELINE, "--accounts", args.overrides)
    try:
        repository = revisions.package_repository()
    except (revisions.CommandError, OSError):
        raise ScenarioError("--against", None, "the installed package is not in a git "
                            "repository", str(revisions.CURRENT_ROOT)) from None
    try:
        revisions.resolve_commit(repository, args.against)
    except revisions.CommandError:
        raise ScenarioError("--against", None, f"not a commit of {repository}",
                            args.against) from None
    checkout = _checked(lambda: revisions.prepare(
        args.against, repository=repository, cache=revisions.cache_root(), note=_note))
    request = {"accounts": accounts, "overrides": args.overrides}

    def current() -> dict[str, Any]:
        return revisions.run_timer(None, revisions.CURRENT_ROOT,
                                   {**request, "scenario": str(BASELINE)})

    def other() -> dict[str, Any]:
        return revisions.run_timer(checkout.python, checkout.source,
                                   {**request, "scenario": str(checkout.baseline)})

    progress = _note if sys.stderr.isatty() else None
    ours, theirs = _checked(lambda: side_by_side.alternate(current, other, repeats, progress))
    summary = side_by_side.summarise(ours, theirs, revisions.describe_current(),
                                     checkout.commit)
    if args.format == "json":
        print_json(summary)
    else:
        print("\n".join(side_by_side.table_lines(summary)))
    return 0


def _preflight(accounts: int, path: Path, flag: str, overrides: list[str]) -> None:
    preflight.check_single(scenario_at(accounts, path, overrides),
                           {"": str(path), "portfolio.accounts": flag})


def _checked(work: Callable[[], T]) -> T:
    """``work()``, a failed command of it (git, venv, pip, a timed run) as one error line."""
    try:
        return work()
    except revisions.CommandError as exc:
        raise ScenarioError("bench", None, str(exc)) from None


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1_000 else f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return " ".join(map(str, value)) or "—"
    return "—" if value is None else str(value)


def _bench_queue(output: str, options: dict[str, Any]) -> int:
    if "servers" in options:
        require(1 <= options["servers"] <= 10_000, "--servers", "must be 1 to 10,000",
                options["servers"])
    for key in ("arrival_rate", "service_rate", "patience_rate"):
        if key in options:
            require(math.isfinite(options[key]) and options[key] > 0,
                    f"--{key.replace('_', '-')}", "must be positive", options[key])
    if "customers" in options:
        require(MIN_CUSTOMERS <= options["customers"] <= 10_000_000, "--customers",
                f"must be {MIN_CUSTOMERS:,} to 10,000,000", options["customers"])
    preflight.check_bench_queue(options.get("customers", BENCH_CUSTOMERS))
    if not have_ciw():
        print("error: bench --queue: needs Ciw: pip install -e '.[bench]'", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        figures = bench_queue(**options)
    except ValueError as exc:  # an Erlang A chain that does not settle, say
        raise ScenarioError("bench --queue", None, str(exc)) from None
    if output == "json":
        print_json(figures)
        return 0
    print(f"M/M/{figures['servers']}+M, arrival rate {figures['arrival_rate']:g}, service rate "
          f"{figures['service_rate']:g}, patience rate {figures['patience_rate']:g}: "
          f"{figures['customers']:,} customers, seed {figures['seed']}")
    print(f"{'':>9}  {'customers/s':>11}" + "".join(f"  {name:>20}" for name in FIGURES))
    for side in ("ours", "ciw", "erlang_a"):
        result = figures[side]
        rate = figures.get(f"{side}_customers_per_second")
        cells = [f"{result[name]:.5f}" + (f" ({result['deviation_se'][name]:+.1f} SE)"
                                          if "deviation_se" in result else "")
                 for name in FIGURES]
        print(f"{side:>9}  {'' if rate is None else f'{rate:,.0f}':>11}"
              + "".join(f"  {cell:>20}" for cell in cells))
    print(f"{'ciw_ratio':>9}  {figures['ciw_ratio']:>11.2f}")
    return 0


COMMANDS = {"bench": bench_command}
