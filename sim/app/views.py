"""What the page shows of a set of replications, as HTML fragments built from results.

Every number comes from the KPI registry's formatters (:mod:`sim.model.kpis`: a share as a
percentage, money in whole units, with its 95% half-width) and every interval from the
experiment layer (:func:`sim.experiment.replicate.summarise`, the paired differences of
:func:`sim.experiment.compare.differences`); the tables and figures are the report's own
(:mod:`sim.report.tables`, :mod:`sim.report.figures_run`, :mod:`sim.report.figures_kpi`),
embedded as data URIs so that the page fetches nothing from anywhere.

The KPI cards carry ``id="kpi-<name>"`` and the full-precision mean, half-width and number of
replications as ``data-`` attributes.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import pandas as pd

from sim.experiment.compare import differences
from sim.experiment.replicate import kpi_columns, kpi_table, segment_table, summarise
from sim.model.kpis import KPIS, MISSING, format_difference, format_half, format_interval
from sim.model.results import TOTAL, Results
from sim.report.figures_kpi import contact_funnel
from sim.report.figures_run import liquidation_curve
from sim.report.style import Target, kpi_label, ordered
from sim.report.tables import grouped_kpi_rows, html_table

CARD_KPIS = tuple(k.name for k in KPIS if k.headline)
"""The KPIs with a card: the registry's headline KPIs, in registry order."""


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def total_summary(results: Sequence[Results]) -> dict[str, dict[str, Any]]:
    """Per KPI of the program total: ``mean``, ``sd``, ``ci95`` and ``n`` over ``results``."""
    if not results:
        return {}
    table = kpi_table(results)
    summary = summarise(table[table["agency"] == TOTAL], kpi_columns(table))
    return {str(row["metric"]): row for row in summary.to_dict("records")}


def kpi_cards(results: Sequence[Results]) -> str:
    """A card per headline KPI: the total's mean ±95% half-width (``–`` before any result; the
    mean alone after one replication)."""
    summary = total_summary(results)
    cards = []
    for name in CARD_KPIS:
        row = summary.get(name, {})
        mean, half, n = row.get("mean"), row.get("ci95"), int(row.get("n", 0) or 0)
        text = format_interval(name, mean, half, averaged=n > 1)
        attrs = (f' data-mean="{_number(mean)!r}" data-ci95="{_number(half)!r}"'
                 f' data-n="{n}"')
        cards.append(f'<div class="kpi" id="kpi-{escape(name)}"{attrs}>'
                     f'<div class="kpi-label">{escape(kpi_label(name))}</div>'
                     f'<div class="kpi-value">{escape(text)}</div></div>')
    return f"<div class='kpis'>{''.join(cards)}</div>"


def _png(draw: Callable[[Target], None], alt: str) -> str:
    buffer = io.BytesIO()
    draw(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="figure" alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def liquidation_figure(results: Sequence[Results]) -> str:
    """The liquidation curve per agency and total with its 95% band, as an ``<img>``."""
    if not results:
        return ""
    daily = pd.concat([r.daily.assign(replication=r.replication) for r in results],
                      ignore_index=True)
    return _png(lambda target: liquidation_curve(daily, target),
                "Liquidation curve: recovery to date by day, per agency and total, with 95% "
                "bands over replications")


def funnel_figure(results: Sequence[Results]) -> str:
    """The contact funnel per agency and total, per 100 accounts, as an ``<img>``."""
    if not results:
        return ""
    return _png(lambda target: contact_funnel(kpi_table(results), target),
                "Contact funnel per 100 accounts placed, per agency and total, with 95% "
                "whiskers")


def _kpi_table(table: pd.DataFrame, key: str, note: str) -> str:
    if table.empty:
        return ""
    summary = summarise(table, kpi_columns(table))
    summary = summary[pd.to_numeric(summary["mean"], errors="coerce").notna()]
    if summary.empty:
        return ""
    columns = ordered(summary["agency"].astype(str)) if key == "agency" \
        else list(dict.fromkeys(summary["agency"].astype(str)))
    rows = grouped_kpi_rows(summary, columns, key)
    return (f"<p class='note'>{escape(note)}</p>"
            + html_table(["KPI", *[escape(c) for c in columns]], rows))


def agency_table(results: Sequence[Results]) -> str:
    """Every KPI per agency and total: mean ±95% half-width over replications."""
    if not results:
        return ""
    return _kpi_table(kpi_table(results), "agency",
                      f"Mean ±95% half-width over {len(results)} replications "
                      "(percentages: ± in percentage points; money in currency units).")


def segment_kpi_table(results: Sequence[Results]) -> str:
    """Every KPI with a value per segment (reason for falling behind) of the placed
    accounts."""
    if not results:
        return ""
    return _kpi_table(segment_table(results), "segment",
                      "Each segment of the placed accounts, over all agencies, against its "
                      "own part of the control group.")


def comparison_table(current: Sequence[Results], base: Sequence[Results],
                     labels: tuple[str, str] = ("as loaded", "with levers")) -> str:
    """Each headline KPI of the total: the file as loaded, with the levers, and the paired
    difference (common random numbers) ±95% half-width, ``*`` where it excludes zero, over
    the replications both have."""
    shared = {r.replication for r in current} & {r.replication for r in base}
    if len(shared) < 1:
        return ""
    frames = []
    for label, results in ((labels[0], base), (labels[1], current)):
        table = kpi_table([r for r in results if r.replication in shared])
        frames.append(table.assign(scenario=label))
    runs = pd.concat(frames, ignore_index=True)
    metrics = [m for m in CARD_KPIS if m in runs.columns]
    diffs = differences(runs, list(labels), metrics)
    rows = []
    for record in diffs.to_dict("records"):
        metric = str(record["metric"])
        diff = format_difference(metric, record["diff"], record["ci95"])
        mark = "*" if record["significant"] else ""
        rows.append(f'<tr data-metric="{escape(metric)}"><td>{escape(kpi_label(metric))}</td>'
                    f"<td class=num>{escape(format_interval(metric, record['base_mean'], None))}"
                    f"</td><td class=num>{escape(format_interval(metric, record['mean'], None))}"
                    f"</td><td class=num>{escape(diff)}</td><td>{mark}</td>"
                    f"<td class=num>{escape(_unpaired(metric, record['ci95_unpaired']))}</td>"
                    "</tr>")
    note = (f"Paired on common random numbers over {len(shared)} replication"
            f"{'s' if len(shared) != 1 else ''}: difference = with levers − as loaded, "
            "±95% paired half-width; * = the interval excludes 0; last column: the "
            "half-width the same runs would give unpaired (Welch).")
    return (f"<p class='note'>{escape(note)}</p>"
            + html_table(["KPI", "as loaded", "with levers", "difference", "", "±unpaired"],
                         rows))


def _unpaired(metric: str, half: Any) -> str:
    text = format_half(metric, half)
    return text if text != MISSING else MISSING
