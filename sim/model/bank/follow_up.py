"""After the program: do cured accounts stay cured? Re-default within a follow-up window.

An account counts as *cured* at recall if it was not delinquent then: paid in full (by itself
or through a finished plan), settled, current again (its past-due amount paid, or re-aged), or
current on a live instalment plan for its whole balance. With ``[bank] follow_up_days`` above
zero, each cured account — placed with an agency, or held out in the bank's control group, so
that the program's re-defaults compare with the control group's — is followed for that many
days after its own recall:

* paid in full — falls delinquent again with its segment's ``redefault_risk`` within the window,
  at an exponential time whose rate gives exactly that probability over the window;
* current again with a balance — misses each minimum payment falling due in the window with
  the chance it has in the program (``minimum_miss``, or ``unaffordable_minimum_miss`` for a
  minimum beyond its capacity); the first miss is the re-default;
* current on a plan — misses each instalment that falls due in the window with the same
  probability it has in the program (``1 − keep``, times ``instalment_persistence`` after the
  first paid one); the first miss is the re-default;
* settled — the card is closed by the settlement and cannot re-default.

The result is each account's re-default time and the placed accounts' delinquent share by day
after recall, so "did the program lower our delinquency rate?" has an answer. Draws come from
the ``followup`` stream, the control group's after the placed accounts'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.codes import Status
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams
from sim.model.units import DAYS_PER_MONTH


def cured_at_recall(acc: Accounts, group: np.ndarray | None = None) -> np.ndarray:
    """Accounts of ``group`` (by default the placed accounts) that were not delinquent when
    they returned to the bank."""
    return (acc.is_placed if group is None else group) & ~acc.delinquent_at_recall


def follow_up(acc: Accounts, days: int, instalment_persistence: float,
              streams: Streams) -> tuple[np.ndarray, pd.DataFrame]:
    """Re-default time (days after recall; ``inf`` if none) of every account, placed or in
    the control group, and the placed accounts' delinquent share by day after recall over the
    window."""
    when = np.full(acc.n, np.inf)
    if days <= 0 or acc.n == 0:
        return when, pd.DataFrame(columns=["day_after_recall", "delinquent_share"])
    rng = streams.get("followup")
    uniforms = rng.random(acc.n)
    paid = np.flatnonzero(acc.status == Status.PAID)
    risk = np.clip(acc.redefault_risk[paid], 0.0, 1.0 - 1e-12)
    rate = -np.log1p(-risk) / days
    with np.errstate(divide="ignore"):
        delay = -np.log(uniforms[paid]) / np.where(rate > 0, rate, np.inf)
    when[paid] = np.where(delay <= days, delay, np.inf)

    for group in (acc.is_placed, acc.in_control):
        cured = cured_at_recall(acc, group)
        _follow_current(acc, np.flatnonzero(cured & (acc.status == Status.CURED)), days, rng,
                        when)
        _follow_plans(acc, np.flatnonzero(cured & (acc.status == Status.PLAN)
                                          & acc.ever_paid_instalment),
                      days, instalment_persistence, rng, when)

    cured = cured_at_recall(acc)
    placed = max(int(acc.is_placed.sum()), 1)
    grid = np.arange(days + 1)
    redefaulted_by = np.searchsorted(np.sort(when[cured]), grid, side="right")
    delinquent = (placed - int(cured.sum()) + redefaulted_by) / placed
    return when, pd.DataFrame({"day_after_recall": grid, "delinquent_share": delinquent})


def _follow_current(acc: Accounts, current: np.ndarray, days: int, rng: np.random.Generator,
                    when: np.ndarray) -> None:
    """Re-default times (into ``when``) of the accounts ``current`` again at recall: the first
    minimum payment missed in the window."""
    first_due = np.mod(acc.due_offset[current] - acc.recall_day[current], DAYS_PER_MONTH)
    cycles = days // DAYS_PER_MONTH + 1
    draws = rng.random((len(current), cycles))
    miss = lifecycle.miss_chance(acc, current)
    for k in range(cycles):
        due = first_due + k * DAYS_PER_MONTH
        missed = (draws[:, k] < miss) & (due <= days) \
            & ~np.isfinite(when[current])
        when[current[missed]] = due[missed]


def _follow_plans(acc: Accounts, plans: np.ndarray, days: int, instalment_persistence: float,
                  rng: np.random.Generator, when: np.ndarray) -> None:
    """Re-default times (into ``when``) of the accounts on a plan at recall with an instalment
    paid: the first instalment missed in the window."""
    miss = (1.0 - acc.keep_probability[plans]) * instalment_persistence
    first_due = acc.promise_due[plans] - acc.recall_day[plans]
    draws = rng.random((len(plans), max(1, days // DAYS_PER_MONTH + 1)))
    left = acc.plan_left[plans]
    for k in range(draws.shape[1]):
        due = first_due + k * DAYS_PER_MONTH
        missed = (draws[:, k] < miss) & (k < left) & (due <= days) & ~np.isfinite(when[plans])
        when[plans[missed]] = np.maximum(due[missed], 0.0)
