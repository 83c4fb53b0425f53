"""Time-series figures of one scenario's replications (``collectsim run``), from DataFrames.

Every function takes the tables it needs and a target (a path, or a binary file object such as
``io.BytesIO``) and writes one PNG :data:`~sim.report.style.WIDTH_PX` pixels wide. Bands are
95% Student-t intervals of the mean over replications, computed per day (and agency) from the
per-replication values, as :func:`sim.experiment.replicate.summarise` does for KPIs.

- :func:`liquidation_curve` — recovery to date by day, per agency and total;
- :func:`vintage_curves` — recovery to date by age of each vintage, when placements flow;
- :func:`daily_operations` — calls, right-party contacts, inbound callers, abandonment and
  collector utilisation.

The KPI figures (funnel, scorecard, trade-off) are in :mod:`sim.report.figures_kpi`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from scipy import stats

from sim.model.results import TOTAL
from sim.report.style import (
    BAND_ALPHA,
    HEATMAP,
    PALETTE,
    Target,
    axis_formatter,
    colours,
    format_interval,
    heading,
    new_figure,
    ordered,
    save,
    styled,
)

# --------------------------------------------------------------------------- statistics


def mean_ci(frame: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """Per group of ``by``: ``mean``, ``ci95`` (Student-t half-width) and ``n`` of ``value``
    over finite rows."""
    finite = frame[np.isfinite(frame[value].to_numpy(dtype=float))]
    grouped = finite.groupby(list(by), sort=False)[value]
    table = grouped.agg(mean="mean", sd="std", n="count").reset_index()
    n = table["n"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = stats.t.ppf(0.975, np.maximum(n - 1, 1))
        half = np.where(n > 1, t * table["sd"].to_numpy(dtype=float) / np.sqrt(n), np.nan)
    table["ci95"] = half
    return table


def replications_in(frame: pd.DataFrame) -> int:
    """Number of replications in a per-replication table (1 without a ``replication``)."""
    return int(frame["replication"].nunique()) if "replication" in frame else 1


def _interval_note(reps: int) -> str:
    return (f"mean of {reps} replications; shaded: 95% confidence band" if reps > 1
            else "one replication: no confidence band")


def whiskers(means: Sequence[float] | np.ndarray, half: Sequence[float] | np.ndarray,
             low: float = 0.0, high: float | np.ndarray = math.inf) -> np.ndarray | None:
    """Error bars for matplotlib (``2 × n``: below, above) of ``means ± half``, clipped to
    the values the quantity can take; ``None`` when there is no interval at all."""
    centre = np.nan_to_num(np.asarray(means, dtype=float))
    width = np.asarray(half, dtype=float)
    if not np.isfinite(width).any():
        return None
    width = np.nan_to_num(width, nan=0.0)
    below = np.clip(np.minimum(width, centre - low), 0, None)
    above = np.clip(np.minimum(width, high - centre), 0, None)
    return np.vstack([below, above])


# --------------------------------------------------------------------------- liquidation


def liquidation_curve(daily: pd.DataFrame, target: Target, title: str = "") -> None:
    """Recovery to date by day per agency and total, with 95% bands over replications.

    ``daily``: columns ``day, agency, recovery_to_date`` and (for bands) ``replication``.
    """
    frame = daily if "replication" in daily else daily.assign(replication=0)
    table = mean_ci(frame, ["agency", "day"], "recovery_to_date")
    names = ordered(table["agency"])
    palette = colours(names)
    with styled():
        fig = new_figure(4.8)
        top = heading(fig, "Liquidation curve: recovery to date" + (f" — {title}" if title
                                                                     else ""),
                      _interval_note(replications_in(frame)))
        ax = fig.add_subplot()
        for name in names:
            rows = table[table["agency"] == name].sort_values("day")
            mean = rows["mean"].to_numpy(dtype=float)
            last = format_interval("recovery_rate", mean[-1], rows["ci95"].iloc[-1])
            ax.plot(rows["day"], mean, color=palette[name], lw=2.4 if name == TOTAL else 1.6,
                    label=f"{name}: {last} by day {int(rows['day'].iloc[-1])}")
            band = rows["ci95"].to_numpy(dtype=float)
            if np.isfinite(band).any():
                ax.fill_between(rows["day"], np.maximum(mean - band, 0), mean + band,
                                color=palette[name], alpha=BAND_ALPHA, lw=0)
        ax.yaxis.set_major_formatter(axis_formatter("recovery_rate"))
        ax.set_ylim(bottom=0)
        ax.set_xlim(left=0)
        ax.set_xlabel("days since the first placement")
        ax.set_ylabel("collected / balance placed")
        ax.legend(loc="upper left", title="recovery to date (±95% interval)")
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


def vintage_curves(vintages: pd.DataFrame, target: Target) -> None:
    """Recovery to date by age of each vintage, one panel per agency and total.

    ``vintages``: columns ``day, vintage, agency, age, recovery_to_date`` (and
    ``replication``). Ages are cut where the youngest vintage's series ends.
    """
    frame = vintages if "replication" in vintages else vintages.assign(replication=0)
    horizon = int(frame.groupby("vintage")["age"].max().min())
    frame = frame[frame["age"] <= horizon]
    table = mean_ci(frame, ["agency", "vintage", "age"], "recovery_to_date")
    placed = frame[frame["age"] == 0].groupby("vintage")["day"].min()
    names = ordered(table["agency"])
    numbers = sorted(int(v) for v in table["vintage"].unique())
    hues: dict[int, Any]
    if len(numbers) <= len(PALETTE):
        hues = {v: PALETTE[k] for k, v in enumerate(numbers)}
    else:
        cmap = colormaps[HEATMAP]
        hues = {v: cmap(0.85 * k / (len(numbers) - 1)) for k, v in enumerate(numbers)}
    cols = min(len(names), 3)
    rows_n = math.ceil(len(names) / cols)
    show = len(numbers) <= 12
    with styled():
        fig = new_figure(1.5 + 3.0 * rows_n + (0.6 if show else 0))
        top = heading(fig, "Liquidation curve per vintage: recovery to date by age",
                      _interval_note(replications_in(frame)))
        axes = fig.subplots(rows_n, cols, squeeze=False, sharey=True)
        for k, name in enumerate(names):
            ax = axes[k // cols][k % cols]
            for vintage in numbers:
                rows = table[(table["agency"] == name) & (table["vintage"] == vintage)] \
                    .sort_values("age")
                mean = rows["mean"].to_numpy(dtype=float)
                day = int(placed.get(vintage, 0))
                ax.plot(rows["age"], mean, color=hues[vintage], lw=1.5,
                        label=f"vintage {vintage + 1} (day {day})")
                band = rows["ci95"].to_numpy(dtype=float)
                if np.isfinite(band).any():
                    ax.fill_between(rows["age"], np.maximum(mean - band, 0), mean + band,
                                    color=hues[vintage], alpha=BAND_ALPHA, lw=0)
            ax.set_title(name if name != TOTAL else "total (all agencies)")
            ax.yaxis.set_major_formatter(axis_formatter("recovery_rate"))
            ax.set_xlabel("days since the vintage was placed")
            ax.set_ylim(bottom=0)
            if k % cols == 0:
                ax.set_ylabel("collected / balance placed")
        for k in range(len(names), rows_n * cols):
            axes[k // cols][k % cols].set_visible(False)
        bottom = 0.0
        if show:
            handles, labels = axes[0][0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6),
                       title="vintage (placed on day)")
            bottom = (0.75 + 0.2 * (len(labels) > 6)) / fig.get_figheight()
        fig.tight_layout(rect=(0, bottom, 1, top))
        save(fig, target)


# --------------------------------------------------------------------------- operations

WINDOW = 7
OPERATIONS: tuple[tuple[str, str, str], ...] = (
    ("calls", "outbound call attempts per day", "calls a day"),
    ("rpcs", "right-party contacts per day (outbound calls answered by the cardholder)",
     "contacts a day"),
    ("inbound", "inbound callers per day", "callers a day"),
    ("abandon_share", "inbound callers who hung up before an answer (share over 7 days)",
     "hung up"),
    ("collector_utilization", "collectors' busy share of paid shift time, on days on shift",
     "busy"),
)


# Panels drawn as the ratio of two daily series (numerator, denominator).
RATIOS = {"abandon_share": ("abandoned", "inbound"),
          "collector_utilization": ("busy_hours", "staffed_hours")}


def _rolling(frame: pd.DataFrame, column: str) -> np.ndarray:
    """7-day trailing sums of ``column`` within each agency and replication."""
    return frame.groupby(["agency", "replication"], sort=False)[column] \
        .transform(lambda s: s.rolling(WINDOW, min_periods=1).sum()).to_numpy(dtype=float)


def daily_operations(daily: pd.DataFrame, target: Target,
                     kpis: pd.DataFrame | None = None) -> None:
    """Calls, right-party contacts, inbound callers, abandonment and collector utilisation by
    day per agency and total: thin lines are daily means, thick lines 7-day averages (ratios
    of 7-day sums for the shares) with 95% bands over replications; collector utilisation
    over the placement (from ``kpis``) in the heading.

    ``daily``: columns ``day, agency`` and any of ``calls, rpcs, inbound, abandoned,
    busy_hours, staffed_hours, collector_utilization`` (and ``replication``).
    """
    frame = daily if "replication" in daily else daily.assign(replication=0)
    frame = frame.sort_values(["agency", "replication", "day"], kind="stable").copy()
    columns = set(frame.columns)
    panels = [p for p in OPERATIONS if (p[0] in RATIOS and set(RATIOS[p[0]]) <= columns)
              or (p[0] not in RATIOS and p[0] in columns)]
    if not panels:
        raise ValueError("no daily operations series (calls, rpcs, inbound, abandoned)")
    for series, _, _ in panels:
        if series in RATIOS:  # a 7-day ratio of sums, not an average of daily ratios
            numerator, denominator = RATIOS[series]
            with np.errstate(invalid="ignore", divide="ignore"):
                below = _rolling(frame, denominator)
                frame[f"{series}_avg"] = np.where(
                    below > 0, _rolling(frame, numerator) / below, np.nan)
        else:
            frame[f"{series}_avg"] = _rolling(frame, series) / WINDOW
    names = ordered(frame["agency"])
    palette = colours(names)
    reps = replications_in(frame)
    note = (f"thin: daily mean; thick: {WINDOW}-day average"
            + (f" with 95% band over {reps} replications" if reps > 1 else ""))
    title = "Daily operations"
    if kpis is not None and "collector_utilization" in kpis.columns:
        table = mean_ci(kpis.assign(agency=kpis["agency"].astype(str)), ["agency"],
                        "collector_utilization").set_index("agency")
        parts = [f"{n} " + format_interval("collector_utilization", table.loc[n, "mean"],
                                           table.loc[n, "ci95"])
                 for n in names if n in table.index]
        note += "\ncollector utilisation over the placement (busy / paid shift time): " \
            + ", ".join(parts)
    with styled():
        fig = new_figure(1.1 + 2.2 * len(panels))
        top = heading(fig, title, note)
        axes = fig.subplots(len(panels), 1, squeeze=False, sharex=True)[:, 0]
        for ax, (series, label, unit) in zip(axes, panels, strict=True):
            smooth = mean_ci(frame, ["agency", "day"], f"{series}_avg")
            raw = mean_ci(frame, ["agency", "day"], series) if series in frame.columns \
                else None
            for name in names:
                colour = palette[name]
                if raw is not None:
                    rows = raw[raw["agency"] == name].sort_values("day")
                    ax.plot(rows["day"], rows["mean"], color=colour, lw=0.6, alpha=0.45)
                rows = smooth[smooth["agency"] == name].sort_values("day")
                mean = rows["mean"].to_numpy(dtype=float)
                ax.plot(rows["day"], mean, color=colour, lw=2.0 if name == TOTAL else 1.5,
                        label=name)
                band = rows["ci95"].to_numpy(dtype=float)
                if np.isfinite(band).any():
                    ax.fill_between(rows["day"], np.maximum(mean - band, 0), mean + band,
                                    color=colour, alpha=BAND_ALPHA, lw=0)
            ax.set_title(label, fontsize=9)
            ax.set_ylabel(unit)
            ax.set_ylim(bottom=0)
            ax.yaxis.set_major_formatter(axis_formatter("inbound_abandon_rate"
                                                        if series in RATIOS else "calls"))
        fig.legend(*axes[0].get_legend_handles_labels(), loc="upper right",
                   bbox_to_anchor=(0.995, 1 - 0.04 / fig.get_figheight()),
                   ncol=min(len(names), 4))
        axes[-1].set_xlabel("days since the first placement")
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)
