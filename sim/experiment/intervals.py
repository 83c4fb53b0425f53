"""Confidence intervals for replicated simulation output: one mean, paired and Welch differences.

All intervals are Student-t intervals on independent replications. A paired interval uses the
replication-by-replication differences of two scenarios run on the same random numbers (common
random numbers), so the variance of the difference is ``var(A) + var(B) − 2·cov(A, B)``; the
Welch interval treats the two samples as independent and is what the comparison would cost
without common random numbers. Non-finite values are dropped (pairs are dropped whole).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


def t_half_width(values: np.ndarray, confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval for the mean of ``values``."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n < 2:
        return float("nan")
    sd = float(np.std(values, ddof=1))
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n))


@dataclass(frozen=True)
class Difference:
    """The mean of ``b − a`` over replications with its paired and unpaired intervals."""

    n: int
    mean_a: float
    mean_b: float
    diff: float
    sd: float
    ci95: float
    p_value: float
    ci95_unpaired: float

    @property
    def low(self) -> float:
        """Lower end of the paired interval."""
        return self.diff - self.ci95

    @property
    def high(self) -> float:
        """Upper end of the paired interval."""
        return self.diff + self.ci95

    @property
    def significant(self) -> bool:
        """Whether the paired interval excludes zero."""
        return bool(math.isfinite(self.ci95) and (self.low > 0 or self.high < 0))

    @property
    def ratio(self) -> float:
        """Paired half-width / unpaired (Welch) half-width: below 1 means pairing helped."""
        if not (math.isfinite(self.ci95) and math.isfinite(self.ci95_unpaired)):
            return float("nan")
        if self.ci95_unpaired == 0:
            return 1.0 if self.ci95 == 0 else float("nan")
        return self.ci95 / self.ci95_unpaired


def welch_half_width(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> float:
    """Half-width of the Welch interval for ``mean(b) − mean(a)`` from independent samples."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    va, vb = float(np.var(a, ddof=1)) / len(a), float(np.var(b, ddof=1)) / len(b)
    se2 = va + vb
    if se2 == 0:
        return 0.0
    dof = se2 ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    return float(stats.t.ppf(0.5 + confidence / 2, dof) * math.sqrt(se2))


def paired_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> Difference:
    """Compare ``b`` with ``a`` replication by replication (``a[r]`` pairs with ``b[r]``)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = len(a)
    nan = float("nan")
    if n == 0:
        return Difference(0, nan, nan, nan, nan, nan, nan, nan)
    d = b - a
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else nan
    if n > 1 and sd > 0:
        t = mean / (sd / math.sqrt(n))
        p = float(2 * stats.t.sf(abs(t), n - 1))
    elif n > 1:
        p = 1.0 if mean == 0 else 0.0
    else:
        p = nan
    return Difference(n=n, mean_a=float(a.mean()), mean_b=float(b.mean()), diff=mean, sd=sd,
                      ci95=t_half_width(d, confidence), p_value=p,
                      ci95_unpaired=welch_half_width(a, b, confidence))
