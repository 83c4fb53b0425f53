"""The bank's side of the program: allocation, agency scores, hand-over, recall, feedback.

* **Allocation** is deterministic by account and stable: each account is given to the agency
  with the smallest ``Exp(1)/share`` key, the exponential drawn from a stream keyed by the
  (seed, replication, agency name). Each agency receives each account with probability equal
  to its share, and adding an agency only moves accounts *to* the new agency: the others keep
  their accounts (weighted rendezvous hashing).
* **Scores**: each agency sees the accounts' latent payer type through a noisy score whose
  ranking quality (AUC) is its ``analytics_auc``: ``score = d·payer + N(0, 1)`` with
  ``d = √2·Φ⁻¹(AUC)``, the equal-variance binormal model, so the score's AUC for the payer type
  is exactly the parameter.
* **Hand-over** after ``transfer_delay_days``; **recall** ninety days (``horizon_days``) after
  placement, freezing the account; **feedback** reports every ``report_every_days``.
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.stats import norm

from sim.portfolio import ACTIVE, PENDING, PLAN, Accounts
from sim.rng import Streams
from sim.schema import Scenario


def agency_key(name: str) -> int:
    """The stream sub-key of an agency: a stable function of its name."""
    return zlib.crc32(name.encode())


def allocate(scenario: Scenario, streams: Streams) -> np.ndarray:
    """Agency index of every account under the fixed split of the agencies' shares."""
    n = scenario.portfolio.accounts
    best = np.full(n, np.inf)
    choice = np.zeros(n, dtype=np.int16)
    for index, agency in enumerate(scenario.agencies):
        draws = streams.get("allocation", agency_key(agency.name)).standard_exponential(n)
        if agency.share <= 0:
            continue
        key = draws / agency.share
        better = key < best
        best[better] = key[better]
        choice[better] = index
    return choice


def separation_for_auc(auc: float) -> float:
    """Mean separation of two unit-variance normals whose ranking AUC is ``auc``."""
    return float(np.sqrt(2.0) * norm.ppf(auc))


def agency_scores(scenario: Scenario, accounts: Accounts, streams: Streams) -> np.ndarray:
    """One score per (agency, account): a noisy view of the latent payer type."""
    scores = np.empty((len(scenario.agencies), accounts.n))
    payer = accounts.payer.astype(np.float64)
    for index, agency in enumerate(scenario.agencies):
        noise = streams.get("scores", agency_key(agency.name)).standard_normal(accounts.n)
        scores[index] = separation_for_auc(agency.analytics_auc) * payer + noise
    return scores


def place_batch(scenario: Scenario, accounts: Accounts, agency: np.ndarray) -> None:
    """Place every account at day 0 with its agency; recall after the placement length."""
    accounts.agency[:] = agency
    accounts.placed_day[:] = 0.0
    accounts.workable_day[:] = float(scenario.bank.transfer_delay_days)
    accounts.recall_day[:] = float(scenario.scenario.horizon_days)


def hand_over(accounts: Accounts, day: int) -> None:
    """Accounts whose data reached their agency become workable."""
    ready = (accounts.status == PENDING) & (accounts.workable_day <= day) & ~accounts.recalled
    accounts.status[ready] = ACTIVE


def recall(accounts: Accounts, day: int) -> np.ndarray:
    """Return accounts to the bank at the end of their placement; returns those recalled."""
    due = np.flatnonzero(~accounts.recalled & (accounts.recall_day <= day))
    accounts.recalled[due] = True
    accounts.collected_at_recall[due] = accounts.collected[due]
    accounts.plan_at_recall[due] = accounts.status[due] == PLAN
    return due
