"""A segment's latent traits, each Beta-distributed, joined by a Gaussian copula.

:func:`draw_traits` draws, for ``n`` accounts, one value of each trait: standard normal scores
correlated by the Cholesky factor of the stated correlation matrix, turned into uniforms by the
normal distribution function Φ, and into each trait's Beta(mean·c, (1 − mean)·c) by its inverse
distribution function (the regularised incomplete beta function's inverse,
:func:`scipy.special.betaincinv`). Each trait's distribution is exactly the Beta it has alone;
only the dependence between traits comes from the correlations (Nelsen, *An Introduction to
Copulas*, 2nd ed., 2006, §2.3 and §5.1.3). The rank correlation of two traits whose normal
scores have correlation ρ is (6/π)·asin(ρ/2), whatever their Beta parameters (Kruskal, 1958).

A trait whose mean is 0 or 1 is that constant for every account. With no correlations the traits
are independent, but not the same draws as independent Beta variates would be.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from scipy import special

from sim.config.schema.traits import correlation_matrix

FloatArray = npt.NDArray[np.float64]


def draw_traits(rng: np.random.Generator, means: Mapping[str, float], concentration: float,
                n: int, correlations: Mapping[str, float]) -> dict[str, FloatArray]:
    """``n`` accounts' values of each trait in ``means``, Beta with that mean and
    ``concentration`` (α + β), correlated through a Gaussian copula.

    ``correlations`` maps ``"trait:trait"`` to the correlation of the two traits' normal scores
    (pairs not named are 0); every trait it names must be in ``means``, and the matrix must be
    positive definite (``ValueError`` otherwise; scenario loading checks both). Draws ``n``
    normal scores per trait, in the order of ``means``, from ``rng``.
    """
    names = list(means)
    matrix = correlation_matrix(names, correlations)
    try:
        lower = np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError as error:
        raise ValueError("trait correlations are not positive definite") from error
    scores = lower @ rng.standard_normal((len(names), n))
    traits: dict[str, FloatArray] = {}
    for row, name in enumerate(names):
        mean = means[name]
        if mean <= 0.0:
            traits[name] = np.zeros(n)
        elif mean >= 1.0:
            traits[name] = np.ones(n)
        else:
            uniforms = special.ndtr(scores[row])
            traits[name] = special.betaincinv(mean * concentration,
                                              (1.0 - mean) * concentration, uniforms)
    return traits
