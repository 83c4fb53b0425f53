"""``collectsim`` commands about files and definitions: ``init`` a starter scenario,
``validate`` scenarios, print the
``schema`` of scenario files, list the ``kpis``, ``table`` scenarios side by side, and write a
results folder's HTML ``report`` or ``export`` it as an Excel workbook.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sim.cli.options import (
    add_backend_options,
    add_override_options,
    choose_backend,
    load_scenarios,
    print_json,
    require,
)
from sim.config.loading import ScenarioError, load_scenario
from sim.config.notes import print_notes
from sim.config.reference import reference_markdown
from sim.config.schema import Scenario
from sim.config.starter import scenario_name, starter_scenario
from sim.experiment import preflight
from sim.experiment.files import current_umask
from sim.experiment.progress import Progress
from sim.experiment.table import DEFAULT_METRICS, markdown, scenario_table
from sim.model.kpis import BY_NAME, KPIS


def add_parsers(sub: Any) -> None:
    """Add ``init``, ``validate``, ``schema``, ``kpis``, ``table``, ``report`` and ``export``
    to the sub-parsers."""
    init = sub.add_parser("init", help="write a commented starter scenario that validates "
                                       "(never overwrites a file)")
    init.add_argument("file", type=Path, metavar="FILE",
                      help="the scenario file to write (its name becomes the scenario's)")

    validate = sub.add_parser("validate", help="check scenario files, reporting every problem "
                                               "(exit 0 if all are valid, 2 if any is not)")
    validate.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO",
                          help="scenario files (TOML), each checked whole")
    add_override_options(validate, " in every file")

    schema = sub.add_parser("schema", help="print the schema of scenario files: JSON Schema, "
                                           "or the Markdown reference of every table and key")
    schema.add_argument("--format", choices=("json", "markdown"), default="json",
                        help="json (default): JSON Schema; markdown: the reference kept in "
                             "docs/scenario-reference.md")

    kpis = sub.add_parser("kpis", help="list every KPI: name, label, unit, direction, "
                                       "definition")
    kpis.add_argument("--format", choices=("table", "json"), default="table",
                      help="table (default) or json")

    table = sub.add_parser("table", help="run scenarios side by side and tabulate their KPIs")
    table.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO",
                       help="scenario files (TOML), one row each")
    table.add_argument("--reps", type=int, default=5,
                       help="replications of each scenario (default 5)")
    table.add_argument("--seed", type=int, default=None,
                       help="seed for every scenario (default: each scenario's)")
    add_override_options(table, " in every scenario")
    table.add_argument("--metric", dest="metrics", action="append", default=None,
                       metavar="KPI",
                       help="KPI to show, by name as `collectsim kpis` lists them (repeatable; "
                            f"default: {', '.join(DEFAULT_METRICS)})")
    add_backend_options(table)
    table.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown",
                       help="markdown (default): the README's table; csv or json: one row per "
                            "scenario and KPI, mean and 95%% half-width at full precision")
    table.add_argument("--quiet", action="store_true", help="no progress on stderr")

    report = sub.add_parser("report", help="write RESULTS_DIR/report.html: one self-contained "
                                           "HTML report of a results folder")
    report.add_argument("results_dir", type=Path, metavar="RESULTS_DIR",
                        help="folder written by run, compare, sweep or sensitivity")

    export = sub.add_parser("export", help="write a results folder as one Excel workbook")
    export.add_argument("results_dir", type=Path, metavar="RESULTS_DIR",
                        help="folder written by run, compare, sweep or sensitivity")
    export.add_argument("--format", choices=("xlsx",), default="xlsx",
                        help="xlsx (default): an Excel workbook")
    export.add_argument("--out", type=Path, default=None, metavar="FILE",
                        help="where to write it (default RESULTS_DIR/results.xlsx)")


def init_command(args: argparse.Namespace) -> int:
    """``collectsim init``: write the starter scenario (:mod:`sim.config.starter`) to FILE.

    The file is written beside its final name and linked into place, which fails if FILE
    exists: an existing file is never overwritten, even one created meanwhile.
    """
    path: Path = args.file
    label = str(path)
    if path.exists() or path.is_symlink():
        raise ScenarioError(label, None, "already exists; init never overwrites a file (choose "
                            "another name, or delete it first)")
    if not path.parent.is_dir():
        raise ScenarioError(label, None, f"no such folder: {path.parent}")
    text = starter_scenario(scenario_name(path.stem))
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(name, 0o666 & ~current_umask())
        os.link(name, path)
    except FileExistsError:
        raise ScenarioError(label, None, "already exists; init never overwrites a file") \
            from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
    print(f"starter scenario written to {path}: check it with `collectsim validate {path}`, "
          "then edit it (every key: docs/scenario-reference.md)")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    """``collectsim validate``: for each file, one line on stdout if it is valid (its notes on
    stderr), or one ``error:`` line per problem on stderr; exit 2 if any file is invalid."""
    problems: list[ScenarioError] = []
    for path in args.scenarios:
        try:
            scenario = load_scenario(path, args.overrides,
                                     scale_collectors=args.scale_collectors)
        except ScenarioError as exc:
            problems.append(exc)
            continue
        print(f"{path}: valid scenario {scenario.scenario.name!r} "
              f"({scenario.portfolio.accounts} accounts, {len(scenario.agencies)} agencies)")
        print_notes(path, scenario)
    if problems:
        raise ScenarioError.several(problems)
    return 0


def schema_command(args: argparse.Namespace) -> int:
    """``collectsim schema``: the JSON Schema, or (``--format markdown``) the reference of
    every table and key (:mod:`sim.config.reference`)."""
    if args.format == "markdown":
        print(reference_markdown(), end="")
    else:
        print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def kpis_command(args: argparse.Namespace) -> int:
    """``collectsim kpis``: the KPI registry (:mod:`sim.model.kpis`), headline KPIs first."""
    if args.format == "json":
        print_json([{"name": k.name, "label": k.label, "unit": str(k.unit),
                     "direction": str(k.direction), "group": str(k.group),
                     "headline": k.headline, "definition": k.definition} for k in KPIS])
        return 0
    rows = [("name", "label", "unit", "direction", "definition")]
    rows += [(k.name, k.label, str(k.unit), str(k.direction), k.definition) for k in KPIS]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
              + "  " + row[-1])
    return 0


def table_command(args: argparse.Namespace) -> int:
    """``collectsim table``: scenarios down, KPIs across, mean ±95% half-width."""
    metrics = args.metrics or list(DEFAULT_METRICS)
    for metric in metrics:
        require(metric in BY_NAME, "--metric", "unknown KPI", metric)
    require(args.reps >= 1, "--reps", "must be at least 1", args.reps)
    scenarios = list(zip(map(str, args.scenarios),
                         load_scenarios(args.scenarios, args.overrides,
                                        scale_collectors=args.scale_collectors),
                         strict=True))
    backend, workers = choose_backend(args, len(scenarios) * args.reps)
    preflight.check_replications(scenarios, args.reps, workers, backend,
                                 remote=args.scheduler is not None)
    progress = Progress(len(scenarios) * args.reps, label="replications", quiet=args.quiet)
    try:
        table = scenario_table([scenario for _, scenario in scenarios], args.reps, metrics,
                               args.seed,
                               backend=backend, workers=workers,
                               scheduler=args.scheduler, files=args.scenarios,
                               progress=lambda done, total: progress.update(done, 0, total))
    finally:
        progress.close()
    if args.format == "markdown":
        print(markdown(table))
    elif args.format == "csv":
        print(table.to_csv(index=False), end="")
    else:
        print_json(table.to_dict(orient="records"))
    return 0


def report_command(args: argparse.Namespace) -> int:
    """``collectsim report``."""
    # matplotlib takes about 0.35 s to import; validate, schema, kpis and check never draw,
    # so the report is imported only when it is written.
    from sim.experiment.marker import FolderKind, read_marker
    from sim.report.html import write_report
    from sim.report.robust_page import write_robustness_report

    if read_marker(args.results_dir) is FolderKind.ROBUST:
        print(f"report written to {write_robustness_report(args.results_dir)}")
        return 0
    print(f"report written to {write_report(args.results_dir)}")
    return 0


def export_command(args: argparse.Namespace) -> int:
    """``collectsim export``: the results folder as one workbook (:mod:`sim.report.workbook`)."""
    # openpyxl and the folder readers are imported only when a workbook is written.
    from sim.report.workbook import write_workbook

    print(f"workbook written to {write_workbook(args.results_dir, args.out)}")
    return 0


COMMANDS = {"init": init_command, "validate": validate_command, "schema": schema_command,
            "kpis": kpis_command, "table": table_command, "report": report_command,
            "export": export_command}
