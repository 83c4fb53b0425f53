"""``report.html`` of a ``collectsim robust`` folder: the answer, the drivers, the figure and
the inputs, on one self-contained page in the style of ``collectsim report`` (the same CSS,
the figure embedded as a base64 PNG, no scripts, nothing from the network).

:func:`robustness_page` builds it from what the study wrote: ``robustness.json`` (the answer),
``manifest.json`` (the finding and both scenarios as resolved) and the figure's PNG bytes;
:func:`write_robustness_report` rebuilds it from a folder (``collectsim report``).
"""


from __future__ import annotations

import base64
import datetime as dt
import json
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from sim.config.loading import ScenarioError
from sim.config.reading import UnreadableFile, read_capped
from sim.experiment.files import atomic_write_text
from sim.experiment.robust import answer_sentence
from sim.report.html import CSS, MAX_FIGURE_BYTES, PNG_SIGNATURE
from sim.report.method import toml_text
from sim.report.style import format_difference, kpi_doc, kpi_label

MAX_JSON_BYTES = 64 * 1024 * 1024
ANSWER_KEYS = ("claim", "kpi", "direction", "margin", "share_holding", "ci95", "points",
               "decided", "within_noise", "drivers", "boxes")


def _percent(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{100 * value:.0f}%"


def _card(value: str, label: str) -> str:
    return (f"<div class='card'><div class='value'>{escape(value)}</div>"
            f"<div class='label'>{escape(label)}</div></div>")


def _drivers(info: dict[str, Any]) -> str:
    if not info["drivers"]:
        return ("<p class='note'>No drivers: the claim failed at fewer than three decided "
                "points, or at every one, so there is no region to tell apart.</p>")
    box = info["boxes"][0]
    rows = "".join(
        f"<tr><td><code>{escape(d['path'])}</code></td><td class='num'>"
        f"{d['importance']:.2f}</td><td class='num'>[{d['box'][0]:.4g}, {d['box'][1]:.4g}]"
        "</td></tr>" for d in info["drivers"])
    return ("<table><tr><th>uncertain parameter</th><th class='num'>importance</th>"
            f"<th class='num'>PRIM box of failures</th></tr>{rows}</table>"
            f"<p class='note'>The box holds {100 * box['coverage']:.0f}% of the failing points "
            f"(coverage); {100 * box['density']:.0f}% of the points inside it fail (density); "
            f"it spans {100 * box['mass']:.0f}% of the points (mass). Importance: the share of "
            "the parameter's plausible range the box cuts away.</p>")


def robustness_page(info: dict[str, Any], manifest: dict[str, Any], png: bytes | None) -> str:
    """The whole HTML page."""
    kpi = str(info["kpi"])
    resolved = manifest.get("finding", {})
    figure = "" if png is None else (
        "<figure><img alt='where the claim holds' src=\"data:image/png;base64,"
        f"{base64.b64encode(png).decode('ascii')}\"><figcaption>Each point of the Latin "
        "hypercube in the plane of the two most important parameters (a projection when "
        "there are more), coloured by the claim's outcome; hollow: within noise; dashed: the "
        "PRIM box of failures.</figcaption></figure>")
    inputs = ""
    for side in ("a", "b"):
        entry = resolved.get(side, {})
        if isinstance(entry.get("scenario"), dict):
            inputs += (f"<details><summary>Scenario {side}: {escape(str(entry.get('file')))}"
                       f"</summary><pre>{escape(toml_text(entry['scenario']))}</pre></details>")
        elif "value" in entry:
            inputs += (f"<p>b is the fixed value {escape(str(entry['value']))} "
                       f"({escape(kpi_label(kpi))}).</p>")
    if isinstance(resolved.get("finding"), dict):
        inputs = (f"<details open><summary>Finding file {escape(str(resolved.get('file')))}"
                  f"</summary><pre>{escape(toml_text(resolved['finding']))}</pre></details>"
                  + inputs)
    written = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()
    margin = format_difference(kpi, info["margin"], None).lstrip("+")
    cards = (_card(_percent(info["share_holding"]), "of the plausible range where it holds")
             + _card(f"[{_percent(info['ci95'][0])}, {_percent(info['ci95'][1])}]",
                     "Wilson 95% interval")
             + _card(f"{info['decided']} of {info['points']}", "points decided")
             + _card("–" if info["within_noise"] is None else str(info["within_noise"]),
                     "decided within noise"))
    body = (
        "<header><p class='meta'>Robustness report · collectsim</p>"
        f"<h1>{escape(str(info['claim']))}</h1>"
        f"<p class='question'>Claim: {escape(kpi_label(kpi))}, {escape(info['direction'])}"
        f" (margin {escape(margin)}). {escape(kpi_doc(kpi))}.</p>"
        f"<p class='meta'>Report written {escape(written)}.</p></header>"
        f"<section id='summary'><h2>Answer</h2><ul class='answer'><li>The claim "
        f"{escape(answer_sentence(info))}.</li></ul></section>"
        f"<div class='cards'>{cards}</div>"
        f"<section><h2>Where it fails</h2>{_drivers(info)}</section>"
        f"<section><h2>Figure</h2>{figure}</section>"
        f"<section><h2>Inputs as resolved</h2>{inputs}</section>"
        "<section><h2>How these numbers were made</h2><p>At each point of a Latin hypercube "
        "over the uncertain parameters, both scenarios ran the same replications of one seed "
        "(common random numbers) with the point's values applied to both; the claim holds "
        "at a point when the mean paired difference a − b lies on the stated side of the "
        "margin (a tie fails a strict claim and satisfies a non-strict one). The share is "
        "over points, each range weighted uniformly: it measures how much of the plausible "
        "range supports the claim, not a probability that the claim is true. Drivers: PRIM "
        "(Friedman &amp; Fisher 1999) on the failing points, as scenario discovery uses it "
        "(Bryant &amp; Lempert 2010).</p></section>"
        "<footer>Written by <code>collectsim robust</code>. Self-contained: no scripts, "
        "no network.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(str(info['claim']))} — collectsim robustness</title>"
            f"<style>{CSS}</style></head><body>{body}</body></html>\n")


def _json(folder: Path, name: str) -> dict[str, Any]:
    try:
        data = json.loads(read_capped(folder / name, MAX_JSON_BYTES,
                                      follow_symlinks=False).decode("utf-8"))
    except UnreadableFile as exc:
        raise ScenarioError(str(folder), name, f"cannot be read: {exc.problem}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ScenarioError(str(folder), name, f"cannot be read: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(str(folder), name, "is not a JSON object")
    return data


def write_robustness_report(folder: str | Path) -> Path:
    """Rewrite ``report.html`` of a ``collectsim robust`` folder from its files; raises
    :class:`ScenarioError` when ``robustness.json`` is missing or not a study's answer."""
    folder = Path(folder)
    info = _json(folder, "robustness.json")
    missing = [key for key in ANSWER_KEYS if key not in info]
    if missing:
        raise ScenarioError(str(folder), "robustness.json", "is not a robustness study's "
                            f"answer (no {', '.join(missing)})")
    info["share_holding"] = float("nan") if info["share_holding"] is None \
        else info["share_holding"]
    info["ci95"] = [float("nan") if v is None else v for v in info["ci95"]]
    manifest = _json(folder, "manifest.json") if (folder / "manifest.json").exists() else {}
    try:
        png: bytes | None = read_capped(folder / "robustness.png", MAX_FIGURE_BYTES,
                                        follow_symlinks=False)
    except UnreadableFile:
        png = None
    if png is not None and not png.startswith(PNG_SIGNATURE):
        png = None
    try:
        page = robustness_page(info, manifest, png)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ScenarioError(str(folder), "robustness.json", f"cannot be shown: {exc!r}") \
            from None
    return atomic_write_text(folder / "report.html", page)
