"""``collectsim run``: one scenario's replications, its results folder, and a KPI table.

The table (or, with ``--format json``, the KPIs at full precision) goes to stdout: one column
per agency and the total, one row per KPI of :data:`sim.model.kpis.KPI_NAMES`, each value in
its unit (:mod:`sim.model.kpis`); with more than one replication, the mean ±95% half-width.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.cli.options import (
    FORMAT_HELP,
    DeprecatedFlag,
    add_backend_options,
    add_override_options,
    choose_backend,
    print_json,
    require,
    with_legend,
)
from sim.config.loading import load_scenario
from sim.config.notes import print_notes
from sim.config.plain import json_ready
from sim.experiment import preflight
from sim.experiment.files import check_out_folder
from sim.experiment.kpi_rows import write_run_outputs
from sim.experiment.marker import FolderKind
from sim.experiment.output import write_results_folder
from sim.experiment.progress import Progress
from sim.experiment.replicate import (
    DEFAULT_MAX_REPS,
    control_table,
    kpi_table,
    parse_target,
    replicate,
    segment_table,
    summarise,
)
from sim.model.kpis import KPI_NAMES, format_interval
from sim.model.results import CONTROL, TOTAL, Results


def add_parsers(sub: Any) -> None:
    """Add ``run`` to the command's sub-parsers."""
    run = sub.add_parser("run", help="run a scenario and write its results folder")
    run.add_argument("scenario", type=Path, metavar="SCENARIO", help="scenario file (TOML)")
    run.add_argument("--reps", type=int, default=1, help="replications (default 1)")
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", type=Path, default=None,
                     help="results folder (default results/<scenario name>/)")
    add_override_options(run)
    run.add_argument("--format", choices=("table", "json"), default="table",
                     help=FORMAT_HELP)
    run.add_argument("--by", choices=("agency", "segment"), default="agency",
                     help="columns of the table: agencies (default) or segments, then the "
                          "total and the control group")
    run.add_argument("--write-accounts", action="store_true",
                     help="also write per-account outcomes, accounts.parquet (default: not "
                          "written)")
    run.add_argument("--accounts", action=DeprecatedFlag, dest="write_accounts",
                     replacement="--write-accounts",
                     help="deprecated spelling of --write-accounts (elsewhere --accounts is a "
                          "number of accounts)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--no-figures", action="store_true",
                     help="write no PNG figures (faster; `collectsim report` draws them later)")
    add_backend_options(run)
    run.add_argument("--target-ci", dest="targets", action="append", default=[],
                     metavar="METRIC=HALF_WIDTH",
                     help="add replications until the 95%% half-width of a total KPI (or "
                          "AGENCY.KPI) is at most HALF_WIDTH (or N%% of the mean); repeatable")
    run.add_argument("--max-reps", type=int, default=None,
                     help="cap on replications with --target-ci (default 200)")


def _run_outputs(folder: Path, results: Sequence[Results], *, figures: bool) -> None:
    """A run folder's summary and bands, then (unless ``figures`` is false) its figures: data
    first, so a figure that fails only prints a warning (:mod:`sim.report.figures`)."""
    write_run_outputs(folder, results)
    if figures:
        # matplotlib takes about 0.35 s to import; validate, schema, kpis and check never
        # draw, so the figure writers are imported only when a command draws.
        from sim.report.figures import write_run_figures

        write_run_figures(folder, results)


def run_command(args: argparse.Namespace) -> int:
    """``collectsim run``."""
    require(args.reps >= 1, "--reps", "must be at least 1", args.reps)
    require(args.seed is None or 0 <= args.seed < 2**63, "--seed",
            "must be a non-negative integer", args.seed)
    targets = [parse_target(text) for text in args.targets]
    require(args.max_reps is None or bool(targets), "--max-reps",
            "only applies with --target-ci", args.max_reps)
    reps = max(args.reps, args.max_reps or DEFAULT_MAX_REPS) if targets else args.reps
    backend, workers = choose_backend(args, reps)
    scenario = load_scenario(args.scenario, args.overrides,
                             scale_collectors=args.scale_collectors)
    preflight.check_replications([(str(args.scenario), scenario)], reps, workers, backend,
                                 reps_flag="--max-reps" if reps > args.reps else "--reps",
                                 keep_accounts=args.write_accounts, keep_results=True,
                                 remote=args.scheduler is not None)
    seed = scenario.scenario.seed if args.seed is None else args.seed
    out = args.out if args.out is not None else Path("results") / scenario.scenario.name
    check_out_folder(out, FolderKind.RUN)
    print_notes(args.scenario, scenario)
    started = time.perf_counter()
    progress = Progress(args.reps, label="replications", quiet=args.quiet)
    try:
        replicated = replicate(scenario, args.reps, seed, backend=args.backend,
                               workers=args.workers, scheduler=args.scheduler,
                               targets=targets,
                               max_reps=args.max_reps or DEFAULT_MAX_REPS,
                               keep_accounts=args.write_accounts,
                               progress=lambda done, total: progress.update(done, 0, total))
    finally:
        progress.close()
    results = replicated.results
    if replicated.target_reached is False:
        print(f"note: {', '.join(map(str, targets))} not reached within --max-reps "
              f"{len(results)}", file=sys.stderr)
    wall = time.perf_counter() - started
    write_results_folder(out, scenario, str(args.scenario), args.overrides, results, seed, wall,
                         figures=functools.partial(_run_outputs, figures=not args.no_figures))
    table = pd.concat([kpi_table(results), control_table(results)], ignore_index=True)
    segments = segment_table(results)
    reps = len(results)
    if args.format == "json":
        print_json(json_payload(scenario.scenario.name, seed, table, reps, segments))
    else:
        if args.by == "segment":  # segments then the total and the control group
            table = pd.concat([segments, table[table["agency"].isin([TOTAL, CONTROL])]],
                              ignore_index=True)
        print(text_table(scenario.scenario.name, seed, table, reps, wall, out))
    return 0


def _groups(table: pd.DataFrame, reps: int) -> dict[str, dict[str, Any]]:
    """Each row group's headline KPIs: values, or with replications ``{"mean", "sd",
    "ci95"}``."""
    groups: dict[str, dict[str, Any]] = {}
    if reps == 1:
        for _, row in table.iterrows():
            groups[row["agency"]] = {k: row[k] for k in KPI_NAMES}
    else:
        for _, row in summarise(table, KPI_NAMES).iterrows():
            groups.setdefault(row["agency"], {})[row["metric"]] = {
                "mean": row["mean"], "sd": row["sd"], "ci95": row["ci95"]}
    return groups


def json_payload(name: str, seed: int, table: pd.DataFrame, reps: int,
                 segments: pd.DataFrame | None = None) -> dict[str, Any]:
    """``run --format json``: the KPIs of every agency, the total, the bank's control group
    (when it has one) and every segment, at full precision (with more than one replication,
    each as ``{"mean", "sd", "ci95"}``)."""
    groups = _groups(table, reps)
    total = groups.pop(TOTAL)
    kpis: dict[str, Any] = {"total": total}
    if CONTROL in groups:
        kpis["control"] = groups.pop(CONTROL)
    kpis["agencies"] = groups
    if segments is not None and not segments.empty:
        kpis["segments"] = _groups(segments, reps)
    return json_ready({"scenario": name, "seed": seed, "reps": reps, "kpis": kpis})


def text_table(name: str, seed: int, table: pd.DataFrame, reps: int, wall: float,
               out: Path) -> str:
    """``run``'s table: KPIs down, agencies then the total (and the bank's control group) across,
    each value in its unit."""
    summary = summarise(table, KPI_NAMES)
    agencies = list(dict.fromkeys(summary["agency"]))
    agencies = [a for a in agencies if a not in (TOTAL, CONTROL)] + [TOTAL] + \
        [CONTROL] * (CONTROL in agencies)
    cells = {(row["metric"], row["agency"]):
             format_interval(row["metric"], row["mean"],
                             row["ci95"] if reps > 1 else math.nan, reps > 1)
             for _, row in summary.iterrows()}
    width = max(len(m) for m in KPI_NAMES)
    columns = [max(len(a), *(len(cells[(m, a)]) for m in KPI_NAMES)) for a in agencies]
    lines = [f"{name}: seed {seed}, {reps} replication{'s' if reps > 1 else ''}"
             + (" (mean ±95% half-width)" if reps > 1 else "") + f", {wall:.1f}s",
             " " * width + "  " + "  ".join(a.rjust(c) for a, c in zip(agencies, columns,
                                                                        strict=True))]
    for metric in KPI_NAMES:
        lines.append(metric.ljust(width) + "  " + "  ".join(
            cells[(metric, a)].rjust(c) for a, c in zip(agencies, columns, strict=True)))
    return with_legend("\n".join(lines)) + f"\nresults written to {out}/"


COMMANDS = {"run": run_command}
