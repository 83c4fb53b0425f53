"""Figures written into a results folder.

Uses matplotlib's non-interactive Agg backend and the Okabe-Ito colour-blind-safe palette.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from sim.experiment.replicate import half_width
from sim.results import TOTAL, Results

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000")


def liquidation_curve(results: Sequence[Results], path: Path) -> Path:
    """Recovery rate to date by day, per agency and total, with 95% bands over replications."""
    daily = pd.concat([r.daily.assign(replication=r.replication) for r in results])
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    agencies = [a for a in daily["agency"].unique() if a != TOTAL] + [TOTAL]
    for k, agency in enumerate(agencies):
        wide = daily[daily["agency"] == agency].pivot(index="day", columns="replication",
                                                      values="recovery_to_date")
        mean = wide.mean(axis=1)
        colour = "#000000" if agency == TOTAL else OKABE_ITO[k % len(OKABE_ITO)]
        ax.plot(mean.index, mean.to_numpy(), color=colour, lw=2.2 if agency == TOTAL else 1.6,
                label=agency)
        if wide.shape[1] > 1:
            band = np.array([half_width(row) for row in wide.to_numpy()])
            ax.fill_between(mean.index, mean - band, mean + band, color=colour, alpha=0.2,
                            lw=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("days since placement")
    ax.set_ylabel("collected / balance placed")
    reps = len(results)
    note = f"mean of {reps} replications, 95% band" if reps > 1 else "one replication"
    ax.set_title(f"Liquidation curve — {results[0].scenario} ({note})")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_run_figures(folder: Path, results: Sequence[Results]) -> None:
    """All figures of a ``collectsim run`` results folder."""
    liquidation_curve(results, folder / "liquidation_curve.png")
