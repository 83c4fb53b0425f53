"""``collectsim check staffing``: the collectors an agency needs, analytically and simulated.

The analytic side (:mod:`sim.validation.staffing`) gives, for each agency, the head-count its
dial workload needs to attempt a share ``--sla-share`` of each vintage within its
``first_attempt_sla_days`` at utilisation ``--utilization``, and, for a predictive dialler, the
head-count Erlang A puts at or under abandonment ``--abandon``. The simulated side
(:mod:`sim.experiment.staffing`) runs the scenario at that head-count and 25% either side and
reports the first-attempt service level, abandonment and utilisation with 95% intervals.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
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
from sim.experiment.staffing import METRICS, SimulatedLevel, scenarios_at, simulate_plans
from sim.model.kpis import MISSING, format_interval, format_value, lookup
from sim.validation.staffing import (
    DEFAULT_UTILIZATION,
    AgencyPlan,
    plan_agency,
    planned_agencies,
)

DEFAULT_SLA_SHARE = 0.95
DEFAULT_REPS = 3


def add_parser(checks: Any) -> None:
    """Add ``check staffing`` to the ``check`` sub-parsers."""
    staffing = checks.add_parser("staffing", help="collectors needed for a first-attempt "
                                 "service level and abandonment, analytic and simulated")
    staffing.add_argument("scenario", type=Path, help="scenario file")
    staffing.add_argument("--agency", default=None,
                          help="agency to plan (default: every agency placed accounts)")
    staffing.add_argument("--sla-share", type=float, default=DEFAULT_SLA_SHARE,
                          help="target share 0-1 of accounts first called within the agency's "
                               f"first_attempt_sla_days (default {DEFAULT_SLA_SHARE})")
    staffing.add_argument("--abandon", type=float, default=None,
                          help="target share 0-1 of answered calls abandoned by a predictive "
                               "dialler (default: each agency's abandon_target)")
    staffing.add_argument("--utilization", type=float, default=DEFAULT_UTILIZATION,
                          help="share 0-1 of shift time planned as busy (default "
                               f"{DEFAULT_UTILIZATION}; assumption)")
    staffing.add_argument("--reps", type=int, default=DEFAULT_REPS,
                          help=f"replications at each head-count (default {DEFAULT_REPS}; "
                               "0: the analytic side only)")
    staffing.add_argument("--seed", type=int, default=None,
                          help="seed (default: the scenario's)")
    add_override_options(staffing)
    add_backend_options(staffing, scheduler=False)
    staffing.add_argument("--format", choices=("table", "json"), default="table",
                          help=FORMAT_HELP)


def staffing_command(args: argparse.Namespace) -> int:
    """``collectsim check staffing``."""
    for flag, value in (("--sla-share", args.sla_share), ("--utilization", args.utilization)):
        require(math.isfinite(value) and 0 < value <= 1, flag, "must be above 0 and at most 1",
                value)
    if args.abandon is not None:
        require(math.isfinite(args.abandon) and 0 < args.abandon < 1, "--abandon",
                "must be above 0 and below 1", args.abandon)
    require(0 <= args.reps <= 1000, "--reps", "must be 0 to 1000", args.reps)
    require(args.seed is None or 0 <= args.seed < 2**63, "--seed",
            "must be a non-negative integer", args.seed)
    scenario = load_scenario(args.scenario, args.overrides,
                             scale_collectors=args.scale_collectors)
    agencies = planned_agencies(scenario, args.agency)
    if args.agency is not None:
        names = [a.name for a in scenario.agencies]
        require(bool(agencies), "--agency", f"no such agency (the file has {', '.join(names)})",
                args.agency)
    plans = [plan_agency(scenario, a, args.sla_share, args.abandon, args.utilization)
             for a in agencies]
    require(all(p.accounts_per_vintage > 0 for p in plans), "--agency",
            "receives no accounts in the first placement (no share, or it takes only accounts "
            "returning from another agency): nothing to plan", args.agency)
    levels: list[SimulatedLevel] = []
    seed = scenario.scenario.seed if args.seed is None else args.seed
    if args.reps:
        backend, workers = choose_backend(args, args.reps)
        for plan in plans:
            if plan.collectors is None:
                plan.notes.append(f"simulated around the file's {plan.collectors_in_file} "
                                  "collectors instead")
        planned = {p.agency: p.collectors if p.collectors is not None
                   else p.collectors_in_file for p in plans}
        at = scenarios_at(args.scenario, args.overrides, planned,
                          scale_collectors=args.scale_collectors)
        preflight.check_replications([(str(args.scenario), s) for _, s in at], args.reps,
                                     workers, backend)
        with open_backend(backend, workers, parallel_default=False) as engine:
            levels = simulate_plans(at, list(planned), args.reps, seed, engine)
    report = _report(scenario.scenario.name, seed, args, plans, levels)
    if args.format == "json":
        print_json(report)
    else:
        print(with_legend(_table(report, plans, levels)))
    return 0


def _report(name: str, seed: int, args: argparse.Namespace, plans: list[AgencyPlan],
            levels: list[SimulatedLevel]) -> dict[str, Any]:
    simulated = []
    for level in levels:
        kpis: dict[str, dict[str, Any]] = {}
        for row in level.summary.itertuples(index=False):
            kpis.setdefault(str(row.agency), {})[str(row.metric)] = {
                "mean": row.mean, "sd": row.sd, "ci95": row.ci95, "n": row.n}
        simulated.append({"factor": level.factor, "collectors": level.collectors,
                          "kpis": kpis})
    return {
        "scenario": name, "seed": seed, "reps": args.reps, "sla_share": args.sla_share,
        "abandon": args.abandon, "utilization": args.utilization,
        "analytic": {p.agency: dataclasses.asdict(p) for p in plans},
        "simulated": simulated,
    }


def _count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


ANALYTIC_ROWS = (
    ("dialler", lambda p: p.dialler),
    ("accounts a vintage", lambda p: f"{p.accounts_per_vintage:,.0f}"),
    ("shift hours to the deadline", lambda p: f"{p.window_shift_hours:,.1f}"),
    ("collector minutes a dial", lambda p: f"{p.minutes_per_dial:.2f}"),
    ("workload, collector-hours", lambda p: f"{p.workload_hours:,.1f}"),
    ("collectors for the service level", lambda p: _count(p.collectors_for_sla)),
    ("calls picked up an hour", lambda p: f"{p.answered_per_hour:,.1f}"),
    ("collectors for abandonment (Erlang A)", lambda p: _count(p.collectors_for_abandon)),
    ("Erlang A abandonment at the plan",
     lambda p: format_value("abandon_rate", p.abandon_at_plan)),
    ("collectors to plan", lambda p: _count(p.collectors)),
    ("collectors in the file", lambda p: _count(p.collectors_in_file)),
)


def _table(report: dict[str, Any], plans: list[AgencyPlan], levels: list[SimulatedLevel]) -> str:
    sla = format_value("first_attempt_sla_share", report["sla_share"])
    utilization = format_value("collector_utilization", report["utilization"])
    abandon = ("each agency's abandon_target" if report["abandon"] is None
               else format_value("abandon_rate", report["abandon"]))
    lines = [f"{report['scenario']}: collectors to attempt {sla} of each vintage within the "
             f"agency's first_attempt_sla_days at {utilization} utilisation, abandonment at "
             f"most {abandon}"]
    label_width = max(len(label) for label, _ in ANALYTIC_ROWS)
    width = max(12, *(len(p.agency) for p in plans))
    lines.append(f"{'analytic':<{label_width}}  " + "  ".join(f"{p.agency:>{width}}"
                                                            for p in plans))
    for label, cell in ANALYTIC_ROWS:
        lines.append(f"{label:<{label_width}}  " + "  ".join(f"{cell(p):>{width}}"
                                                            for p in plans))
    for plan in plans:
        lines.extend(f"note: {plan.agency}: {note}" for note in plan.notes)
    if levels:
        lines.append("")
        lines.append(f"simulated: mean ±95% half-width over {report['reps']} replication"
                     f"{'s' if report['reps'] > 1 else ''} (seed {report['seed']})")
        headers = ["agency", "collectors", "of plan", *(lookup(m).label for m in METRICS)]
        rows = []
        for plan in plans:
            for level in levels:
                summary = level.summary[level.summary["agency"] == plan.agency]
                cells = [plan.agency, f"{level.collectors[plan.agency]:,}",
                         f"{level.factor:.0%}"]
                for metric in METRICS:
                    found = summary[summary["metric"] == metric]
                    cells.append(MISSING if found.empty else
                                 format_interval(metric, found["mean"].iloc[0],
                                                 found["ci95"].iloc[0]))
                rows.append(cells)
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        lines.append("  ".join(f"{h:>{w}}" for h, w in zip(headers, widths, strict=True)))
        lines.extend("  ".join(f"{c:>{w}}" for c, w in zip(r, widths, strict=True))
                     for r in rows)
    return "\n".join(lines)

