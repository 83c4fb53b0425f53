"""Design points (grid, Latin hypercube, Sobol, Morris) and the sensitivity indices over them.

:func:`design_points` turns a :class:`~sim.experiment.experiment_file.Design` and its factors
into rows of factor values, deterministically from the design's ``seed``:

- ``grid``: the Cartesian product of the levels, first factor slowest (``bounds`` with
  ``steps`` means evenly spaced levels);
- ``lhs``: :class:`scipy.stats.qmc.LatinHypercube` with ``samples`` points;
- ``sobol``: SALib's Saltelli/Sobol' sample, ``N·(D+2)`` points (``N·(2D+2)`` with
  ``second_order``);
- ``morris``: SALib's Morris trajectories, ``samples·(D+1)`` points on a ``levels`` grid.

An ``integer`` factor with bounds ``[a, b]`` is sampled on ``[a − ½, b + ½]`` and rounded, so
every whole number in the range is equally likely. The unrounded sample is kept: SALib's
analysis is given the sample it drew, the model is run at the rounded values.

:func:`analyse` computes first-order and total Sobol' indices (or Morris μ*, σ) with bootstrap
confidence intervals from SALib, for any outputs — the model's, or a test function's.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyse
from SALib.analyze import sobol as sobol_analyse
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

if TYPE_CHECKING:
    from sim.experiment.experiment_file import Design, Factor


def _sample_bounds(factor: Factor) -> tuple[float, float]:
    assert factor.bounds is not None
    low, high = factor.bounds
    return (low - 0.5, high + 0.5) if factor.integer else (low, high)


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem definition of ``factors``."""
    return {"num_vars": len(factors), "names": [f.label for f in factors],
            "bounds": [list(_sample_bounds(f)) for f in factors]}


def _plain_values(factors: Sequence[Factor], sample: np.ndarray) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for row in sample:
        values: list[Any] = []
        for factor, x in zip(factors, row, strict=True):
            if factor.integer:
                assert factor.bounds is not None
                low, high = factor.bounds
                values.append(int(min(max(np.floor(x + 0.5), low), high)))
            else:
                values.append(float(x))
        rows.append(values)
    return rows


def _latin_hypercube(dims: int, points: int, seed: int) -> np.ndarray:
    generator = np.random.default_rng(seed)
    try:
        sampler = qmc.LatinHypercube(d=dims, rng=generator)
    except TypeError:  # scipy < 1.15 calls it ``seed``
        sampler = qmc.LatinHypercube(d=dims, seed=generator)
    return np.asarray(sampler.random(points))


def design_points(design: Design, factors: Sequence[Factor]
                  ) -> tuple[np.ndarray | None, list[list[Any]]]:
    """``(sample, values)``: the raw sample (``None`` for grids) and one row per point."""
    if design.kind == "grid":
        levels: list[list[Any]] = []
        for factor in factors:
            if factor.levels is not None:
                levels.append(list(factor.levels))
            else:
                assert factor.bounds is not None and factor.steps is not None
                grid = np.linspace(factor.bounds[0], factor.bounds[1], factor.steps)
                levels.append([round(float(v)) for v in grid] if factor.integer
                              else [float(v) for v in grid])
        return None, [list(row) for row in itertools.product(*levels)]
    assert design.samples is not None
    spec = problem(factors)
    if design.kind == "lhs":
        unit = _latin_hypercube(len(factors), design.samples, design.seed)
        low = np.array([b[0] for b in spec["bounds"]])
        high = np.array([b[1] for b in spec["bounds"]])
        sample = low + unit * (high - low)
    elif design.kind == "sobol":
        sample = sobol_sample.sample(spec, design.samples,
                                     calc_second_order=design.second_order, scramble=True,
                                     seed=design.seed)
    else:
        sample = morris_sample.sample(spec, design.samples, num_levels=design.levels,
                                      seed=design.seed)
    sample = np.asarray(sample, dtype=float)
    return sample, _plain_values(factors, sample)


def analyse(design: Design, factors: Sequence[Factor], sample: np.ndarray | None,
            outputs: pd.DataFrame) -> pd.DataFrame:
    """Sensitivity indices of every column of ``outputs`` (one row per design point).

    Sobol: columns ``metric, factor, S1, S1_conf, ST, ST_conf`` (``*_conf`` is the half-width
    of the bootstrap interval at ``design.confidence``). Morris: ``metric, factor, mu,
    mu_star, mu_star_conf, sigma``. Outputs must be finite.
    """
    if design.kind not in ("sobol", "morris"):
        raise ValueError(f"sensitivity indices need a sobol or morris design, not {design.kind}")
    spec = problem(factors)
    frames = []
    for metric in outputs.columns:
        y = outputs[metric].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            raise ValueError(f"{metric}: {int((~np.isfinite(y)).sum())} design points have no "
                             "finite value")
        if design.kind == "sobol":
            indices = sobol_analyse.analyze(spec, y, calc_second_order=design.second_order,
                                            num_resamples=design.resamples,
                                            conf_level=design.confidence, seed=design.seed)
            columns = ("S1", "S1_conf", "ST", "ST_conf")
        else:
            assert sample is not None
            indices = morris_analyse.analyze(spec, sample, y, num_resamples=design.resamples,
                                             conf_level=design.confidence,
                                             num_levels=design.levels, seed=design.seed)
            columns = ("mu", "mu_star", "mu_star_conf", "sigma")
        frame = pd.DataFrame({c: np.asarray(indices[c], dtype=float) for c in columns})
        frame.insert(0, "factor", spec["names"])
        frame.insert(0, "metric", metric)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
