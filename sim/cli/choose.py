"""``collectsim select``: choose the best of several scenarios on one KPI, with a guarantee.

The procedures are in :mod:`sim.experiment.select` (Kim–Nelson, the default) and
:mod:`sim.experiment.ocba` (a fixed budget); :mod:`sim.experiment.selection` runs them on the
scenarios. The table (or, with ``--format json``, ``{"best", "replications",
"equal_allocation_replications", "pcs", "delta", "intervals"}`` at full precision) goes to
stdout; ``--out`` also writes a results folder with ``runs.csv`` (every replication run),
``summary.csv`` (per scenario) and ``manifest.json``. Bad input is one line and exit status 2
before anything runs; a failed replication is one line and exit status 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from sim.cli.options import add_backend_options, cap_workers, print_json, require
from sim.config.loading import ScenarioError, load_scenario, scenario_hash
from sim.config.notes import print_notes
from sim.experiment import preflight
from sim.experiment.backends import resolve
from sim.experiment.files import atomic_folder, check_out_folder
from sim.experiment.marker import FolderKind
from sim.experiment.progress import Progress
from sim.experiment.select import DEFAULT_MAX_REPS, DEFAULT_N0
from sim.experiment.selection import METHODS, Selection, check_settings, select_best
from sim.experiment.sweep import versions
from sim.model.kpis import BY_NAME, Unit, format_difference, format_interval


def add_parsers(sub: Any) -> None:
    """Add ``select`` to the command's sub-parsers."""
    parser = sub.add_parser("select", help="select the best scenario on a KPI with a "
                                           "guaranteed probability of correct selection")
    parser.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    parser.add_argument("--kpi", required=True, help="the KPI to select on (program total); "
                        "its direction comes from `collectsim kpis`")
    parser.add_argument("--delta", type=float, required=True, metavar="D",
                        help="indifference zone in the KPI's unit (a share as a fraction: "
                             "0.005 is half a percentage point)")
    parser.add_argument("--pcs", type=float, default=None, metavar="P",
                        help="probability of correct selection, between 1/k and 1 "
                             "(Kim–Nelson)")
    parser.add_argument("--method", choices=METHODS, default="kn",
                        help="kn: Kim–Nelson fully sequential (default); ocba: a fixed budget")
    parser.add_argument("--budget", type=int, default=None, metavar="N",
                        help="replications in all with --method ocba")
    parser.add_argument("--n0", type=int, default=DEFAULT_N0,
                        help=f"first-stage replications of every scenario (default "
                             f"{DEFAULT_N0})")
    parser.add_argument("--max-reps", type=int, default=DEFAULT_MAX_REPS,
                        help=f"cap on any scenario's replications (default {DEFAULT_MAX_REPS})")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for every scenario (default: the first scenario's)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a value in every scenario")
    parser.add_argument("--format", choices=("table", "json"), default="table")
    parser.add_argument("--out", type=Path, default=None,
                        help="also write runs.csv, summary.csv and manifest.json")
    add_backend_options(parser, parallel_default=True)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _unique_names(paths: list[Path], names: list[str]) -> None:
    first: dict[str, Path] = {}
    for path, name in zip(paths, names, strict=True):
        if name in first:
            raise ScenarioError(str(path), "scenario.name", f"same name as {first[name]}; "
                                "select names each scenario by its [scenario] name", name)
        first[name] = path


def select_command(args: argparse.Namespace) -> int:
    """``collectsim select``."""
    require(args.seed is None or 0 <= args.seed < 2**63, "--seed",
            "must be a non-negative integer", args.seed)
    require(args.pcs is None or args.method == "kn", "--pcs",
            "only applies with --method kn (OCBA reports the probability it reached)",
            args.pcs)
    require(args.budget is None or args.method == "ocba", "--budget",
            "only applies with --method ocba", args.budget)
    check_settings(len(args.scenarios), args.kpi, args.delta, args.pcs, method=args.method,
                   budget=args.budget, n0=args.n0, max_reps=args.max_reps)
    cap_workers(args)
    backend, workers = resolve(args.backend, args.workers, args.scheduler)
    scenarios = [load_scenario(path, args.overrides) for path in args.scenarios]
    names = [s.scenario.name for s in scenarios]
    _unique_names(list(args.scenarios), names)
    most = args.max_reps if args.method == "kn" else args.budget
    preflight.check_replications([(str(p), s) for p, s in zip(args.scenarios, scenarios,
                                                               strict=True)],
                                 most, workers, backend,
                                 reps_flag="--max-reps" if args.method == "kn" else "--budget",
                                 remote=args.scheduler is not None)
    if args.out is not None:
        check_out_folder(args.out, FolderKind.SELECT)
    for path, scenario in zip(args.scenarios, scenarios, strict=True):
        print_notes(path, scenario)
    progress = Progress(0, label="replications", quiet=args.quiet)
    started = time.perf_counter()
    try:
        result = select_best(scenarios, args.kpi, args.delta, args.pcs, method=args.method,
                             budget=args.budget, n0=args.n0, max_reps=args.max_reps,
                             seed=args.seed, labels=names, backend=args.backend,
                             workers=args.workers, scheduler=args.scheduler,
                             progress=lambda d, f, t: progress.update(d, f, t))
    except RuntimeError as exc:
        progress.close()
        print(f"error: select: {exc}", file=sys.stderr)
        return 1
    progress.close()
    wall = time.perf_counter() - started
    if result.outcome.capped:
        print(f"warning: --max-reps {args.max_reps} reached with "
              f"{sum(1 for e in result.outcome.eliminated_at if e is None)} scenarios still in "
              "contention; the best mean among them is shown, without the guarantee",
              file=sys.stderr)
    if args.out is not None:
        _write_folder(args, scenarios, result, wall)
    if args.format == "json":
        print_json(result.as_json())
    else:
        print(selection_text(result))
        note = f"{sum(result.outcome.replications)} replications used, {len(result.runs)} run, " \
               f"{wall:.1f}s on {result.backend}"
        print(note + (f"; results written to {args.out}/" if args.out is not None else ""))
    return 0


def _difference(kpi: str, value: float, delta: float) -> str:
    """A difference in the KPI's unit with enough decimals to tell δ apart (the registry's
    one decimal of a percentage point would print δ = 0.05 pp as 0.1 pp)."""
    text = format_difference(kpi, value)
    scale = 100.0 if BY_NAME[kpi].unit in (Unit.SHARE, Unit.POINTS) else 1.0
    decimals = max(0, math.ceil(-math.log10(abs(delta) * scale)) + 1) if delta else 0
    if decimals <= BY_NAME[kpi].decimals(True) or not math.isfinite(value):
        return text
    unit = " pp" if scale == 100.0 else ""
    return f"{value * scale:+,.{decimals}f}{unit}"


def selection_text(result: Selection) -> str:
    """The selection as plain text: the procedure, a row per scenario, the saving."""
    outcome = result.outcome
    kpi = BY_NAME[result.kpi]
    zone = _difference(result.kpi, outcome.delta, outcome.delta).lstrip("+")
    other = "max" if outcome.maximise else "min"
    if outcome.method == "kn":
        head = (f"Kim–Nelson selection on {result.kpi} ({kpi.direction}): δ = {zone}, "
                f"probability of correct selection ≥ {outcome.pcs:.1%}, n0 = {result.n0}, "
                f"common random numbers (seed {result.seed}); η = {outcome.eta:.4f}, "
                f"h² = {outcome.h2:.3f}")
    else:
        head = (f"OCBA selection on {result.kpi} ({kpi.direction}): budget {result.budget} "
                f"replications, n0 = {result.n0}, common random numbers (seed {result.seed}); "
                f"approximate probability the choice is within δ = {zone} of the best: "
                f"{outcome.pcs:.1%}")
    level = outcome.pcs if outcome.method == "kn" else 0.95
    cells = [("scenario", "reps", f"{result.kpi} mean ±95%",
              f"μ − {other} of others ({level:.0%} MCB)", "")]
    for _, row in result.summary.iterrows():
        low, high = row["mcb_low"], row["mcb_high"]
        status = "selected" if row["selected"] else (
            "" if pd.isna(row["eliminated_at"])
            else f"eliminated at stage {int(row['eliminated_at'])}")
        cells.append((str(row["scenario"]), str(row["replications"]),
                      format_interval(result.kpi, row["mean"], row["ci95"]),
                      f"[{_difference(result.kpi, low, outcome.delta)}, "
                      f"{_difference(result.kpi, high, outcome.delta)}]", status))
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    lines = [head, ""]
    for c in cells:
        lines.append("  ".join([c[0].ljust(widths[0]), c[1].rjust(widths[1]),
                                c[2].rjust(widths[2]), c[3].rjust(widths[3]), c[4]]).rstrip())
    used = sum(outcome.replications)
    equal = outcome.equal_allocation
    saved = f"{1 - used / equal:.0%} fewer" if equal > used else "no saving"
    formula = ("k × max(n0, ⌈h²·max S²_il/δ²⌉)" if outcome.method == "kn"
               else "the smallest k × n with the same approximate probability")
    lines += ["", f"selected: {result.best}; {used} replications used, equal allocation would "
              f"need {equal} for the same guarantee ({formula}): {saved}"]
    return "\n".join(lines)


def _write_folder(args: argparse.Namespace, scenarios: list[Any], result: Selection,
                  wall: float) -> None:
    outcome = result.outcome
    with atomic_folder(args.out, FolderKind.SELECT) as staging:
        result.runs.to_csv(staging / "runs.csv", index=False)
        result.summary.to_csv(staging / "summary.csv", index=False)
        info = {**result.as_json(), "method": outcome.method, "kpi": result.kpi,
                "agency": "total", "direction": str(BY_NAME[result.kpi].direction),
                "n0": result.n0, "max_reps": result.max_reps, "budget": result.budget,
                "eta": outcome.eta, "h2": outcome.h2, "capped": outcome.capped,
                "equal_allocation_formula": (
                    "k * max(n0, ceil(h2 * max_il S2_il / delta^2))" if outcome.method == "kn"
                    else "smallest k * n whose equal allocation reaches the same APCS-B"),
                "seed": result.seed, "overrides": list(args.overrides),
                "common_random_numbers": "every scenario: replication r of seed S uses the "
                                         "streams of SeedSequence(S) spawned for r",
                "scenarios": [{"label": label, "file": str(path), "hash": scenario_hash(s),
                               "scenario": s.model_dump(mode="json")}
                              for label, path, s in zip(result.labels, args.scenarios,
                                                        scenarios, strict=True)],
                "backend": result.backend, "versions": versions(),
                "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                "timings": {"total_seconds": wall}}
        (staging / "manifest.json").write_text(
            json.dumps(info, indent=2, default=str, allow_nan=False) + "\n")


COMMANDS = {"select": select_command}
