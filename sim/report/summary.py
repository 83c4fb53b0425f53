"""The executive summary at the top of ``report.html``: the answer in plain sentences.

:func:`summary_section` returns ``<section id="summary">`` for any results folder. Every
sentence is built from the folder's own numbers, in the KPI registry's units and formats
(:mod:`sim.model.kpis`), with its 95% interval where there are replications to give one:

- a ``run``: what the placed accounts repaid, their cure rate and the change in delinquency,
  each against the bank's control group (the counterfactual: what the same kind of accounts
  did without the placement), and the best and worst agency by netback;
- a ``compare``: the size and sign of each difference that matters — a headline KPI with a
  direction whose paired interval excludes zero — and which key KPIs could not be told apart;
- a ``sweep`` or ``sensitivity`` analysis: the best design point of each KPI, and whether the
  next best is within its interval.

It then says what the results cannot say: no interval from one replication, no
counterfactual without a control group, and what the model leaves out
(:data:`sim.report.scope.NOT_MODELLED`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

import pandas as pd

from sim.experiment.replicate import run_summary
from sim.model.kpis import Direction
from sim.model.results import TOTAL
from sim.report.folder import ResultsFolder
from sim.report.scope import NOT_MODELLED
from sim.report.style import format_difference, format_interval, kpi_entry, kpi_label

CONTROL = "control"
# KPIs a comparison always speaks of, whether or not their difference excludes zero.
KEY_KPIS = ("recovery_rate", "netback_rate", "cure_rate", "delinquency_change",
            "complaints_per_1000", "cx_index")
MAX_DIFFERENCES = 8
Row = Mapping[str, Any]


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _value(metric: str, row: Row | None) -> str | None:
    """``mean ±half-width`` of a summary row (the mean alone from one replication)."""
    if row is None or _number(row.get("mean")) is None:
        return None
    n = _number(row.get("n"))
    return format_interval(metric, row["mean"], row.get("ci95"), n is None or n > 1)


def _overlap(a: Row, b: Row) -> bool:
    """Whether the 95% intervals of two summary rows overlap (no interval: they do)."""
    ha, hb = _number(a.get("ci95")), _number(b.get("ci95"))
    if ha is None or hb is None:
        return True
    return abs(float(a["mean"]) - float(b["mean"])) <= ha + hb


def _lookup(summary: pd.DataFrame | None) -> dict[tuple[str, str], Row]:
    if summary is None or summary.empty:
        return {}
    return {(str(r["agency"]), str(r["metric"])): r for r in summary.to_dict("records")}


def _replications(summary: pd.DataFrame | None) -> int:
    if summary is None or summary.empty or "n" not in summary:
        return 0
    n = pd.to_numeric(summary["n"], errors="coerce").max()
    return int(n) if _number(n) is not None else 0


def _section(answer: Sequence[str], limits: Sequence[str]) -> str:
    said = ("".join(f"<li>{line}</li>" for line in answer) if answer
            else "<li>The folder holds no result to summarise.</li>")
    scope = "".join(f"<li>{escape(item)}</li>" for item in NOT_MODELLED)
    cannot = "".join(f"<li>{line}</li>" for line in limits)
    return ("<section id='summary'><h2>Summary</h2><ul class='answer'>" + said + "</ul>"
            "<h3>What these results cannot say</h3><ul class='limits'>" + cannot
            + "<li>Anything the model leaves out; it answers only within its scope.</li></ul>"
            f"<details><summary>What the model leaves out ({len(NOT_MODELLED)} items)"
            f"</summary><ul>{scope}</ul></details></section>")


def _one_replication() -> str:
    return ("<b>One replication: no interval.</b> Every figure is one draw of chance and "
            "could move with another seed by an amount this run cannot measure; run with "
            "<code>--reps 5</code> or more for 95% intervals.")


def _no_control() -> str:
    return ("<b>No control group: no counterfactual.</b> Without <code>[bank] control_share"
            "</code> the results cannot say what the accounts would have paid, cured or "
            "rolled without the placement — only what happened with it.")


# --------------------------------------------------------------------------- run


def run_summary_section(folder: ResultsFolder) -> str:
    """The summary of a ``run`` folder."""
    data = folder.run
    assert data is not None
    values = _lookup(data.summary)
    control = _lookup(run_summary(data.control)) if data.control is not None \
        and not data.control.empty else {}
    total = {m: r for (a, m), r in values.items() if a == TOTAL}
    kept = {m: r for (a, m), r in control.items() if a == CONTROL}
    answer: list[str] = []
    recovery = _value("recovery_rate", total.get("recovery_rate"))
    if recovery:
        line = (f"The placed accounts repaid <b>{escape(recovery)}</b> of the balance placed "
                "(recovery rate)")
        base = _value("recovery_rate", kept.get("recovery_rate"))
        uplift = total.get("recovery_uplift")
        if base:
            line += f"; the bank's control group, not placed, repaid {escape(base)}"
        if uplift is not None and _number(uplift.get("mean")) is not None:
            line += (", so the placement added "
                     f"<b>{escape(_difference('recovery_uplift', uplift))}</b>")
        answer.append(line + ".")
    cure = _value("cure_rate", total.get("cure_rate"))
    if cure:
        base = _value("cure_rate", kept.get("cure_rate"))
        answer.append(f"<b>{escape(cure)}</b> of the accounts placed before charge-off were "
                      "current again at recall (cure rate)"
                      + (f"; in the control group {escape(base)}" if base else "") + ".")
    change = total.get("delinquency_change")
    if change is not None and _number(change.get("mean")) is not None:
        answer.append("Against the control group, the share still delinquent at recall "
                      f"changed by <b>{escape(_difference('delinquency_change', change))}"
                      f"</b>: {_verdict('delinquency_change', change)}.")
    answer.extend(_agencies(values))
    limits = []
    if _replications(data.summary) == 1:
        limits.append(_one_replication())
    if not kept and not (change is not None and _number(change.get("mean")) is not None):
        limits.append(_no_control())
    return _section(answer, limits)


def _difference(metric: str, row: Row) -> str:
    """A difference KPI's mean as a signed figure ±its half-width."""
    return format_difference(metric, row.get("mean"), row.get("ci95"))


def _verdict(metric: str, row: Row, diff_key: str = "mean") -> str:
    """Whether a difference is good or bad for the bank, or could be nothing."""
    diff, half = _number(row.get(diff_key)), _number(row.get("ci95"))
    if diff is None:
        return "unknown"
    if half is None:
        return "no interval to tell it from zero"
    if abs(diff) <= half or diff == 0:
        return "the 95% interval includes zero, so it could be no change"
    direction = kpi_entry(metric).direction
    if direction is Direction.NEITHER:
        return "the 95% interval excludes zero"
    better = (diff > 0) == (direction is Direction.HIGHER)
    return ("better for the bank" if better else "worse for the bank") \
        + ", and the 95% interval excludes zero"


def _agencies(values: Mapping[tuple[str, str], Row]) -> list[str]:
    """Best and worst agency by netback rate."""
    rows = [(a, r) for (a, m), r in values.items() if m == "netback_rate" and a != TOTAL
            and _number(r.get("mean")) is not None]
    if not rows:
        return []
    label = kpi_label("netback_rate", False)
    if len(rows) == 1:
        agency, row = rows[0]
        return [f"One agency, <b>{escape(agency)}</b>, with a {escape(label)} of "
                f"{escape(_value('netback_rate', row) or '')}."]
    rows.sort(key=lambda item: float(item[1]["mean"]), reverse=True)
    (best, top), (worst, bottom) = rows[0], rows[-1]
    line = (f"Best agency by {escape(label)} (what the bank keeps after fees and costs, per "
            f"unit placed): <b>{escape(best)}</b>, {escape(_value('netback_rate', top) or '')}"
            f"; worst: <b>{escape(worst)}</b>, "
            f"{escape(_value('netback_rate', bottom) or '')}")
    if _overlap(top, bottom):
        line += " — their 95% intervals overlap, so this ranking could be chance"
    return [line + "."]


# --------------------------------------------------------------------------- compare


def compare_summary_section(folder: ResultsFolder) -> str:
    """The summary of a ``compare`` folder: each difference that matters, with its paired
    interval."""
    data = folder.compare
    assert data is not None
    differences = data.differences
    answer: list[str] = []
    limits: list[str] = []
    if differences is not None and not differences.empty:
        for label, table in differences.groupby("scenario", sort=False):
            answer.append(_scenario_differences(str(label), data.base, data.agency,
                                                table.to_dict("records")))
        n = pd.to_numeric(differences.get("n"), errors="coerce").max() \
            if "n" in differences else None
        if _number(n) == 1:
            limits.append(_one_replication())
        change = differences[differences["metric"] == "delinquency_change"]
        if change.empty or not pd.to_numeric(change["diff"], errors="coerce").notna().any():
            limits.append(_no_control())
    limits.append("Differences are paired on common random numbers: they say how these "
                  "scenarios differ on the same cardholders, not how any one will turn out.")
    return _section(answer, limits)


def _scenario_differences(label: str, base: str, agency: str, records: Iterable[Row]) -> str:
    matters, unclear = [], []
    for record in records:
        metric = str(record["metric"])
        entry = kpi_entry(metric)
        if _number(record.get("diff")) is None:
            continue
        significant = bool(record.get("significant"))
        if significant and entry.headline and entry.direction is not Direction.NEITHER:
            size = format_difference(metric, record["diff"], record.get("ci95"))
            matters.append(f"{escape(kpi_label(metric, False))} <b>{escape(size)}</b> "
                           f"({_verdict(metric, record, 'diff').split(',')[0]})")
        elif metric in KEY_KPIS:
            unclear.append(escape(kpi_label(metric, False)))
    head = (f"<b>{escape(label)}</b> against <b>{escape(base)}</b> ({escape(agency)}, "
            "difference ±95% paired interval)")
    if not matters:
        text = f"{head}: no difference that matters could be told from zero"
    else:
        shown = matters[:MAX_DIFFERENCES]
        more = len(matters) - len(shown)
        text = f"{head}: " + "; ".join(shown) + (f"; and {more} more in the table below"
                                                  if more else "")
    if unclear:
        text += f". Could be no change: {', '.join(unclear)}"
    return text + "."


# --------------------------------------------------------------------------- sweep


def sweep_summary_section(folder: ResultsFolder) -> str:
    """The summary of a sweep or sensitivity analysis: the best design point per KPI."""
    data = folder.sweep
    assert data is not None
    summary = data.summary
    answer: list[str] = []
    limits: list[str] = []
    if summary is not None and not summary.empty:
        agencies = [str(a) for a in dict.fromkeys(summary["agency"].astype(str))]
        agency = TOTAL if TOTAL in agencies else agencies[0]
        metrics = [m for m in (data.metrics or dict.fromkeys(summary["metric"].astype(str)))
                   if m in set(summary["metric"].astype(str))]
        factors = [f for f in data.factors if f in summary.columns]
        for metric in metrics:
            line = _best_point(summary, metric, agency, factors)
            if line:
                answer.append(line)
        if _replications(summary) == 1:
            limits.append(_one_replication())
        if "n" in summary and (pd.to_numeric(summary["n"], errors="coerce") == 0).any():
            limits.append("Some design points have no successful run (see 'What is missing'): "
                          "the best point is the best of those that ran.")
    if data.indices is not None and not data.indices.empty:
        answer.extend(_most_influential(data.indices))
    return _section(answer, limits)


def _point_text(row: Row, factors: Sequence[str]) -> str:
    levels = ", ".join(f"<code>{escape(f)}</code> = {escape(_level(row.get(f)))}"
                       for f in factors)
    return f"point {int(row['point'])}" + (f" ({levels})" if levels else "")


def _level(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _best_point(summary: pd.DataFrame, metric: str, agency: str, factors: Sequence[str]
                ) -> str | None:
    rows = summary[(summary["metric"].astype(str) == metric)
                   & (summary["agency"].astype(str) == agency)]
    rows = rows[pd.to_numeric(rows["mean"], errors="coerce").notna()]
    if rows.empty:
        return None
    direction = kpi_entry(metric).direction
    label = escape(kpi_label(metric, False))
    if direction is Direction.NEITHER:
        low, high = rows["mean"].min(), rows["mean"].max()
        return (f"{label} ({escape(agency)}) ranges from "
                f"{escape(format_interval(metric, low, None))} to "
                f"{escape(format_interval(metric, high, None))} over the design points.")
    ranked = rows.sort_values("mean", ascending=direction is Direction.LOWER)
    records = ranked.to_dict("records")
    best = records[0]
    line = (f"Best point for {label} ({escape(agency)}; "
            f"{escape(str(direction))}): <b>{_point_text(best, factors)}</b>, "
            f"{escape(_value(metric, best) or '')}")
    close = [r for r in records[1:] if _overlap(best, r)]
    if close:
        line += (f" — {len(close)} other point(s) lie within its 95% interval (next: "
                 f"{_point_text(close[0], factors)}, {escape(_value(metric, close[0]) or '')}"
                 "), so the sweep cannot tell them apart")
    elif len(records) > 1:
        line += (f"; the runner-up, {_point_text(records[1], factors)}, is worse beyond the "
                 "95% intervals")
    return line + "."


def _most_influential(indices: pd.DataFrame) -> list[str]:
    key = "ST" if "ST" in indices.columns else "mu_star" if "mu_star" in indices.columns \
        else None
    if key is None:
        return []
    lines = []
    for metric, table in indices.groupby("metric", sort=False):
        ranked = table.sort_values(key, ascending=False)
        if ranked.empty or _number(ranked.iloc[0][key]) is None:
            continue
        top = ranked.iloc[0]
        what = "total-order Sobol' index" if key == "ST" else "Morris μ*"
        lines.append(f"{escape(kpi_label(str(metric), False))} depends most on "
                     f"<code>{escape(str(top['factor']))}</code> ({what} "
                     f"{float(top[key]):.3g}).")
    return lines


def summary_section(folder: ResultsFolder) -> str:
    """``<section id="summary">`` for any kind of results folder."""
    if folder.run is not None:
        return run_summary_section(folder)
    if folder.compare is not None:
        return compare_summary_section(folder)
    return sweep_summary_section(folder)
