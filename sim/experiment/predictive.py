"""Checks of a calibration: the posterior predictive and a holdout of the liquidation curve.

*Posterior predictive* (Gelman, Meng & Stern 1996, *Statistica Sinica* 6:733): a handful of
parameter sets are drawn from the weighted posterior (resampled by weight with a seeded
generator) and each is simulated once more on a fresh seed — replications from
:data:`PREDICTIVE_REPLICATION` on, never those of the calibration's generations — so the band
shows what the calibrated model predicts for each target, simulation noise included, not how
well it fitted the noise it was fitted on. The band is the 5%–95% range of those simulations.

*Holdout* (a check of out-of-sample prediction): when the targets include at least two points
of the liquidation curve, the last one is held out, the parameters are calibrated to all the
other targets, and the held-out point is predicted from that posterior as above. The check
passes when the observed value lies in the predicted 5%–95% band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.backends import Backend
from sim.experiment.calibrate import Calibration, Simulator, weighted_quantiles
from sim.experiment.targets import CURVE_PREFIX, Targets

PREDICTIVE_REPLICATION = 1_000_000  # far above any generation's replication number
BAND = (0.05, 0.5, 0.95)


def resample(result: Calibration, count: int, seed: int) -> pd.DataFrame:
    """``count`` parameter sets drawn from the weighted posterior (with replacement)."""
    rng = np.random.default_rng([seed, 0x9E37])
    weights = result.draws["weight"].to_numpy(dtype=float)
    rows = rng.choice(len(weights), size=count, replace=True, p=weights / weights.sum())
    paths = [p.path for p in result.priors]
    return result.draws.iloc[rows][paths].reset_index(drop=True)


def simulate_draw(item: tuple[Simulator, dict[str, float], int]) -> dict[str, float]:
    """Task function: simulate one parameter set at one replication."""
    simulate, params, replication = item
    return dict(simulate(params, replication))


def simulate_draws(simulate: Simulator, draws: pd.DataFrame, backend: Backend,
                   first_replication: int) -> pd.DataFrame:
    """Simulate each row of ``draws`` on its own fresh replication, on ``backend``; a column per
    parameter and per statistic, plus ``draw`` and ``replication``."""
    items = [(simulate, {k: float(v) for k, v in row.items()}, first_replication + i)
             for i, row in enumerate(draws.to_dict("records"))]
    results: dict[int, dict[str, float]] = {}
    for index, value in backend.map(simulate_draw, items):
        if isinstance(value, BaseException):
            raise RuntimeError(f"a posterior predictive simulation failed: {value}") from value
        results[index] = value
    rows = [{"draw": i, "replication": items[i][2], **items[i][1], **results[i]}
            for i in range(len(items))]
    return pd.DataFrame(rows)


def bands(simulated: pd.DataFrame, targets: Targets,
          names: Sequence[str] | None = None) -> dict[str, dict[str, Any]]:
    """Per target: observed value and sampling sd, the simulated median and 5%–95% band, and
    whether the observed value lies in the band."""
    out: dict[str, dict[str, Any]] = {}
    for name in names or targets.names:
        values = simulated[name].to_numpy(dtype=float)
        q05, median, q95 = weighted_quantiles(values, np.ones(len(values)), BAND)
        observed = targets.observed[name]
        out[name] = {"observed": observed, "sd": targets.sd[name], "median": median,
                     "q05": q05, "q95": q95, "inside": bool(q05 <= observed <= q95),
                     "simulations": len(values)}
    return out


def holdout_split(targets: Targets) -> tuple[Targets, str] | None:
    """The targets without the liquidation curve's last point, and that point's name; ``None``
    when the curve has fewer than two points (nothing would be left of it to fit)."""
    if len(targets.curve_days) < 2:
        return None
    held = f"{CURVE_PREFIX}{targets.curve_days[-1]}"
    keep = [n for n in targets.names if n != held]
    return replace(targets, observed={n: targets.observed[n] for n in keep},
                   sd={n: targets.sd[n] for n in keep},
                   curve_days=targets.curve_days[:-1]), held


@dataclass
class Holdout:
    """A holdout check: the fit without one target, and that target predicted from it."""

    name: str
    calibration: Calibration
    simulated: pd.DataFrame
    band: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"target": self.name, **self.band,
                "posterior": self.calibration.posterior(),
                "fit_simulations": self.calibration.simulations}


def holdout_band(name: str, simulated: pd.DataFrame, observed: Mapping[str, float],
                 sd: Mapping[str, float]) -> dict[str, Any]:
    """The band of the held-out target ``name`` (as :func:`bands`)."""
    targets = Targets("holdout", 1, "", {name: observed[name]}, {name: sd[name]}, ())
    return bands(simulated, targets, [name])[name]
