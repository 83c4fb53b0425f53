"""``collectsim report RESULTS_DIR``: one self-contained HTML file a planner can hand on.

:func:`write_report` reads a results folder (:func:`sim.report.folder.open_folder`) and writes
``RESULTS_DIR/report.html`` atomically. The file stands alone: figures are embedded as base64
PNG data URIs, the CSS is inline, and there are no scripts, fonts or images from the network,
so it opens offline and survives being e-mailed. It holds, in this order:

1. the question (the scenario's or experiment's description) and what was run, then the
   executive summary (:mod:`sim.report.summary`): the answer in plain sentences with its
   intervals, and what the results cannot say;
2. what is missing, if anything (failed or never-run sweep runs, absent files), in words;
3. key figures and the KPI tables with 95% intervals — every number cell carries
   ``data-metric``, ``data-agency`` (or ``data-scenario`` / ``data-point``) and
   ``data-mean`` / ``data-ci95`` / ``data-sd`` / ``data-n`` attributes with the full-precision
   values of ``summary.csv``, so the report can be checked against the folder;
4. the figures: the folder's own PNG files (regular files, never symbolic links, at most
   :data:`MAX_FIGURE_BYTES`, with the PNG signature; anything else is left out with a note),
   and any the folder lacks drawn from its data;
5. the scenario(s) as resolved, folded away in ``<details>``;
6. "How these numbers were made" (:mod:`sim.report.method`, after STRESS-DES) and the KPI
   definitions.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

from sim.config.loading import ScenarioError
from sim.config.reading import UnreadableFile, read_capped
from sim.experiment.files import atomic_write
from sim.experiment.marker import FolderKind, read_marker
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
    DERIVED,
    kpi_doc,
    kpi_label,
    one_line,
    readable,
)
from sim.report.summary import summary_section
from sim.report.tables import compare_tables, html_table, run_tables, sweep_tables
from sim.report.tables_run import roll_rate_tables, scorecard_table, segment_table

REPORT_FILE = "report.html"
MAX_FIGURE_BYTES = 20 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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
div.fit { max-width: 100%; overflow-x: auto; }
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
#summary { background: #eef4fa; border-left: 5px solid var(--accent); padding: 4px 18px 10px;
           margin: 18px 0; }
#summary h2 { border: none; margin: 8px 0 4px; }
#summary ul.answer { font-size: 16px; }
#summary ul.answer li, #summary ul.limits li { margin: 4px 0; }
p.badge { font-size: 13px; margin: 6px 0; }
span.calibrated { background: #009E73; color: white; border-radius: 3px; padding: 1px 6px;
                  font-weight: 600; margin-right: 6px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { body { max-width: none; } figure { break-inside: avoid; } }
"""

# --------------------------------------------------------------------------- figures


def folder_png(path: Path, notes: list[str]) -> bytes | None:
    """The PNG image at ``path`` if the report may embed it, else None with a note why.

    Only the folder's own files are embedded: a regular file (a symbolic link, which could
    point at any file the user can read, is refused, as are devices and FIFOs) of at most
    :data:`MAX_FIGURE_BYTES` that starts with the PNG signature.
    """
    if not path.exists() and not path.is_symlink():
        return None
    try:
        png = read_capped(path, MAX_FIGURE_BYTES, follow_symlinks=False)
    except UnreadableFile as exc:
        notes.append(f"{path.name} is not embedded ({exc.problem}): a report embeds only "
                     "the folder's own PNG files.")
        return None
    if not png.startswith(PNG_SIGNATURE):
        notes.append(f"{path.name} is not embedded: it is not a PNG image.")
        return None
    return png


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
        png = folder_png(folder.path / spec.name, notes)
        drawn = False
        if png is None:
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
            png = folder_png(path, notes)
            if png is not None:
                parts.append(_figure(png, path.stem.replace("_", " "), f"({path.name})"))
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
                               toml_text(manifest["scenario"])))
    elif folder.kind == "compare":
        for item in manifest.get("scenarios", []):
            if isinstance(item.get("scenario"), dict):
                blocks.append(_details(f"Scenario '{item.get('label')}' ({item.get('file')})",
                                       toml_text(item["scenario"])))
    elif manifest.get("experiment"):
        resolved = manifest["experiment"]
        if isinstance(resolved.get("experiment"), dict):
            blocks.append(_details("Experiment as resolved (TOML)",
                                   toml_text(resolved["experiment"])))
        if isinstance(resolved.get("base_scenario"), dict):
            blocks.append(_details("Base scenario as resolved (TOML; factors vary it)",
                                   toml_text(resolved["base_scenario"])))
    if not blocks:
        return "<p class='note'>Unknown: manifest.json is missing or holds no scenario.</p>"
    return ("<p class='note'>Every value the model used, defaults included, after "
            "<code>extends</code> and <code>--set</code> overrides.</p>" + "".join(blocks))


def _details(summary: str, text: str) -> str:
    """Inputs folded away: a reader opens them when she needs them."""
    return (f"<details><summary>{escape(summary)}</summary>"
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
    rows += [f"<tr><td><code>{escape(m)}</code></td><td>{escape(kpi_label(m))}</td>"
             f"<td>{escape(kpi_doc(m))} (scorecard only)</td></tr>" for m in DERIVED]
    return ("<details><summary>KPI definitions</summary>"
            + html_table(["name", "label (unit)", "definition"], rows, numeric_from=99)
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


def _short_number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else escape(str(value))


def calibration_badge(manifest: dict[str, Any]) -> str:
    """The "calibrated" badge of a run: which values came from which targets file (from the
    manifest's ``calibration``, written when the scenario carries a ``[calibration]`` table)."""
    entries = manifest.get("calibration")
    if not isinstance(entries, dict) or not entries:
        return ""
    by_file: dict[tuple[str, str], list[str]] = {}
    for path, entry in entries.items():
        if not isinstance(entry, dict):
            continue
        median, q05, q95 = (_short_number(entry.get(k)) for k in ("median", "q05", "q95"))
        text = (f"<code>{escape(str(path))}</code> = {median} (90% interval {q05}–{q95}"
                + ("" if entry.get("identified", True) else "; not identified by the targets")
                + ")")
        if not entry.get("uses_calibrated_value", True):
            text += (f" — <b>overridden</b>: this run uses {escape(str(entry.get('value')))}")
        by_file.setdefault((str(entry.get("targets")), str(entry.get("source", ""))),
                           []).append(text)
    parts = [f"{', '.join(values)} from <code>{escape(targets)}</code>"
             + (f" ({escape(source)})" if source else "")
             for (targets, source), values in by_file.items()]
    return ("<p class='badge'><span class='calibrated'>calibrated</span> "
            + "; ".join(parts) + ".</p>")


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
        tables = (run_tables(folder) + segment_table(folder) + roll_rate_tables(folder)
                  + scorecard_table(folder))
    elif folder.kind == "compare":
        tables = compare_tables(folder)
    else:
        tables = sweep_tables(folder)
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
                  (("summary", "Summary"), ("numbers", "Numbers"), ("figures", "Figures"),
                   ("inputs", "Inputs"), ("method", "How these numbers were made")))
    body = (f"<header><p class='meta'>{escape(kinds.get(folder.kind, folder.kind))} report · "
            f"collectsim</p><h1>{escape(title)}</h1>"
            + (f"<p class='question'>{escape(question)}</p>" if question else "")
            + _descriptions(folder)
            + (calibration_badge(folder.manifest) if folder.kind == "run" else "")
            + f"<p class='meta'>{escape(_subtitle(folder))}. Folder: "
              f"<code>{escape(str(folder.path))}</code>. Report written {escape(written)}.</p>"
            f"<nav>{nav}</nav></header>{summary_section(folder)}{missing}"
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

    Raises :class:`~sim.config.loading.ScenarioError` when ``path`` is not a results folder.
    A calibration folder gets its own report (:mod:`sim.report.calibration`).
    """
    if Path(path).is_dir() and read_marker(Path(path)) is FolderKind.CALIBRATE:
        from sim.report.calibration import write_calibration_report

        return write_calibration_report(path)
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
