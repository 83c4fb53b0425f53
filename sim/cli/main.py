"""The ``collectsim`` command (also ``python -m sim``).

Sub-commands: ``run`` a scenario (one or more replications, results folder, table or JSON),
``validate`` a scenario file, print the JSON ``schema`` of scenario files, and ``check`` model
components against analytic results (``check queue``: Erlang C/A; ``check hawkes``: Chehrazi &
Weber's closed form), and ``report`` a results folder as one self-contained HTML file.

Bad input never produces a traceback: it prints one line, ``error: <file>: <field>: <problem>
(got <value>)``, on stderr and exits with status 2 without writing anything.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from sim.cli.experiments import add_parsers, dispatch
from sim.config.loading import ScenarioError, load_scenario
from sim.config.notes import print_notes
from sim.config.schema import Scenario
from sim.experiment.files import check_out_folder
from sim.model.results import Results

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other bad input."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="collectsim",
                     description="Simulate outsourced credit-card collection programs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write its results folder")
    run.add_argument("scenario", type=Path)
    run.add_argument("--reps", type=int, default=1, help="replications (default 1)")
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", type=Path, default=None,
                     help="results folder (default results/<scenario name>/)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a value by dotted path (repeatable)")
    run.add_argument("--format", choices=("table", "json"), default="table")
    run.add_argument("--accounts", action="store_true",
                     help="also write per-account outcomes (accounts.parquet)")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--no-figures", action="store_true",
                     help="write no PNG figures (faster; `collectsim report` draws them later)")
    run.add_argument("--workers", type=int, default=None, metavar="W",
                     help="replications in parallel (default 1; with --backend, all CPUs)")
    run.add_argument("--backend", choices=("serial", "process", "dask"), default=None,
                     help="where replications run (default serial, process if --workers > 1)")
    run.add_argument("--scheduler", default=None, metavar="ADDR",
                     help="dask scheduler address (implies --backend dask)")
    run.add_argument("--target-ci", dest="targets", action="append", default=[],
                     metavar="METRIC=HALF_WIDTH",
                     help="add replications until the 95%% half-width of a total KPI (or "
                          "AGENCY.KPI) is at most HALF_WIDTH (or N%% of the mean); repeatable")
    run.add_argument("--max-reps", type=int, default=None,
                     help="cap on replications with --target-ci (default 200)")

    validate = sub.add_parser("validate", help="check a scenario file (exit 0 valid, 2 invalid)")
    validate.add_argument("scenario", type=Path)
    validate.add_argument("--set", dest="overrides", action="append", default=[],
                          metavar="KEY=VALUE")

    sub.add_parser("schema", help="print the JSON Schema of scenario files")

    table = sub.add_parser("table", help="run scenarios side by side and tabulate their KPIs")
    table.add_argument("scenarios", type=Path, nargs="+")
    table.add_argument("--reps", type=int, default=5)
    table.add_argument("--seed", type=int, default=None)
    table.add_argument("--metric", dest="metrics", action="append", default=None,
                       help="KPI to show (repeatable; default a standard set)")
    table.add_argument("--workers", type=int, default=None)
    table.add_argument("--format", choices=("markdown", "csv", "json"), default="markdown")

    bench = sub.add_parser("bench", help="time the model against the bare SimPy kernel "
                           "(--queue: the inbound queue against Ciw)")
    bench.add_argument("--accounts", type=int, default=None,
                       help="default: the scenario's own (20,000 for the baseline)")
    bench.add_argument("--scenario", type=Path, default=None,
                       help="time this scenario instead of the baseline (its collectors scale "
                            "with --accounts)")
    bench.add_argument("--queue", action="store_true",
                       help="time the inbound queue against Ciw on an M/M/c+M workload, both "
                            "beside Erlang A (needs the bench extra)")
    for flag, kind, default in (("--servers", int, "10"), ("--arrival-rate", float, "9"),
                                ("--service-rate", float, "1"),
                                ("--patience-rate", float, "0.5"),
                                ("--customers", int, "100,000")):
        bench.add_argument(flag, type=kind, default=None,
                           help=f"with --queue (default {default})")
    bench.add_argument("--scaling", type=int, default=None, metavar="FACTOR",
                       help="also run FACTOR times as many accounts in the same process and "
                            "report the time ratio (linear scaling: ratio near FACTOR)")
    bench.add_argument("--format", choices=("table", "json"), default="table")

    check = sub.add_parser("check", help="hold model components against analytic results")
    checks = check.add_subparsers(dest="check", required=True, parser_class=_Parser)
    queue = checks.add_parser("queue", help="inbound queue vs Erlang C / Erlang A")
    queue.add_argument("--servers", type=int, required=True)
    queue.add_argument("--arrival-rate", type=float, required=True)
    queue.add_argument("--service-rate", type=float, required=True)
    queue.add_argument("--patience-rate", type=float, default=None)
    queue.add_argument("--horizon", type=float, default=None,
                       help="simulated time in the rates' unit (default: long enough)")
    queue.add_argument("--seed", type=int, default=0)
    queue.add_argument("--format", choices=("table", "json"), default="table")
    everything = checks.add_parser("all", help="every analytic check, as a Markdown table")
    everything.add_argument("--seed", type=int, default=0)
    hawkes = checks.add_parser("hawkes", help="Hawkes repayments vs Chehrazi & Weber")
    for name in ("lambda0", "lambda-inf", "kappa", "delta10", "delta11", "r-min", "r-max"):
        hawkes.add_argument(f"--{name}", type=float, required=True)
    hawkes.add_argument("--horizon", type=int, required=True, help="days")
    hawkes.add_argument("--accounts", type=int, default=20_000)
    hawkes.add_argument("--seed", type=int, default=0)
    hawkes.add_argument("--format", choices=("table", "json"), default="table")
    add_parsers(sub, _Parser)
    report = sub.add_parser("report", help="write RESULTS_DIR/report.html: one self-contained "
                                           "HTML report of a results folder")
    report.add_argument("results_dir", type=Path, metavar="RESULTS_DIR")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        status = dispatch(args)
        if status is not None:
            return status
        if args.command == "run":
            return _run(args)
        if args.command == "validate":
            scenario = load_scenario(args.scenario, args.overrides)
            print(f"{args.scenario}: valid scenario {scenario.scenario.name!r} "
                  f"({scenario.portfolio.accounts} accounts, {len(scenario.agencies)} agencies)")
            print_notes(args.scenario, scenario)
            return 0
        if args.command == "schema":
            print(json.dumps(Scenario.model_json_schema(), indent=2))
            return 0
        if args.command == "check":
            return _check(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "table":
            return _table(args)
        if args.command == "report":
            from sim.report.html import write_report

            print(f"report written to {write_report(args.results_dir)}")
            return 0
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return EXIT_BAD_INPUT


def _check(args: argparse.Namespace) -> int:
    if args.check == "all":
        from sim.validation.anchors import markdown_table, validation_rows

        print(markdown_table(validation_rows(args.seed)))
        return 0
    if args.check == "queue":
        from sim.validation.queue import check_queue

        _require(args.servers >= 1, "--servers", "must be at least 1", args.servers)
        for flag, value in (("--arrival-rate", args.arrival_rate),
                            ("--service-rate", args.service_rate)):
            _require(math.isfinite(value) and value > 0, flag, "must be positive", value)
        if args.patience_rate is not None:
            _require(math.isfinite(args.patience_rate) and args.patience_rate >= 0,
                     "--patience-rate", "must be non-negative", args.patience_rate)
        if not args.patience_rate and args.arrival_rate >= args.servers * args.service_rate:
            raise ScenarioError("--arrival-rate", None,
                                "must be below servers × service rate without abandonment "
                                "(the queue would grow without bound)", args.arrival_rate)
        options: dict[str, Any] = {"patience_rate": args.patience_rate, "seed": args.seed}
        if args.horizon is not None:
            _require(math.isfinite(args.horizon) and args.horizon > 0, "--horizon",
                     "must be positive", args.horizon)
            options["horizon"] = args.horizon
        report = check_queue(args.servers, args.arrival_rate, args.service_rate, **options)
        for detail in ("per_batch", "counters"):
            report["simulated"].pop(detail, None)
    else:
        from sim.validation.hawkes import check_hawkes

        values = {k: getattr(args, k) for k in ("lambda0", "lambda_inf", "kappa", "delta10",
                                                  "delta11", "r_min", "r_max")}
        for key, value in values.items():
            _require(math.isfinite(value) and value >= 0, f"--{key.replace('_', '-')}",
                     "must be a non-negative number", value)
        _require(values["r_min"] <= values["r_max"] <= 1 and values["r_max"] > 0, "--r-max",
                 "need 0 <= r-min <= r-max <= 1 and r-max > 0", values["r_max"])
        _require(values["lambda0"] >= values["lambda_inf"], "--lambda0",
                 "must be at least --lambda-inf", values["lambda0"])
        _require(1 <= args.horizon <= 3650, "--horizon", "must be 1 to 3650 days", args.horizon)
        _require(2 <= args.accounts <= 10_000_000, "--accounts", "must be 2 to 10,000,000",
                 args.accounts)
        report = check_hawkes(**values, horizon=args.horizon, accounts=args.accounts,
                              seed=args.seed)
    if args.format == "json":
        print(json.dumps(_finite_json(report), indent=2, default=_plain))
    else:
        for side in ("simulated", "analytic"):
            figures = ", ".join(f"{k} {_plain(v):.6g}" for k, v in report[side].items()
                                if isinstance(_plain(v), int | float))
            print(f"{side:>9}: {figures}")
    return 0


def _table(args: argparse.Namespace) -> int:
    from sim.experiment.table import DEFAULT_METRICS, markdown, scenario_table
    from sim.model.results import EXTRA_KPIS, KPI_NAMES

    metrics = args.metrics or list(DEFAULT_METRICS)
    for metric in metrics:
        _require(metric in KPI_NAMES or metric in EXTRA_KPIS, "--metric", "unknown KPI", metric)
    _require(args.reps >= 1, "--reps", "must be at least 1", args.reps)
    for path in args.scenarios:
        load_scenario(path)  # every file valid before anything runs
    workers = args.workers
    table = scenario_table(args.scenarios, args.reps, metrics, args.seed,
                           backend="process" if workers and workers > 1 else "serial",
                           workers=workers)
    if args.format == "markdown":
        print(markdown(table))
    elif args.format == "csv":
        print(table.to_csv(index=False), end="")
    else:
        print(json.dumps(_finite_json(table.to_dict(orient="records")), indent=2))
    return 0


def _bench(args: argparse.Namespace) -> int:
    from sim.bench.model import bench_model

    queue = {key: getattr(args, key) for key in ("servers", "arrival_rate", "service_rate",
                                                 "patience_rate", "customers")}
    if args.queue:
        _require(args.accounts is None, "--accounts", "does not apply with --queue",
                 args.accounts)
        _require(args.scenario is None, "--scenario", "does not apply with --queue",
                 str(args.scenario))
        return _bench_queue(args.format, {k: v for k, v in queue.items() if v is not None})
    for key, value in queue.items():
        _require(value is None, f"--{key.replace('_', '-')}", "only applies with --queue", value)
    from sim.bench.model import BASELINE

    path = BASELINE if args.scenario is None else args.scenario
    if args.accounts is not None:
        _require(1 <= args.accounts <= 50_000_000, "--accounts", "must be 1 to 50,000,000",
                 args.accounts)
    accounts = load_scenario(path).portfolio.accounts if args.accounts is None \
        else args.accounts
    if args.scaling is not None:
        _require(2 <= args.scaling <= 100 and accounts * args.scaling <= 50_000_000,
                 "--scaling", "must be 2 to 100 (and at most 50,000,000 accounts)", args.scaling)
        from sim.bench.model import bench_scaling

        figures = bench_scaling(accounts, args.scaling, path)
    else:
        figures = bench_model(accounts, path)
    if args.format == "json":
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:>26}  {value:,.4g}" if isinstance(value, float) else
                  f"{key:>26}  {value:,}")
    return 0


def _bench_queue(output: str, options: dict[str, Any]) -> int:
    from sim.bench.queue import FIGURES, MIN_CUSTOMERS, bench_queue, have_ciw

    if "servers" in options:
        _require(1 <= options["servers"] <= 10_000, "--servers", "must be 1 to 10,000",
                 options["servers"])
    for key in ("arrival_rate", "service_rate", "patience_rate"):
        if key in options:
            _require(math.isfinite(options[key]) and options[key] > 0,
                     f"--{key.replace('_', '-')}", "must be positive", options[key])
    if "customers" in options:
        _require(MIN_CUSTOMERS <= options["customers"] <= 10_000_000, "--customers",
                 f"must be {MIN_CUSTOMERS:,} to 10,000,000", options["customers"])
    if not have_ciw():
        print("error: bench --queue: needs Ciw: pip install -e '.[bench]'", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        figures = bench_queue(**options)
    except ValueError as exc:  # an Erlang A chain that does not settle, say
        raise ScenarioError("bench --queue", None, str(exc)) from None
    if output == "json":
        print(json.dumps(_finite_json(figures), indent=2))
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


def _finite_json(value: Any) -> Any:
    """``value`` with non-finite floats as ``None`` (strict JSON has no NaN or Infinity)."""
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(v) for v in value]
    return _plain(value)


def _require(condition: bool, flag: str, problem: str, got: Any) -> None:
    if not condition:
        raise ScenarioError(flag, None, problem, got)


def _run_outputs(folder: Path, results: Sequence[Results], *, figures: bool) -> None:
    """A run folder's summary and bands, then (unless ``figures`` is false) its figures: data
    first, so a figure that fails only prints a warning (:mod:`sim.report.figures`)."""
    from sim.experiment.replicate import write_run_outputs
    from sim.report.figures import write_run_figures

    write_run_outputs(folder, results)
    if figures:
        write_run_figures(folder, results)


def _run(args: argparse.Namespace) -> int:
    from sim.experiment.backends import resolve
    from sim.experiment.output import write_results_folder
    from sim.experiment.progress import Progress
    from sim.experiment.replicate import (
        DEFAULT_MAX_REPS,
        kpi_table,
        parse_target,
        replicate,
    )

    if args.reps < 1:
        raise ScenarioError("--reps", None, "must be at least 1", args.reps)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ScenarioError("--seed", None, "must be a non-negative integer", args.seed)
    targets = [parse_target(text) for text in args.targets]
    if args.max_reps is not None and not targets:
        raise ScenarioError("--max-reps", None, "only applies with --target-ci", args.max_reps)
    resolve(args.backend, args.workers, args.scheduler, parallel_default=False)
    scenario = load_scenario(args.scenario, args.overrides)
    seed = scenario.scenario.seed if args.seed is None else args.seed
    out = args.out if args.out is not None else Path("results") / scenario.scenario.name
    check_out_folder(out)
    print_notes(args.scenario, scenario)
    started = time.perf_counter()
    progress = Progress(args.reps, label="replications", quiet=args.quiet)
    try:
        replicated = replicate(scenario, args.reps, seed, backend=args.backend,
                               workers=args.workers, scheduler=args.scheduler,
                               targets=targets,
                               max_reps=args.max_reps or DEFAULT_MAX_REPS,
                               keep_accounts=args.accounts,
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
    table = kpi_table(results)
    reps = len(results)
    if args.format == "json":
        print(json.dumps(_json_payload(scenario.scenario.name, seed, table, reps),
                         indent=2))
    else:
        print(_text_table(scenario.scenario.name, seed, table, reps, wall, out))
    return 0


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_payload(name: str, seed: int, table: Any, reps: int) -> dict[str, Any]:
    from sim.experiment.replicate import summarise
    from sim.model.results import KPI_NAMES, TOTAL

    groups: dict[str, dict[str, Any]] = {}
    if reps == 1:
        for _, row in table.iterrows():
            groups[row["agency"]] = {k: _plain(row[k]) for k in KPI_NAMES}
    else:
        for _, row in summarise(table, KPI_NAMES).iterrows():
            groups.setdefault(row["agency"], {})[row["metric"]] = {
                "mean": _plain(row["mean"]), "sd": _plain(row["sd"]),
                "ci95": _plain(row["ci95"])}
    total = groups.pop(TOTAL)
    return {"scenario": name, "seed": seed, "reps": reps,
            "kpis": {"total": total, "agencies": groups}}


def _format(metric: str, value: float) -> str:
    from sim.model.results import MONEY_KPIS

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if metric in MONEY_KPIS:
        return f"{value:,.0f}"
    if metric.endswith(("_rate", "_share", "_utilization", "_share_end")):
        return f"{100 * value:.1f}%"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _text_table(name: str, seed: int, table: Any, reps: int, wall: float, out: Path) -> str:
    from sim.experiment.replicate import summarise
    from sim.model.results import KPI_NAMES

    summary = summarise(table, KPI_NAMES)
    agencies = list(dict.fromkeys(summary["agency"]))
    agencies = [a for a in agencies if a != "total"] + ["total"]
    cells: dict[tuple[str, str], str] = {}
    for _, row in summary.iterrows():
        text = _format(row["metric"], row["mean"])
        if reps > 1 and math.isfinite(row["ci95"]):
            text += f" ±{_format(row['metric'], row['ci95']).lstrip('-')}"
        cells[(row["metric"], row["agency"])] = text
    width = max(len(m) for m in KPI_NAMES)
    columns = [max(len(a), *(len(cells[(m, a)]) for m in KPI_NAMES)) for a in agencies]
    lines = [f"{name}: seed {seed}, {reps} replication{'s' if reps > 1 else ''}"
             + (" (mean ±95% half-width)" if reps > 1 else "") + f", {wall:.1f}s",
             " " * width + "  " + "  ".join(a.rjust(c) for a, c in zip(agencies, columns,
                                                                        strict=True))]
    for metric in KPI_NAMES:
        lines.append(metric.ljust(width) + "  " + "  ".join(
            cells[(metric, a)].rjust(c) for a, c in zip(agencies, columns, strict=True)))
    lines.append(f"results written to {out}/")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
