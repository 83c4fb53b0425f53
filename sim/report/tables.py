"""The tables of ``report.html``: KPI tables with intervals, comparisons, sweeps, indices.

Every number cell carries ``data-metric``, ``data-agency`` (or ``data-scenario`` /
``data-point``) and ``data-mean`` / ``data-ci95`` / ``data-sd`` / ``data-n`` attributes with the
full-precision values of ``summary.csv``, so a report can be checked against its folder.
:func:`run_tables`, :func:`compare_tables` and :func:`sweep_tables` each return the HTML of one
kind of results folder; :mod:`sim.report.html` puts them in the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import pandas as pd

from sim.model.kpis import KPI_GROUPS
from sim.model.results import TOTAL
from sim.report.folder import ResultsFolder
from sim.report.style import (
    format_difference,
    format_half,
    format_interval,
    format_value,
    kpi_doc,
    kpi_label,
    one_line,
    ordered,
)

LONG_TABLE = 40
MAX_FAILED_ROWS = 200
# Number columns per table: with the factors and the point, a table of this many fits a
# 1,280-pixel-wide page (the body is at most 1,180 px; a ``mean ±half`` cell is ~110 px).
MAX_NUMBER_COLUMNS = 6
HEADLINE = ("recovery_rate", "netback_rate", "complaints_per_1000", "cx_index")


# --------------------------------------------------------------------------- helpers


def _full(value: Any) -> str:
    """A number at full precision for a ``data-`` attribute (``nan`` if missing)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "nan"
    return repr(number) if math.isfinite(number) else "nan"


def _attrs(**values: Any) -> str:
    return "".join(f' data-{key.replace("_", "-")}="{escape(str(value))}"'
                   for key, value in values.items())


def _number_cell(metric: str, row: Any, empty: str = "n/a", **keys: Any) -> str:
    """``<td>`` with ``mean ±ci95`` and the full-precision values as ``data-`` attributes;
    ``empty`` when no replication had a value."""
    mean, ci = row.get("mean"), row.get("ci95")
    text = format_interval(metric, mean, ci, _averaged(row))
    n = row.get("n")
    if n is not None and not _is_nan(n) and int(n) == 0:
        text = empty
    attrs = _attrs(metric=metric, **keys, mean=_full(mean), ci95=_full(ci),
                   sd=_full(row.get("sd")), n=_full(n) if n is not None else "nan")
    return f'<td class="num"{attrs}>{escape(text)}</td>'


def _averaged(row: Any) -> bool:
    """Whether a summary row's mean is over more than one replication (``n`` unknown: yes)."""
    n = row.get("n")
    return n is None or _is_nan(n) or int(n) > 1


def _is_nan(value: Any) -> bool:
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def _kpi_name(metric: str) -> str:
    return (f'<span title="{escape(kpi_doc(metric))}">{escape(kpi_label(metric, False))}'
            f"</span><br><code>{escape(metric)}</code>")


def _grouped(metrics: Iterable[str]) -> list[tuple[str, list[str]]]:
    present = list(dict.fromkeys(metrics))
    groups = []
    placed: set[str] = set()
    for title, members in KPI_GROUPS:
        chosen = [m for m in members if m in present]
        placed.update(chosen)
        if chosen:
            groups.append((title, chosen))
    rest = [m for m in present if m not in placed]
    if rest:
        groups.append(("Other", rest))
    return groups


def html_table(headers: Sequence[str], rows: Iterable[str], numeric_from: int = 1) -> str:
    head = "".join(f'<th{" class=num" if k >= numeric_from else ""}>{h}</th>'
                   for k, h in enumerate(headers))
    return (f"<div class='fit'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}"
            "</tbody></table></div>")


def _maybe_collapsed(html: str, rows: int, what: str) -> str:
    if rows <= LONG_TABLE:
        return html
    return f"<details><summary>{escape(what)} ({rows:,} rows)</summary>{html}</details>"


# --------------------------------------------------------------------------- run


def grouped_kpi_rows(summary: pd.DataFrame, columns: list[str], key: str,
                     with_doc: bool = False) -> list[str]:
    """Table rows of a summary (``agency``, ``metric``, ``mean``, ``ci95``, …): a heading row
    per KPI group, then a row per KPI with a cell per column (an agency or segment, named in
    the cells' ``data-<key>``) and, ``with_doc``, the KPI's definition."""
    lookup = {(str(r["agency"]), str(r["metric"])): r for r in summary.to_dict("records")}
    rows = []
    for title, metrics in _grouped(summary["metric"].astype(str)):
        rows.append(f'<tr class="group"><th colspan="{len(columns) + 1 + with_doc}">'
                    f"{escape(title)}</th></tr>")
        for metric in metrics:
            cells = "".join(_number_cell(metric, lookup[(c, metric)], **{key: c})
                            if (c, metric) in lookup else "<td class='none'>–</td>"
                            for c in columns)
            doc = f"<td class='doc'>{escape(kpi_doc(metric))}</td>" if with_doc else ""
            rows.append(f"<tr><td>{_kpi_name(metric)}</td>{cells}{doc}</tr>")
    return rows


def run_tables(folder: ResultsFolder) -> str:
    data = folder.run
    assert data is not None
    summary = data.summary
    if summary is None or summary.empty:
        return "<p class='note'>No KPI table: the folder has neither summary.csv nor kpis.csv."\
               "</p>"
    agencies = ordered(summary["agency"].astype(str))
    lookup = {(str(r["agency"]), str(r["metric"])): r for r in summary.to_dict("records")}
    reps = int(summary["n"].max()) if "n" in summary else 0
    parts = [_cards({m: lookup.get((TOTAL, m)) for m in HEADLINE}, TOTAL)]
    headers = ["KPI", *[escape(a) for a in agencies], "What it means"]
    rows = grouped_kpi_rows(summary, agencies, "agency", with_doc=True)
    parts.append(f"<p class='note'>Mean ±95% confidence half-width over {reps} "
                 "replications (percentages: ± in percentage points). Money in currency "
                 "units. The same numbers, at full precision, are in summary.csv.</p>")
    parts.append(html_table(headers, rows))
    return "".join(parts)


def _cards(values: dict[str, Any], agency: str) -> str:
    cards = []
    for metric, row in values.items():
        if row is None:
            continue
        attrs = _attrs(metric=metric, agency=agency, mean=_full(row.get("mean")),
                       ci95=_full(row.get("ci95")))
        text = format_interval(metric, row.get("mean"), row.get("ci95"), _averaged(row))
        cards.append(f'<div class="card"{attrs}><div class="label">{escape(kpi_label(metric))}'
                     f' — {escape(agency)}</div><div class="value">{escape(text)}</div></div>')
    return f"<div class='cards'>{''.join(cards)}</div>" if cards else ""


# --------------------------------------------------------------------------- compare


def compare_tables(folder: ResultsFolder) -> str:
    data = folder.compare
    assert data is not None
    parts = []
    differences = data.differences
    if differences is not None and not differences.empty:
        parts.append(_headline_differences(differences))
    summary = data.summary
    if summary is not None and not summary.empty:
        labels = list(dict.fromkeys(summary["scenario"].astype(str)))
        lookup = {(str(r["scenario"]), str(r["metric"])): r for r in summary.to_dict("records")}
        rows = []
        for title, metrics in _grouped(summary["metric"].astype(str)):
            rows.append(f'<tr class="group"><th colspan="{len(labels) + 1}">{escape(title)}'
                        "</th></tr>")
            for metric in metrics:
                cells = "".join(
                    _number_cell(metric, lookup[(s, metric)], scenario=s, agency=data.agency)
                    if (s, metric) in lookup else "<td class='none'>–</td>" for s in labels)
                rows.append(f"<tr><td>{_kpi_name(metric)}</td>{cells}</tr>")
        parts.append(f"<h3>Each scenario ({escape(data.agency)})</h3>")
        parts.append("<p class='note'>Mean ±95% confidence half-width over the replications "
                     "of each scenario (summary.csv).</p>")
        parts.append(html_table(["KPI", *[escape(s) for s in labels]], rows))
    if differences is not None and not differences.empty:
        for label, table in differences.groupby("scenario", sort=False):
            rows = []
            for record in table.to_dict("records"):
                metric = str(record["metric"])
                base_mean = format_value(metric, record["base_mean"], True)
                mean = format_value(metric, record["mean"], True)
                attrs = _attrs(kind="difference", scenario=label, metric=metric,
                               agency=record.get("agency", data.agency),
                               diff=_full(record["diff"]), ci95=_full(record["ci95"]),
                               p_value=_full(record.get("p_value")))
                sig = bool(record.get("significant"))
                rows.append(
                    f"<tr><td>{_kpi_name(metric)}</td>"
                    f"<td class='num'>{escape(base_mean)}</td>"
                    f"<td class='num'>{escape(mean)}</td>"
                    f"<td class='num'{attrs}>"
                    f"{escape(format_difference(metric, record['diff'], record['ci95']))}</td>"
                    f"<td class='sig'>{'✔' if sig else ''}</td>"
                    f"<td class='num'>{escape(_p(record.get('p_value')))}</td>"
                    f"<td class='num'>{escape(_half(metric, record.get('ci95_unpaired')))}</td>"
                    f"<td class='num'>{escape(_ratio(record.get('paired_to_unpaired')))}</td>"
                    "</tr>")
            parts.append(f"<h3>{escape(str(label))} − {escape(data.base)}</h3>")
            parts.append("<p class='note'>Paired difference (scenario − reference) ±95% paired "
                         "half-width; ✔: the interval excludes zero. The unpaired (Welch) "
                         "half-width is what independent runs would give; the ratio shows what "
                         "common random numbers bought.</p>")
            parts.append(html_table(["KPI", escape(data.base), escape(str(label)), "difference",
                                 "excl. 0", "p", "± unpaired", "paired / unpaired"], rows))
    if not parts:
        parts.append("<p class='note'>No tables: comparison.csv and summary.csv are missing."
                     "</p>")
    return "".join(parts)


def _headline_differences(differences: pd.DataFrame) -> str:
    cards = []
    for record in differences.to_dict("records"):
        metric = str(record["metric"])
        if metric not in HEADLINE:
            continue
        mark = " (excludes 0)" if record.get("significant") else " (could be 0)"
        cards.append(f"<div class='card'><div class='label'>{escape(kpi_label(metric))}: "
                     f"{escape(str(record['scenario']))} − {escape(str(record['base']))}</div>"
                     f"<div class='value'>"
                     f"{escape(format_difference(metric, record['diff'], record['ci95']))}"
                     f"</div><div class='label'>95% paired interval{mark}</div></div>")
    return f"<div class='cards'>{''.join(cards)}</div>" if cards else ""


def _p(value: Any) -> str:
    if _is_nan(value):
        return "–"
    number = float(value)
    return "<0.001" if number < 0.001 else f"{number:.3f}"


def _half(metric: str, value: Any) -> str:
    return "–" if _is_nan(value) else format_half(metric, value)


def _ratio(value: Any) -> str:
    return "–" if _is_nan(value) else f"{float(value):.2f}"


# --------------------------------------------------------------------------- sweep


def sweep_tables(folder: ResultsFolder) -> str:
    data = folder.sweep
    assert data is not None
    parts = []
    indices = data.indices
    if indices is not None and not indices.empty:
        parts.append(_indices_table(indices))
    summary = data.summary
    if summary is not None and not summary.empty:
        factors = [f for f in data.factors if f in summary.columns]
        columns = [(a, m) for a in ordered(summary["agency"].astype(str))
                   for m in dict.fromkeys(summary["metric"].astype(str))]
        lookup = {(int(r["point"]), str(r["agency"]), str(r["metric"])): r
                  for r in summary.to_dict("records")}
        failed = summary.groupby("point")["failed"].max() if "failed" in summary else None
        chunks = [columns[k:k + MAX_NUMBER_COLUMNS]
                  for k in range(0, len(columns), MAX_NUMBER_COLUMNS)] or [[]]
        parts.append("<h3>Design points</h3><p class='note'>Each point: factor values, then "
                     "mean ±95% half-width over its replications (summary.csv); 'no run': no "
                     "successful replication."
                     + (f" The KPIs are split over {len(chunks)} tables of at most "
                        f"{MAX_NUMBER_COLUMNS} so each fits the page." if len(chunks) > 1
                        else "") + "</p>")
        for k, chunk in enumerate(chunks):
            rows = []
            for point, group in summary.groupby("point", sort=True):
                first = group.iloc[0]
                cells = "".join(f"<td class='num'>{escape(_level(first[f]))}</td>"
                                for f in factors)
                cells += "".join(
                    _number_cell(m, lookup[(int(point), a, m)], "no run", point=int(point),
                                 agency=a)
                    if (int(point), a, m) in lookup else "<td class='none'>–</td>"
                    for a, m in chunk)
                if k == len(chunks) - 1:
                    lost = int(failed.get(point, 0)) if failed is not None else 0
                    cells += f"<td class='num'>{lost if lost else ''}</td>"
                rows.append(f"<tr><td class='num'>{int(point)}</td>{cells}</tr>")
            headers = ["point", *[f"<code>{escape(f)}</code>" for f in factors],
                       *[f"{escape(kpi_label(m))}<br><span class='muted'>{escape(a)}</span>"
                         for a, m in chunk],
                       *(["failed runs"] if k == len(chunks) - 1 else [])]
            parts.append(_maybe_collapsed(html_table(headers, rows), len(rows),
                                          "Every design point"))
    failed_runs = data.failed
    if len(failed_runs):
        rows = []
        for record in failed_runs.head(MAX_FAILED_ROWS).to_dict("records"):
            cells = "".join(f"<td class='num'>{escape(_level(record.get(f)))}</td>"
                            for f in data.factors if f in failed_runs.columns)
            rows.append(f"<tr><td class='num'>{escape(str(record['point']))}</td>"
                        f"<td class='num'>{escape(str(record['replication']))}</td>{cells}"
                        f"<td>{escape(one_line(str(record.get('error') or '')))}</td></tr>")
        headers = ["point", "replication", *[f"<code>{escape(f)}</code>" for f in data.factors
                                             if f in failed_runs.columns], "error"]
        parts.append("<h3 id='failed'>Failed runs</h3>")
        parts.append(html_table(headers, rows, numeric_from=99))
        if len(failed_runs) > MAX_FAILED_ROWS:
            parts.append(f"<p class='note'>… and {len(failed_runs) - MAX_FAILED_ROWS} more in "
                         "runs.csv.</p>")
    if not parts:
        parts.append("<p class='note'>No tables: the folder holds no finished run.</p>")
    return "".join(parts)


def _level(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else str(value)


def _indices_table(indices: pd.DataFrame) -> str:
    sobol = {"S1", "ST"} <= set(indices.columns)
    pairs = ([("S1", "S1_conf"), ("ST", "ST_conf")] if sobol
             else [("mu_star", "mu_star_conf"), ("sigma", None), ("mu", None)])
    rows = []
    for metric, table in indices.groupby("metric", sort=False):
        order = table.sort_values(pairs[0][0] if not sobol else "ST", ascending=False)
        for record in order.to_dict("records"):
            cells = ""
            for value, conf in pairs:
                if value not in record:
                    cells += "<td class='none'>–</td>"
                    continue
                text = _index_text(str(metric), sobol, record[value],
                                   record.get(conf) if conf else None)
                attrs = _attrs(kind="index", metric=metric, factor=record["factor"],
                               index=value, value=_full(record[value]),
                               conf=_full(record.get(conf)) if conf else "nan")
                cells += f"<td class='num'{attrs}>{escape(text)}</td>"
            noise = record.get("noise_share")
            cells += (f"<td class='num'>{'–' if _is_nan(noise) else f'{100 * float(noise):.1f}%'}"
                      "</td>")
            rows.append(f"<tr><td>{escape(kpi_label(str(metric), False))}<br><code>"
                        f"{escape(str(metric))}</code></td><td><code>"
                        f"{escape(str(record['factor']))}</code></td>{cells}</tr>")
    names = (["S1 (first order)", "ST (total)"] if sobol
             else ["μ* (mean |effect|)", "σ", "μ"])
    note = ("Sobol' indices: the share of the metric's variance due to the factor alone (S1) "
            "and with all its interactions (ST), ± bootstrap half-width."
            if sobol else "Morris elementary effects: μ* the mean absolute effect over the "
            "factor's range (± bootstrap half-width), σ their spread (non-linearity or "
            "interactions), μ the mean signed effect.")
    note += (" Noise share: the part of the spread of point means that is replication "
             "noise — keep it small.")
    return (f"<h3>Sensitivity indices</h3><p class='note'>{escape(note)}</p>"
            + html_table(["metric", "factor", *names, "noise share"], rows, numeric_from=2))


def _index_text(metric: str, sobol: bool, value: Any, conf: Any) -> str:
    if _is_nan(value):
        return "–"
    if sobol:
        text = f"{float(value):.3f}"
        return text + (f" ±{abs(float(conf)):.3f}" if not _is_nan(conf) else "")
    return format_difference(metric, value, conf).lstrip("+")


