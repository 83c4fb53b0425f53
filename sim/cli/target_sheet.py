"""``collectsim check targets``: the calibration sheet of a scenario against a targets file.

Each figure of the targets file beside the scenario's simulated mean and 95% interval over
replications, and whether the mean falls inside the interval the figure's own sampling error
allows (:mod:`sim.experiment.target_sheet`). Bad input is one line and exit status 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.options import (
    FORMAT_HELP,
    add_backend_options,
    add_override_options,
    choose_backend,
    print_json,
    require,
    with_legend,
)
from sim.config.loading import load_scenario
from sim.experiment import preflight
from sim.experiment.backends import open_backend
from sim.experiment.target_sheet import SheetRow, target_sheet
from sim.experiment.targets import load_targets, target_metric
from sim.model.kpis import format_interval, format_value

DEFAULT_REPS = 5


def add_parser(checks: Any) -> None:
    """Add ``check targets`` to the ``check`` sub-parsers."""
    sheet = checks.add_parser("targets", help="a scenario's simulated figures against a "
                              "targets file: the calibration sheet")
    sheet.add_argument("scenario", type=Path, help="scenario file")
    sheet.add_argument("--targets", type=Path, required=True, metavar="TARGETS.toml",
                       help="observed figures, as for calibrate")
    sheet.add_argument("--reps", type=int, default=DEFAULT_REPS,
                       help=f"replications simulated (default {DEFAULT_REPS})")
    sheet.add_argument("--seed", type=int, default=None,
                       help="seed of the replications (default: the scenario's)")
    add_override_options(sheet, " in the scenario")
    add_backend_options(sheet)
    sheet.add_argument("--format", choices=("table", "json"), default="table",
                       help=FORMAT_HELP)


def _figure(name: str, value: float) -> str:
    return format_value(target_metric(name), value)


def _interval(name: str, mean: float, half: float) -> str:
    return format_interval(target_metric(name), mean, half)


def sheet_markdown(rows: list[SheetRow]) -> str:
    """The sheet as a Markdown table (what the README shows)."""
    lines = ["| target | definition | source | observed (95% interval) | simulated | "
             "reproduced |", "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| `{row.name}` | {row.definition} | {row.source} | "
                     f"{_figure(row.name, row.observed)} ({_figure(row.name, row.low)} to "
                     f"{_figure(row.name, row.high)}) | "
                     f"{_interval(row.name, row.simulated, row.half_width)} | "
                     f"{'yes' if row.reproduced else 'no'} |")
    return "\n".join(lines)


def targets_command(args: argparse.Namespace) -> int:
    """``collectsim check targets``."""
    require(1 <= args.reps <= 1000, "--reps", "must be 1 to 1000", args.reps)
    require(args.seed is None or 0 <= args.seed < 2**63, "--seed",
            "must be a non-negative integer", args.seed)
    targets = load_targets(args.targets)
    scenario = load_scenario(args.scenario, args.overrides,
                             scale_collectors=args.scale_collectors)
    backend, workers = choose_backend(args, args.reps)
    preflight.check_replications([(str(args.scenario), scenario)], args.reps, workers, backend)
    with open_backend(backend, workers, args.scheduler, parallel_default=False) as engine:
        rows = target_sheet(scenario, targets, args.reps, args.seed, engine)
    seed = scenario.scenario.seed if args.seed is None else args.seed
    if args.format == "json":
        print_json({"scenario": scenario.scenario.name, "targets": str(args.targets),
                    "observed_accounts": targets.accounts, "reps": args.reps, "seed": seed,
                    "rows": [row.as_json() for row in rows],
                    "reproduced": sum(row.reproduced for row in rows)})
        return 0
    print(f"{scenario.scenario.name} against {args.targets} (observed on "
          f"{targets.accounts:,} accounts): simulated mean ±95% half-width over {args.reps} "
          f"replication{'s' if args.reps > 1 else ''} (seed {seed}); observed interval ±1.96 "
          "sampling sd")
    print(with_legend(sheet_markdown(rows)))
    print(f"reproduced {sum(row.reproduced for row in rows)} of {len(rows)} figures")
    return 0
