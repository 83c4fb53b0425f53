"""``collectsim select``: choose the best of several scenarios on one KPI, with a guarantee;
``collectsim optimise``: search a scenario's levers for the best KPI, then choose among the best
settings the same way.

The procedures are in :mod:`sim.experiment.select` (Kim–Nelson, the default) and
:mod:`sim.experiment.ocba` (a fixed budget); :mod:`sim.experiment.selection` runs them on the
scenarios. The table (or, with ``--format json``, ``{"best", "replications",
"equal_allocation_replications", "pcs", "delta", "intervals"}`` at full precision) goes to
stdout; ``--out`` also writes a results folder with ``runs.csv`` (every replication run),
``summary.csv`` (per scenario) and ``manifest.json``. Bad input is one line and exit status 2
before anything runs; a failed replication is one line and exit status 1.

``optimise`` (the method is in :mod:`sim.experiment.optimise`) prints the chosen levers, the
KPI's mean and 95% interval and the clean-up (or, with ``--format json``, ``{"best": {"levers",
"kpi", "ci95"}, "trials", "feasible"}``); ``--out`` also writes ``trials.csv`` (one row per
trial), ``runs.csv`` (every replication run), ``manifest.json``, the figure
``optimisation.png`` and the Optuna study ``study.sqlite``, which ``--resume`` continues.
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

from sim.cli.options import (
    FORMAT_HELP,
    add_backend_options,
    add_override_options,
    choose_backend,
    print_json,
    require,
)
from sim.config.loading import ScenarioError, load_scenario, scenario_hash
from sim.config.notes import print_notes
from sim.config.plain import json_ready
from sim.experiment import preflight
from sim.experiment.backends import open_backend
from sim.experiment.files import (
    atomic_folder,
    atomic_write,
    atomic_write_text,
    check_out_folder,
    mark_folder,
)
from sim.experiment.marker import OPTIMISE_STUDY, FolderKind
from sim.experiment.optimise import (
    DEFAULT_KEEP,
    DEFAULT_PCS,
    SAMPLERS,
    Optimum,
    Problem,
    ScenarioEvaluator,
    check_lever_paths,
    check_levers,
    clean_up,
    completed,
    open_study,
    parse_constraint,
    parse_lever,
    search,
)
from sim.experiment.progress import Progress
from sim.experiment.select import DEFAULT_MAX_REPS, DEFAULT_N0
from sim.experiment.selection import (
    METHODS,
    Selection,
    check_settings,
    direction_of,
    select_best,
)
from sim.experiment.sweep import versions
from sim.model.kpis import BY_NAME, Unit, format_difference, format_interval
from sim.report.figures_optimise import optimisation_search


def add_parsers(sub: Any) -> None:
    """Add ``select`` to the command's sub-parsers."""
    parser = sub.add_parser("select", help="select the best scenario on a KPI with a "
                                           "guaranteed probability of correct selection")
    parser.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO",
                        help="scenario files (TOML) to choose among")
    parser.add_argument("--kpi", required=True, help="the KPI to select on (program total); "
                        "its direction comes from `collectsim kpis`")
    parser.add_argument("--delta", type=float, required=True, metavar="D",
                        help="indifference zone in the KPI's unit (a share as a fraction: "
                             "0.005 is half a percentage point)")
    parser.add_argument("--pcs", type=float, default=None, metavar="P",
                        help="probability of correct selection, between 1/k and 1 for k "
                             "scenarios (needed with --method kn, Kim–Nelson)")
    parser.add_argument("--method", choices=METHODS, default="kn",
                        help="kn: Kim–Nelson fully sequential (default); ocba: a fixed budget")
    parser.add_argument("--budget", type=int, default=None, metavar="N",
                        help="replications of all the scenarios together (needed with "
                             "--method ocba)")
    parser.add_argument("--n0", type=int, default=DEFAULT_N0,
                        help=f"first-stage replications of every scenario (default "
                             f"{DEFAULT_N0})")
    parser.add_argument("--max-reps", type=int, default=DEFAULT_MAX_REPS,
                        help=f"cap on any scenario's replications (default {DEFAULT_MAX_REPS})")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed for every scenario (default: the first scenario's)")
    add_override_options(parser, " in every scenario")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help=FORMAT_HELP)
    parser.add_argument("--out", type=Path, default=None,
                        help="also write runs.csv, summary.csv and manifest.json to this "
                             "folder (default: none, the table only)")
    add_backend_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    optimise_parser(sub)


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
    backend, workers = choose_backend(args)
    scenarios = [load_scenario(path, args.overrides, scale_collectors=args.scale_collectors)
                 for path in args.scenarios]
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




# --------------------------------------------------------------------------- optimise


def optimise_parser(sub: Any) -> None:
    """Add ``optimise`` to the command's sub-parsers."""
    parser = sub.add_parser("optimise", help="search lever settings for the best KPI, then "
                                             "choose among the best with Kim–Nelson")
    parser.add_argument("scenario", type=Path, metavar="SCENARIO",
                        help="scenario file (TOML) whose levers are optimised")
    parser.add_argument("--lever", dest="levers", action="append", default=[], required=True,
                        metavar="PATH=LOW:HIGH[:int]",
                        help="a scenario value to search, by dotted path as --set names it "
                             "(repeatable); ':int' searches whole numbers")
    parser.add_argument("--kpi", required=True, help="the KPI to optimise (program total); "
                        "its direction comes from `collectsim kpis`")
    parser.add_argument("--constraint", dest="constraints", action="append", default=[],
                        metavar="KPI<=B", help="a bound on another KPI's mean, e.g. "
                        "complaints_per_1000<=10 (repeatable)")
    parser.add_argument("--budget", type=int, required=True, metavar="TRIALS",
                        help="trials in the study (with --resume: in all, counting stored ones)")
    parser.add_argument("--reps", type=int, default=5, metavar="R",
                        help="replications 0..R-1 per trial, the same for every trial (common "
                             "random numbers; default 5, at least 2)")
    parser.add_argument("--sampler", choices=SAMPLERS, default="tpe",
                        help="tpe (default) or cmaes (which does not steer by constraints)")
    parser.add_argument("--keep", type=int, default=DEFAULT_KEEP, metavar="K",
                        help=f"best feasible trials the clean-up chooses among (default "
                             f"{DEFAULT_KEEP})")
    parser.add_argument("--delta", type=float, default=None, metavar="D",
                        help="the clean-up's indifference zone in the KPI's unit (default: the "
                             "standard error of the two best trials' paired difference)")
    parser.add_argument("--pcs", type=float, default=DEFAULT_PCS, metavar="P",
                        help=f"the clean-up's probability of correct selection (default "
                             f"{DEFAULT_PCS})")
    parser.add_argument("--max-reps", type=int, default=DEFAULT_MAX_REPS,
                        help=f"cap on a candidate's replications in the clean-up (default "
                             f"{DEFAULT_MAX_REPS})")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the replications and the sampler (default: the "
                             "scenario's)")
    add_override_options(parser, " in the scenario")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help=FORMAT_HELP)
    parser.add_argument("--out", type=Path, default=None,
                        help="write trials.csv, runs.csv, manifest.json, optimisation.png and "
                             "the study (study.sqlite) to this folder (default: none; the "
                             "study is kept in memory and cannot be resumed)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the study stored in --out up to --budget trials")
    add_backend_options(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _check_optimise(args: argparse.Namespace) -> Problem:
    levers = [parse_lever(text) for text in args.levers]
    check_levers(levers)
    problem = Problem(levers=levers, kpi=args.kpi,
                      constraints=[parse_constraint(text) for text in args.constraints],
                      reps=args.reps)
    direction_of(args.kpi)
    require(args.budget >= 1, "--budget", "must be at least 1 trial", args.budget)
    require(args.reps >= 2, "--reps", "must be at least 2 (a trial needs a variance)",
            args.reps)
    require(args.keep >= 2, "--keep", "must be at least 2", args.keep)
    require(args.delta is None or (math.isfinite(args.delta) and args.delta > 0), "--delta",
            "must be a positive number in the KPI's unit", args.delta)
    require(0.5 < args.pcs < 1.0, "--pcs", "must be between 0.5 and 1 (the clean-up may "
            "choose between two settings)", args.pcs)
    require(args.max_reps >= args.reps, "--max-reps", f"must be at least --reps ({args.reps})",
            args.max_reps)
    require(args.seed is None or 0 <= args.seed < 2**63, "--seed",
            "must be a non-negative integer", args.seed)
    require(not args.resume or args.out is not None, "--resume", "needs --out, the folder "
            "that holds the study", None)
    return problem


def _study_storage(args: argparse.Namespace) -> str | None:
    """Check ``--out`` and ``--resume`` against what the folder holds; the study's URL."""
    if args.out is None:
        return None
    folder = check_out_folder(args.out, FolderKind.OPTIMISE)
    stored = (folder / OPTIMISE_STUDY[0]).is_file()
    require(stored or not args.resume, "--resume", "the --out folder holds no study to continue",
            str(args.out))
    require(args.resume or not stored, "--out", "already holds an optimisation study; add "
            "--resume to continue it or name another folder", str(args.out))
    return f"sqlite:///{(folder / OPTIMISE_STUDY[0]).resolve()}"


def optimise_command(args: argparse.Namespace) -> int:
    """``collectsim optimise``."""
    problem = _check_optimise(args)
    backend, workers = choose_backend(args)
    base = load_scenario(args.scenario, args.overrides, scale_collectors=args.scale_collectors)
    check_lever_paths(base, problem.levers)
    seed = base.scenario.seed if args.seed is None else args.seed
    problem.context = {"scenario_hash": scenario_hash(base), "seed": seed}
    preflight.check_replications([(str(args.scenario), base)], args.reps, workers, backend,
                                 remote=args.scheduler is not None)
    storage = _study_storage(args)
    if args.out is not None:
        mark_folder(args.out, FolderKind.OPTIMISE)
    study = open_study(problem, storage=storage, sampler=args.sampler, seed=seed,
                       resume=args.resume)
    print_notes(args.scenario, base)
    progress = Progress(0, label="replications", quiet=args.quiet)
    started = time.perf_counter()
    engine = open_backend(args.backend, args.workers, args.scheduler)
    try:
        expected = max(0, args.budget - len(completed(study))) * args.reps
        evaluate = ScenarioEvaluator(base, problem.kpis, seed, engine, lambda n: progress.update(
            n, 0, max(n, expected)))
        ran = search(study, problem, evaluate, args.budget)
        evaluate.stage = "clean-up"
        best = clean_up(study, problem, evaluate, keep=args.keep, delta=args.delta,
                        pcs=args.pcs, max_reps=args.max_reps)
        name = engine.describe()
    except RuntimeError as exc:
        progress.close()
        print(f"error: optimise: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.close()
    progress.close()
    wall = time.perf_counter() - started
    if best.capped:
        print(f"warning: --max-reps {args.max_reps} reached in the clean-up with candidates "
              "still in contention; the best mean among them is shown, without the guarantee",
              file=sys.stderr)
    if args.out is not None:
        _write_optimise(args, base, problem, best, evaluate.rows, ran, name, wall)
    if args.format == "json":
        print_json(best.as_json())
    else:
        print(optimum_text(problem, best, ran, seed, args.sampler))
        note = f"{len(evaluate.rows)} replications run, {wall:.1f}s on {name}"
        print(note + (f"; results written to {args.out}/" if args.out is not None else ""))
    return 0


def optimum_text(problem: Problem, best: Optimum, ran: int, seed: int, sampler: str) -> str:
    """The optimisation as plain text: the search, the choice and its interval."""
    kpi = BY_NAME[problem.kpi]
    rules = ", ".join(c.text() for c in problem.constraints) or "none"
    lines = [f"Optimisation of {problem.kpi} ({kpi.direction}) over "
             f"{len(problem.levers)} lever(s) with {sampler.upper()}: {best.trials} trials "
             f"({ran} run now), replications 0–{problem.reps - 1} of seed {seed} in each "
             f"(common random numbers); constraints: {rules}", ""]
    width = max(len(lever.path) for lever in problem.levers)
    for lever in problem.levers:
        value = best.levers[lever.path]
        shown = f"{value:d}" if lever.integer else f"{value:.4g}"
        lines.append(f"  {lever.path.ljust(width)}  {shown}   (searched {lever.low:g} to "
                     f"{lever.high:g})")
    half = (best.ci95[1] - best.ci95[0]) / 2
    reps = best.replications[best.candidates.index(best.trial)]
    lines += ["", f"best: trial {best.trial}, {problem.kpi} "
              f"{format_interval(problem.kpi, best.kpi, half)} (95%, {reps} replications)"
              + ("" if best.feasible else "; NO trial met every constraint: this is the "
                 "closest")]
    row = best.table.set_index("trial").loc[best.trial]
    for constraint in problem.constraints:
        name = constraint.kpi
        lines.append(f"  {constraint.text()}: "
                     f"{format_interval(name, row[f'{name}_mean'], row[f'{name}_ci95'])} over "
                     f"the search's {problem.reps} replications")
    if len(best.candidates) >= 2:
        zone = _difference(problem.kpi, best.delta, best.delta).lstrip("+")
        lines.append(f"clean-up: Kim–Nelson among trials {', '.join(map(str, best.candidates))}"
                     f" (δ = {zone}, probability of correct selection ≥ {best.pcs:.0%}), "
                     f"replications {', '.join(map(str, best.replications))}")
    return "\n".join(lines)


def _write_optimise(args: argparse.Namespace, base: Any, problem: Problem, best: Optimum,
                    rows: list[dict[str, Any]], ran: int, backend: str, wall: float) -> None:
    out = Path(args.out)
    runs = pd.DataFrame(rows)
    previous = out / "runs.csv"
    if args.resume and previous.is_file():
        runs = pd.concat([pd.read_csv(previous), runs], ignore_index=True)
    atomic_write(out / "trials.csv", lambda tmp: best.table.to_csv(tmp, index=False))
    atomic_write(out / "runs.csv", lambda tmp: runs.to_csv(tmp, index=False))
    atomic_write(out / "optimisation.png", lambda tmp: optimisation_search(
        best.table, problem.kpi, tmp, reps=problem.reps,
        constraints=[c.text() for c in problem.constraints]))
    info = {**best.as_json(), "trial": best.trial, "kpi_name": problem.kpi,
            "direction": str(BY_NAME[problem.kpi].direction), **problem.setup(),
            "sampler": args.sampler, "trials_run_now": ran, "clean_up": {
                "method": "kn", "candidates": best.candidates, "delta": best.delta,
                "pcs": best.pcs, "replications": best.replications,
                "capped": best.capped},
            "seed": args.seed if args.seed is not None else base.scenario.seed,
            "overrides": list(args.overrides), "scale_collectors": args.scale_collectors,
            "scenario": {"file": str(args.scenario), "hash": scenario_hash(base),
                         "scenario": base.model_dump(mode="json")},
            "study": OPTIMISE_STUDY[0], "backend": backend, "versions": versions(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "timings": {"total_seconds": wall}}
    atomic_write_text(out / "manifest.json",
                      json.dumps(json_ready(info), indent=2, allow_nan=False) + "\n")


COMMANDS = {"select": select_command, "optimise": optimise_command}
