"""The report of a ``collectsim calibrate`` folder: ``report.html`` and its three figures.

:func:`write_calibration_report` reads the folder's own files (``manifest.json``,
``posterior.parquet``, ``generations.csv``, ``predictive.csv``, ``calibrated.toml``), draws
``calibration_targets.png``, ``calibration_posterior.png`` and ``calibration_traces.png``
(:mod:`sim.report.figures_calibration`) and writes one self-contained page in the house style
of :mod:`sim.report.html`: the answer (each parameter's median and 90% interval, whether the
targets identify it, pairs of which only a combination is identified, how many targets fall in
their posterior predictive band, the holdout check), the tables behind it, the figures, the
calibrated scenario and how the numbers were made. ``calibrate --out`` writes it into the
folder before the folder appears; ``collectsim report DIR`` writes it again.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.loading import ScenarioError
from sim.config.reading import UnreadableFile, read_capped
from sim.experiment.calibrate import IDENTIFIABLE_SHARE, RIDGE_CORRELATION
from sim.experiment.files import atomic_write
from sim.report.figures_calibration import (
    posterior_figure,
    predictive_figure,
    target_label,
    target_metric,
    traces_figure,
)
from sim.report.style import Target, format_value, readable
from sim.report.tables import html_table

REPORT_FILE = "report.html"
MAX_FILE_BYTES = 64 * 1024 * 1024
FIGURES = ("calibration_targets.png", "calibration_posterior.png", "calibration_traces.png")


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    try:
        data = json.loads(read_capped(folder / name, MAX_FILE_BYTES,
                                      follow_symlinks=False).decode("utf-8"))
    except UnreadableFile as exc:
        raise ScenarioError(str(folder), name, f"cannot be read: {exc.problem}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ScenarioError(str(folder), name, f"cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(str(folder), name, "is not a JSON object")
    return data


def _table(folder: Path, name: str, notes: list[str]) -> pd.DataFrame | None:
    path = folder / name
    if path.is_symlink() or not path.is_file():
        notes.append(f"{name} is missing: the figure and table drawn from it are left out.")
        return None
    try:
        return pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
    except Exception as exc:
        notes.append(f"{name} could not be read ({type(exc).__name__}): the figure and table "
                     "drawn from it are left out.")
        return None


def _value(name: str, value: Any) -> str:
    return format_value(target_metric(name), value)


def _number(value: Any) -> str:
    return "–" if value is None else f"{float(value):.4g}"


# --------------------------------------------------------------------------- sections


def _answer(info: dict[str, Any]) -> str:
    items = []
    for path, post in info.get("posterior", {}).items():
        known = info.get("identifiable", {}).get(path)
        items.append(f"<li><code>{escape(path)}</code>: {_number(post['median'])} "
                     f"(90% interval {_number(post['q05'])} to {_number(post['q95'])}) — "
                     + ("identified by the targets" if known else
                        "<b>not identified</b>: the targets leave it almost as uncertain as "
                        "the prior range") + "</li>")
    for ridge in info.get("ridges", []):
        a, b = ridge["pair"]
        items.append(f"<li><b>Only a combination is identified</b> of <code>{escape(a)}</code>"
                     f" and <code>{escape(b)}</code> (posterior correlation "
                     f"{ridge['correlation']:+.2f}): the targets fix how they trade off, not "
                     "each one.</li>")
    bands = info.get("predictive") or {}
    if bands:
        inside = sum(1 for b in bands.values() if b["inside"])
        items.append(f"<li>{inside} of {len(bands)} targets lie inside their posterior "
                     "predictive 5%–95% band" + ("." if inside == len(bands) else
                                                 ": the calibrated model does not reproduce "
                                                 + ", ".join(escape(target_label(n)) for n, b
                                                             in bands.items()
                                                             if not b["inside"]) + ".")
                     + "</li>")
    holdout = info.get("holdout")
    if holdout:
        name = holdout["target"]
        items.append(f"<li>Holdout: fitted without {escape(target_label(name))}, the model "
                     f"predicts {_value(name, holdout['median'])} [{_value(name, holdout['q05'])}"
                     f", {_value(name, holdout['q95'])}]; observed "
                     f"{_value(name, holdout['observed'])}, "
                     + ("inside the band." if holdout["inside"] else
                        "<b>outside the band</b>: the fit does not carry to the late curve.")
                     + "</li>")
    limits = ["<li>Calibration finds values that reproduce these figures in this model; a value "
              "the targets do not identify is still a guess, and a figure the model cannot "
              "reproduce at any value in the prior range points at the model, not the "
              "parameters.</li>"]
    return (f"<section id='summary'><h2>Summary</h2><ul class='answer'>{''.join(items)}</ul>"
            f"<ul class='limits'>{''.join(limits)}</ul></section>")


def _posterior_table(info: dict[str, Any]) -> str:
    rows = []
    for path, post in info.get("posterior", {}).items():
        low, high = info.get("priors", {}).get(path, [None, None])
        rows.append(f"<tr><td><code>{escape(path)}</code></td><td class='num'>[{_number(low)}, "
                    f"{_number(high)}]</td><td class='num'>{_number(post['median'])}</td>"
                    f"<td class='num'>[{_number(post['q05'])}, {_number(post['q95'])}]</td>"
                    f"<td class='num'>{_number(post['sd'])}</td><td>"
                    + ("yes" if info.get("identifiable", {}).get(path) else "no")
                    + "</td></tr>")
    table = html_table(["parameter", "prior (uniform)", "median", "90% interval", "sd",
                        "identified"], rows)
    ridges = {tuple(r["pair"]) for r in info.get("ridges", [])}
    corr_rows = [f"<tr><td><code>{escape(pair)}</code></td><td class='num'>"
                 f"{_number(r)}</td><td>"
                 + ("only a combination is identified" if tuple(pair.split(" ~ ")) in ridges
                    else "") + "</td></tr>"
                 for pair, r in (info.get("correlations") or {}).items()]
    if corr_rows:
        table += "<h3>Posterior correlations</h3>" + html_table(
            ["pair", "weighted correlation r", "flag"], corr_rows)
    return ("<h3>Posterior</h3>" + table
            + f"<p class='note'>Identified: the 90% posterior interval is under "
              f"{IDENTIFIABLE_SHARE:.0%} of the prior range. Only a combination identified: "
              f"|r| > {RIDGE_CORRELATION} and neither parameter identified on its own.</p>")


def _target_table(info: dict[str, Any]) -> str:
    rows = []
    bands = dict(info.get("predictive") or {})
    holdout = info.get("holdout")
    entries = [(n, b, "fit") for n, b in bands.items()]
    if holdout:
        entries.append((holdout["target"], holdout, "holdout"))
    for name, band, role in entries:
        rows.append(f"<tr><td>{escape(target_label(name))}"
                    + (" <b>(holdout)</b>" if role == "holdout" else "")
                    + f"</td><td class='num'>{_value(name, band['observed'])} "
                    f"±{_value(name, 1.96 * band['sd'])}</td>"
                    f"<td class='num'>{_value(name, band['median'])}</td>"
                    f"<td class='num'>[{_value(name, band['q05'])}, {_value(name, band['q95'])}]"
                    f"</td><td>{'yes' if band['inside'] else 'no'}</td></tr>")
    if not rows:
        return "<p class='note'>No posterior predictive check was run (--predictive 0).</p>"
    targets = info.get("targets", {})
    return ("<h3>Targets against the posterior predictive</h3>"
            + html_table(["target", "observed ±95% sampling interval", "predicted median",
                          "predicted 5%–95%", "observed inside"], rows)
            + f"<p class='note'>Observed on {targets.get('accounts', '?'):,} accounts "
              f"({escape(str(targets.get('source', '')))}); predicted: "
              f"{info.get('predictive_draws', '?')} posterior draws simulated again on fresh "
              "seeds.</p>")


def _generation_table(generations: pd.DataFrame | None) -> str:
    if generations is None:
        return ""
    rows = [f"<tr><td class='num'>{int(r['generation'])}</td><td class='num'>"
            f"{r['epsilon']:.4g}</td><td class='num'>{int(r['simulations'])}</td>"
            f"<td class='num'>{int(r['accepted'])}</td><td class='num'>"
            f"{100 * r['acceptance_rate']:.1f}%</td><td class='num'>"
            f"{r['effective_sample_size']:.1f}</td></tr>"
            for r in generations.to_dict("records")]
    return ("<details><summary>Generations</summary>" + html_table(
        ["generation", "tolerance (sampling sd)", "simulations", "kept", "acceptance rate",
         "effective sample size"], rows, numeric_from=0) + "</details>")


def _figures(folder: Path, drawers: Mapping[str, Callable[[Target], None]],
             notes: list[str]) -> str:
    from sim.report.html import folder_png

    captions = {FIGURES[0]: "Targets against the posterior predictive",
                FIGURES[1]: "Posterior marginals and pairs",
                FIGURES[2]: "Tolerance, acceptance and effective sample size by generation"}
    parts = []
    for name, draw in drawers.items():
        png = folder_png(folder / name, notes)
        if png is None:
            buffer = io.BytesIO()
            try:
                draw(buffer)
                png = buffer.getvalue()
            except Exception as exc:
                notes.append(f"Figure {name} could not be drawn: {type(exc).__name__}: {exc}")
                continue
        data = base64.b64encode(png).decode("ascii")
        parts.append(f"<figure><h3>{escape(captions[name])}</h3><img alt=\""
                     f"{escape(captions[name])}\" src=\"data:image/png;base64,{data}\">"
                     f"<figcaption>({escape(name)})</figcaption></figure>")
    return "".join(parts) or "<p class='note'>No figures: the folder's data are missing.</p>"


def _method(info: dict[str, Any]) -> str:
    targets = info.get("targets", {})
    timings = info.get("timings", {})
    rows = [("Method", escape(str(info.get("method", "")))
             + " (Toni et al. 2009, J. R. Soc. Interface 6:187; Schälte et al. 2022, JOSS "
               "7:4304)"),
            ("Distance", escape(str(info.get("distance", "")))),
            ("Targets", f"<code>{escape(str(targets.get('file', '')))}</code>: "
                        + ", ".join(f"{escape(n)} = {_value(n, v)} (sd {_value(n, sd)})"
                                    for (n, v), sd in zip(targets.get("observed", {}).items(),
                                                          targets.get("sd", {}).values(),
                                                          strict=False))),
            ("Population, budget", f"{info.get('population')} candidates a generation; "
                                   f"budget {info.get('budget')} simulations (holdout fit "
                                   f"{info.get('holdout_budget')}); {info.get('simulations')} "
                                   "simulated"),
            ("Random numbers", escape(str(info.get("random_numbers",
                                                   info.get("common_random_numbers", ""))))
             + f"; seed {info.get('seed')}"),
            ("Posterior predictive", "posterior draws resampled by weight and simulated again "
                                     "on fresh seeds; band: their 5%–95% range"),
            ("Holdout", "with two or more curve points, the last is left out of a second fit "
                        "and predicted from it"),
            ("Scenario", f"<code>{escape(str(info.get('scenario', {}).get('file', '')))}</code>"
                         + (" with --set " + escape(" --set ".join(info.get("overrides", [])))
                            if info.get("overrides") else "")),
            ("Where it ran", escape(f"{info.get('backend')}, pyabc sampler "
                                    f"{info.get('sampler')}")),
            ("Command", f"<code>{escape(str(info.get('command', '')))}</code>"),
            ("Wall time", ", ".join(f"{k.removesuffix('_seconds')} {v:.1f} s"
                                    for k, v in timings.items())),
            ("Versions", escape(", ".join(f"{k} {v}" for k, v in
                                          info.get("versions", {}).items())))]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f"<dl class='method'>{items}</dl>"


def calibration_page(folder: Path, drawers: Mapping[str, Callable[[Target], None]],
                     info: dict[str, Any], generations: pd.DataFrame | None,
                     notes: list[str], shown: Path | None = None) -> str:
    """The whole HTML page of a calibration folder."""
    from sim.report.html import CSS

    notes = list(notes) + [f"note: {n}" for n in info.get("notes", [])]
    figures = _figures(folder, drawers, notes)
    name = str(info.get("scenario", {}).get("scenario", {}).get("scenario", {})
               .get("name", folder.name))
    calibrated = folder / "calibrated.toml"
    toml = calibrated.read_text(encoding="utf-8") if calibrated.is_file() \
        and not calibrated.is_symlink() else ""
    missing = ("<section class='missing' id='missing'><h2>What is missing</h2><ul>"
               + "".join(f"<li>{escape(n)}</li>" for n in notes) + "</ul></section>"
               if notes else "")
    written = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    paths = ", ".join(info.get("posterior", {}))
    targets = info.get("targets", {})
    body = (f"<header><p class='meta'>Calibration report · collectsim</p>"
            f"<h1>{escape(name)}</h1><p class='question'>Which values of {escape(paths)} "
            f"reproduce the figures in {escape(str(targets.get('file', '')))}?</p>"
            f"<p class='meta'>collectsim calibrate: {info.get('simulations')} simulations, "
            f"{len(info.get('epsilons', []))} generations. Folder: "
            f"<code>{escape(str(shown or folder))}</code>. Report written {escape(written)}.</p>"
            f"</header>{_answer(info)}{missing}"
            f"<section id='numbers'><h2>Numbers</h2>{_posterior_table(info)}"
            f"{_target_table(info)}{_generation_table(generations)}</section>"
            f"<section id='figures'><h2>Figures</h2>{figures}</section>"
            "<section id='inputs'><h2>Calibrated scenario</h2><p class='note'>"
            "<code>calibrated.toml</code>: extends the calibrated scenario and sets each "
            "parameter to its posterior median; its <code>[calibration]</code> table makes "
            "every run of it say which values came from which targets.</p>"
            f"<details><summary>calibrated.toml</summary><pre>{escape(toml)}</pre></details>"
            "</section>"
            f"<section id='method'><h2>How these numbers were made</h2>{_method(info)}"
            "</section><footer>Written by <code>collectsim calibrate</code> / "
            "<code>collectsim report</code>. Self-contained: no scripts, no network.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(name)} calibration — collectsim report</title><style>{CSS}"
            f"</style></head><body>{body}</body></html>\n")


def _drawers(info: dict[str, Any], draws: pd.DataFrame | None,
             generations: pd.DataFrame | None, predictive: pd.DataFrame | None
             ) -> dict[str, Callable[[Target], None]]:
    drawers: dict[str, Callable[[Target], None]] = {}
    bands = info.get("predictive") or {}
    if predictive is not None and (bands or info.get("holdout")):
        drawers[FIGURES[0]] = lambda t: predictive_figure(predictive, bands,
                                                          info.get("holdout"), t)
    if draws is not None:
        drawers[FIGURES[1]] = lambda t: posterior_figure(
            draws, info.get("priors", {}), info.get("posterior", {}),
            info.get("correlations") or {}, [r["pair"] for r in info.get("ridges", [])], t)
    if generations is not None and len(generations):
        drawers[FIGURES[2]] = lambda t: traces_figure(generations, t)
    return drawers


def write_calibration_report(path: str | Path, *, figures: bool = True,
                             shown: Path | None = None) -> Path:
    """Write ``report.html`` (and, with ``figures``, the three PNG figures) into the
    calibration folder at ``path``, each atomically; return the report's path. ``shown`` is
    the folder's name on the page (the final name of a folder still being staged)."""
    folder = Path(path)
    info = _read_json(folder, "manifest.json")
    notes: list[str] = []
    draws = _table(folder, "posterior.parquet", notes)
    generations = _table(folder, "generations.csv", notes)
    predictive = _table(folder, "predictive.csv", notes)
    drawers = _drawers(info, draws, generations, predictive)
    try:
        if figures:
            for name, draw in drawers.items():
                atomic_write(folder / name, draw)
        page = calibration_page(folder, drawers, info, generations, notes, shown)

        def write(tmp: Path) -> None:
            tmp.write_text(page, encoding="utf-8")
            readable(tmp)

        return atomic_write(folder / REPORT_FILE, write)
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot write {REPORT_FILE}: "
                            f"{exc.strerror or exc}") from None
