"""The what-if page's layout (Shiny for Python): levers on the left, answers on the right.

The sidebar holds the run settings (replications, seed, ``Run`` with ``id="run"``,
``Cancel``, "compare with the file as loaded"), one collapsible panel of levers per part of
the scenario (portfolio, each agency, contact rules; :mod:`sim.app.levers`) with the loaded
file's values, and an "advanced" panel that takes any ``dotted.path=value`` line as ``--set``
does. The main column shows the run's status and any input errors, the KPI cards, the
liquidation curve and the contact funnel, the per-agency and per-segment tables, the paired
comparison and the downloads; their contents come from :mod:`sim.app.server`.

Everything the page needs is served by the app itself (Shiny serves its own scripts and
styles); the figures are embedded as data URIs.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from typing import Any

from shiny import ui

from sim.app.levers import Lever, LeverKind
from sim.config.schema import Scenario

MAX_REPS = 1000
"""Most replications one click may ask for."""

STYLE = """
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr));
        gap: .5rem; margin-bottom: 1rem; }
.kpi { border: 1px solid #d0d7de; border-radius: .4rem; padding: .4rem .6rem; background: #fff; }
.kpi-label { font-size: .75rem; color: #555; }
.kpi-value { font-size: 1.15rem; font-weight: 600; font-variant-numeric: tabular-nums; }
pre.input-errors { color: #a40000; white-space: pre-wrap; margin: 0; }
#status { font-variant-numeric: tabular-nums; margin-bottom: .5rem; }
img.figure { max-width: 100%; height: auto; }
.fit { overflow-x: auto; }
.fit table { border-collapse: collapse; font-size: .8rem; }
.fit th, .fit td { padding: .15rem .5rem; border-bottom: 1px solid #eee; text-align: left; }
.fit .num { text-align: right; font-variant-numeric: tabular-nums; }
.fit tr.group th { background: #f3f5f7; }
p.note { font-size: .8rem; color: #555; }
.lever-help { font-size: .7rem; color: #666; margin-top: -.6rem; margin-bottom: .6rem; }
"""


def _input(name: str, lever: Lever) -> Any:
    label = lever.label
    if lever.kind is LeverKind.CHOICE:
        return ui.input_select(name, label, list(lever.choices), selected=str(lever.value))
    if lever.kind is LeverKind.SWITCH:
        return ui.input_switch(name, label, bool(lever.value))
    if lever.kind in (LeverKind.INTEGER, LeverKind.NUMBER):
        return ui.input_numeric(name, label, lever.value, min=lever.low, max=lever.high,
                                step=lever.step)
    return ui.input_text(name, label, str(lever.value))


def _lever(name: str, lever: Lever) -> Any:
    parts = [_input(name, lever)]
    if lever.help:
        parts.append(ui.div(lever.help, class_="lever-help", title=lever.path))
    return ui.div(*parts, {"data-path": lever.path})


def lever_panels(levers: Mapping[str, Lever]) -> list[Any]:
    """One accordion panel per lever group, in the order the levers come."""
    panels = []
    for group, members in groupby(levers.items(), key=lambda item: item[1].group):
        panels.append(ui.accordion_panel(group, *(_lever(n, lv) for n, lv in members),
                                         value=group))
    return panels


def advanced_panel(scale_collectors: bool) -> Any:
    """Any field by dotted path, one ``path=value`` per line, as ``--set`` takes them."""
    return ui.accordion_panel(
        "Advanced",
        ui.input_text_area("advanced", "Any field, one dotted.path=value per line (as --set)",
                           "", rows=4,
                           placeholder='bank.control_share=0.2\nagencies.alpha.skill=0.6'),
        ui.input_checkbox("scale_collectors", "Scale collectors with accounts "
                          "(--scale-collectors)", scale_collectors),
        value="Advanced")


def page(scenario: Scenario, source: str, levers: Mapping[str, Lever], reps: int,
         scale_collectors: bool = False) -> Any:
    """The whole page for ``scenario`` (read from ``source``)."""
    info = scenario.scenario
    settings = [
        ui.input_numeric("reps", "Replications", reps, min=1, max=MAX_REPS, step=1),
        ui.input_numeric("seed", "Seed", info.seed, min=0, step=1),
        ui.input_checkbox("compare", "Compare with the file as loaded", False),
        ui.div(ui.input_action_button("run", "Run", class_="btn-primary"),
               ui.input_action_button("cancel", "Cancel"), class_="d-flex gap-2"),
    ]
    sidebar = ui.sidebar(
        ui.div(ui.strong(info.name), ui.br(), ui.span(source, class_="small text-muted")),
        *settings,
        ui.accordion(*lever_panels(levers), advanced_panel(scale_collectors), id="levers",
                     open=False),
        width=360)
    main = [
        ui.tags.style(STYLE),
        ui.p(info.description or "", class_="text-muted"),
        ui.output_ui("status"),
        ui.output_ui("errors"),
        ui.output_ui("kpi_cards"),
        ui.layout_columns(ui.output_ui("liquidation"), ui.output_ui("funnel"),
                          col_widths=(6, 6)),
        ui.h4("Per agency"), ui.output_ui("agencies"),
        ui.h4("Per segment"), ui.output_ui("segments"),
        ui.h4("Compared with the file as loaded"), ui.output_ui("comparison"),
        ui.h4("Downloads"), ui.output_ui("downloads"),
    ]
    return ui.page_sidebar(sidebar, *main, title=f"collectsim — {info.name}",
                           window_title=f"collectsim: {info.name}")
