"""The statistics of the experiment machinery against known answers.

* Sobol' indices of the Ishigami function (a = 7, b = 0.1), computed through the same
  :func:`sim.experiment.sensitivity.indices` path the simulation uses, match the analytic
  values S1 = (0.314, 0.442, 0), ST = (0.558, 0.442, 0.244) within three bootstrap standard
  errors, with 1024 base samples;
* Morris μ* ranks the factors of a function with known elementary effects correctly and gives
  an inert factor μ* = 0;
* the 95% Student-t, paired and Welch intervals cover the true mean (difference) about 95% of
  the time on synthetic normal data with known means; the tolerance is three binomial standard
  errors of the coverage estimate;
* paired intervals are narrower than unpaired ones when the pairs are positively correlated.

Fixed seeds throughout; every tolerance is derived from a standard error.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.experiment.experiment_file import Design, Factor
from sim.experiment.intervals import paired_difference, t_half_width, welch_half_width
from sim.experiment.sensitivity import indices

A, B = 7.0, 0.1


def ishigami(points: pd.DataFrame) -> pd.DataFrame:
    x1, x2, x3 = (points[name].to_numpy() for name in ("x1", "x2", "x3"))
    y = np.sin(x1) + A * np.sin(x2) ** 2 + B * x3 ** 4 * np.sin(x1)
    return pd.DataFrame({"y": y})


def ishigami_truth() -> tuple[np.ndarray, np.ndarray]:
    pi = math.pi
    v1 = 0.5 * (1 + B * pi ** 4 / 5) ** 2
    v2 = A ** 2 / 8
    v13 = B ** 2 * pi ** 8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    s1 = np.array([v1, v2, 0.0]) / total
    st = np.array([v1 + v13, v2, v13]) / total
    return s1, st


@pytest.mark.parametrize("second_order", [False, True])
def test_ishigami_sobol_indices(second_order):
    factors = [Factor(path=f"x{i}", bounds=(-math.pi, math.pi)) for i in (1, 2, 3)]
    design = Design(kind="sobol", samples=1024, seed=12345, second_order=second_order,
                    resamples=200)
    table = indices(design, factors, ishigami)
    s1, st = ishigami_truth()
    assert np.allclose(s1, [0.3139, 0.4424, 0.0], atol=5e-4)
    assert np.allclose(st, [0.5576, 0.4424, 0.2437], atol=5e-4)
    assert table["factor"].tolist() == ["x1", "x2", "x3"]
    for column, truth in (("S1", s1), ("ST", st)):
        estimate = table[column].to_numpy()
        se = table[f"{column}_conf"].to_numpy() / 1.959964  # bootstrap 95% half-width
        assert (se < 0.05).all()  # precise enough for the comparison to mean something
        assert (np.abs(estimate - truth) <= 3 * se).all(), (column, estimate, se)


def test_morris_ranks_known_effects():
    # y = 4·x1 + 1·x2 + 0·x3 on [0, 1]^3: elementary effects are exactly 4, 1 and 0.
    factors = [Factor(path=f"x{i}", bounds=(0.0, 1.0)) for i in (1, 2, 3)]
    design = Design(kind="morris", samples=20, seed=3, levels=4)

    def linear(points: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"y": 4 * points["x1"] + points["x2"]})

    table = indices(design, factors, linear).set_index("factor")
    assert table.loc["x1", "mu_star"] == pytest.approx(4.0)
    assert table.loc["x2", "mu_star"] == pytest.approx(1.0)
    assert table.loc["x3", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert table["sigma"].max() == pytest.approx(0.0, abs=1e-9)  # linear: no interaction


BATCHES = 4000
NOMINAL = 0.95
TOLERANCE = 3 * math.sqrt(NOMINAL * (1 - NOMINAL) / BATCHES)  # binomial SE of the coverage


@pytest.mark.parametrize("n", [3, 10, 30])
def test_t_interval_coverage(n):
    rng = np.random.default_rng(20260105 + n)
    mean, sd = 2.5, 1.7
    data = rng.normal(mean, sd, size=(BATCHES, n))
    covered = [abs(row.mean() - mean) <= t_half_width(row) for row in data]
    assert abs(np.mean(covered) - NOMINAL) <= TOLERANCE


@pytest.mark.slow
def test_paired_and_welch_coverage():
    rng = np.random.default_rng(7)
    n, delta = 8, 0.3
    paired_hits, welch_hits, ratios = [], [], []
    for _ in range(BATCHES):
        common = rng.normal(0.0, 1.0, n)  # common random numbers: shared noise
        a = 1.0 + common + rng.normal(0.0, 0.3, n)
        b = 1.0 + delta + common + rng.normal(0.0, 0.3, n)
        d = paired_difference(a, b)
        paired_hits.append(d.low <= delta <= d.high)
        welch_hits.append(abs(d.diff - delta) <= welch_half_width(a, b))
        ratios.append(d.ratio)
    assert abs(np.mean(paired_hits) - NOMINAL) <= TOLERANCE
    # Welch ignores the (positive) correlation, so it over-covers: conservative, never below
    assert np.mean(welch_hits) >= NOMINAL - TOLERANCE
    # var(d) = 2·0.3² against var(a) + var(b) = 2·(1 + 0.3²): pairing shrinks the half-width
    assert np.median(ratios) < 0.5
