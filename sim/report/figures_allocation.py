"""Standings at the bank's performance reviews (``allocation.csv``), from DataFrames.

:func:`standings` draws, review by review, each agency's score (the KPI reviews compare, or the
balanced scorecard's weighted score relative to the agencies' mean) and its share of future
vintages after the review, as means over replications with 95% intervals. The tables that
feed it are the review rows of ``allocation.csv`` (:func:`review_rows`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from sim.model.kpis import BY_NAME
from sim.report.figures_run import mean_ci, replications_in, whiskers
from sim.report.style import (
    Target,
    axis_formatter,
    colours,
    heading,
    kpi_label,
    new_figure,
    ordered,
    save,
    styled,
)

PATH_ALPHA = 0.35
"""Opacity of each replication's own path behind the mean."""
SCORECARD = "scorecard"
"""The ``measure`` of reviews that compare a balanced scorecard."""


def review_rows(allocation: pd.DataFrame | None) -> pd.DataFrame | None:
    """The review rows of an allocation history with a score, or ``None`` if there are
    none (allocation that never reviews, or a folder without the table)."""
    if allocation is None or "event" not in allocation or "metric" not in allocation:
        return None
    rows = allocation[allocation["event"] == "review"]
    if rows.empty or not np.isfinite(rows["metric"].to_numpy(dtype=float)).any():
        return None
    return rows


def measure_of(reviews: pd.DataFrame) -> str:
    """What the reviews compared: a KPI's name or ``scorecard``."""
    if "measure" in reviews and reviews["measure"].notna().any():
        return str(reviews["measure"].dropna().iloc[0])
    return SCORECARD if any(c.endswith("_score") for c in reviews.columns) else "metric"


def _signed_percent(value: float, _: object = None) -> str:
    return f"{100 * value:+.0f}%"


def standings(reviews: pd.DataFrame, target: Target, title: str = "") -> None:
    """Score and share of future vintages per agency at each review (see the module)."""
    frame = reviews if "replication" in reviews else reviews.assign(replication=0)
    reps = replications_in(frame)
    measure = measure_of(frame)
    names = ordered(frame["agency"])
    palette = colours(names)
    note = (f"mean of {reps} replications (bars: 95% confidence interval; thin lines: each "
            f"replication)" if reps > 1 else "one replication: no interval")
    if measure == SCORECARD:
        score_label = "score (vs agencies' mean)"
        formatter = FuncFormatter(_signed_percent)
    elif measure in BY_NAME:
        score_label = kpi_label(measure)
        formatter = axis_formatter(measure)
    else:  # a table written before reviews named what they compared
        score_label = "review metric"
        formatter = FuncFormatter(lambda v, _: f"{v:,.4g}")
    with styled():
        fig = new_figure(6.8)
        top = heading(fig, "Standings at the bank's reviews" + (f" — {title}" if title else ""),
                      note + ".\nScore: the weighted scorecard relative to the agencies' mean "
                      "(better above 0) or the KPI reviews compare; the share after a review "
                      "applies to the vintages placed next." if measure == SCORECARD else
                      note + ".\nThe share after a review applies to the vintages placed next.")
        score_ax, share_ax = fig.subplots(2, 1, sharex=True)
        for ax, column, label in ((score_ax, "metric", score_label),
                                  (share_ax, "share", "share of future vintages")):
            table = mean_ci(frame, ["agency", "day"], column)
            for name in names:
                for _, path in frame[frame["agency"] == name].groupby("replication"):
                    ax.plot(path["day"], path[column], color=palette[name], lw=0.6,
                            alpha=PATH_ALPHA)
                rows = table[table["agency"] == name].sort_values("day")
                mean = rows["mean"].to_numpy(dtype=float)
                high = 1.0 if column == "share" else math.inf
                low = 0.0 if column == "share" else -math.inf
                ax.errorbar(rows["day"], mean,
                            yerr=whiskers(mean, rows["ci95"].to_numpy(dtype=float), low, high),
                            color=palette[name], marker="o", lw=1.8, capsize=3, label=name)
            ax.set_ylabel(label)
        score_ax.yaxis.set_major_formatter(formatter)
        if measure == SCORECARD:
            score_ax.axhline(0.0, color="#888888", lw=0.8)
        share_ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
        share_ax.set_ylim(0, 1)
        share_ax.set_xlabel("day of the review (days since the first placement)")
        score_ax.legend(loc="best", title="agency")
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)
