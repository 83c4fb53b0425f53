"""The run report's tables of the delinquency lifecycle (per segment, roll rates) and of the
standings at performance reviews.

:func:`segment_table` shows the per-segment rows of ``summary.csv`` (every KPI per segment of
the placed accounts) as one column per segment; :func:`roll_rate_tables` turns
``roll_rates.csv`` (accounts moving between delinquency states from one statement due date to
the next) into one transition matrix per group — the placed accounts and the bank's control
group — each cell the share of the accounts in the row's state that moved to the column's,
mean ±95% half-width over replications; :func:`scorecard_table` shows each agency's score
and share at every performance review (``allocation.csv``). A folder without these files
(written before they existed, or a run that never reviews) gets none of these tables and a
report all the same.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import numpy as np
import pandas as pd

from sim.experiment.intervals import t_half_width
from sim.model.codes import Delinquency
from sim.model.kpis import BY_NAME, format_value, lookup
from sim.report.figures_allocation import SCORECARD, measure_of, review_rows
from sim.report.folder import ResultsFolder
from sim.report.tables import _attrs, _full, grouped_kpi_rows, html_table

TRANSITION = lookup("transition_share")  # a share of the accounts in the row's state
GROUPS = {"placed": "Placed accounts", "control": "The bank's control group"}


def segment_table(folder: ResultsFolder) -> str:
    """Every KPI with a value per segment, one column per segment: the segment rows of
    ``summary.csv`` (for an older folder, the summary of its ``segments.csv``; ``""`` without
    either)."""
    data = folder.run
    if data is None or data.segment_summary is None or data.segment_summary.empty:
        return ""
    summary = data.segment_summary.rename(columns={"segment": "agency"})
    summary = summary[pd.to_numeric(summary["mean"], errors="coerce").notna()]
    if summary.empty:
        return ""
    segments = list(dict.fromkeys(summary["agency"].astype(str)))
    rows = grouped_kpi_rows(summary, segments, "segment")
    note = ("<p class='note'>Each segment (the reason its cardholders fell behind) of the "
            "placed accounts, over all agencies, measured against its own part of the control "
            "group; mean ±95% half-width over replications (the rows of summary.csv with "
            "agency 'total' and a segment). Figures only a desk has — utilisation, the inbound "
            "queue — are left out.</p>")
    return ("<h3 id='segments'>Per segment</h3>" + note
            + html_table(["KPI", *[escape(s) for s in segments]], rows))


def _states(found: pd.Series) -> list[str]:
    order = [member.label for member in Delinquency]
    present = set(found.astype(str))
    return [s for s in order if s in present] + sorted(present - set(order))


def roll_rate_summary(roll_rates: pd.DataFrame) -> pd.DataFrame:
    """Per group and pair of states: the mean share over replications and its 95% half-width.

    A replication in which accounts were in the ``from`` state but none moved to the ``to``
    state counts as a share of 0.
    """
    frame = roll_rates.assign(group=roll_rates["group"].astype(str),
                              **{"from": roll_rates["from"].astype(str),
                                 "to": roll_rates["to"].astype(str)})
    rows = []
    for (group, start), table in frame.groupby(["group", "from"], sort=False):
        replications = sorted(set(table["replication"]))
        for end, moves in table.groupby("to", sort=False):
            share = moves.groupby("replication")["share"].sum()
            values = np.array([float(share.get(r, 0.0)) for r in replications])
            rows.append({"group": group, "from": start, "to": end,
                         "mean": float(values.mean()), "ci95": t_half_width(values),
                         "n": len(values), "count": int(moves["count"].sum())})
    return pd.DataFrame(rows, columns=["group", "from", "to", "mean", "ci95", "n", "count"])


def roll_rate_tables(folder: ResultsFolder) -> str:
    """The transition matrices of ``roll_rates.csv`` (``""`` without it)."""
    data = folder.run
    if data is None or data.roll_rates is None or data.roll_rates.empty \
            or not {"group", "from", "to", "share", "count", "replication"} \
            <= set(data.roll_rates.columns):
        return ""
    summary = roll_rate_summary(data.roll_rates)
    states = _states(pd.concat([summary["from"], summary["to"]]))
    parts = ["<h3 id='roll-rates'>Roll rates</h3><p class='note'>From one statement due date "
             "to the next: of the accounts in the row's state (days past due), the share in "
             "each column's state at the next due date, mean ±95% half-width over replications "
             "(roll_rates.csv). Left of the diagonal: cured or improved; right of it: rolled "
             "forward.</p>"]
    for group, table in summary.groupby("group", sort=False):
        cells = {(str(r["from"]), str(r["to"])): r for r in table.to_dict("records")}
        starts = [s for s in states if s in set(table["from"])]
        rows = []
        for start in starts:
            row = ""
            for end in states:
                record = cells.get((start, end))
                if record is None:
                    row += "<td class='none'></td>"
                    continue
                text = TRANSITION.format_interval(record["mean"], record["ci95"],
                                                  int(record["n"]) > 1)
                attrs = _attrs(kind="roll", group=group, start=start, end=end,
                               mean=_full(record["mean"]), ci95=_full(record["ci95"]),
                               n=record["n"])
                row += f"<td class='num'{attrs}>{escape(text)}</td>"
            rows.append(f"<tr><th>{escape(start)}</th>{row}</tr>")
        parts.append(f"<h4>{escape(GROUPS.get(str(group), str(group)))}</h4>")
        parts.append(html_table(["from \\ to", *[escape(s) for s in states]], rows))
    return "".join(parts)


def scorecard_table(folder: ResultsFolder) -> str:
    """Standings at each performance review: per review, each agency's score (the balanced
    scorecard's weighted score relative to the agencies' mean, or the KPI reviews compare) and
    its share of the vintages placed after it, mean ±95% half-width over replications (the
    review rows of ``allocation.csv``); ``""`` when allocation never reviews agencies."""
    data = folder.run
    reviews = review_rows(data.allocation if data is not None else None)
    if reviews is None:
        return ""
    measure = measure_of(reviews)
    agencies = list(dict.fromkeys(reviews["agency"].astype(str)))

    def cell(values: pd.Series, text: Callable[[float], str]) -> str:
        numbers = values.to_numpy(dtype=float)
        half = t_half_width(numbers)
        shown = text(float(np.nanmean(numbers)))
        return shown + (f" ±{text(half).lstrip('+')}" if np.isfinite(half) else "")

    def score_text(value: float) -> str:
        if measure == SCORECARD:
            return f"{100 * value:+.1f}%"
        return format_value(measure, value) if measure in BY_NAME else f"{value:.4g}"

    rows = []
    for day, at in reviews.groupby("day", sort=True):
        cells = [f"<td>day {int(day)}</td>"]
        for name in agencies:
            mine = at[at["agency"].astype(str) == name]
            cells.append(f"<td class=num>{cell(mine['metric'], score_text)}</td>"
                         f"<td class=num>{cell(mine['share'], lambda v: f'{100 * v:.1f}%')}"
                         "</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    what = ("the weighted scorecard relative to the agencies' mean (better above 0; the "
            "components and their scores are in allocation.csv)" if measure == SCORECARD
            else f"{escape(lookup(measure).label)}, like for like on the vintages every "
            "agency holds")
    note = (f"<p class='note'>At each review the bank scores every agency — {what} — and "
            "moves share of future vintages from the last to the first; mean ±95% half-width "
            "over replications.</p>")
    headers = ["Review", *[f"{escape(a)}: {h}" for a in agencies for h in ("score", "share")]]
    return "<h3 id='standings'>Standings at reviews</h3>" + note + html_table(headers, rows)
