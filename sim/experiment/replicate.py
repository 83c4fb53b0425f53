"""Replications of one scenario and their summary: mean, standard deviation, 95% interval.

Replication *r* of seed *S* always uses the streams of ``SeedSequence(S).spawn(...)[r]``
(see :mod:`sim.rng`), so any replication re-run on its own gives the same result as inside a
batch, and results do not depend on how many replications run or in what order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.model import run_replication
from sim.results import Results
from sim.schema import Scenario


def run_replications(scenario: Scenario, reps: int, seed: int | None = None, *,
                     keep_accounts: bool = False,
                     progress: Callable[[int, int], None] | None = None) -> list[Results]:
    """Run replications ``0 .. reps-1`` of ``scenario`` one after another."""
    results = []
    for replication in range(reps):
        results.append(run_replication(scenario, replication, seed, keep_accounts=keep_accounts))
        if progress is not None:
            progress(replication + 1, reps)
    return results


def kpi_table(results: Sequence[Results]) -> pd.DataFrame:
    """Long table of KPIs: one row per (replication, agency) including ``total``."""
    frames = []
    for result in results:
        frame = result.kpis.reset_index()
        frame.insert(0, "replication", result.replication)
        frame.insert(0, "seed", result.seed)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def half_width(values: np.ndarray, confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean of ``values``."""
    values = values[np.isfinite(values)]
    n = len(values)
    if n < 2:
        return float("nan")
    sd = float(np.std(values, ddof=1))
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))


def summarise(table: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per agency and metric: mean, sd and 95% half-width over replications."""
    rows = []
    for agency, group in table.groupby("agency", sort=False):
        for metric in metrics:
            values = group[metric].to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            rows.append({
                "agency": agency, "metric": metric,
                "mean": float(finite.mean()) if len(finite) else float("nan"),
                "sd": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
                "ci95": half_width(values), "n": len(finite),
            })
    return pd.DataFrame(rows)
