"""The reasons cardholders fall behind, as mechanisms that change an account during the program.

Each segment's reason brings a profile of behaviour (:mod:`sim.config.schema.reasons`); the
parts that move with time live here:

* **income returns** — an income-shocked cardholder's capacity is low until the spell drawn by
  :func:`income_spells` ends; then their monthly capacity rises to the segment's
  ``recovered_capacity`` (so offers become affordable and minimums are paid);
* **hardship step-up** — at the end of a hardship programme the reduced minimum payment steps up
  to the contractual one and interest resumes (a cardholder whose income has not returned then
  usually misses it: :func:`sim.model.portfolio.lifecycle.miss_chance`).

A misunderstanding, the third reason, changes within a conversation: see
:mod:`sim.model.behaviour.stage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

if TYPE_CHECKING:
    from sim.config.schema import Portfolio
    from sim.model.portfolio.accounts import Accounts

FloatArray = npt.NDArray[np.float64]


INCOME_FELL_BEFORE_DAYS = 30  # assumption: income fell about a cycle before the first miss


def income_spells(spec: Portfolio, segment: np.ndarray, dpd: np.ndarray, capacity: FloatArray,
                  rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Days after placement until each account's income returns (``inf`` for accounts whose
    income did not fall) and its monthly capacity then.

    The spell is log-normal with the segment's median and mean, conditioned on having lasted
    from the fall (``days_past_due`` + 30 days before placement) until placement; each
    account keeps its place in the capacity spread when its capacity rises to the segment's
    ``recovered_capacity``.
    """
    n = len(segment)
    after = np.full(n, np.inf)
    recovered = capacity.copy()
    draws = rng.random((2, n))
    for code, name in enumerate(spec.segments):
        seg = spec.segments[name]
        members = np.flatnonzero((segment == code) & (draws[0] < seg.income_shocked))
        if len(members) == 0:
            continue
        mu = np.log(seg.income_recovery_median_days)
        sigma = np.sqrt(2.0 * np.log(seg.income_recovery_mean_days
                                     / seg.income_recovery_median_days))
        elapsed = dpd[members].astype(np.float64) + INCOME_FELL_BEFORE_DAYS
        if sigma > 0:
            lasted = norm.cdf((np.log(elapsed) - mu) / sigma)
            u = lasted + (1.0 - lasted) * draws[1, members]
            spell = np.exp(mu + sigma * norm.ppf(np.minimum(u, 1.0 - 1e-12)))
        else:
            spell = np.full(len(members), seg.income_recovery_median_days)
        after[members] = np.maximum(spell - elapsed, 0.0)
        scale = seg.recovered_capacity / seg.monthly_capacity if seg.monthly_capacity > 0 \
            else 1.0
        recovered[members] = np.clip(capacity[members] * max(scale, 1.0), 0.0, 1.0)
    return after, recovered


def program_start(acc: Accounts) -> FloatArray:
    """The day each account entered the program: its placement day, or its first placement's
    for an account placed a second time (:mod:`sim.model.bank.second_placement`), whose
    cardholder's circumstances run on from the first placement."""
    if acc.first is None:
        return acc.placed_day
    return np.where(acc.replaced, acc.first["placed_day"], acc.placed_day)


def advance(acc: Accounts, day: int) -> None:
    """Income returning and hardship programmes stepping up on ``day``, for accounts in the
    program and not recalled. Income returns ``income_returns_after`` days after the account
    entered the program (:func:`program_start`), whatever agency holds it by then."""
    live = acc.in_program() & ~acc.recalled
    back = np.flatnonzero(live & ~acc.income_returned
                          & (day - program_start(acc) >= acc.income_returns_after))
    acc.income_returned[back] = True
    acc.monthly_capacity[back] = acc.recovered_capacity[back]
    stepped = np.flatnonzero(live & (acc.hardship_until <= day))
    acc.hardship_payment[stepped] = 0
    acc.hardship_until[stepped] = np.inf
    acc.interest_frozen[stepped] = acc.charged_off[stepped]
