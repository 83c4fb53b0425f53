"""``collectsim calibrate``: fit scenario parameters to a bank's own figures.

The method is in :mod:`sim.experiment.calibrate` (ABC by sequential Monte Carlo with pyabc)
and the targets file in :mod:`sim.experiment.targets`. The table (or, with ``--format json``,
``{"posterior": {PATH: {"median", "q05", "q95", "sd"}}, "simulations", "identifiable",
"correlations"}`` at full precision) goes to stdout; ``--out`` also writes a results folder
with ``posterior.csv`` (the final weighted draws), ``abc.db`` (pyabc's record of every
generation) and ``manifest.json``. Bad input is one line and exit status 2 before anything
runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sim.cli.options import FORMAT_HELP, add_override_options, cap_workers, print_json, require
from sim.config.loading import ScenarioError, load_scenario, scenario_hash
from sim.experiment.calibrate import (
    IDENTIFIABLE_SHARE,
    RIDGE_CORRELATION,
    Calibration,
    Prior,
    ScenarioSimulator,
    calibrate,
    check_priors,
    default_population,
)
from sim.experiment.files import atomic_folder, check_out_folder
from sim.experiment.marker import FolderKind
from sim.experiment.progress import Progress
from sim.experiment.sweep import versions
from sim.experiment.targets import CURVE_PREFIX, Targets, load_targets
from sim.model.kpis import format_value


def add_parsers(sub: Any) -> None:
    """Add ``calibrate`` to the command's sub-parsers."""
    parser = sub.add_parser("calibrate", help="fit scenario parameters to observed figures "
                                              "(approximate Bayesian computation)")
    parser.add_argument("scenario", type=Path, metavar="SCENARIO",
                        help="scenario file (TOML) whose parameters are fitted")
    parser.add_argument("--targets", type=Path, required=True, metavar="TARGETS.toml",
                        help="observed figures: [targets] accounts, source, [targets.kpis], "
                             "optional [targets.curve]")
    parser.add_argument("--param", dest="params", action="append", required=True,
                        metavar="PATH=LOW:HIGH",
                        help="a numeric scenario field by dotted path and its uniform prior "
                             "range (repeatable)")
    parser.add_argument("--budget", type=int, required=True, metavar="SIMS",
                        help="simulations in all (checked between generations)")
    parser.add_argument("--population", type=int, default=None, metavar="N",
                        help="candidates kept per generation (default: budget / 8, "
                             "between 10 and 200)")
    parser.add_argument("--min-epsilon", type=float, default=0.0, metavar="E",
                        help="stop once the tolerance (a distance in sampling standard "
                             "deviations) falls below E (default 0: budget only)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of every simulation (default: the scenario's)")
    add_override_options(parser, " in the scenario")
    parser.add_argument("--workers", type=int, default=1, metavar="W",
                        help="worker processes (default 1)")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help=FORMAT_HELP)
    parser.add_argument("--out", type=Path, default=None,
                        help="also write posterior.csv, abc.db and manifest.json")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def parse_param(text: str) -> Prior:
    """``PATH=LOW:HIGH`` as a :class:`Prior`."""
    path, _, bounds = text.partition("=")
    low_text, colon, high_text = bounds.partition(":")
    require(bool(path.strip()) and bool(colon), "--param", "expected PATH=LOW:HIGH", text)
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ScenarioError("--param", path.strip(), "LOW and HIGH must be numbers",
                            bounds) from None
    require(math.isfinite(low) and math.isfinite(high) and low < high, "--param",
            "needs finite LOW < HIGH", text)
    return Prior(path.strip(), low, high)


def _check_curve(targets: Targets, horizon: int) -> None:
    late = [d for d in targets.curve_days if d > horizon]
    if late:
        raise ScenarioError(targets.path, "targets.curve.days",
                            f"beyond the scenario's {horizon}-day placement", late[0])


def calibrate_command(args: argparse.Namespace) -> int:
    """``collectsim calibrate``."""
    require(args.seed is None or 0 <= args.seed < 2**63, "--seed",
            "must be a non-negative integer", args.seed)
    require(args.budget > 0, "--budget", "must be a positive number of simulations",
            args.budget)
    require(args.population is None or args.population >= 2, "--population",
            "must be at least 2", args.population)
    require(args.workers >= 1, "--workers", "must be at least 1", args.workers)
    require(math.isfinite(args.min_epsilon) and args.min_epsilon >= 0, "--min-epsilon",
            "must be a non-negative number", args.min_epsilon)
    require(importlib.util.find_spec("pyabc") is not None, "calibrate",
            "needs pyabc: pip install -e '.[calibrate]'", "not installed")
    priors = [parse_param(text) for text in args.params]
    paths = [p.path for p in priors]
    require(len(set(paths)) == len(paths), "--param", "each path at most once", paths)
    cap_workers(args)
    targets = load_targets(args.targets)
    scenario = load_scenario(args.scenario, args.overrides,
                             scale_collectors=args.scale_collectors)
    _check_curve(targets, scenario.scenario.horizon_days)
    check_priors(args.scenario, args.overrides, priors, scale_collectors=args.scale_collectors)
    if args.out is not None:
        check_out_folder(args.out, FolderKind.CALIBRATE)
    seed = scenario.scenario.seed if args.seed is None else args.seed
    simulate = ScenarioSimulator(Path(args.scenario), tuple(args.overrides),
                                 tuple(targets.names), seed, args.scale_collectors)
    population = args.population or default_population(args.budget)
    if not args.quiet:
        print(f"calibrating {len(priors)} parameters to {len(targets.names)} targets: "
              f"{population} candidates a generation, budget {args.budget} simulations, "
              f"{args.workers} worker(s)", file=sys.stderr)
    started = time.perf_counter()
    try:
        result, wall = _run(args, simulate, priors, targets, scenario, seed, population,
                            started)
    except RuntimeError as exc:
        print(f"error: calibrate: {exc}", file=sys.stderr)
        return 1
    if args.format == "json":
        print_json(result.as_json())
    else:
        print(calibration_text(result, targets))
        note = f"{result.simulations} simulations, {len(result.epsilons)} generations, " \
               f"{wall:.1f}s on {args.workers} worker(s)"
        print(note + (f"; results written to {args.out}/" if args.out is not None else ""))
    return 0


def _run(args: argparse.Namespace, simulate: ScenarioSimulator, priors: list[Prior],
         targets: Targets, scenario: Any, seed: int, population: int,
         started: float) -> tuple[Calibration, float]:
    """Calibrate, with pyabc's database in the results folder (or a scratch folder)."""

    def run(folder: Path) -> Calibration:
        progress = Progress(args.budget, label="simulations", quiet=args.quiet)
        try:
            return calibrate(simulate, priors, targets, budget=args.budget,
                             database=folder / "abc.db", population=population,
                             workers=args.workers, min_epsilon=args.min_epsilon, seed=seed,
                             progress=lambda done: progress.update(min(done, args.budget)))
        finally:
            progress.close()

    if args.out is None:
        with tempfile.TemporaryDirectory(prefix="collectsim-calibrate-") as scratch:
            result = run(Path(scratch))
        return result, time.perf_counter() - started
    with atomic_folder(args.out, FolderKind.CALIBRATE) as staging:
        result = run(staging)
        wall = time.perf_counter() - started
        _write_folder(staging, args, scenario, targets, result, seed, population, wall)
    return result, wall


def _number(value: float) -> str:
    return f"{value:.4g}"


def calibration_text(result: Calibration, targets: Targets) -> str:
    """The posterior as plain text: a row per parameter, then the pairwise correlations."""
    figures = ", ".join(
        f"{name} {format_value('recovery_rate' if name.startswith(CURVE_PREFIX) else name, v)}"
        for name, v in targets.observed.items())
    lines = [f"ABC-SMC calibration to {figures} (observed on {targets.accounts:,} accounts; "
             f"{targets.source})", ""]
    posterior, identifiable = result.posterior(), result.identifiable()
    cells = [("parameter", "prior", "median", "90% interval", "sd", "identified")]
    for prior in result.priors:
        post = posterior[prior.path]
        cells.append((prior.path, f"[{_number(prior.low)}, {_number(prior.high)}]",
                      _number(post["median"]),
                      f"[{_number(post['q05'])}, {_number(post['q95'])}]", _number(post["sd"]),
                      "yes" if identifiable[prior.path] else "no"))
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    for c in cells:
        lines.append("  ".join([c[0].ljust(widths[0]), *(c[i].rjust(widths[i])
                                                         for i in range(1, 5)), c[5]]))
    lines += ["", f"identified: the 90% posterior interval is under {IDENTIFIABLE_SHARE:.0%} "
              "of the prior range"]
    correlations = result.correlations()
    if correlations:
        lines += ["", "posterior correlations:"]
        for pair, r in correlations.items():
            ridge = abs(r) > RIDGE_CORRELATION
            lines.append(f"  {pair}: {r:+.2f}" + (
                f"  ridge (|r| > {RIDGE_CORRELATION}): only a combination of the two is "
                "identified" if ridge else ""))
    eps = result.epsilons[-1] if result.epsilons else math.nan
    lines += ["", f"final tolerance {eps:.3g} sampling standard deviations; effective sample "
              f"size {result.ess():.0f} of {len(result.draws)} draws"]
    return "\n".join(lines)


def _write_folder(staging: Path, args: argparse.Namespace, scenario: Any, targets: Targets,
                  result: Calibration, seed: int, population: int, wall: float) -> None:
    result.draws.to_csv(staging / "posterior.csv", index=False)
    info = {**result.as_json(),
            "method": "ABC-SMC (pyabc), uniform priors, median-distance tolerance schedule",
            "distance": "sqrt(sum(((simulated - observed) / sd)^2)), sd = sqrt(p(1-p)/N) for "
                        "shares and curve points, sqrt(1000 r / N) for rates per 1,000",
            "priors": {p.path: [p.low, p.high] for p in result.priors},
            "targets": {"file": str(args.targets), "accounts": targets.accounts,
                        "source": targets.source, "observed": targets.observed,
                        "sd": targets.sd},
            "epsilons": result.epsilons, "effective_sample_size": result.ess(),
            "population": population, "budget": args.budget, "min_epsilon": args.min_epsilon,
            "common_random_numbers": "every candidate of generation g is replication g of "
                                     "the seed",
            "seed": seed, "overrides": list(args.overrides),
            "scale_collectors": args.scale_collectors,
            "scenario": {"file": str(args.scenario), "hash": scenario_hash(scenario),
                         "scenario": scenario.model_dump(mode="json")},
            "workers": args.workers, "versions": versions(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "timings": {"total_seconds": wall}}
    (staging / "manifest.json").write_text(
        json.dumps(info, indent=2, default=str, allow_nan=False) + "\n")


COMMANDS = {"calibrate": calibrate_command}
