"""The figure of ``collectsim robust``: where in the plausible range a finding holds.

:func:`robustness_map` draws the design points in the plane of the two most important
uncertain parameters (the drivers first, then the others in file order), each point coloured by
whether the claim holds or fails there — a hollow marker where the point is within noise (the
95% interval of its mean paired difference reaches across the threshold) — with the PRIM box
of the failing points as a dashed rectangle. With one uncertain parameter it draws that
parameter against the mean paired difference ``a − b`` with its 95% interval, and the
threshold the claim is judged against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from sim.report.style import (
    MISSING_COLOUR,
    PALETTE,
    TOTAL_COLOUR,
    Target,
    axis_formatter,
    heading,
    kpi_label,
    new_figure,
    save,
    styled,
)

OUTCOME_COLOURS = {"holds": PALETTE[0], "fails": PALETTE[5], "undecided": MISSING_COLOUR}


def plotted_paths(paths: Sequence[str], drivers: Sequence[dict[str, Any]]) -> list[str]:
    """The (at most two) parameters shown: the most important drivers, then file order."""
    ordered = [d["path"] for d in drivers] + [p for p in paths
                                              if p not in {d["path"] for d in drivers}]
    return ordered[:2]


def _legend(ax: Any) -> None:
    handles = [Line2D([], [], ls="none", marker="o", color=colour, label=outcome)
               for outcome, colour in OUTCOME_COLOURS.items()]
    handles += [Line2D([], [], ls="none", marker="o", mfc="none", mec="#555555",
                       label="within noise"),
                Line2D([], [], ls="--", color=TOTAL_COLOUR, label="PRIM box of failures")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=5,
              fontsize=8)


def robustness_map(points: pd.DataFrame, info: dict[str, Any], paths: Sequence[str],
                   ranges: dict[str, tuple[float, float]], target: Target) -> None:
    """Draw the study's points (``points.parquet``) with the claim's outcome at each; ``info``
    is the study's JSON (claim, kpi, share, drivers, boxes)."""
    shown = plotted_paths(paths, info["drivers"])
    kpi = str(info["kpi"])
    share, (low, high) = info["share_holding"], info["ci95"]
    holding = "–" if not np.isfinite(share) else \
        f"{100 * share:.0f}% [{100 * low:.0f}, {100 * high:.0f}]"
    with styled():
        fig = new_figure(5.0)
        top = heading(fig, "Where the finding holds in the plausible range",
                      f"“{info['claim']}”: {kpi_label(kpi, unit=False)}, {info['direction']} "
                      f"(program total, mean paired difference over {info['reps']} "
                      f"replication(s) on common random numbers); holds at {holding} of "
                      f"{info['decided']} points (Wilson 95% interval) of a Latin hypercube "
                      "over the plausible ranges")
        ax = fig.subplots()
        colour = points["outcome"].map(OUTCOME_COLOURS).fillna(MISSING_COLOUR).to_list()
        noise = points["within_noise"].to_numpy(dtype=bool)
        if len(shown) == 2:
            x, y = points[shown[0]].to_numpy(float), points[shown[1]].to_numpy(float)
            ax.set_ylabel(shown[1])
            ax.set_ylim(*_padded(ranges[shown[1]]))
        else:
            x = points[shown[0]].to_numpy(float)
            y = points["difference"].to_numpy(float)
            ax.errorbar(x, y, yerr=points["ci95"].to_numpy(float), fmt="none",
                        ecolor="#999999", elinewidth=0.7, zorder=1)
            edge = info["margin"] if info["direction"] in ("a > b", "a <= b") \
                else -info["margin"]
            ax.axhline(edge, color=TOTAL_COLOUR, lw=0.8)
            ax.set_ylabel(f"{kpi_label(kpi)}: a − b")
            ax.yaxis.set_major_formatter(axis_formatter(kpi))
        solid = [c for c, n in zip(colour, noise, strict=True) if not n]
        hollow = [c for c, n in zip(colour, noise, strict=True) if n]
        ax.scatter(x[~noise], y[~noise], c=solid, s=22, zorder=3)
        ax.scatter(x[noise], y[noise], facecolors="none", edgecolors=hollow, s=22,
                   linewidths=1.1, zorder=3)
        for box in info["boxes"]:
            _draw_box(ax, box["limits"], shown, ranges, two=len(shown) == 2)
        ax.set_xlabel(shown[0])
        ax.set_xlim(*_padded(ranges[shown[0]]))
        _legend(ax)
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)


def _padded(bounds: tuple[float, float]) -> tuple[float, float]:
    low, high = bounds
    pad = 0.03 * (high - low)
    return low - pad, high + pad


def _draw_box(ax: Any, limits: dict[str, list[float]], shown: Sequence[str],
              ranges: dict[str, tuple[float, float]], *, two: bool) -> None:
    x_low, x_high = limits.get(shown[0], ranges[shown[0]])
    if two:
        y_low, y_high = limits.get(shown[1], ranges[shown[1]])
        ax.add_patch(Rectangle((x_low, y_low), x_high - x_low, y_high - y_low, fill=False,
                               ls="--", lw=1.2, ec=TOTAL_COLOUR, zorder=4))
    else:
        ax.axvspan(x_low, x_high, fill=False, ls="--", lw=1.2, ec=TOTAL_COLOUR, zorder=4)
