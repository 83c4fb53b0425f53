"""Dependence between a segment's latent traits: the stated correlations and their checks.

Nine per-account traits of a segment are drawn from Beta distributions (:data:`BETA_TRAITS`).
They are joined by a Gaussian copula whose correlations a scenario states in
``[portfolio] trait_correlations``, a table from ``"trait:trait"`` to a correlation between
−0.95 and 0.95; pairs it does not name are uncorrelated. :data:`STATED_CORRELATIONS` is the
default table: no public data measures these dependences, so each is an assumption with the
reason for its sign and a plausible range to sweep (listed in ``docs/sources.md``).

:func:`correlation_problems` finds what is wrong with a table (an unknown trait, a pair given
twice in either order, a matrix that is not positive definite, so that no joint distribution
has these correlations); :func:`correlation_matrix` builds the matrix the model factors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, Field

from sim.config.schema.common import check_finite

BETA_TRAITS: tuple[str, ...] = (
    "answer_rate", "willingness", "lump_sum_share", "monthly_capacity", "dispute_rate",
    "complaint_sensitivity", "cease_rate", "callback_rate", "promise_keep",
)
"""The segment fields whose per-account values are Beta draws around the segment's mean."""

PAIR_SEPARATOR = ":"
LARGEST_CORRELATION = 0.95
"""Largest correlation a table may state, in absolute value: beyond it two traits are nearly
one, and the matrix is close to singular."""

Correlation = Annotated[float, Field(ge=-LARGEST_CORRELATION, le=LARGEST_CORRELATION),
                        AfterValidator(check_finite)]


@dataclass(frozen=True)
class StatedCorrelation:
    """One default correlation of the Gaussian copula, an assumption with its reason."""

    first: str
    second: str
    value: float
    low: float
    """Lower end of the plausible range to sweep."""
    high: float
    """Upper end of the plausible range to sweep."""
    reason: str

    @property
    def key(self) -> str:
        """The pair as a scenario file writes it, ``"first:second"``."""
        return f"{self.first}{PAIR_SEPARATOR}{self.second}"


STATED_CORRELATIONS: tuple[StatedCorrelation, ...] = (
    StatedCorrelation("willingness", "promise_keep", 0.5, 0.2, 0.7,
                      "cardholders willing to pay are the ones who keep their promises"),
    StatedCorrelation("lump_sum_share", "monthly_capacity", 0.6, 0.3, 0.8,
                      "both measure the cardholder's means"),
    StatedCorrelation("willingness", "answer_rate", 0.3, 0.1, 0.5,
                      "those who intend to pay pick up the phone"),
    StatedCorrelation("complaint_sensitivity", "cease_rate", 0.4, 0.2, 0.6,
                      "those quick to complain are quick to ask for contact to stop"),
    StatedCorrelation("willingness", "complaint_sensitivity", -0.2, -0.4, 0.0,
                      "reluctant payers resent the call more"),
    StatedCorrelation("willingness", "dispute_rate", -0.2, -0.4, 0.0,
                      "disputing is a way of not paying"),
)
"""The default ``trait_correlations`` (all assumptions; ranges in ``docs/sources.md``)."""


def default_correlations() -> dict[str, float]:
    """The default ``trait_correlations`` table, ``{"first:second": value}``."""
    return {stated.key: stated.value for stated in STATED_CORRELATIONS}


def split_pair(key: str) -> tuple[str, str] | None:
    """The two trait names of ``"first:second"`` (``None`` if it is not written so)."""
    parts = key.split(PAIR_SEPARATOR)
    if len(parts) != 2:
        return None
    return parts[0], parts[1]


def _inline(pairs: Mapping[str, float]) -> str:
    """The table as TOML writes it inline."""
    return "{ " + ", ".join(f'"{key}" = {value:g}' for key, value in pairs.items()) + " }"


def correlation_matrix(traits: Sequence[str],
                       pairs: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """The correlation matrix over ``traits`` (in that order) that ``pairs`` states: ones on the
    diagonal, each stated pair in both triangles, zero elsewhere.

    Raises ``ValueError`` for a pair that is malformed or names a trait not in ``traits``.
    """
    position = {name: index for index, name in enumerate(traits)}
    matrix = np.eye(len(traits))
    for key, value in pairs.items():
        pair = split_pair(key)
        if pair is None or pair[0] not in position or pair[1] not in position:
            raise ValueError(f"no pair of traits {key!r} among {', '.join(traits)}")
        i, j = position[pair[0]], position[pair[1]]
        matrix[i, j] = matrix[j, i] = value
    return matrix


def correlation_problems(pairs: Mapping[str, float]) -> list[str]:
    """Every problem of a ``trait_correlations`` table, one plain line each (none if sound)."""
    problems: list[str] = []
    seen: dict[frozenset[str], str] = {}
    traits = ", ".join(BETA_TRAITS)
    for key in pairs:
        pair = split_pair(key)
        if pair is None:
            problems.append(f'a pair is written "trait:trait", e.g. "willingness:promise_keep"'
                            f" (got {key!r})")
            continue
        unknown = [name for name in pair if name not in BETA_TRAITS]
        if unknown:
            problems.append(f"no trait {unknown[0]!r}; the traits are {traits} (got {key!r})")
            continue
        if pair[0] == pair[1]:
            problems.append(f"a trait's correlation with itself is 1; name two different "
                            f"traits (got {key!r})")
            continue
        earlier = seen.setdefault(frozenset(pair), key)
        if earlier != key:
            problems.append(f"the pair is given twice, as {earlier!r} and {key!r} "
                            f"(got {key!r})")
    if problems:
        return problems
    matrix = correlation_matrix(BETA_TRAITS, pairs)
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(matrix)[0])
        problems.append(f"the correlations are not positive definite together (smallest "
                        f"eigenvalue {smallest:.3g}): no joint distribution has them; "
                        f"weaken the largest (got {_inline(pairs)})")
    return problems
