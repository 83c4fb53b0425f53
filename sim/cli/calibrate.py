"""``collectsim calibrate``: fit scenario parameters to a bank's own figures.

The method is in :mod:`sim.experiment.calibrate` (ABC by sequential Monte Carlo with pyabc),
the targets file in :mod:`sim.experiment.targets`, the checks (posterior predictive, holdout)
in :mod:`sim.experiment.predictive`. The table (or, with ``--format json``, the summary at full
precision) goes to stdout; ``--out`` also writes a results folder
(:mod:`sim.experiment.calibration_folder`) with ``calibrated.toml`` and a report. Bad input is
one line and exit status 2 before anything runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.cli.options import (
    FORMAT_HELP,
    add_backend_options,
    add_override_options,
    choose_backend,
    print_json,
    require,
)
from sim.config.loading import ScenarioError, load_scenario
from sim.experiment.backends import open_backend
from sim.experiment.calibrate import (
    IDENTIFIABLE_SHARE,
    RIDGE_CORRELATION,
    Prior,
    ScenarioSimulator,
    check_priors,
    default_population,
)
from sim.experiment.calibration_folder import write_calibration_folder
from sim.experiment.calibration_run import Outcome, Settings, run_calibration
from sim.experiment.fields import SCALE_PREFIX
from sim.experiment.files import atomic_folder, check_out_folder
from sim.experiment.marker import FolderKind
from sim.experiment.predictive import holdout_split
from sim.experiment.progress import Progress
from sim.experiment.targets import Targets, load_targets, target_metric
from sim.model.kpis import format_value

DEFAULT_PREDICTIVE = 30


def add_parsers(sub: Any) -> None:
    """Add ``calibrate`` to the command's sub-parsers."""
    parser = sub.add_parser("calibrate", help="fit scenario parameters to observed figures "
                                              "(approximate Bayesian computation)")
    parser.add_argument("scenario", type=Path, metavar="SCENARIO",
                        help="scenario file (TOML) whose parameters are fitted")
    parser.add_argument("--targets", type=Path, required=True, metavar="TARGETS.toml",
                        help="observed figures: [targets] accounts, source, [targets.kpis], "
                             "optional [targets.curve]")
    parser.add_argument("--param", dest="params", action="append", default=[],
                        metavar="PATH=LOW:HIGH",
                        help="a numeric scenario field by dotted path and its uniform prior "
                             "range (repeatable)")
    parser.add_argument("--scale", dest="factors", action="append", default=[],
                        metavar="PATTERN=LOW:HIGH",
                        help="a common factor on every numeric field PATTERN matches (a * for "
                             "any one key, e.g. portfolio.segments.*.answer_rate), keeping "
                             "their ratios, and its uniform prior range (repeatable)")
    parser.add_argument("--budget", type=int, required=True, metavar="SIMS",
                        help="simulations of the fit: no generation starts that is expected to "
                             "carry the total past it")
    parser.add_argument("--population", type=int, default=None, metavar="N",
                        help="candidates kept per generation (default: budget / 8, "
                             "between 10 and 200)")
    parser.add_argument("--min-epsilon", type=float, default=0.0, metavar="E",
                        help="stop once the tolerance (a distance in sampling standard "
                             "deviations) falls below E (default 0: budget only)")
    parser.add_argument("--predictive", type=int, default=DEFAULT_PREDICTIVE, metavar="N",
                        help="posterior draws simulated again on fresh seeds for the "
                             f"predictive check (default {DEFAULT_PREDICTIVE}; 0: none)")
    parser.add_argument("--holdout-budget", type=int, default=None, metavar="SIMS",
                        help="with two or more curve points: simulations of a fit without the "
                             "last one, which is then predicted (default: half of --budget; "
                             "0: no holdout check)")
    parser.add_argument("--common-random-numbers", action="store_true",
                        help="simulate every candidate of a generation on the same replication "
                             "(smoother distances, but intervals that under-cover; default: "
                             "each candidate on its own)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of every simulation (default: the scenario's)")
    add_override_options(parser, " in the scenario")
    add_backend_options(parser, workers_note="; parallel samplers draw their own seeds, "
                        "so only --workers 1 repeats a fit draw for draw")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help=FORMAT_HELP)
    parser.add_argument("--out", type=Path, default=None,
                        help="also write a results folder: posterior, calibrated.toml, "
                             "report.html and pyabc's record (default: none, the table only)")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def parse_param(text: str, option: str = "--param") -> Prior:
    """``PATH=LOW:HIGH`` as a :class:`Prior` (with ``option="--scale"``, a common factor on
    the fields the pattern ``PATH`` matches)."""
    path, _, bounds = text.partition("=")
    low_text, colon, high_text = bounds.partition(":")
    shape = "PATTERN" if option == "--scale" else "PATH"
    require(bool(path.strip()) and bool(colon), option, f"expected {shape}=LOW:HIGH", text)
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ScenarioError(option, path.strip(), "LOW and HIGH must be numbers",
                            bounds) from None
    require(math.isfinite(low) and math.isfinite(high) and low < high, option,
            "needs finite LOW < HIGH", text)
    return Prior((SCALE_PREFIX if option == "--scale" else "") + path.strip(), low, high)


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
    require(math.isfinite(args.min_epsilon) and args.min_epsilon >= 0, "--min-epsilon",
            "must be a non-negative number", args.min_epsilon)
    require(args.predictive >= 0, "--predictive", "must be 0 or more", args.predictive)
    require(args.holdout_budget is None or args.holdout_budget >= 0, "--holdout-budget",
            "must be 0 or more simulations", args.holdout_budget)
    require(importlib.util.find_spec("pyabc") is not None, "calibrate",
            "needs pyabc: pip install -e '.[calibrate]'", "not installed")
    require(bool(args.params or args.factors), "--param",
            "give at least one --param PATH=LOW:HIGH or --scale PATTERN=LOW:HIGH", "none")
    priors = [parse_param(text) for text in args.params] + [
        parse_param(text, "--scale") for text in args.factors]
    paths = [p.path for p in priors]
    require(len(set(paths)) == len(paths), "--param", "each path at most once", paths)
    backend, workers = choose_backend(args)
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
    holdout = args.budget // 2 if args.holdout_budget is None else args.holdout_budget
    settings = Settings(budget=args.budget,
                        population=args.population or default_population(args.budget),
                        min_epsilon=args.min_epsilon, seed=seed, sampler=backend,
                        workers=workers, predictive=args.predictive,
                        holdout_budget=holdout if holdout_split(targets) else 0,
                        common_random_numbers=args.common_random_numbers)
    if not args.quiet:
        print(f"calibrating {len(priors)} parameters to {len(targets.names)} targets: "
              f"{settings.population} candidates a generation, budget {args.budget} "
              f"simulations, {backend} on {workers} worker(s)", file=sys.stderr)
    started = time.perf_counter()
    try:
        outcome, wall = _run(args, simulate, priors, targets, scenario, settings, started)
    except RuntimeError as exc:
        print(f"error: calibrate: {exc}", file=sys.stderr)
        return 1
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    if args.format == "json":
        print_json(outcome.as_json())
    else:
        result = outcome.result
        print(calibration_text(outcome, targets))
        note = f"{result.simulations} simulations, {len(result.epsilons)} generations, " \
               f"{wall:.1f}s on {backend} ({workers} worker(s))"
        print(note + (f"; results written to {args.out}/" if args.out is not None else ""))
    return 0


def _run(args: argparse.Namespace, simulate: ScenarioSimulator, priors: list[Prior],
         targets: Targets, scenario: Any, settings: Settings,
         started: float) -> tuple[Outcome, float]:
    """Calibrate and check, with pyabc's databases in the results folder (or a scratch
    folder), then write the folder and its report."""
    progress = Progress(settings.budget, label="simulations", quiet=args.quiet)

    def run(folder: Path) -> Outcome:
        try:
            return run_calibration(simulate, priors, targets, settings, engine, folder,
                                   lambda done: progress.update(min(done, settings.budget)))
        finally:
            progress.close()

    with open_backend(settings.sampler, settings.workers, args.scheduler,
                      parallel_default=False) as engine:
        if args.out is None:
            with tempfile.TemporaryDirectory(prefix="collectsim-calibrate-") as scratch:
                outcome = run(Path(scratch))
            return outcome, time.perf_counter() - started
        # matplotlib is imported only when a report is drawn (see report_command)
        from sim.report.calibration import write_calibration_report

        with atomic_folder(args.out, FolderKind.CALIBRATE) as staging:
            outcome = run(staging)
            wall = time.perf_counter() - started
            write_calibration_folder(
                staging, args.out, outcome, settings, scenario=scenario,
                scenario_file=Path(args.scenario), targets=targets,
                targets_file=Path(args.targets), overrides=args.overrides,
                scale_collectors=args.scale_collectors, backend=engine.describe(),
                command=" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), wall=wall)
            write_calibration_report(staging, shown=Path(args.out))
        return outcome, wall


def _number(value: float) -> str:
    return f"{value:.4g}"


def _figure(name: str, value: float) -> str:
    """A target's value in its KPI's format (curve points as a recovery share)."""
    return format_value(target_metric(name), value)


def calibration_text(outcome: Outcome, targets: Targets) -> str:
    """The posterior as plain text: a row per parameter, the pairwise correlations, each target
    against its posterior predictive band, and the holdout check."""
    result = outcome.result
    figures = ", ".join(f"{name} {_figure(name, v)}" for name, v in targets.observed.items())
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
    lines += _columns(cells)
    lines += ["", f"identified: the 90% posterior interval is under {IDENTIFIABLE_SHARE:.0%} "
              "of the prior range"]
    correlations = result.correlations()
    ridges = {f"{a} ~ {b}" for a, b, _ in result.ridges()}
    if correlations:
        lines += ["", "posterior correlations:"]
        for pair, r in correlations.items():
            lines.append(f"  {pair}: {r:+.2f}" + (
                f"  ridge (|r| > {RIDGE_CORRELATION}, neither identified alone): only a "
                "combination of the two is identified" if pair in ridges else ""))
    eps = result.epsilons[-1] if result.epsilons else math.nan
    lines += ["", f"final tolerance {eps:.3g} sampling standard deviations; effective sample "
              f"size {result.ess():.0f} of {len(result.draws)} draws"]
    if outcome.bands:
        count = next(iter(outcome.bands.values()))["simulations"]
        lines += ["", f"targets against the posterior predictive ({count} posterior draws "
                  "simulated again on fresh seeds; band 5%-95%):"]
        rows = [("target", "observed", "predicted", "5%-95% band", "inside")]
        for name, band in outcome.bands.items():
            rows.append((name, _figure(name, band["observed"]), _figure(name, band["median"]),
                         f"[{_figure(name, band['q05'])}, {_figure(name, band['q95'])}]",
                         "yes" if band["inside"] else "no"))
        lines += ["  " + line for line in _columns(rows)]
    if outcome.holdout is not None:
        band, name = outcome.holdout.band, outcome.holdout.name
        lines += ["", f"holdout: fitted without {name} "
                  f"({outcome.holdout.calibration.simulations} simulations), it is predicted "
                  f"at {_figure(name, band['median'])} [{_figure(name, band['q05'])}, "
                  f"{_figure(name, band['q95'])}]; observed {_figure(name, band['observed'])}: "
                  + ("inside the band" if band["inside"] else "OUTSIDE the band")]
    return "\n".join(lines)


def _columns(cells: Sequence[tuple[str, ...]]) -> list[str]:
    """Rows of cells as aligned text: the first column left, the last left, others right."""
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    last = len(widths) - 1
    return ["  ".join([c[0].ljust(widths[0]), *(c[i].rjust(widths[i]) for i in range(1, last)),
                       c[last]]) for c in cells]


COMMANDS = {"calibrate": calibrate_command}
