"""``collectsim check``: the model held against analytic results.

``check queue`` compares the inbound queue with Erlang C / Erlang A, ``check hawkes`` the Hawkes
repayment process with Chehrazi & Weber's closed form, ``check lifecycle`` the delinquency
lifecycle with its absorbing Markov chain, ``check all`` runs every analytic check as a Markdown
table (:mod:`sim.validation`); ``check staffing`` plans collectors for a first-attempt service
level and abandonment and simulates the plan (:mod:`sim.cli.staffing`); ``check targets`` sets a
scenario beside a targets file's figures, the calibration sheet (:mod:`sim.cli.target_sheet`).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from sim.cli import staffing, target_sheet
from sim.cli.options import FORMAT_HELP, SEED_HELP, Parser, print_json, require
from sim.config.loading import ScenarioError, validate
from sim.config.plain import python_value
from sim.experiment import preflight
from sim.validation.anchors import markdown_table, validation_rows
from sim.validation.hawkes import check_hawkes, no_action_scenario
from sim.validation.lifecycle import (
    BUCKETS,
    CHAIN_LABELS,
    TOLERANCE_SE,
    LifecycleParameterError,
    agrees,
    check_lifecycle,
    check_parameters,
    deviations,
)
from sim.validation.queue import DEFAULT_CUSTOMERS, check_queue

HAWKES_PARAMETERS = {
    "lambda0": "repayment intensity at placement, per day",
    "lambda-inf": "intensity the process decays toward, per day (at most --lambda0)",
    "kappa": "decay rate of the intensity, per day",
    "delta10": "jump in intensity after each repayment, per day",
    "delta11": "further jump per unit of the share R repaid, per day",
    "r-min": "smallest share 0-1 of the balance one repayment pays (R ~ U(r-min, r-max))",
    "r-max": "largest share 0-1 of the balance one repayment pays",
}
"""The options of ``check hawkes``: the parameters of Chehrazi & Weber's (2015) repayment
process, as in ``[behaviour.hawkes]``."""


def add_parsers(sub: Any) -> None:
    """Add ``check`` to the command's sub-parsers."""
    check = sub.add_parser("check", help="hold model components against analytic results")
    checks = check.add_subparsers(dest="check", required=True, parser_class=Parser)
    queue = checks.add_parser("queue", help="inbound queue vs Erlang C / Erlang A")
    queue.add_argument("--servers", type=int, required=True,
                       help="agents answering the queue (c)")
    queue.add_argument("--arrival-rate", type=float, required=True,
                       help="callers per unit of time (lambda; any unit of time, the same for "
                            "every rate)")
    queue.add_argument("--service-rate", type=float, required=True,
                       help="calls one agent completes per unit of time (mu)")
    queue.add_argument("--patience-rate", type=float, default=None,
                       help="rate at which a waiting caller hangs up (theta: Erlang A; "
                            "default none: Erlang C, nobody hangs up)")
    queue.add_argument("--horizon", type=float, default=None,
                       help="simulated time in the rates' unit (default: the time in which "
                            "200,000 callers are expected; the first tenth is warm-up)")
    queue.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    queue.add_argument("--format", choices=("table", "json"), default="table",
                       help=FORMAT_HELP)
    staffing.add_parser(checks)
    target_sheet.add_parser(checks)
    everything = checks.add_parser("all", help="every analytic check, as a Markdown table")
    everything.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    hawkes = checks.add_parser("hawkes", help="Hawkes repayments vs Chehrazi & Weber")
    for name, meaning in HAWKES_PARAMETERS.items():
        hawkes.add_argument(f"--{name}", type=float, required=True, help=meaning)
    hawkes.add_argument("--horizon", type=int, required=True, metavar="DAYS",
                        help="days simulated from placement")
    hawkes.add_argument("--accounts", type=int, default=20_000,
                        help="accounts simulated (default 20,000)")
    hawkes.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    hawkes.add_argument("--format", choices=("table", "json"), default="table",
                        help=FORMAT_HELP)
    chain = checks.add_parser("lifecycle", help="delinquency lifecycle vs its Markov chain")
    chain.add_argument("--cure", required=True, metavar="C1,...,C5",
                       help="chance per cycle that an account in bucket 1..5 pays its whole "
                            "past-due amount (cures)")
    chain.add_argument("--roll", required=True, metavar="R1,...,R5",
                       help="chance per cycle that an account in bucket 1..5 pays nothing "
                            "(rolls; from bucket 5 it is charged off)")
    chain.add_argument("--start", type=int, required=True,
                       help="bucket at the start: 1 = 30-59 ... 5 = 150-179 days past due")
    chain.add_argument("--cycles", type=int, required=True, help="statement cycles of 30 days")
    chain.add_argument("--accounts", type=int, default=20_000,
                       help="accounts placed in the start bucket (default 20,000)")
    chain.add_argument("--seed", type=int, default=0, help=SEED_HELP)
    chain.add_argument("--format", choices=("table", "json"), default="table",
                       help=FORMAT_HELP)


# --------------------------------------------------------------------------- check


def check_command(args: argparse.Namespace) -> int:
    """``collectsim check all|queue|hawkes|lifecycle|staffing|targets``."""
    if args.check == "all":
        print(markdown_table(validation_rows(args.seed)))
        return 0
    if args.check == "lifecycle":
        return _lifecycle_command(args)
    if args.check == "staffing":
        return staffing.staffing_command(args)
    if args.check == "targets":
        return target_sheet.targets_command(args)
    report = _queue_report(args) if args.check == "queue" else _hawkes_report(args)
    if args.format == "json":
        print_json(report)
    else:
        for side in ("simulated", "analytic"):
            values = {k: python_value(v) for k, v in report[side].items()}
            figures = ", ".join(f"{k} {v:.6g}" for k, v in values.items()
                                if isinstance(v, int | float))
            print(f"{side:>9}: {figures}")
    return 0


def _queue_report(args: argparse.Namespace) -> dict[str, Any]:
    require(args.servers >= 1, "--servers", "must be at least 1", args.servers)
    for flag, value in (("--arrival-rate", args.arrival_rate),
                        ("--service-rate", args.service_rate)):
        require(math.isfinite(value) and value > 0, flag, "must be positive", value)
    if args.patience_rate is not None:
        require(math.isfinite(args.patience_rate) and args.patience_rate >= 0,
                "--patience-rate", "must be non-negative", args.patience_rate)
    require(bool(args.patience_rate) or args.arrival_rate < args.servers * args.service_rate,
            "--arrival-rate", "must be below servers × service rate without abandonment (the "
            "queue would grow without bound)", args.arrival_rate)
    options: dict[str, Any] = {"patience_rate": args.patience_rate, "seed": args.seed}
    if args.horizon is not None:
        require(math.isfinite(args.horizon) and args.horizon > 0, "--horizon",
                "must be positive", args.horizon)
        options["horizon"] = args.horizon
    horizon = args.horizon if args.horizon is not None else DEFAULT_CUSTOMERS / args.arrival_rate
    preflight.check_queue_size(args.servers, args.arrival_rate * horizon,
                               horizon_flag="--horizon" if args.horizon is not None
                               else "--arrival-rate",
                               horizon_got=args.horizon if args.horizon is not None
                               else args.arrival_rate)
    try:
        report = check_queue(args.servers, args.arrival_rate, args.service_rate, **options)
    except ValueError as exc:  # an Erlang A chain that does not settle, say
        raise ScenarioError("check queue", None, str(exc)) from None
    for detail in ("per_batch", "counters"):
        report["simulated"].pop(detail, None)
    return report


def _hawkes_report(args: argparse.Namespace) -> dict[str, Any]:
    values = {k: getattr(args, k) for k in ("lambda0", "lambda_inf", "kappa", "delta10",
                                              "delta11", "r_min", "r_max")}
    for key, value in values.items():
        require(math.isfinite(value) and value >= 0, f"--{key.replace('_', '-')}",
                "must be a non-negative number", value)
    require(values["r_min"] <= values["r_max"] <= 1 and values["r_max"] > 0, "--r-max",
            "need 0 <= r-min <= r-max <= 1 and r-max > 0", values["r_max"])
    require(values["lambda0"] >= values["lambda_inf"], "--lambda0",
            "must be at least --lambda-inf", values["lambda0"])
    require(1 <= args.horizon <= 3650, "--horizon", "must be 1 to 3650 days", args.horizon)
    require(2 <= args.accounts <= 10_000_000, "--accounts", "must be 2 to 10,000,000",
            args.accounts)
    scenario = validate(no_action_scenario(**values, horizon=args.horizon,
                                           accounts=args.accounts, seed=args.seed),
                        "check hawkes")
    preflight.check_single(scenario, {"": "check hawkes", "portfolio.accounts": "--accounts",
                                      "scenario.horizon_days": "--horizon",
                                      "behaviour.hawkes.lambda0": "--lambda0"})
    return check_hawkes(**values, horizon=args.horizon, accounts=args.accounts,
                        seed=args.seed)


def _probabilities(flag: str, text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise ScenarioError(flag, None, f"needs {BUCKETS} comma-separated probabilities",
                            text) from None


def _lifecycle_command(args: argparse.Namespace) -> int:
    require(args.seed >= 0, "--seed", "must be non-negative", args.seed)
    cure, roll = _probabilities("--cure", args.cure), _probabilities("--roll", args.roll)
    try:
        check_parameters(cure, roll, args.start, args.cycles, args.accounts)
    except LifecycleParameterError as exc:
        raise ScenarioError(f"--{exc.parameter}", None, exc.problem, exc.got) from None
    report = check_lifecycle(cure, roll, args.start, args.cycles, args.accounts, args.seed)
    if args.format == "json":
        print_json(report)
        return 0
    simulated = np.array(report["simulated"]["shares"])
    se = np.array(report["simulated"]["se"])
    analytic = np.array(report["analytic"]["shares"])
    print(f"{args.accounts:,} accounts from {CHAIN_LABELS[args.start]} days past due, after "
          f"{args.cycles} cycle{'s' if args.cycles > 1 else ''} of 30 days (seed {args.seed}): "
          "share of accounts in each state")
    print(f"{'state':>12}  {'simulated':>9}  {'SE':>7}  {'analytic':>8}  {'deviation':>10}  "
          f"within {TOLERANCE_SE:g} SE")
    for label, sim_share, error, exact, deviation, ok in zip(
            CHAIN_LABELS, simulated, se, analytic, deviations(simulated, analytic, se),
            agrees(simulated, analytic, se), strict=True):
        print(f"{label:>12}  {sim_share:>9.4f}  {error:>7.4f}  {exact:>8.4f}  "
              f"{deviation:>+7.2f} SE  {'yes' if ok else 'NO'}")
    return 0


COMMANDS = {"check": check_command}
