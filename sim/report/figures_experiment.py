"""Figures of experiments (``compare``, ``sweep``, ``sensitivity``), each drawn from DataFrames.

Every function takes the tables an experiment writes (``comparison.csv``, ``summary.csv``,
``indices.csv``) and a target (a path or a binary file object) and writes one PNG
:data:`~sim.report.style.WIDTH_PX` pixels wide.

- :func:`comparison_differences` — each KPI's paired difference to the reference scenario as a
  share of the reference's mean, with its 95% interval (filled where it excludes zero);
- :func:`sweep_heatmap` — two factors of a grid: one heatmap per metric and agency;
- :func:`sweep_lines` — one factor: each metric's mean with its 95% band against the factor;
- :func:`sweep_scatter` — any other design: each point's mean against each factor;
- :func:`sensitivity_indices` — Sobol' S1 and ST, or Morris μ* and σ, sorted, with intervals.

Design points without a successful run (failed or never run) show as grey "no run" cells or
gaps, never as zeros.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.lines import Line2D

from sim.model.results import TOTAL
from sim.report.style import (
    BAND_ALPHA,
    HEATMAP,
    MISSING_COLOUR,
    PALETTE,
    Target,
    axis_formatter,
    colours,
    format_difference,
    format_interval,
    heading,
    kpi_label,
    natural_bounds,
    new_figure,
    ordered,
    save,
    short,
    styled,
)

# --------------------------------------------------------------------------- comparison


def comparison_differences(differences: pd.DataFrame, target: Target) -> None:
    """Paired differences to the reference scenario, one row per KPI, as a share of the
    reference's mean, with 95% paired intervals.

    ``differences``: columns ``scenario, base, metric, base_mean, diff, ci95, significant``
    (``comparison.csv``). KPIs equal in every scenario by design (no difference, no spread)
    and KPIs whose reference mean is zero are listed under the plot instead.
    """
    frame = differences.copy()
    base_mean = frame["base_mean"].to_numpy(dtype=float)
    diff = frame["diff"].to_numpy(dtype=float)
    ci = frame["ci95"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame["rel"] = diff / np.abs(base_mean)
        frame["rel_ci"] = ci / np.abs(base_mean)
    same = frame.groupby("metric", sort=False).apply(
        lambda g: bool((g["diff"].fillna(0) == 0).all() and (g["ci95"].fillna(0) == 0).all()),
        include_groups=False)
    zero = frame.groupby("metric", sort=False)["base_mean"].apply(
        lambda b: not np.isfinite(b.to_numpy(dtype=float)).all() or (b == 0).any())
    metrics = [m for m in dict.fromkeys(frame["metric"]) if not same[m] and not zero[m]]
    if not metrics:
        raise ValueError("no KPI differs between the scenarios")
    skipped_same = [m for m in same.index if same[m]]
    skipped_zero = [m for m in zero.index if zero[m] and not same[m]]
    scenarios = list(dict.fromkeys(frame["scenario"].astype(str)))
    base = str(frame["base"].iloc[0])
    palette = {s: PALETTE[k % len(PALETTE)] for k, s in enumerate(scenarios)}
    shown = frame[frame["metric"].isin(metrics)]
    extent = (shown["rel"].abs() + shown["rel_ci"].fillna(0).abs()).to_numpy(dtype=float)
    extent = extent[np.isfinite(extent)]
    typical = float(np.median(extent)) if len(extent) else 0.1
    limit = 1.1 * min(float(extent.max()) if len(extent) else 0.1, max(4 * typical, 0.1))
    step = 0.7 / len(scenarios)
    notes = []
    if skipped_same:
        notes.append("equal in every scenario (not drawn): " + ", ".join(skipped_same))
    if skipped_zero:
        notes.append("reference mean is zero (not drawn): " + ", ".join(skipped_zero))
    text_column = len(scenarios) == 1
    notes_text = "\n".join(textwrap.fill(n, 72) for n in notes)
    note_lines = notes_text.count("\n") + 1 if notes else 0
    with styled():
        fig = new_figure(1.8 + 0.24 * len(metrics) * max(1.0, 0.7 * len(scenarios))
                         + 0.16 * note_lines)
        top = heading(fig, f"Differences to the reference scenario '{base}'",
                      "difference as % of the reference's mean; whiskers: 95% paired "
                      "interval (common random numbers); filled: interval excludes 0"
                      + ("; right: the difference in the KPI's own units" if text_column
                         else ""))
        ax = fig.add_subplot()
        for k, scenario in enumerate(scenarios):
            rows = shown[shown["scenario"].astype(str) == scenario].set_index("metric")
            for i, metric in enumerate(metrics):
                if metric not in rows.index:
                    continue
                row = rows.loc[metric]
                y = i + (k - (len(scenarios) - 1) / 2) * step
                rel, rel_ci = float(row["rel"]), float(row["rel_ci"])
                filled = bool(row["significant"])
                colour = palette[scenario]
                x = max(-limit, min(limit, rel))
                if math.isfinite(rel_ci):
                    ax.plot([max(-limit, rel - rel_ci), min(limit, rel + rel_ci)], [y, y],
                            color=colour, lw=1.4)
                ax.plot([x], [y], "o", color=colour, ms=5.5, clip_on=False, zorder=3,
                        markerfacecolor=colour if filled else "white", markeredgewidth=1.3)
                if abs(rel) > limit:
                    ax.annotate(f"{100 * rel:+,.0f}%", (x, y), xytext=(-4 if rel > 0 else 4, 5),
                                textcoords="offset points", fontsize=7, color=colour,
                                ha="right" if rel > 0 else "left")
                if text_column:
                    ax.annotate(format_difference(metric, row["diff"], row["ci95"]),
                                (1.01, y), xycoords=("axes fraction", "data"), fontsize=7,
                                va="center", color="#333333", annotation_clip=False)
        ax.axvline(0, color="#333333", lw=0.8)
        for i in range(0, len(metrics), 2):
            ax.axhspan(i - 0.5, i + 0.5, color="#F2F2F2", lw=0, zorder=0)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(len(metrics) - 0.5, -0.5)
        ax.set_yticks(range(len(metrics)), [kpi_label(m, unit=False) for m in metrics],
                      fontsize=8)
        ax.xaxis.set_major_formatter(axis_formatter("recovery_rate"))
        ax.set_xlabel(f"difference to '{short(base, 24)}', % of its mean "
                      "(beyond the axis: value printed at the edge)")
        ax.grid(axis="y", visible=False)
        handles = [Line2D([], [], color=palette[s], marker="o", lw=1.4, label=short(s, 30))
                   for s in scenarios]
        fig.legend(handles=handles, loc="lower right", bbox_to_anchor=(0.99, 0.005),
                   ncol=min(len(scenarios), 3), fontsize=7.5)
        legend_rows = math.ceil(len(scenarios) / 3)
        if notes:
            fig.text(0.012, 0.012, notes_text, fontsize=7, color="#555555", va="bottom")
        bottom = (0.12 + 0.16 * max(note_lines, 1.2 * legend_rows)) / fig.get_figheight()
        fig.tight_layout(rect=(0, bottom, 0.8 if text_column else 1, top))
        save(fig, target)


# --------------------------------------------------------------------------- sweeps


def _level_label(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _numeric(values: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)


def _panels(summary: pd.DataFrame, metrics: Sequence[str] | None,
            agencies: Sequence[str] | None) -> list[tuple[str, str]]:
    metric_list = list(metrics) if metrics else list(dict.fromkeys(summary["metric"]))
    agency_list = list(agencies) if agencies else ordered(summary["agency"].astype(str))
    return [(a, m) for a in agency_list for m in metric_list]


def sweep_heatmap(summary: pd.DataFrame, target: Target, factors: tuple[str, str],
                  metrics: Sequence[str] | None = None,
                  agencies: Sequence[str] | None = None) -> None:
    """Two factors of a grid: one heatmap per agency and metric, each cell the mean over
    replications with its 95% half-width; grey cells had no successful run.

    ``summary``: ``summary.csv`` of a sweep (``point``, the factor columns, ``agency``,
    ``metric``, ``mean``, ``ci95``, ``n``, ``failed``).
    """
    x_name, y_name = factors
    panels = _panels(summary, metrics, agencies)
    frame = summary.assign(agency=summary["agency"].astype(str))
    xs = sorted(frame[x_name].dropna().unique(), key=_sort_key)
    ys = sorted(frame[y_name].dropna().unique(), key=_sort_key)
    cols = 2 if len(panels) > 1 else 1
    rows_n = math.ceil(len(panels) / cols)
    cell_h = min(0.42, 2.4 / max(len(ys), 1))
    cmap = colormaps[HEATMAP].with_extremes(bad=MISSING_COLOUR)
    limits = colour_limits(frame, panels)
    with styled():
        fig = new_figure(0.8 + rows_n * (1.0 + cell_h * len(ys)))
        top = heading(fig, f"Sweep: {y_name} × {x_name}",
                      "cell: mean ±95% half-width over replications; one colour scale per "
                      "KPI across all panels; grey: no successful run")
        axes = fig.subplots(rows_n, cols, squeeze=False)
        for k, (agency, metric) in enumerate(panels):
            ax = axes[k // cols][k % cols]
            rows = frame[(frame["agency"] == agency) & (frame["metric"] == metric)]
            mean = np.full((len(ys), len(xs)), np.nan)
            half = np.full((len(ys), len(xs)), np.nan)
            for _, row in rows.iterrows():
                i, j = ys.index(row[y_name]), xs.index(row[x_name])
                if row.get("n", 1) and math.isfinite(float(row["mean"])):
                    mean[i, j], half[i, j] = float(row["mean"]), float(row["ci95"])
            masked = np.ma.masked_invalid(mean)
            low, high = limits[metric]
            image = ax.imshow(masked, cmap=cmap, aspect="auto", origin="lower", vmin=low,
                              vmax=high)
            for i in range(len(ys)):
                for j in range(len(xs)):
                    if not math.isfinite(mean[i, j]):
                        ax.text(j, i, "no run", ha="center", va="center", fontsize=7,
                                color="#333333")
                        continue
                    share = (mean[i, j] - low) / (high - low) if high > low else 0.5
                    text = format_interval(metric, mean[i, j], half[i, j]).replace(" ±",
                                                                                  "\n±")
                    ax.text(j, i, text, ha="center", va="center", fontsize=6.5,
                            color="white" if share < 0.55 else "black")
            ax.set_xticks(range(len(xs)), [_level_label(v) for v in xs], fontsize=7.5)
            ax.set_yticks(range(len(ys)), [_level_label(v) for v in ys], fontsize=7.5)
            ax.set_xlabel(short(x_name, 40), fontsize=8)
            ax.set_ylabel(short(y_name, 30), fontsize=8)
            ax.grid(False)
            ax.set_title(f"{kpi_label(metric)} — {agency}", fontsize=8.5)
            bar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.02)
            bar.ax.yaxis.set_major_formatter(axis_formatter(metric))
            bar.ax.tick_params(labelsize=6.5)
        for k in range(len(panels), rows_n * cols):
            axes[k // cols][k % cols].set_visible(False)
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


def colour_limits(summary: pd.DataFrame, panels: Sequence[tuple[str, str]]
                  ) -> dict[str, tuple[float, float]]:
    """One colour scale per KPI shared by every panel that shows it: the smallest and largest
    mean of that KPI over the panels' agencies and points (``(0, 1)`` when none is finite), so
    a colour means the same value in every panel and agencies can be compared by eye."""
    limits: dict[str, tuple[float, float]] = {}
    for metric in dict.fromkeys(m for _, m in panels):
        shown = [a for a, m in panels if m == metric]
        rows = summary[(summary["metric"] == metric) & summary["agency"].isin(shown)]
        if "n" in rows.columns:
            rows = rows[rows["n"].fillna(1) > 0]
        values = rows["mean"].to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        limits[metric] = (float(finite.min()), float(finite.max())) if len(finite) \
            else (0.0, 1.0)
    return limits


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def sweep_lines(summary: pd.DataFrame, target: Target, factor: str,
                metrics: Sequence[str] | None = None,
                agencies: Sequence[str] | None = None) -> None:
    """One factor: each metric's mean against the factor, one line per agency with its 95%
    band; points without a successful run are gaps marked ×."""
    metric_list = list(metrics) if metrics else list(dict.fromkeys(summary["metric"]))
    frame = summary.assign(agency=summary["agency"].astype(str))
    names = list(agencies) if agencies else ordered(frame["agency"])
    palette = colours(names)
    numeric = _numeric(frame[factor])
    levels = sorted(frame[factor].dropna().unique(), key=_sort_key)
    cols = 2 if len(metric_list) > 1 else 1
    rows_n = math.ceil(len(metric_list) / cols)
    with styled():
        fig = new_figure(0.9 + 2.6 * rows_n)
        top = heading(fig, f"Sweep over {factor}",
                      "mean over replications; band: 95% confidence interval; ×: no "
                      "successful run")
        axes = fig.subplots(rows_n, cols, squeeze=False)
        for k, metric in enumerate(metric_list):
            ax = axes[k // cols][k % cols]
            for name in names:
                rows = frame[(frame["agency"] == name) & (frame["metric"] == metric)]
                rows = rows.assign(_x=rows[factor].map(
                    lambda v: float(v) if numeric else levels.index(v)))
                rows = rows.sort_values("_x")
                mean = rows["mean"].to_numpy(dtype=float)
                ci = rows["ci95"].to_numpy(dtype=float)
                x = rows["_x"].to_numpy(dtype=float)
                ax.plot(x, mean, "-o", color=palette[name], ms=3.5,
                        lw=2.0 if name == TOTAL else 1.4, label=name)
                if np.isfinite(ci).any():
                    low, high = natural_bounds(metric)
                    ax.fill_between(x, np.clip(mean - ci, low, high),
                                    np.clip(mean + ci, low, high), color=palette[name],
                                    alpha=BAND_ALPHA, lw=0)
                missing = x[~np.isfinite(mean)]
                if len(missing):
                    ax.plot(missing, np.zeros_like(missing), "x", color=palette[name],
                            ms=7, transform=ax.get_xaxis_transform(), clip_on=False)
            if not numeric:
                ax.set_xticks(range(len(levels)), [_level_label(v) for v in levels])
            ax.set_title(kpi_label(metric), fontsize=9)
            ax.set_xlabel(short(factor, 40))
            ax.yaxis.set_major_formatter(axis_formatter(metric))
        for k in range(len(metric_list), rows_n * cols):
            axes[k // cols][k % cols].set_visible(False)
        if len(metric_list) < rows_n * cols:  # the legend takes the empty panel
            spare = axes[-1][-1]
            spare.set_visible(True)
            spare.axis("off")
            spare.legend(*axes[0][0].get_legend_handles_labels(), loc="center",
                         title="agency")
        else:
            axes[0][0].legend(title="agency")
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


def sweep_scatter(summary: pd.DataFrame, target: Target, factors: Sequence[str],
                  metrics: Sequence[str] | None = None, agency: str | None = None) -> None:
    """Any design: each design point's mean (over replications) against each factor, one row
    of panels per metric, for one agency (the first reported by default)."""
    frame = summary.assign(agency=summary["agency"].astype(str))
    chosen = agency or ordered(frame["agency"])[0]
    frame = frame[frame["agency"] == chosen]
    metric_list = list(metrics) if metrics else list(dict.fromkeys(frame["metric"]))
    per_row = min(len(factors), 4)
    block = math.ceil(len(factors) / per_row)
    rows_n = block * len(metric_list)
    colour = PALETTE[0] if chosen != TOTAL else "#000000"
    with styled():
        fig = new_figure(0.8 + 1.9 * rows_n)
        top = heading(fig, f"Design points: each point's mean against each factor ({chosen})",
                      "one dot per design point (mean over its replications); grey ticks at "
                      "the bottom: points without a successful run")
        axes = fig.subplots(rows_n, per_row, squeeze=False)
        for m, metric in enumerate(metric_list):
            rows = frame[frame["metric"] == metric]
            for f, factor in enumerate(factors):
                ax = axes[m * block + f // per_row][f % per_row]
                values = rows[factor]
                numeric = _numeric(values)
                levels = sorted(values.dropna().unique(), key=_sort_key)
                x = values.astype(float).to_numpy() if numeric \
                    else values.map(levels.index).to_numpy(dtype=float)
                y = rows["mean"].to_numpy(dtype=float)
                ok = np.isfinite(y)
                ax.plot(x[ok], y[ok], "o", color=colour, ms=3, alpha=0.7)
                if (~ok).any():
                    ax.plot(x[~ok], np.zeros((~ok).sum()), "|", color="#777777", ms=8,
                            transform=ax.get_xaxis_transform(), clip_on=False)
                if not numeric:
                    ax.set_xticks(range(len(levels)), [_level_label(v) for v in levels])
                ax.set_xlabel(short(factor, 26), fontsize=7.5)
                ax.tick_params(labelsize=7)
                ax.yaxis.set_major_formatter(axis_formatter(metric))
                if f % per_row == 0:
                    ax.set_ylabel(short(kpi_label(metric, unit=False), 30), fontsize=7.5)
                if f == 0:
                    ax.set_title(kpi_label(metric), fontsize=9)
            for f in range(len(factors), block * per_row):
                axes[m * block + f // per_row][f % per_row].set_visible(False)
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


# --------------------------------------------------------------------------- sensitivity


def sensitivity_indices(indices: pd.DataFrame, target: Target) -> None:
    """Sensitivity indices per metric, factors sorted from most to least influential:
    Sobol' first-order ``S1`` and total ``ST`` with their bootstrap intervals, or Morris
    ``mu_star`` (with its interval) and ``sigma``.

    ``indices``: ``indices.csv`` (``metric, factor`` and ``S1, S1_conf, ST, ST_conf`` or
    ``mu_star, mu_star_conf, sigma``; optionally ``noise_share``).
    """
    sobol = {"S1", "ST"} <= set(indices.columns)
    if not sobol and "mu_star" not in indices.columns:
        raise ValueError("indices need S1/ST (Sobol') or mu_star (Morris) columns")
    metrics = list(dict.fromkeys(indices["metric"]))
    factors_n = int(indices.groupby("metric").size().max())
    with styled():
        fig = new_figure(0.9 + len(metrics) * (0.8 + 0.3 * factors_n))
        note = ("bars: first-order S1 (solid) and total ST (light); whiskers: bootstrap "
                "confidence intervals; sorted by ST" if sobol else
                "bars: mean absolute elementary effect μ* with its bootstrap interval; "
                "dots: σ (non-linearity and interactions); sorted by μ*")
        top = heading(fig, "Sensitivity: " + ("Sobol' indices" if sobol
                                               else "Morris elementary effects"), note)
        axes = fig.subplots(len(metrics), 1, squeeze=False)[:, 0]
        for ax, metric in zip(axes, metrics, strict=True):
            rows = indices[indices["metric"] == metric]
            rows = rows.sort_values("ST" if sobol else "mu_star", ascending=False,
                                    na_position="last")
            y = np.arange(len(rows))
            labels = [short(str(f), 30) for f in rows["factor"]]
            if sobol:
                ax.barh(y - 0.18, rows["ST"].to_numpy(dtype=float), height=0.36,
                        color=PALETTE[4], label="ST (total)",
                        xerr=rows["ST_conf"].abs().to_numpy(dtype=float)
                        if "ST_conf" in rows else None,
                        error_kw={"elinewidth": 0.9, "capsize": 2, "ecolor": "#333333"})
                ax.barh(y + 0.18, rows["S1"].to_numpy(dtype=float), height=0.36,
                        color=PALETTE[0], label="S1 (first order)",
                        xerr=rows["S1_conf"].abs().to_numpy(dtype=float)
                        if "S1_conf" in rows else None,
                        error_kw={"elinewidth": 0.9, "capsize": 2, "ecolor": "#333333"})
                ax.set_xlabel("share of output variance")
                ax.axvline(0, color="#333333", lw=0.7)
            else:
                ax.barh(y, rows["mu_star"].to_numpy(dtype=float), height=0.6,
                        color=PALETTE[0], label="μ* (mean |effect|)",
                        xerr=rows["mu_star_conf"].abs().to_numpy(dtype=float)
                        if "mu_star_conf" in rows else None,
                        error_kw={"elinewidth": 0.9, "capsize": 2, "ecolor": "#333333"})
                if "sigma" in rows:
                    ax.plot(rows["sigma"].to_numpy(dtype=float), y, "D", color=PALETTE[1],
                            ms=5, label="σ (spread of effects)")
                ax.set_xlabel(f"effect on {kpi_label(metric, unit=False)} over the factor's "
                              "range")
                ax.xaxis.set_major_formatter(axis_formatter(metric))
            ax.set_yticks(y, labels, fontsize=8)
            ax.invert_yaxis()
            ax.grid(axis="y", visible=False)
            title = kpi_label(metric)
            if "noise_share" in rows and math.isfinite(float(rows["noise_share"].iloc[0])):
                title += (f" — replication noise {100 * float(rows['noise_share'].iloc[0]):.1f}%"
                          " of the spread")
            ax.set_title(title, fontsize=9)
            ax.legend(loc="lower right", fontsize=7.5)
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)
