"""The experiment sub-commands of ``collectsim``: ``compare``, ``sweep`` (whole, or one shard
of a job array), ``merge`` (shard folders into one) and ``sensitivity``.

:func:`add_parsers` adds them to the command's argparse sub-parsers and :data:`COMMANDS` maps
each to the function that runs it and returns its exit status. Every KPI value printed is in
its unit (:mod:`sim.model.kpis`); ``--format json`` keeps full precision. Bad input —
experiment file, scenario, option — raises :class:`~sim.config.loading.ScenarioError` before
anything is written; the caller prints it as one line and exits with status 2. A sweep that
completes with failed runs exits with status 1 after writing everything (failures are in
``runs.csv``).
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
    load_scenarios,
    print_json,
    require,
    with_legend,
)
from sim.config.loading import ScenarioError, scenario_hash
from sim.config.notes import print_notes
from sim.experiment import preflight
from sim.experiment.compare import (
    Comparison,
    compare,
    comparison_json,
    comparison_text,
    unique_labels,
)
from sim.experiment.experiment_file import CommandLine, Experiment, load_experiment
from sim.experiment.files import atomic_folder, check_out_folder
from sim.experiment.marker import FolderKind
from sim.experiment.merge import merge_shards
from sim.experiment.progress import Progress
from sim.experiment.sensitivity import SensitivityError, sensitivity
from sim.experiment.sweep import (
    WHOLE,
    SweepResult,
    default_out,
    one_writer,
    parse_shard,
    prepare_out,
    sweep,
    versions,
)
from sim.model.kpis import KPI_NAMES, format_difference, format_interval

SHOW_ROWS = 30


def add_parsers(sub: Any) -> None:
    """Add ``compare``, ``sweep`` and ``sensitivity`` to the command's sub-parsers."""
    compare_parser = sub.add_parser("compare", help="paired comparison of scenarios on common "
                                                    "random numbers")
    compare_parser.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO",
                                help="scenario files (TOML); the first is the reference")
    compare_parser.add_argument("--reps", type=int, default=5, help="replications (default 5)")
    compare_parser.add_argument("--seed", type=int, default=None,
                                help="seed for every scenario (default: the first scenario's)")
    add_override_options(compare_parser, " in every scenario")
    compare_parser.add_argument("--metric", dest="metrics", action="append", default=None,
                                metavar="KPI", help="KPI to compare, by name as `collectsim kpis` "
                                                  "lists them (repeatable; default: every KPI)")
    compare_parser.add_argument("--agency", default="total",
                                help="the agency whose KPIs are compared, by name (default "
                                     "total: the whole program)")
    compare_parser.add_argument("--format", choices=("table", "json"), default="table",
                                help=FORMAT_HELP)
    compare_parser.add_argument("--out", type=Path, default=None,
                                help="also write comparison.csv, summary.csv, runs.csv and "
                                     "manifest.json to this folder (default: none, the "
                                     "table only)")
    add_backend_options(compare_parser)
    compare_parser.add_argument("--quiet", action="store_true", help="no progress on stderr")

    for name, text in (("sweep", "run an experiment file's design points × replications"),
                       ("sensitivity", "Sobol' or Morris sensitivity indices of an "
                                       "experiment")):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("experiment", type=Path, metavar="EXPERIMENT",
                            help="experiment file (TOML)")
        parser.add_argument("--reps", type=int, default=None,
                            help="replications per design point (default: the experiment's "
                                 "replications)")
        add_override_options(parser, " in the base scenario, after [overrides]")
        add_backend_options(parser)
        parser.add_argument("--out", type=Path, default=None,
                            help="results folder (default results/<experiment name>/)")
        parser.add_argument("--resume", action="store_true",
                            help="continue the sweep stored in --out, skipping finished runs")
        parser.add_argument("--fresh", action="store_true",
                            help="discard results already stored in --out and start over")
        parser.add_argument("--format", choices=("table", "json"), default="table",
                            help=FORMAT_HELP)
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
        if name == "sweep":
            parser.add_argument("--shard", default=None, metavar="i/N",
                                help="run only slice i of N of the runs (a job of a job "
                                     "array; default: every run); `collectsim merge` "
                                     "combines the folders")

    merge_parser = sub.add_parser("merge", help="combine the shard folders of a sweep into "
                                                "one results folder")
    merge_parser.add_argument("folders", type=Path, nargs="+", metavar="DIR",
                              help="shard folders of one sweep")
    merge_parser.add_argument("--out", type=Path, required=True,
                              help="the merged results folder")
    merge_parser.add_argument("--format", choices=("table", "json"), default="table",
                              help=FORMAT_HELP)


def _progress(args: argparse.Namespace, label: str = "runs") -> Progress:
    return Progress(0, label=label, quiet=args.quiet)


def _figures(folder: Path) -> None:
    """Figures of a results folder whose data files are written (a failure only warns)."""
    # matplotlib takes about 0.35 s to import; validate, schema, kpis and check never draw,
    # so the figure writers are imported only when a command draws.
    from sim.report.figures import write_folder_figures

    write_folder_figures(folder)


# --------------------------------------------------------------------------- compare


def compare_command(args: argparse.Namespace) -> int:
    """``collectsim compare``."""
    require(len(args.scenarios) >= 2, "compare", "needs at least two scenario files",
            len(args.scenarios))
    require(args.reps >= 2, "--reps", "a paired comparison needs at least 2", args.reps)
    require(args.seed is None or 0 <= args.seed < 2**63, "--seed",
            "must be a non-negative integer", args.seed)
    backend, workers = choose_backend(args, len(args.scenarios) * args.reps)
    scenarios = load_scenarios(args.scenarios, args.overrides,
                               scale_collectors=args.scale_collectors)
    preflight.check_replications([(str(p), s) for p, s in zip(args.scenarios, scenarios,
                                                               strict=True)],
                                 args.reps, workers, backend,
                                 remote=args.scheduler is not None)
    if args.out is not None:
        check_out_folder(args.out, FolderKind.COMPARE)
    for path, scenario in zip(args.scenarios, scenarios, strict=True):
        print_notes(path, scenario)
    labels = unique_labels([s.scenario.name for s in scenarios],
                           [str(p) for p in args.scenarios])
    progress = _progress(args)
    started = time.perf_counter()
    try:
        result = compare(scenarios, args.reps, args.seed, metrics=args.metrics or KPI_NAMES,
                         agency=args.agency, labels=labels, backend=args.backend,
                         workers=args.workers, scheduler=args.scheduler,
                         progress=lambda d, f, t: progress.update(d, f, t))
    except RuntimeError as exc:
        progress.close()
        print(f"error: compare: {exc}", file=sys.stderr)
        return 1
    progress.close()
    wall = time.perf_counter() - started
    if args.out is not None:
        _write_comparison(args, scenarios, result, wall)
    if args.format == "json":
        print_json(comparison_json(result))
    else:
        print(with_legend(comparison_text(result)))
        note = f"{len(scenarios)} scenarios × {args.reps} replications, {wall:.1f}s"
        print(note + (f"; results written to {args.out}/" if args.out is not None else ""))
    return 0


def _write_comparison(args: argparse.Namespace, scenarios: list[Any], result: Comparison,
                      wall: float) -> None:
    with atomic_folder(args.out, FolderKind.COMPARE) as staging:
        result.differences.to_csv(staging / "comparison.csv", index=False)
        result.summary.to_csv(staging / "summary.csv", index=False)
        result.runs.to_csv(staging / "runs.csv", index=False)
        info = {"base": result.base, "seed": result.seed, "reps": result.reps,
                "agency": result.agency, "overrides": list(args.overrides),
                "common_random_numbers": "every scenario: replication r of seed S uses the "
                                         "streams of SeedSequence(S) spawned for r",
                "scenarios": [{"label": label, "file": str(path),
                               "hash": scenario_hash(s), "scenario": s.model_dump(mode="json")}
                              for label, path, s in zip(result.labels, args.scenarios,
                                                        scenarios, strict=True)],
                "backend": result.backend, "versions": versions(),
                "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
                "timings": {"total_seconds": wall}}
        (staging / "manifest.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
        _figures(staging)


# --------------------------------------------------------------------------- sweep


def _sweep_inputs(args: argparse.Namespace) -> tuple[Experiment, Path]:
    args.shard = parse_shard(args.shard) if getattr(args, "shard", None) else WHOLE
    require(args.reps is None or args.reps >= 1, "--reps", "must be at least 1", args.reps)
    experiment = load_experiment(args.experiment, CommandLine(
        tuple(args.overrides), args.reps, args.scale_collectors))
    backend, workers = choose_backend(
        args, len(experiment.assignments) * experiment.replications)
    preflight.check_sweep(experiment, workers, backend, remote=args.scheduler is not None)
    out = args.out if args.out is not None else default_out(experiment)
    if args.command == "sensitivity" and experiment.spec.design.kind not in ("sobol", "morris"):
        raise ScenarioError(str(args.experiment), "design.kind",
                            "sensitivity needs design kind 'sobol' or 'morris'",
                            experiment.spec.design.kind)
    if not args.fresh:  # fresh clears only once the run starts (in sweep())
        prepare_out(out, experiment, resume=args.resume, fresh=False,
                    kind=FolderKind(args.command), shard=args.shard)
    return experiment, out


def _aligned(table: pd.DataFrame) -> list[str]:
    """A table of strings as right-aligned lines, header first."""
    widths = {c: max(len(str(c)), *(len(v) for v in table[c])) for c in table.columns}
    lines = ["  ".join(str(c).rjust(widths[c]) for c in table.columns)]
    for _, row in table.iterrows():
        lines.append("  ".join(row[c].rjust(widths[c]) for c in table.columns))
    return lines


def summary_text(result: SweepResult) -> str:
    """The sweep's first line (points, runs, failures, time), then per design point its factor
    values and each metric's mean ±95% half-width in the metric's unit."""
    experiment = result.experiment
    summary = result.summary
    factors = list(experiment.points.columns)
    reps = experiment.replications
    shard = getattr(result, "shard", WHOLE)
    part = f", shard {shard}: {result.total} of them" if shard != WHOLE else ""
    runs = len(experiment.assignments) * reps
    lines = [f"{experiment.name}: {len(experiment.assignments)} points × "
             f"{reps} replication{'s' if reps != 1 else ''} = {runs} runs{part} "
             f"({result.ran} run now, {result.resumed} already stored, {result.failed} failed), "
             f"{result.seconds:.1f}s on {result.backend}"]
    if summary.empty:
        return lines[0]
    wide = summary.assign(value=[
        format_interval(metric, mean, ci, n > 1)
        for metric, mean, ci, n in zip(summary["metric"], summary["mean"], summary["ci95"],
                                       summary["n"], strict=True)])
    wide["column"] = wide["metric"] if len(experiment.agencies) == 1 \
        else wide["agency"] + "." + wide["metric"]
    table = wide.pivot(index=["point", *factors], columns="column", values="value")
    table = table.reset_index().drop(columns="point")
    shown = table.head(SHOW_ROWS).copy()
    for column in factors:
        shown[column] = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in shown[column]]
    lines += _aligned(shown.astype(str))
    if len(table) > SHOW_ROWS:
        lines.append(f"… {len(table) - SHOW_ROWS} more points in summary.csv")
    lines.append("(mean ±95% half-width over replications)")
    return "\n".join(lines)


def sweep_command(args: argparse.Namespace) -> int:
    """``collectsim sweep``: exit status 1 when runs failed (after writing everything)."""
    experiment, out = _sweep_inputs(args)
    progress = _progress(args)
    with one_writer(out):  # no other sweep writes the folder until the figures are drawn
        try:
            result = sweep(experiment, out, backend=args.backend, workers=args.workers,
                           scheduler=args.scheduler, resume=args.resume, fresh=args.fresh,
                           progress=lambda d, f, t: progress.update(d, f, t),
                           shard=args.shard)
        finally:
            progress.close()
        _figures(out)
    _print_sweep(args, result, out)
    return _failures(result)


def _print_sweep(args: argparse.Namespace, result: SweepResult, out: Path) -> None:
    if args.format == "json":
        print_json({"experiment": result.experiment.name, "out": str(out),
                    "shard": str(result.shard),
                    "runs": {"total": result.total, "ran_now": result.ran,
                             "resumed": result.resumed, "failed": result.failed},
                    "summary": result.summary.to_dict(orient="records")})
    else:
        print(summary_text(result))
        print(f"results written to {out}/")


def merge_command(args: argparse.Namespace) -> int:
    """``collectsim merge``: exit status 1 when the merged sweep holds failed runs."""
    result = merge_shards(args.folders, args.out)
    _figures(args.out)
    _print_sweep(args, result, args.out)
    return _failures(result)


def _failures(result: SweepResult) -> int:
    if not result.failed:
        return 0
    print(f"warning: {result.failed} of {result.total} runs failed (errors in runs.csv); "
          "rerun with --resume to retry them", file=sys.stderr)
    return 1


# --------------------------------------------------------------------------- sensitivity

# Morris effects are changes of the metric (in its unit); Sobol' indices are variance shares.
_MORRIS_EFFECTS = ("mu", "mu_star", "mu_star_conf", "sigma")


def indices_text(indices: pd.DataFrame) -> str:
    """The sensitivity indices, one row per metric × factor: Sobol' indices with three
    decimals, Morris effects in the metric's unit."""
    shown = indices.drop(columns=["agency"]).copy()
    for column in shown.columns[2:]:
        if column in _MORRIS_EFFECTS:
            shown[column] = [format_difference(m, v).lstrip("+")
                             if column != "mu" else format_difference(m, v)
                             for m, v in zip(shown["metric"], shown[column], strict=True)]
        else:
            shown[column] = [f"{v:.3f}" if math.isfinite(v) else "–" for v in shown[column]]
    return shown.to_string(index=False)


def sensitivity_command(args: argparse.Namespace) -> int:
    """``collectsim sensitivity``: exit status 1 when runs failed or indices could not be
    computed (the runs are kept)."""
    experiment, out = _sweep_inputs(args)
    progress = _progress(args)
    # no other sweep writes the folder until the figures are drawn
    with one_writer(out, FolderKind.SENSITIVITY):
        try:
            result = sensitivity(experiment, out, backend=args.backend, workers=args.workers,
                                 scheduler=args.scheduler, resume=args.resume,
                                 fresh=args.fresh,
                                 progress=lambda d, f, t: progress.update(d, f, t))
        except SensitivityError as exc:
            progress.close()
            _figures(out)
            print(f"error: {args.experiment}: {exc} (runs are kept in {out}/; fix and rerun "
                  "with --resume)", file=sys.stderr)
            return 1
        progress.close()
        _figures(out)
    table = result.indices
    if args.format == "json":
        print_json({"experiment": experiment.name, "design": experiment.spec.design.kind,
                    "out": str(out), "indices": table.to_dict(orient="records")})
    else:
        print(summary_text(result.sweep).splitlines()[0])
        print(indices_text(table))
        level = round(100 * experiment.spec.design.confidence)
        print(f"*_conf: half-widths of {level}% bootstrap intervals; indices written to "
              f"{out}/indices.csv")
    return _failures(result.sweep)


COMMANDS = {"compare": compare_command, "sweep": sweep_command,
            "sensitivity": sensitivity_command, "merge": merge_command}
