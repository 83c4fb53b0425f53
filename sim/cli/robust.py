"""``collectsim robust``: how far a finding holds across its uncertain assumptions.

The finding file is :mod:`sim.experiment.finding`, the method :mod:`sim.experiment.robust`
(Latin hypercube, both scenarios paired on common random numbers at every point, the share of
points where the claim holds with its Wilson interval) and :mod:`sim.experiment.discovery`
(PRIM on the failing points). It prints the answer (``--format json``: ``{"share_holding",
"ci95", "points", "drivers": [{"path", "importance"}], …}`` at full precision) and writes a
results folder in place, like a sweep: the run store ``runs.sqlite`` (every run committed as
it finishes, so an interrupted study continues with ``--resume``), then atomically
``points.parquet``, ``robustness.json``, ``manifest.json``, ``robustness.png`` and
``report.html``. Bad input is one line per problem and exit status 2 before anything runs; a
study with failed runs writes everything and exits with status 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import sys
from pathlib import Path
from typing import Any

from sim.cli.options import (
    add_backend_options,
    add_override_options,
    choose_backend,
    print_json,
    require,
)
from sim.config.plain import json_ready
from sim.experiment import preflight
from sim.experiment.files import atomic_write, atomic_write_text, mark_folder
from sim.experiment.finding import CommandLine, Finding, load_finding
from sim.experiment.marker import FolderKind
from sim.experiment.output import package_versions
from sim.experiment.progress import Progress
from sim.experiment.robust import (
    Robustness,
    answer_sentence,
    check_store,
    lhs_points,
    run_robustness,
)
from sim.experiment.sweep import EXTRA_PACKAGES, one_writer
from sim.model.kpis import format_difference, format_interval


def add_parsers(sub: Any) -> None:
    """Add ``robust`` to the command's sub-parsers."""
    parser = sub.add_parser("robust", help="how far a finding holds across the plausible "
                                           "range of its uncertain parameters")
    parser.add_argument("finding", type=Path, metavar="FINDING.toml",
                        help="finding file: the claim, its two scenarios, the uncertain "
                             "parameters and the design")
    parser.add_argument("--points", type=int, default=None, metavar="N",
                        help="Latin hypercube points (default: the file's [design] points)")
    parser.add_argument("--reps", type=int, default=None, metavar="R",
                        help="replications of each scenario per point (default: the "
                             "file's [design] reps)")
    add_override_options(parser, " in both scenarios")
    add_backend_options(parser)
    parser.add_argument("--out", type=Path, default=None,
                        help="results folder (default results/robust/<finding file name>/)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the study stored in --out, skipping finished runs")
    parser.add_argument("--fresh", action="store_true",
                        help="discard runs already stored in --out and start over")
    parser.add_argument("--format", choices=("table", "json"), default="table",
                        help="table (default) or the answer as JSON on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def default_out(finding_file: Path) -> Path:
    """``results/robust/<finding file name without .toml>/``."""
    return Path("results") / "robust" / finding_file.stem


def robust_command(args: argparse.Namespace) -> int:
    """``collectsim robust``: exit status 1 when runs failed (after writing everything)."""
    require(args.points is None or args.points >= 2, "--points", "must be at least 2",
            args.points)
    require(args.reps is None or args.reps >= 1, "--reps", "must be at least 1", args.reps)
    require(importlib.util.find_spec("ema_workbench") is not None, "robust",
            "needs the EMA Workbench for PRIM: pip install -e '.[robust]'", "not installed")
    finding = load_finding(args.finding, CommandLine(tuple(args.overrides),
                                                     args.scale_collectors, args.points,
                                                     args.reps))
    design = finding.spec.design
    scenarios = [(finding.a_file, finding.a)]
    if finding.b is not None and finding.b_file is not None:
        scenarios.append((finding.b_file, finding.b))
    backend, workers = choose_backend(args, len(scenarios) * design.points * design.reps)
    preflight.check_replications(scenarios, design.points * design.reps, workers, backend,
                                 reps_flag=finding.source, remote=args.scheduler is not None)
    out = args.out if args.out is not None else default_out(args.finding)
    _, assignments = lhs_points(finding)
    progress = Progress(0, label="runs", quiet=args.quiet)
    with one_writer(out, FolderKind.ROBUST):
        check_store(out, finding.key(assignments), resume=args.resume, fresh=args.fresh)
        mark_folder(out, FolderKind.ROBUST)
        try:
            result = run_robustness(finding, out, backend=args.backend, workers=args.workers,
                                    scheduler=args.scheduler,
                                    progress=lambda d, f, t: progress.update(d, f, t))
        finally:
            progress.close()
        write_folder(out, args, result)
    if args.format == "json":
        print_json(result.as_json())
    else:
        print(robustness_text(result))
        print(f"results written to {out}/")
    if result.failed:
        print(f"warning: {result.failed} runs failed (their points use the pairs they have);"
              " rerun with --resume to retry them", file=sys.stderr)
        return 1
    return 0


def robustness_text(result: Robustness) -> str:
    """The answer in plain text: the claim, the share with its interval, the drivers."""
    finding = result.finding
    info = result.as_json()
    points = result.points
    decided = result.decided
    b = f"b = {finding.value:g}" if finding.b_file is None else \
        f"b = {Path(finding.b_file).name}"
    lines = [f"{Path(finding.source).name}: “{finding.claim}” ({finding.kpi}, "
             f"{finding.direction}, a = {Path(finding.a_file).name}, {b}, margin "
             f"{format_difference(finding.kpi, finding.margin).lstrip('+')})",
             f"{len(points)} points × {finding.spec.design.reps} replication(s) of each "
             f"scenario ({result.ran} runs now, {result.resumed} already stored, "
             f"{result.failed} failed), {result.seconds:.1f}s on {result.backend}",
             "", f"The claim {answer_sentence(info)}.",
             f"{info['holding']} of {len(decided)} decided points hold (Wilson 95% interval); "
             + (f"{info['within_noise']} decided within noise; "
                if info["within_noise"] is not None else
                "within noise unknown with 1 replication; ")
             + f"{len(points) - len(decided)} undecided.", ""]
    if len(decided):
        mean_a = format_interval(finding.kpi, decided["a_mean"].mean(), None)
        mean_b = format_interval(finding.kpi, decided["b_mean"].mean(), None)
        lines.append(f"over the points: a {mean_a}, b {mean_b}; mean paired difference "
                     f"{format_difference(finding.kpi, decided['difference'].mean())}")
    if result.drivers:
        lines += ["", "drivers (PRIM box of the failing points; importance: share of the "
                      "range the box cuts away):"]
        width = max(len(d["path"]) for d in result.drivers)
        for d in result.drivers:
            lines.append(f"  {d['path'].ljust(width)}  {d['importance']:.2f}  "
                         f"[{d['box'][0]:.4g}, {d['box'][1]:.4g}]")
    return "\n".join(lines)


def _manifest(args: argparse.Namespace, finding: Finding, result: Robustness) -> dict[str, Any]:
    return {**result.as_json(),
            "finding": finding.resolved(),
            "design": {"kind": "latin hypercube (scipy.stats.qmc)", "points":
                       finding.spec.design.points, "reps": finding.spec.design.reps,
                       "seed": finding.spec.design.seed,
                       "ranges": {p: list(r) for p, r in finding.ranges.items()}},
            "decision": "mean over replications of KPI(a) - KPI(b), program total; a > b: "
                        "d > margin, a < b: d < -margin, a >= b: d >= -margin, a <= b: "
                        "d <= margin; NaN pairs dropped, a point without pairs undecided",
            "interval": "Wilson score interval (scipy.stats.binomtest) on decided points",
            "drivers_method": "PRIM (ema_workbench), cases of interest: failing points; box "
                              "with the largest coverage x density on the peeling trajectory; "
                              "importance = 1 - box width / range width",
            "common_random_numbers": "every point and both scenarios: replication r of "
                                     "scenario a's seed",
            "runs": {"ran_now": result.ran, "resumed": result.resumed,
                     "failed": result.failed},
            "overrides": list(args.overrides), "scale_collectors": args.scale_collectors,
            "backend": result.backend,
            "versions": package_versions((*EXTRA_PACKAGES, "ema_workbench")),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            "timings": {"total_seconds": result.seconds}}


def write_folder(out: Path, args: argparse.Namespace, result: Robustness) -> None:
    """Write the study's outputs into ``out``, each atomically."""
    # matplotlib is imported only by commands that draw
    from sim.report.figures_robust import robustness_map
    from sim.report.robust_page import robustness_page

    finding = result.finding
    info = result.as_json()
    manifest = _manifest(args, finding, result)
    atomic_write(out / "points.parquet",
                 lambda tmp: result.points.to_parquet(tmp, index=False))
    atomic_write_text(out / "robustness.json",
                      json.dumps(json_ready(info), indent=2) + "\n")
    atomic_write_text(out / "manifest.json",
                      json.dumps(json_ready(manifest), indent=2, default=str) + "\n")
    buffer = io.BytesIO()
    robustness_map(result.points, info, finding.paths, finding.ranges, buffer)
    png = buffer.getvalue()

    def write_png(tmp: Path) -> None:
        tmp.write_bytes(png)

    atomic_write(out / "robustness.png", write_png)
    atomic_write_text(out / "report.html", robustness_page(info, manifest, png))


COMMANDS = {"robust": robust_command}
