"""The experiment sub-commands of ``collectsim``: ``compare``, ``sweep`` and ``sensitivity``.

:func:`add_parsers` adds them to the command's argparse sub-parsers and :func:`dispatch` runs
one, returning its exit status (``None`` when the command is not one of these). Bad input —
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

from sim.config.loading import ScenarioError, load_scenario
from sim.config.notes import print_notes
from sim.experiment.backends import BACKENDS, resolve
from sim.experiment.progress import Progress

SHOW_ROWS = 30


def add_backend_options(parser: argparse.ArgumentParser, *, parallel_default: bool) -> None:
    """``--backend``, ``--workers`` and ``--scheduler``."""
    default = "process on every CPU" if parallel_default else "serial; process if --workers > 1"
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help=f"where runs execute (default: {default})")
    parser.add_argument("--workers", type=int, default=None, metavar="W",
                        help="worker processes (default: CPUs available)")
    parser.add_argument("--scheduler", default=None, metavar="ADDR",
                        help="dask scheduler address, e.g. tcp://host:8786 (implies dask; "
                             "default: a local cluster)")


def add_parsers(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add ``compare``, ``sweep`` and ``sensitivity`` to argparse sub-parsers ``sub``.

    ``parser_class`` is the one-line-error parser class the command uses; ``sub`` was created
    with it (``add_subparsers(parser_class=...)``), so every parser added here is one.
    """
    compare = sub.add_parser("compare", help="paired comparison of scenarios on common random "
                                             "numbers")
    compare.add_argument("scenarios", type=Path, nargs="+", metavar="SCENARIO")
    compare.add_argument("--reps", type=int, default=5, help="replications (default 5)")
    compare.add_argument("--seed", type=int, default=None,
                         help="seed for every scenario (default: the first scenario's)")
    compare.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="KEY=VALUE", help="override a value in every scenario")
    compare.add_argument("--metric", dest="metrics", action="append", default=None,
                         metavar="KPI", help="KPIs to compare (repeatable; default all)")
    compare.add_argument("--agency", default="total", help="agency compared (default total)")
    compare.add_argument("--format", choices=("table", "json"), default="table")
    compare.add_argument("--out", type=Path, default=None,
                         help="also write comparison.csv, summary.csv, runs.csv, manifest.json")
    add_backend_options(compare, parallel_default=True)
    compare.add_argument("--quiet", action="store_true", help="no progress on stderr")

    for name, text in (("sweep", "run an experiment file's design points × replications"),
                       ("sensitivity", "Sobol' or Morris sensitivity indices of an "
                                       "experiment")):
        parser = sub.add_parser(name, help=text)
        parser.add_argument("experiment", type=Path)
        add_backend_options(parser, parallel_default=True)
        parser.add_argument("--out", type=Path, default=None,
                            help="results folder (default results/<experiment name>/)")
        parser.add_argument("--resume", action="store_true",
                            help="continue the sweep stored in --out, skipping finished runs")
        parser.add_argument("--fresh", action="store_true",
                            help="discard results already stored in --out and start over")
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def dispatch(args: argparse.Namespace) -> int | None:
    """Run ``args.command`` if it is an experiment command; ``None`` otherwise."""
    if args.command == "compare":
        return _compare(args)
    if args.command == "sweep":
        return _sweep(args)
    if args.command == "sensitivity":
        return _sensitivity(args)
    return None


def _progress(args: argparse.Namespace, label: str = "runs") -> Progress:
    return Progress(0, label=label, quiet=args.quiet)


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _figures(folder: Path) -> None:
    """Figures of a results folder whose data files are written (a failure only warns)."""
    from sim.report.figures import write_folder_figures

    write_folder_figures(folder)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


# --------------------------------------------------------------------------- compare


def _compare(args: argparse.Namespace) -> int:
    from sim.experiment.compare import compare, comparison_json, comparison_text, unique_labels
    from sim.experiment.files import check_out_folder

    if len(args.scenarios) < 2:
        raise ScenarioError("compare", None, "needs at least two scenario files",
                            len(args.scenarios))
    if args.reps < 2:
        raise ScenarioError("--reps", None, "a paired comparison needs at least 2", args.reps)
    if args.seed is not None and not 0 <= args.seed < 2**63:
        raise ScenarioError("--seed", None, "must be a non-negative integer", args.seed)
    resolve(args.backend, args.workers, args.scheduler)
    scenarios = [load_scenario(path, args.overrides) for path in args.scenarios]
    if args.out is not None:
        check_out_folder(args.out)
    for path, scenario in zip(args.scenarios, scenarios, strict=True):
        print_notes(path, scenario)
    labels = unique_labels([s.scenario.name for s in scenarios],
                           [str(p) for p in args.scenarios])
    progress = _progress(args)
    started = time.perf_counter()
    from sim.model.results import KPI_NAMES

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
        print(json.dumps(comparison_json(result), indent=2))
    else:
        print(comparison_text(result))
        note = f"{len(scenarios)} scenarios × {args.reps} replications, {wall:.1f}s"
        print(note + (f"; results written to {args.out}/" if args.out is not None else ""))
    return 0


def _write_comparison(args: argparse.Namespace, scenarios: list[Any], result: Any,
                      wall: float) -> None:
    from sim.config.loading import scenario_hash
    from sim.experiment.files import atomic_folder
    from sim.experiment.sweep import versions

    with atomic_folder(args.out) as staging:
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


def _sweep_inputs(args: argparse.Namespace) -> tuple[Any, Path]:
    from sim.experiment.experiment_file import load_experiment
    from sim.experiment.sweep import default_out, prepare_out

    resolve(args.backend, args.workers, args.scheduler)
    experiment = load_experiment(args.experiment)
    out = args.out if args.out is not None else default_out(experiment)
    if args.command == "sensitivity" and experiment.spec.design.kind not in ("sobol", "morris"):
        raise ScenarioError(str(args.experiment), "design.kind",
                            "sensitivity needs design kind 'sobol' or 'morris'",
                            experiment.spec.design.kind)
    if not args.fresh:  # fresh clears only once the run starts (in sweep())
        prepare_out(out, experiment, resume=args.resume, fresh=False)
    return experiment, out


def _summary_text(result: Any) -> str:
    experiment = result.experiment
    summary = result.summary
    factors = list(experiment.points.columns)
    reps = experiment.replications
    lines = [f"{experiment.name}: {len(experiment.assignments)} points × "
             f"{reps} replication{'s' if reps != 1 else ''} = {result.total} runs "
             f"({result.ran} run now, {result.resumed} already stored, {result.failed} failed), "
             f"{result.seconds:.1f}s on {result.backend}"]
    if summary.empty:
        return lines[0]
    wide = summary.assign(value=[
        "-" if not math.isfinite(m) else f"{m:.4g}" + (f" ±{c:.2g}" if math.isfinite(c) else "")
        for m, c in zip(summary["mean"], summary["ci95"], strict=True)])
    wide["column"] = wide["metric"] if len(experiment.agencies) == 1 \
        else wide["agency"] + "." + wide["metric"]
    table = wide.pivot(index=["point", *factors], columns="column", values="value")
    table = table.reset_index().drop(columns="point")
    shown = table.head(SHOW_ROWS).copy()
    for column in factors:
        shown[column] = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in shown[column]]
    shown = shown.astype(str)
    widths = {c: max(len(str(c)), *(len(v) for v in shown[c])) for c in shown.columns}
    lines.append("  ".join(str(c).rjust(widths[c]) for c in shown.columns))
    for _, row in shown.iterrows():
        lines.append("  ".join(row[c].rjust(widths[c]) for c in shown.columns))
    if len(table) > SHOW_ROWS:
        lines.append(f"… {len(table) - SHOW_ROWS} more points in summary.csv")
    lines.append("(mean ±95% half-width over replications)")
    return "\n".join(lines)


def _sweep(args: argparse.Namespace) -> int:
    from sim.experiment.sweep import sweep

    experiment, out = _sweep_inputs(args)
    progress = _progress(args)
    try:
        result = sweep(experiment, out, backend=args.backend, workers=args.workers,
                       scheduler=args.scheduler, resume=args.resume, fresh=args.fresh,
                       progress=lambda d, f, t: progress.update(d, f, t))
    finally:
        progress.close()
    _figures(out)
    if args.format == "json":
        print(json.dumps({"experiment": experiment.name, "out": str(out),
                          "runs": {"total": result.total, "ran_now": result.ran,
                                   "resumed": result.resumed, "failed": result.failed},
                          "summary": _records(result.summary)}, indent=2))
    else:
        print(_summary_text(result))
        print(f"results written to {out}/")
    return _failures(result)


def _failures(result: Any) -> int:
    if not result.failed:
        return 0
    print(f"warning: {result.failed} of {result.total} runs failed (errors in runs.csv); "
          "rerun with --resume to retry them", file=sys.stderr)
    return 1


def _sensitivity(args: argparse.Namespace) -> int:
    from sim.experiment.sensitivity import SensitivityError, sensitivity

    experiment, out = _sweep_inputs(args)
    progress = _progress(args)
    try:
        result = sensitivity(experiment, out, backend=args.backend, workers=args.workers,
                             scheduler=args.scheduler, resume=args.resume, fresh=args.fresh,
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
        print(json.dumps({"experiment": experiment.name, "design": experiment.spec.design.kind,
                          "out": str(out), "indices": _records(table)}, indent=2))
    else:
        print(_summary_text(result.sweep).splitlines()[0])
        shown = table.drop(columns=["agency"]).copy()
        for column in shown.columns[2:]:
            shown[column] = [f"{v:.3f}" if math.isfinite(v) else "-" for v in shown[column]]
        print(shown.to_string(index=False))
        level = round(100 * experiment.spec.design.confidence)
        print(f"*_conf: half-widths of {level}% bootstrap intervals; indices written to "
              f"{out}/indices.csv")
    return _failures(result.sweep)
