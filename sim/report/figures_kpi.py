"""KPI figures per group — agencies of a run, or scenarios of a comparison — from DataFrames.

Each function takes one row per replication × group (or a summary with ``mean`` and ``ci95``)
and a target (path or binary file object) and writes one PNG; whiskers are 95% Student-t
intervals over replications.

- :func:`contact_funnel` — placed → called → reached → promise → kept → paid / settled / plan,
  each bar per 100 accounts placed and labelled with the KPIs it is computed from;
- :func:`scorecard` — recovery, netback, cost per dollar collected, complaints and violations
  per 1,000, customer-experience index;
- :func:`tradeoff` — recovery against complaints, netback against the CX index.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.model.kpis import Direction
from sim.model.results import TOTAL
from sim.report.figures_run import mean_ci, replications_in, whiskers
from sim.report.style import (
    Target,
    axis_formatter,
    colours,
    format_interval,
    format_value,
    heading,
    kpi_entry,
    kpi_label,
    natural_bounds,
    new_figure,
    ordered,
    save,
    short,
    styled,
)

# --------------------------------------------------------------------------- funnel

# (label, how it is computed from the KPIs) — each bar is per 100 accounts placed.
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("called at least once", "1 − never_attempted_share"),
    ("reached: right-party conversation", "contact_rate; includes inbound callers"),
    ("promises to pay made", "promises / accounts; an account may promise twice"),
    ("promises kept (estimate)", "promises × ptp_kept_rate / accounts"),
    ("paid in full", "paid_in_full_share"),
    ("settled at a discount", "settled_share"),
    ("on a payment plan at recall", "on_plan_at_recall / accounts"),
)


# Stages that are shares of accounts (at most 100 per 100 placed); promises are counts.
SHARE_STAGES = {label: 100.0 for label, _ in FUNNEL_STAGES if "promises" not in label}


def funnel_table(kpis: pd.DataFrame, by: str = "agency") -> pd.DataFrame:
    """Per replication and group, each funnel stage per 100 accounts placed (stages whose KPIs
    are missing are left out). Columns ``by, replication, stage, value``."""
    accounts = kpis["accounts"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(accounts > 0, 100.0 / accounts, np.nan)
    columns = set(kpis.columns)

    def col(name: str) -> np.ndarray:
        return kpis[name].to_numpy(dtype=float)

    stage = dict(FUNNEL_STAGES)
    labels = list(stage)
    values: dict[str, np.ndarray] = {}
    if "never_attempted_share" in columns:
        values[labels[0]] = 100.0 * (1.0 - col("never_attempted_share"))
    if "contact_rate" in columns:
        values[labels[1]] = 100.0 * col("contact_rate")
    if "promises" in columns:
        values[labels[2]] = per * col("promises")
        if "ptp_kept_rate" in columns:
            values[labels[3]] = per * col("promises") * col("ptp_kept_rate")
    if "paid_in_full_share" in columns:
        values[labels[4]] = 100.0 * col("paid_in_full_share")
    if "settled_share" in columns:
        values[labels[5]] = 100.0 * col("settled_share")
    if "on_plan_at_recall" in columns:
        values[labels[6]] = per * col("on_plan_at_recall")
    if not values:
        raise ValueError("no funnel KPIs (contact_rate, promises, paid_in_full_share, ...)")
    replication = kpis["replication"].to_numpy() if "replication" in columns \
        else np.zeros(len(kpis), dtype=int)
    frames = [pd.DataFrame({by: kpis[by].astype(str).to_numpy(), "replication": replication,
                            "stage": name, "value": array})
              for name, array in values.items()]
    return pd.concat(frames, ignore_index=True)


def contact_funnel(kpis: pd.DataFrame, target: Target, by: str = "agency") -> None:
    """The contact funnel per group: bars per 100 accounts placed, with 95% whiskers.

    ``kpis``: one row per replication × group with ``accounts`` and the funnel's KPIs
    (``never_attempted_share``, ``contact_rate``, ``promises``, ``ptp_kept_rate``,
    ``paid_in_full_share``, ``settled_share``, ``on_plan_at_recall``).
    """
    table = mean_ci(funnel_table(kpis, by), [by, "stage"], "value")
    stages = [(label, how) for label, how in FUNNEL_STAGES if label in set(table["stage"])]
    names = ordered(table[by])
    palette = colours(names)
    height = 0.8 / len(names)
    placed = mean_ci(kpis.assign(**{by: kpis[by].astype(str)}), [by], "accounts") \
        .set_index(by)["mean"]
    reps = int(table["n"].max()) if len(table) else 0
    sizes = "; ".join(f"{n} {format_value('accounts', placed.get(n), reps > 1)}"
                      for n in names)
    note = (f"Accounts placed: {sizes} (mean of {reps} replications; whiskers: 95% "
            "confidence intervals)" if reps > 1 else f"Accounts placed: {sizes}")
    with styled():
        fig = new_figure(1.4 + 0.2 * len(stages) * max(len(names), 2.5))
        top = heading(fig, "Contact funnel: per 100 accounts placed", note)
        ax = fig.add_subplot()
        reach = 0.0
        for k, name in enumerate(names):
            rows = table[table[by] == name].set_index("stage")
            y = np.arange(len(stages)) + k * height - 0.4 + height / 2
            means = np.array([rows["mean"].get(s, np.nan) for s, _ in stages], dtype=float)
            cis = pd.Series([rows["ci95"].get(s, np.nan) for s, _ in stages], dtype=float)
            tops = np.array([SHARE_STAGES.get(s, math.inf) for s, _ in stages])
            ax.barh(y, np.nan_to_num(means), height=height * 0.9, color=palette[name],
                    label=name, xerr=whiskers(means, cis, 0.0, tops),
                    error_kw={"elinewidth": 0.9, "capsize": 2, "ecolor": "#333333"})
            for yy, mean, ci in zip(y, means, cis, strict=True):
                if math.isfinite(mean):
                    end = mean + (ci if math.isfinite(ci) else 0.0)
                    reach = max(reach, end)
                    ax.text(end + 0.8, yy, f"{mean:.1f}", va="center", fontsize=7.5)
        ax.set_yticks(np.arange(len(stages)),
                      [f"{label}\n[{how}]" for label, how in stages], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, max(reach * 1.08, 10))
        ax.set_xlabel("per 100 accounts placed")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right", title=by)
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


# --------------------------------------------------------------------------- scorecard

SCORECARD: tuple[tuple[str, str], ...] = (
    ("recovery_rate", "recovery rate (% of placed)"),
    ("netback_rate", "netback rate (% of placed)"),
    ("cost_per_dollar_collected", "cost per dollar collected (%)"),
    ("complaints_per_1000", "complaints per 1,000 accounts"),
    ("violations_per_1000", "violations per 1,000 accounts"),
    ("cx_index", "customer experience (0–100)"),
)
BETTER = {Direction.HIGHER: "higher is better →", Direction.LOWER: "← lower is better",
          Direction.NEITHER: ""}
SCORECARD_FORMAT = {"violations_per_1000": "complaints_per_1000"}


def scorecard_values(kpis: pd.DataFrame) -> pd.DataFrame:
    """``kpis`` with the scorecard's derived measure added per row: ``violations_per_1000``."""
    frame = kpis.copy()
    columns = set(frame.columns)
    if {"rule_violations", "accounts"} <= columns:
        accounts = frame["accounts"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["violations_per_1000"] = np.where(
                accounts > 0, 1000.0 * frame["rule_violations"].to_numpy(dtype=float)
                / accounts, np.nan)
    return frame


def scorecard(kpis: pd.DataFrame, target: Target, by: str = "agency", title: str = "") -> None:
    """Six panels — recovery, netback, cost per dollar collected, complaints and violations per
    1,000,
    CX index — one bar per group with 95% whiskers over replications.

    ``kpis``: one row per replication × group (``by``) with the KPI columns.
    """
    frame = scorecard_values(kpis)
    frame = frame.assign(**{by: frame[by].astype(str)})
    panels = [p for p in SCORECARD if p[0] in frame.columns]
    if not panels:
        raise ValueError("no scorecard KPIs (recovery_rate, netback_rate, cx_index, ...)")
    names = ordered(frame[by])
    palette = colours(names)
    rows_n = math.ceil(len(panels) / 3)
    reps = replications_in(frame)
    with styled():
        fig = new_figure(0.8 + rows_n * (1.1 + 0.34 * len(names)))
        top = heading(fig, "Scorecard" + (f" — {title}" if title else ""),
                      f"mean ±95% confidence interval over {reps} replications" if reps > 1
                      else "one replication: no intervals")
        axes = fig.subplots(rows_n, 3, squeeze=False)
        for k, (metric, label) in enumerate(panels):
            ax = axes[k // 3][k % 3]
            table = mean_ci(frame, [by], metric).set_index(by).reindex(names)
            y = np.arange(len(names))
            means = table["mean"].to_numpy(dtype=float)
            cis = table["ci95"].to_numpy(dtype=float)
            kpi = SCORECARD_FORMAT.get(metric, metric)
            low, high = (0.0, math.inf) if metric in SCORECARD_FORMAT \
                else natural_bounds(metric)
            bars = whiskers(means, cis, low, high)
            ax.barh(y, np.nan_to_num(means), color=[palette[n] for n in names], height=0.65,
                    xerr=bars, error_kw={"elinewidth": 0.9, "capsize": 2, "ecolor": "#333333"})
            ax.set_yticks(y, [short(n, 16) for n in names] if k % 3 == 0
                          else [""] * len(names))
            ax.invert_yaxis()
            ax.xaxis.set_major_formatter(axis_formatter(kpi))
            ax.set_title(label, fontsize=8.5)
            ax.set_xlabel(BETTER[kpi_entry(metric).direction], fontsize=7.5, color="#555555")
            ax.grid(axis="y", visible=False)
            centre = np.nan_to_num(means)
            ends = centre + (bars[1] if bars is not None else 0.0)
            starts = centre - (bars[0] if bars is not None else 0.0)
            lowest = min(float(starts.min()), 0.0)
            ax.set_xlim(lowest * 1.2, max(float(ends.max()) * 1.55, 1e-9))
            for yy, end, mean, ci in zip(y, ends, means, cis, strict=True):
                ax.text(float(end), yy, "  " + format_interval(kpi, mean, ci, reps > 1),
                        va="center", fontsize=7)
            ax.tick_params(axis="x", labelsize=7.5)
        for k in range(len(panels), rows_n * 3):
            axes[k // 3][k % 3].set_visible(False)
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


# --------------------------------------------------------------------------- trade-off

TRADEOFFS: tuple[tuple[str, str, str], ...] = (
    ("complaints_per_1000", "recovery_rate", "Recovery vs complaints (best: top left)"),
    ("cx_index", "netback_rate", "Netback vs CX index (best: top right)"))
AXIS_LABELS = {"complaints_per_1000": "complaints per 1,000 accounts",
               "cx_index": "customer-experience index (0–100)",
               "recovery_rate": "recovery rate (% of balance placed)",
               "netback_rate": "netback rate (% of balance placed)"}
MARKERS = ("o", "s", "^", "v", "P", "X", "h")


def tradeoff(summary: pd.DataFrame, target: Target, by: str = "agency",
             title: str = "") -> None:
    """Recovery against complaints and netback against CX index: one point per group with
    95% whiskers in both directions.

    ``summary``: columns ``by, metric, mean, ci95`` (as in ``summary.csv``).
    """
    panels = [(x, y, t) for x, y, t in TRADEOFFS if {x, y} <= set(summary["metric"])]
    if not panels:
        raise ValueError("needs recovery_rate and complaints_per_1000, or netback_rate and "
                         "cx_index")
    frame = summary.assign(**{by: summary[by].astype(str)})
    names = ordered(frame[by])
    palette = colours(names)
    columns = min(len(names), 4)
    legend_rows = math.ceil(len(names) / columns)
    with styled():
        fig = new_figure(4.6 + 0.25 * legend_rows)
        top = heading(fig, "Trade-off: money against customers" + (f" — {title}" if title
                                                                     else ""),
                      "one point per " + by + "; whiskers: 95% confidence intervals")
        axes = fig.subplots(1, len(panels), squeeze=False)[0]
        for ax, (x, y, caption) in zip(axes, panels, strict=True):
            for k, name in enumerate(names):
                rows = frame[frame[by] == name].set_index("metric")
                mx, my = float(rows.loc[x, "mean"]), float(rows.loc[y, "mean"])
                cx, cy = float(rows.loc[x, "ci95"]), float(rows.loc[y, "ci95"])
                ax.errorbar([mx], [my], xerr=[[cx]] if math.isfinite(cx) else None,
                            yerr=[[cy]] if math.isfinite(cy) else None,
                            fmt="D" if name == TOTAL else MARKERS[k % len(MARKERS)],
                            color=palette[name], ms=7, capsize=3, lw=1.2, label=name)
            ax.set_xlabel(AXIS_LABELS.get(x, kpi_label(x)))
            ax.set_ylabel(AXIS_LABELS.get(y, kpi_label(y)))
            ax.xaxis.set_major_formatter(axis_formatter(x))
            ax.yaxis.set_major_formatter(axis_formatter(y))
            ax.margins(0.18)
            ax.set_title(caption, fontsize=9)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, [short(label, 30) for label in labels], loc="lower center",
                   ncol=columns)
        fig.tight_layout(rect=(0, (0.15 + 0.25 * legend_rows) / fig.get_figheight(), 1, top))
        save(fig, target)

