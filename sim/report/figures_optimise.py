"""The figure of ``collectsim optimise``: the search trial by trial and the clean-up's choice.

:func:`optimisation_search` draws, from ``trials.csv``, the KPI's mean over the common
replications of each trial with its 95% interval — feasible trials filled, trials that break a
constraint as grey crosses — the best feasible mean so far as a step line, the candidates of
the Kim–Nelson clean-up ringed and the setting it chose as a black star.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from sim.model.kpis import Direction
from sim.report.style import (
    MISSING_COLOUR,
    PALETTE,
    TOTAL_COLOUR,
    Target,
    axis_formatter,
    heading,
    kpi_entry,
    kpi_label,
    new_figure,
    save,
    styled,
)


def optimisation_search(trials: pd.DataFrame, kpi: str, target: Target, *, reps: int,
                        constraints: Sequence[str] = ()) -> None:
    """Each trial's mean ±95% of ``kpi`` in trial order, feasibility, the clean-up's
    candidates and choice (columns ``trial``, ``{kpi}_mean``, ``{kpi}_ci95``, ``feasible``,
    ``candidate``, ``chosen``)."""
    frame = trials.sort_values("trial")
    x = frame["trial"].to_numpy(dtype=float)
    mean = frame[f"{kpi}_mean"].to_numpy(dtype=float)
    half = frame[f"{kpi}_ci95"].to_numpy(dtype=float)
    feasible = frame["feasible"].to_numpy(dtype=bool)
    candidate = frame["candidate"].to_numpy(dtype=bool)
    chosen = frame["chosen"].to_numpy(dtype=bool)
    higher = kpi_entry(kpi).direction is Direction.HIGHER
    with styled():
        fig = new_figure(4.6)
        rule = f"; constraints: {', '.join(constraints)}" if constraints else ""
        top = heading(fig, f"Search for the best levers on {kpi_label(kpi, unit=False)}",
                      f"each trial: mean over replications 0–{reps - 1} (common random "
                      f"numbers), program total; bars: 95% confidence interval{rule}")
        ax = fig.subplots()
        ax.errorbar(x[feasible], mean[feasible], yerr=half[feasible], fmt="o", ms=4,
                    color=PALETTE[0], elinewidth=0.8, capsize=0, zorder=3)
        ax.errorbar(x[~feasible], mean[~feasible], yerr=half[~feasible], fmt="x", ms=5,
                    color=MISSING_COLOUR, ecolor=MISSING_COLOUR, elinewidth=0.8, capsize=0,
                    zorder=2)
        if feasible.any():
            values = np.where(feasible, mean, -np.inf if higher else np.inf)
            running = np.maximum.accumulate(values) if higher else np.minimum.accumulate(values)
            shown = np.isfinite(running)
            ax.step(x[shown], running[shown], where="post", color=PALETTE[1], lw=1.4)
        ax.plot(x[candidate], mean[candidate], "o", ms=10, mfc="none", mec=PALETTE[5],
                mew=1.2, zorder=4)
        ax.plot(x[chosen], mean[chosen], "*", ms=14, color=TOTAL_COLOUR, zorder=5)
        ax.set_xlabel("trial")
        ax.set_ylabel(kpi_label(kpi))
        ax.yaxis.set_major_formatter(axis_formatter(kpi))
        ax.legend(handles=[
            Line2D([], [], ls="none", marker="o", color=PALETTE[0], label="feasible trial"),
            Line2D([], [], ls="none", marker="x", color=MISSING_COLOUR,
                   label="breaks a constraint"),
            Line2D([], [], color=PALETTE[1], label="best feasible so far"),
            Line2D([], [], ls="none", marker="o", mfc="none", mec=PALETTE[5], ms=10,
                   label="clean-up candidate"),
            Line2D([], [], ls="none", marker="*", color=TOTAL_COLOUR, ms=12,
                   label="chosen by Kim–Nelson")], loc="upper center", fontsize=8,
            bbox_to_anchor=(0.5, -0.16), ncols=5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout(rect=(0, 0, 1, top))
        save(fig, target)
