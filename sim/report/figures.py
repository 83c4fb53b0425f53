"""Which figures each results folder gets, and writing them without ever losing results.

The drawing lives in :mod:`sim.report.figures_run` (time series of one scenario's
replications), :mod:`sim.report.figures_kpi` (funnel, scorecard and trade-off per agency or
scenario) and :mod:`sim.report.figures_experiment` (compare, sweep, sensitivity), with the look in
:mod:`sim.report.style` (Okabe–Ito palette, Agg canvas). This module decides, from the data a
folder holds, which figures apply — :func:`run_figures`, :func:`compare_figures`,
:func:`sweep_figures` return :class:`FigureSpec` lists that the writers below and the HTML
report (:mod:`sim.report.html`) share — and writes them.

Writers are called *after* a folder's data files are written. Each figure is written
atomically, and a figure that fails to draw prints one ``warning:`` line on stderr and is
skipped: a figure never costs a result.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.experiment.files import atomic_write
from sim.experiment.marker import FIGURE_FILES
from sim.model.results import TOTAL, Results
from sim.report import figures_allocation as fa
from sim.report import figures_experiment as fx
from sim.report import figures_kpi as fk
from sim.report import figures_run as fr
from sim.report.folder import CompareData, RunData, SweepData, open_folder
from sim.report.style import OKABE_ITO, Target, one_line, readable

__all__ = ["OKABE_ITO", "FigureSpec", "compare_figures", "folder_figures", "liquidation_curve",
           "run_figures", "sweep_figures", "write_figures", "write_folder_figures",
           "write_run_figures"]

liquidation_curve = fr.liquidation_curve

# Every figure file name collectsim writes; a writer removes those that no longer apply.
KNOWN_FIGURES = FIGURE_FILES


@dataclass(frozen=True)
class FigureSpec:
    """One figure of a folder: its file name, a title and caption, and how to draw it."""

    name: str
    title: str
    caption: str
    draw: Callable[[Target], None]


# --------------------------------------------------------------------------- plans


def run_figures(data: RunData) -> list[FigureSpec]:
    """The figures of a ``run`` folder that its data allows."""
    specs: list[FigureSpec] = []
    daily, kpis, summary = data.daily, data.kpis, data.summary
    if daily is not None and "recovery_to_date" in daily.columns:
        specs.append(FigureSpec(
            "liquidation_curve.png", "Liquidation curve",
            "Recovery to date (collected / balance placed) by day, per agency and for the "
            "whole program, with 95% confidence bands over replications.",
            lambda t: fr.liquidation_curve(daily, t, data.scenario)))
    if data.flows and data.vintages is not None:
        vintages = data.vintages
        specs.append(FigureSpec(
            "vintage_curves.png", "Liquidation curve per vintage",
            "Recovery to date by age of each monthly vintage (placements flow): do later "
            "vintages liquidate like earlier ones?",
            lambda t: fr.vintage_curves(vintages, t)))
    reviews = fa.review_rows(data.allocation)
    if reviews is not None:
        specs.append(FigureSpec(
            "standings.png", "Standings at reviews",
            "Each agency's score at each performance review (the KPI reviews compare, or the "
            "balanced scorecard's weighted score relative to the agencies' mean: better "
            "above zero) and its share of the vintages placed after it, with 95% intervals "
            "over replications.",
            lambda t: fa.standings(reviews, t, data.scenario)))
    if kpis is not None:
        specs.append(FigureSpec(
            "contact_funnel.png", "Contact funnel",
            "From placement to payment, per 100 accounts placed: called, reached, promises "
            "made and kept, paid in full, settled, on a plan at recall. Each bar names the "
            "KPIs it is computed from.",
            lambda t: fk.contact_funnel(kpis, t)))
        specs.append(FigureSpec(
            "scorecard.png", "Agency scorecard",
            "Recovery, netback, cost per dollar collected ((commission + contact cost) / "
            "collected), complaints and rule violations per 1,000 accounts and the "
            "customer-experience index per agency, with 95% intervals.",
            lambda t: fk.scorecard(kpis, t, title=data.scenario)))
    if summary is not None and {"recovery_rate", "complaints_per_1000"} <= set(
            summary["metric"]):
        specs.append(FigureSpec(
            "tradeoff.png", "Trade-off",
            "Recovery against complaints and netback against the customer-experience index, "
            "one point per agency with 95% intervals in both directions.",
            lambda t: fk.tradeoff(summary, t, title=data.scenario)))
    if daily is not None and {"calls", "rpcs"} & set(daily.columns):
        specs.append(FigureSpec(
            "daily_operations.png", "Daily operations",
            "Outbound calls, right-party contacts, inbound callers and the share who hung up "
            "before an answer, by day (7-day averages with 95% bands); collector "
            "utilisation over the placement in the heading.",
            lambda t: fr.daily_operations(daily, t, kpis)))
    return specs


def compare_figures(data: CompareData) -> list[FigureSpec]:
    """The figures of a ``compare`` folder that its data allows."""
    specs: list[FigureSpec] = []
    differences, summary = data.differences, data.summary
    if differences is not None and not differences.empty:
        specs.append(FigureSpec(
            "differences.png", "Differences to the reference scenario",
            f"Each KPI's paired difference to '{data.base}' (same replication seeds: common "
            "random numbers), as a share of the reference's mean, with its 95% interval; "
            "filled where the interval excludes zero.",
            lambda t: fx.comparison_differences(differences, t)))
    if summary is not None and ({"recovery_rate", "complaints_per_1000"} <= set(
            summary["metric"]) or {"netback_rate", "cx_index"} <= set(summary["metric"])):
        specs.append(FigureSpec(
            "tradeoff.png", "Trade-off",
            f"Recovery against complaints and netback against the customer-experience index, "
            f"one point per scenario ({data.agency}), with 95% intervals.",
            lambda t: fk.tradeoff(summary, t, by="scenario")))
    if data.runs is not None and not data.runs.empty:
        runs = data.runs[data.runs["agency"].astype(str) == data.agency]
        if "recovery_rate" in runs.columns:
            specs.append(FigureSpec(
                "scorecard.png", "Scorecard per scenario",
                f"Recovery, netback, cost per dollar collected, complaints and violations per "
                f"1,000 accounts and the customer-experience index per scenario ({data.agency}), "
                "with 95% intervals.",
                lambda t: fk.scorecard(runs, t, by="scenario",
                                       title=f"per scenario ({data.agency})")))
        if {"accounts", "contact_rate"} <= set(runs.columns):
            specs.append(FigureSpec(
                "contact_funnel.png", "Contact funnel per scenario",
                f"From placement to payment per 100 accounts placed, per scenario "
                f"({data.agency}).",
                lambda t: fk.contact_funnel(runs, t, by="scenario")))
    return specs


def sweep_figures(data: SweepData) -> list[FigureSpec]:
    """The figures of a ``sweep`` or ``sensitivity`` folder that its data allows."""
    specs: list[FigureSpec] = []
    summary = data.summary
    usable = summary is not None and not summary.empty and summary["mean"].notna().any() \
        and all(f in summary.columns for f in data.factors) and data.factors
    if usable and summary is not None:
        metrics = data.metrics or None
        agencies = data.agencies or None
        if data.design == "grid" and len(data.factors) == 2:
            x, y = data.factors[1], data.factors[0]
            specs.append(FigureSpec(
                "sweep_heatmap.png", f"Sweep: {y} × {x}",
                "Each metric per agency over the two factors: mean over replications and its "
                "95% half-width in each cell; grey cells had no successful run.",
                lambda t: fx.sweep_heatmap(summary, t, (x, y), metrics, agencies)))
        elif data.design == "grid" and len(data.factors) == 1:
            factor = data.factors[0]
            specs.append(FigureSpec(
                "sweep_lines.png", f"Sweep over {factor}",
                "Each metric against the factor, one line per agency, with 95% bands over "
                "replications.",
                lambda t: fx.sweep_lines(summary, t, factor, metrics, agencies)))
        else:
            agency = (data.agencies or [TOTAL])[0]
            specs.append(FigureSpec(
                "sweep_points.png", "Design points against each factor",
                f"Each design point's mean over its replications ({agency}) against each "
                "factor: a first look at which factors move which metric.",
                lambda t: fx.sweep_scatter(summary, t, data.factors, metrics, agency)))
    indices = data.indices
    if indices is not None and not indices.empty:
        specs.append(FigureSpec(
            "sensitivity_indices.png", "Sensitivity indices",
            "Factors sorted by influence: Sobol' first-order (S1) and total (ST) indices, or "
            "Morris μ* and σ, with bootstrap confidence intervals.",
            lambda t: fx.sensitivity_indices(indices, t)))
    return specs


# --------------------------------------------------------------------------- writers


def warn(name: str, exc: BaseException) -> None:
    """One ``warning:`` line on stderr for a figure that could not be drawn."""
    print(f"warning: figure {name} not written: {one_line(f'{type(exc).__name__}: {exc}')}",
          file=sys.stderr)


def write_figures(folder: Path, specs: Sequence[FigureSpec]) -> list[str]:
    """Draw each figure into ``folder`` atomically; a failure warns and moves on. Returns the
    names written."""
    written = []
    for spec in specs:
        try:
            atomic_write(Path(folder) / spec.name, functools.partial(_png, draw=spec.draw))
            written.append(spec.name)
        except Exception as exc:
            warn(spec.name, exc)
            (Path(folder) / spec.name).unlink(missing_ok=True)  # never leave a stale one
    for name in KNOWN_FIGURES.difference(spec.name for spec in specs):
        (Path(folder) / name).unlink(missing_ok=True)  # e.g. after --fresh with a new design
    return written


def _png(tmp: Path, draw: Callable[[Target], None]) -> None:
    draw(tmp)
    readable(tmp)


def folder_figures(folder: Path) -> list[FigureSpec]:
    """The figures that apply to the results folder at ``folder`` (read from its files)."""
    found = open_folder(folder)
    if found.run is not None:
        return run_figures(found.run)
    if found.compare is not None:
        return compare_figures(found.compare)
    if found.sweep is not None:
        return sweep_figures(found.sweep)
    return []


def write_folder_figures(folder: Path) -> list[str]:
    """Read a results folder's data files and write its figures into it (never raises)."""
    try:
        specs = folder_figures(folder)
    except Exception as exc:
        warn("(all)", exc)
        return []
    return write_figures(folder, specs)


def write_run_figures(folder: Path, results: Sequence[Results]) -> list[str]:
    """All figures of a ``collectsim run`` results folder (never raises)."""
    try:
        specs = run_figures(RunData.from_results(results))
    except Exception as exc:
        warn("(all)", exc)
        return []
    return write_figures(folder, specs)
