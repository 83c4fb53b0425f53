"""Scenario discovery: which ranges of the uncertain parameters make a claim fail.

PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999, *Statistics and Computing*
9:123–143), as scenario discovery uses it (Bryant & Lempert 2010, *Technological Forecasting
and Social Change* 77:34–49), run by the EMA Workbench (Kwakkel 2017, *Environmental
Modelling & Software* 96:239–250; ``pip install -e '.[robust]'``). The cases of interest are
the decided points where the claim *fails*. PRIM peels the box of all points a sliver at a time
(5% of the points per step) from whichever side raises the share of failing points inside it
most, down to boxes holding 5% of the points, then pastes back what it can; each step of that
trajectory is a candidate box with (counted here from the points, not taken from the
library's trajectory table) a

- *coverage*: the share of all failing points that fall inside it, and a
- *density*: the share of the points inside it that fail.

The box reported is the one on the trajectory with the largest coverage × density (a box
that holds most failures and little else; ties: the earlier, larger box). A parameter's
**importance** is how much of its plausible range that box cuts away: ``1 − (box width /
range width)``, 0 for a parameter the box leaves unrestricted, near 1 for one confined to a
sliver. Drivers are the restricted parameters, most important first. With fewer than
:data:`MIN_FAILURES` failing points (a box around one or two points says nothing about a
region), or no holding point, the list is empty.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

FAILS = "fails"
HOLDS = "holds"
PEEL_ALPHA = 0.05
MASS_MIN = 0.05
MIN_FAILURES = 3


def _prim() -> Any:
    """The EMA Workbench's PRIM module, imported quietly: it warns on import about optional
    parallel back-ends it does not need here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    return prim


def box_statistics(x: pd.DataFrame, fails: np.ndarray,
                   limits: pd.DataFrame) -> tuple[float, float, float]:
    """``(coverage, density, mass)`` of the box ``limits`` (rows: low, high; a column per
    parameter) over the points ``x``, counted from the points themselves."""
    inside = np.ones(len(x), dtype=bool)
    for column in limits.columns:
        values = x[column].to_numpy(dtype=float)
        inside &= (values >= float(limits[column].iloc[0])) \
            & (values <= float(limits[column].iloc[1]))
    caught = int((inside & fails).sum())
    coverage = caught / int(fails.sum()) if fails.any() else float("nan")
    density = caught / int(inside.sum()) if inside.any() else float("nan")
    return coverage, density, float(inside.mean())


def choose_box(statistics: Sequence[tuple[float, float, float]]) -> int:
    """Index of the box with the largest coverage × density (the first of equals)."""
    return int(np.argmax([coverage * density for coverage, density, _ in statistics]))


def box_drivers(limits: dict[str, tuple[float, float]],
                ranges: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """Drivers from a box: per restricted parameter, the share of its range the box cuts
    away, most important first."""
    drivers = []
    for path, (low, high) in ranges.items():
        box_low, box_high = limits.get(path, (low, high))
        width = max(0.0, min(box_high, high) - max(box_low, low))
        importance = 1.0 - width / (high - low)
        if importance > 1e-12:
            drivers.append({"path": path, "importance": float(importance),
                            "box": [float(max(box_low, low)), float(min(box_high, high))]})
    return sorted(drivers, key=lambda d: -d["importance"])


def failure_box(x: pd.DataFrame, fails: np.ndarray, ranges: dict[str, tuple[float, float]]
                ) -> dict[str, Any] | None:
    """The PRIM box of the failing points (``fails``, one bool per row of ``x``): its limits
    per restricted parameter, coverage, density and mass; ``None`` when every point fails or
    fewer than :data:`MIN_FAILURES` do."""
    fails = np.asarray(fails, dtype=bool)
    if fails.all() or int(fails.sum()) < MIN_FAILURES:
        return None
    prim = _prim()
    x = x.reset_index(drop=True).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = prim.Prim(x, fails, threshold=0.0, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN)
        box = finder.find_box()
    statistics = [box_statistics(x, fails, limits) for limits in box.box_lims]
    index = choose_box(statistics)
    chosen = box.box_lims[index]
    initial = finder.box_init
    limits: dict[str, tuple[float, float]] = {}
    for path, (low, high) in ranges.items():
        box_low, box_high = float(chosen[path].iloc[0]), float(chosen[path].iloc[1])
        # a side PRIM never peeled stays at the sample's extreme: the range's own bound
        box_low = low if box_low <= float(initial[path].iloc[0]) else box_low
        box_high = high if box_high >= float(initial[path].iloc[1]) else box_high
        if box_low > low or box_high < high:
            limits[path] = (box_low, box_high)
    coverage, density, mass = statistics[index]
    return {"limits": {p: list(v) for p, v in limits.items()}, "coverage": coverage,
            "density": density, "mass": mass}


def failure_drivers(points: pd.DataFrame, ranges: dict[str, tuple[float, float]]
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(drivers, boxes)`` for a robustness study's points table (a column per path of
    ``ranges``, the plausible ranges, and ``outcome``): the PRIM box of its failing points
    and each restricted parameter's importance."""
    decided = points[points["outcome"].isin((HOLDS, FAILS))]
    box = failure_box(decided[list(ranges)], (decided["outcome"] == FAILS).to_numpy(), ranges)
    if box is None:
        return [], []
    limits = {p: (float(v[0]), float(v[1])) for p, v in box["limits"].items()}
    return box_drivers(limits, ranges), [box]
