"""``collectsim report RESULTS_DIR``: one self-contained HTML file a planner can hand on.

:func:`write_report` reads a results folder (:func:`sim.report.folder.open_folder`) and writes
``RESULTS_DIR/report.html`` atomically. The file stands alone: figures are embedded as base64
PNG data URIs, the CSS is inline, and there are no scripts, fonts or images from the network,
so it opens offline and survives being e-mailed. It holds, in this order:

1. the question (the scenario's or experiment's description) and what was run;
2. what is missing, if anything (failed or never-run sweep runs, absent files), in words;
3. key figures and the KPI tables with 95% intervals — every number cell carries
   ``data-metric``, ``data-agency`` (or ``data-scenario`` / ``data-point``) and
   ``data-mean`` / ``data-ci95`` / ``data-sd`` / ``data-n`` attributes with the full-precision
   values of ``summary.csv``, so the report can be checked against the folder;
4. the figures (those in the folder; any the folder lacks are drawn from its data);
5. the scenario(s) as resolved, in collapsible ``<details>``;
6. "How these numbers were made" (:mod:`sim.report.method`, after STRESS-DES) and the KPI
   definitions.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from collections.abc import Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.figures import FigureSpec, compare_figures, run_figures, sweep_figures
from sim.report.folder import ResultsFolder, open_folder
from sim.report.method import (
    compare_rows,
    design_rows,
    method_rows,
    run_rows,
    toml_text,
)
from sim.report.style import (
    KPI_GROUPS,
    format_difference,
    format_interval,
    format_value,
    kpi_doc,
    kpi_label,
    one_line,
    ordered,
    readable,
)
from sim.results import TOTAL
from sim.scenario import ScenarioError

REPORT_FILE = "report.html"
LONG_TABLE = 40
MAX_FAILED_ROWS = 200
HEADLINE = ("recovery_rate", "netback_rate", "complaints_per_1000", "cx_index")

CSS = """
:root { --ink: #1a1a1a; --muted: #5a5a5a; --line: #d8d8d8; --soft: #f4f4f4;
        --warn: #fff4e0; --warn-line: #E69F00; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 22px 0 8px; }
h4 { font-size: 14px; margin: 8px 0 4px; }
p.question { font-size: 17px; margin: 4px 0 8px; }
p.meta, .muted, figcaption, .note { color: var(--muted); font-size: 13px; }
nav { font-size: 13px; margin: 10px 0 0; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; }
.missing { background: var(--warn); border-left: 5px solid var(--warn-line);
           padding: 10px 16px; margin: 18px 0; }
.missing h2 { border: none; margin: 4px 0; font-size: 17px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px;
        min-width: 200px; flex: 1; }
.card .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left;
         vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group th { background: #e8eef5; text-align: left; }
td.doc { color: var(--muted); font-size: 12px; }
td.sig { color: #D55E00; font-weight: 600; text-align: center; }
td.none { color: var(--muted); text-align: center; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
       font-size: 12px; background: var(--soft); padding: 0 3px; border-radius: 3px;
       word-break: break-all; }
pre { background: var(--soft); padding: 10px 12px; overflow-x: auto; font-size: 12px;
      border-radius: 4px; }
details { margin: 8px 0; border: 1px solid var(--line); border-radius: 4px;
          padding: 4px 10px; }
details summary { cursor: pointer; font-weight: 600; }
figure { margin: 18px 0 28px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
dl.method { display: grid; grid-template-columns: 210px 1fr; gap: 4px 16px; margin: 6px 0; }
dl.method dt { font-weight: 600; }
dl.method dd { margin: 0; }
.scope { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.scope ul { margin: 4px 0; padding-left: 18px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { body { max-width: none; } figure { break-inside: avoid; } }
"""

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
    text = format_interval(metric, mean, ci)
    n = row.get("n")
    if n is not None and not _is_nan(n) and int(n) == 0:
        text = empty
    attrs = _attrs(metric=metric, **keys, mean=_full(mean), ci95=_full(ci),
                   sd=_full(row.get("sd")), n=_full(n) if n is not None else "nan")
    return f'<td class="num"{attrs}>{escape(text)}</td>'


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


def _table(headers: Sequence[str], rows: Iterable[str], numeric_from: int = 1) -> str:
    head = "".join(f'<th{" class=num" if k >= numeric_from else ""}>{h}</th>'
                   for k, h in enumerate(headers))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _maybe_collapsed(html: str, rows: int, what: str) -> str:
    if rows <= LONG_TABLE:
        return html
    return f"<details><summary>{escape(what)} ({rows:,} rows)</summary>{html}</details>"


# --------------------------------------------------------------------------- run


def _run_tables(folder: ResultsFolder) -> str:
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
    rows = []
    for title, metrics in _grouped(summary["metric"].astype(str)):
        rows.append(f'<tr class="group"><th colspan="{len(agencies) + 2}">{escape(title)}'
                    "</th></tr>")
        for metric in metrics:
            cells = "".join(_number_cell(metric, lookup[(a, metric)], agency=a)
                            if (a, metric) in lookup else "<td class='none'>–</td>"
                            for a in agencies)
            rows.append(f"<tr><td>{_kpi_name(metric)}</td>{cells}"
                        f"<td class='doc'>{escape(kpi_doc(metric))}</td></tr>")
    parts.append(f"<p class='note'>Mean ±95% confidence half-width over {reps} "
                 "replications (percentages: ± in percentage points). Money in currency "
                 "units. The same numbers, at full precision, are in summary.csv.</p>")
    parts.append(_table(headers, rows))
    return "".join(parts)


def _cards(values: dict[str, Any], agency: str) -> str:
    cards = []
    for metric, row in values.items():
        if row is None:
            continue
        attrs = _attrs(metric=metric, agency=agency, mean=_full(row.get("mean")),
                       ci95=_full(row.get("ci95")))
        cards.append(f'<div class="card"{attrs}><div class="label">{escape(kpi_label(metric))}'
                     f' — {escape(agency)}</div><div class="value">'
                     f'{escape(format_interval(metric, row.get("mean"), row.get("ci95")))}'
                     "</div></div>")
    return f"<div class='cards'>{''.join(cards)}</div>" if cards else ""


# --------------------------------------------------------------------------- compare


def _compare_tables(folder: ResultsFolder) -> str:
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
        parts.append(_table(["KPI", *[escape(s) for s in labels]], rows))
    if differences is not None and not differences.empty:
        for label, table in differences.groupby("scenario", sort=False):
            rows = []
            for record in table.to_dict("records"):
                metric = str(record["metric"])
                attrs = _attrs(kind="difference", scenario=label, metric=metric,
                               agency=record.get("agency", data.agency),
                               diff=_full(record["diff"]), ci95=_full(record["ci95"]),
                               p_value=_full(record.get("p_value")))
                sig = bool(record.get("significant"))
                rows.append(
                    f"<tr><td>{_kpi_name(metric)}</td>"
                    f"<td class='num'>{escape(format_value(metric, record['base_mean']))}</td>"
                    f"<td class='num'>{escape(format_value(metric, record['mean']))}</td>"
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
            parts.append(_table(["KPI", escape(data.base), escape(str(label)), "difference",
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
    if _is_nan(value):
        return "–"
    text = format_difference(metric, value, None)
    return "±" + text.lstrip("+-")


def _ratio(value: Any) -> str:
    return "–" if _is_nan(value) else f"{float(value):.2f}"


# --------------------------------------------------------------------------- sweep


def _sweep_tables(folder: ResultsFolder) -> str:
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
        rows = []
        for point, group in summary.groupby("point", sort=True):
            first = group.iloc[0]
            cells = "".join(f"<td class='num'>{escape(_level(first[f]))}</td>" for f in factors)
            cells += "".join(
                _number_cell(m, lookup[(int(point), a, m)], "no run", point=int(point),
                             agency=a)
                if (int(point), a, m) in lookup else "<td class='none'>–</td>"
                for a, m in columns)
            lost = int(failed.get(point, 0)) if failed is not None else 0
            cells += f"<td class='num'>{lost if lost else ''}</td>"
            rows.append(f"<tr><td class='num'>{int(point)}</td>{cells}</tr>")
        headers = ["point", *[f"<code>{escape(f)}</code>" for f in factors],
                   *[f"{escape(kpi_label(m))}<br><span class='muted'>{escape(a)}</span>"
                     for a, m in columns], "failed runs"]
        table = _table(headers, rows)
        parts.append("<h3>Design points</h3><p class='note'>Each point: factor values, then "
                     "mean ±95% half-width over its replications (summary.csv); 'no run': no "
                     "successful replication.</p>")
        parts.append(_maybe_collapsed(table, len(rows), "Every design point"))
    failed_runs = data.failed
    if len(failed_runs):
        rows = []
        for record in failed_runs.head(MAX_FAILED_ROWS).to_dict("records"):
            cells = "".join(f"<td class='num'>{escape(_level(record.get(f)))}</td>"
                            for f in data.factors if f in failed_runs.columns)
            rows.append(f"<tr><td class='num'>{record['point']}</td>"
                        f"<td class='num'>{record['replication']}</td>{cells}"
                        f"<td>{escape(one_line(str(record.get('error') or '')))}</td></tr>")
        headers = ["point", "replication", *[f"<code>{escape(f)}</code>" for f in data.factors
                                             if f in failed_runs.columns], "error"]
        parts.append("<h3 id='failed'>Failed runs</h3>")
        parts.append(_table(headers, rows, numeric_from=99))
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
            cells += f"<td class='num'>{'–' if _is_nan(noise) else f'{100 * noise:.1f}%'}</td>"
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
            + _table(["metric", "factor", *names, "noise share"], rows, numeric_from=2))


def _index_text(metric: str, sobol: bool, value: Any, conf: Any) -> str:
    if _is_nan(value):
        return "–"
    if sobol:
        text = f"{float(value):.3f}"
        return text + (f" ±{abs(float(conf)):.3f}" if not _is_nan(conf) else "")
    return format_difference(metric, value, conf).lstrip("+")


# --------------------------------------------------------------------------- figures


def _figures(folder: ResultsFolder, notes: list[str]) -> str:
    specs: list[FigureSpec]
    if folder.run is not None:
        specs = run_figures(folder.run)
    elif folder.compare is not None:
        specs = compare_figures(folder.compare)
    elif folder.sweep is not None:
        specs = sweep_figures(folder.sweep)
    else:
        specs = []
    parts = []
    named = set()
    for spec in specs:
        named.add(spec.name)
        path = folder.path / spec.name
        png: bytes | None = None
        drawn = False
        if path.is_file():
            png = path.read_bytes()
        else:
            buffer = io.BytesIO()
            try:
                spec.draw(buffer)
                png, drawn = buffer.getvalue(), True
            except Exception as exc:
                notes.append(f"Figure {spec.name} could not be drawn: "
                             f"{one_line(f'{type(exc).__name__}: {exc}')}.")
        if png:
            parts.append(_figure(png, spec.title, spec.caption
                                 + (f" (drawn for this report: {spec.name} is not in the "
                                    "folder)" if drawn else f" ({spec.name})")))
    for path in sorted(folder.path.glob("*.png")):
        if path.name not in named:
            parts.append(_figure(path.read_bytes(), path.stem.replace("_", " "),
                                 f"({path.name})"))
    if not parts:
        return "<p class='note'>No figures: the folder's data do not allow any.</p>"
    return "".join(parts)


def _figure(png: bytes, title: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f"<figure><h3>{escape(title)}</h3><img alt=\"{escape(title)}\" "
            f"src=\"data:image/png;base64,{data}\"><figcaption>{escape(caption)}</figcaption>"
            "</figure>")


# --------------------------------------------------------------------------- resolved inputs


def _resolved(folder: ResultsFolder) -> str:
    manifest = folder.manifest
    blocks = []
    if folder.kind == "run" and isinstance(manifest.get("scenario"), dict):
        blocks.append(_details(f"Scenario '{folder.title}' as run (TOML)",
                               toml_text(manifest["scenario"]), open_=True))
    elif folder.kind == "compare":
        for item in manifest.get("scenarios", []):
            if isinstance(item.get("scenario"), dict):
                blocks.append(_details(f"Scenario '{item.get('label')}' ({item.get('file')})",
                                       toml_text(item["scenario"])))
    elif manifest.get("experiment"):
        resolved = manifest["experiment"]
        if isinstance(resolved.get("experiment"), dict):
            blocks.append(_details("Experiment as resolved (TOML)",
                                   toml_text(resolved["experiment"]), open_=True))
        if isinstance(resolved.get("base_scenario"), dict):
            blocks.append(_details("Base scenario as resolved (TOML; factors vary it)",
                                   toml_text(resolved["base_scenario"])))
    if not blocks:
        return "<p class='note'>Unknown: manifest.json is missing or holds no scenario.</p>"
    return ("<p class='note'>Every value the model used, defaults included, after "
            "<code>extends</code> and <code>--set</code> overrides.</p>" + "".join(blocks))


def _details(summary: str, text: str, open_: bool = False) -> str:
    return (f"<details{' open' if open_ else ''}><summary>{escape(summary)}</summary>"
            f"<pre>{escape(text)}</pre></details>")


def _method(folder: ResultsFolder) -> str:
    manifest = folder.manifest
    scenario: dict[str, Any] | None = None
    if folder.kind == "run":
        scenario = manifest.get("scenario")
        extra = run_rows(manifest)
    elif folder.kind == "compare":
        scenarios = manifest.get("scenarios", [])
        scenario = scenarios[0].get("scenario") if scenarios else None
        extra = compare_rows(manifest)
    else:
        scenario = manifest.get("experiment", {}).get("base_scenario")
        extra = design_rows(manifest) if manifest else []
    sections = method_rows(folder.kind, manifest, _question(folder), scenario, extra)
    parts = ["<p class='note'>After the STRESS-DES reporting guideline for discrete-event "
             "simulation (Monks, Currie, Onggo, Robinson, Kunc & Taylor 2019, Journal of "
             "Simulation 13(1):55–67), from this folder's manifest.json.</p>"]
    for title, rows in sections:
        items = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
        parts.append(f"<h3>{escape(title)}</h3><dl class='method'>{items}</dl>")
    return "".join(parts)


def _definitions(metrics: Iterable[str]) -> str:
    rows = [f"<tr><td><code>{escape(m)}</code></td><td>{escape(kpi_label(m))}</td>"
            f"<td>{escape(kpi_doc(m))}</td></tr>" for m in dict.fromkeys(metrics)]
    rows.append("<tr><td><code>cost_to_collect</code></td><td>cost to collect (%)</td>"
                "<td>(commission + contact cost) / collected (scorecard only)</td></tr>")
    return ("<details><summary>KPI definitions</summary>"
            + _table(["name", "label (unit)", "definition"], rows, numeric_from=99)
            + "<p class='note'>cx_index = 100·exp(−(10·c + 2·v + d + s + h/2)), per account "
              "placed: c complaints, v rule violations, d disputes, s share that asked to "
              "stop contact, h share called 4+ times within 7 days.</p></details>")


# --------------------------------------------------------------------------- page


def _question(folder: ResultsFolder) -> str:
    manifest = folder.manifest
    if folder.kind == "run":
        return str(manifest.get("scenario", {}).get("scenario", {}).get("description", ""))
    if folder.kind == "compare":
        labels = [str(s.get("label")) for s in manifest.get("scenarios", [])]
        others = ", ".join(labels[1:])
        return (f"How do {others} differ from {labels[0]}?" if labels
                else "Paired comparison of scenarios")
    if not manifest:
        return ""
    spec = manifest.get("experiment", {}).get("experiment", {}).get("experiment", {})
    return str(spec.get("description") or "")


def _descriptions(folder: ResultsFolder) -> str:
    """For a comparison, each scenario's own description (the reference first)."""
    if folder.kind != "compare":
        return ""
    items = []
    for item in folder.manifest.get("scenarios", []):
        text = item.get("scenario", {}).get("scenario", {}).get("description", "")
        items.append(f"<li><b>{escape(str(item.get('label')))}</b>"
                     + (f": {escape(str(text))}" if text else "") + "</li>")
    return f"<ul class='scenarios'>{''.join(items)}</ul>" if items else ""


def _subtitle(folder: ResultsFolder) -> str:
    manifest = folder.manifest
    if folder.kind == "run":
        reps = manifest.get("replications", [])
        overrides = manifest.get("overrides") or []
        return (f"collectsim run of {manifest.get('scenario_file', '?')}"
                + (f" with {' '.join('--set ' + o for o in overrides)}" if overrides else "")
                + f": {len(reps) if isinstance(reps, list) else reps} replications, seed "
                f"{manifest.get('seed', '?')}")
    if folder.kind == "compare":
        return (f"collectsim compare: {len(manifest.get('scenarios', []))} scenarios × "
                f"{manifest.get('reps', '?')} replications on common random numbers, seed "
                f"{manifest.get('seed', '?')}")
    if not manifest:
        return "collectsim sweep (interrupted: no manifest.json)"
    runs = manifest.get("runs", {})
    design = manifest.get("experiment", {}).get("experiment", {}).get("design", {})
    return (f"collectsim {folder.kind} ({design.get('kind', '?')} design): "
            f"{manifest.get('experiment', {}).get('points', '?')} points × "
            f"{manifest.get('replications', '?')} replications = {runs.get('total', '?')} "
            f"runs, {runs.get('failed', 0)} failed")


def _metrics(folder: ResultsFolder) -> list[str]:
    if folder.run is not None and folder.run.summary is not None:
        return list(folder.run.summary["metric"].astype(str))
    if folder.compare is not None and folder.compare.summary is not None:
        return list(folder.compare.summary["metric"].astype(str))
    if folder.sweep is not None:
        return list(folder.sweep.metrics)
    return []


def build_report(folder: ResultsFolder) -> str:
    """The whole HTML page for ``folder``."""
    notes = list(folder.notes)
    if folder.kind == "run":
        tables = _run_tables(folder)
    elif folder.kind == "compare":
        tables = _compare_tables(folder)
    else:
        tables = _sweep_tables(folder)
    figures = _figures(folder, notes)
    title = folder.title
    question = _question(folder)
    kinds = {"run": "Scenario", "compare": "Comparison", "sweep": "Sweep",
             "sensitivity": "Sensitivity analysis"}
    missing = ""
    if notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in notes)
        missing = (f"<section class='missing' id='missing'><h2>What is missing</h2>"
                   f"<ul>{items}</ul></section>")
    written = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    nav = "".join(f"<a href='#{key}'>{label}</a>" for key, label in
                  (("numbers", "Numbers"), ("figures", "Figures"), ("inputs", "Inputs"),
                   ("method", "How these numbers were made")))
    body = (f"<header><p class='meta'>{escape(kinds.get(folder.kind, folder.kind))} report · "
            f"collectsim</p><h1>{escape(title)}</h1>"
            + (f"<p class='question'>{escape(question)}</p>" if question else "")
            + _descriptions(folder)
            + f"<p class='meta'>{escape(_subtitle(folder))}. Folder: "
              f"<code>{escape(str(folder.path))}</code>. Report written {escape(written)}.</p>"
            f"<nav>{nav}</nav></header>{missing}"
            f"<section id='numbers'><h2>Numbers</h2>{tables}</section>"
            f"<section id='figures'><h2>Figures</h2>{figures}</section>"
            f"<section id='inputs'><h2>Inputs as resolved</h2>{_resolved(folder)}</section>"
            f"<section id='method'><h2>How these numbers were made</h2>{_method(folder)}"
            f"{_definitions(_metrics(folder))}</section>"
            "<footer>Written by <code>collectsim report</code>. Self-contained: no scripts, "
            "no network.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)} — collectsim report</title><style>{CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def write_report(path: str | Path) -> Path:
    """Write ``report.html`` into the results folder at ``path`` (atomically); return it.

    Raises :class:`~sim.scenario.ScenarioError` when ``path`` is not a results folder.
    """
    from sim.files import atomic_write

    folder = open_folder(path)
    page = build_report(folder)

    def write(tmp: Path) -> None:
        tmp.write_text(page, encoding="utf-8")
        readable(tmp)

    try:
        return atomic_write(folder.path / REPORT_FILE, write)
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot write {REPORT_FILE}: "
                            f"{exc.strerror or exc}") from None
