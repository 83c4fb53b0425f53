"""The bank's side of the program: placement of vintages, agency scores, hand-over, recall.

* **Placement** — a batch at day 0, or a flow of ``vintages`` equal vintages, one every
  ``vintage_every_days``; accounts are assigned to vintages in contiguous blocks of the
  portfolio, so the vintage of an account does not depend on anything random. Each vintage is
  allocated to agencies when it is placed (see :mod:`sim.model.bank.allocation`), so allocation can
  learn from earlier vintages.
* **Scores** — each agency sees the accounts' latent payer type through its own noisy score
  whose ranking quality (AUC) is its ``analytics_auc`` (see
  :func:`sim.model.bank.allocation.noisy_score`).
* **Control group** — with ``control_share``, a random share of every vintage (drawn from its
  own ``control`` stream, so the same cardholders are held out in every scenario that shares
  the portfolio) stays with the bank: it ages, pays or charges off like the placed accounts,
  with statements and no collection contact, and is recalled with its vintage (after both
  placements, with a second placement).
* **Lifecycle** — placed and held-out accounts enter the delinquency lifecycle
  (:mod:`sim.model.portfolio.lifecycle`) at their days past due; in a ``post_charge_off``
  placement they enter charged off.
* **Hand-over** after ``transfer_delay_days``; **recall** ``horizon_days`` (the placement
  length) after each account's own placement, freezing the account.
"""

from __future__ import annotations

import numpy as np

from sim.config.schema import Scenario
from sim.model.bank.allocation import agency_key, noisy_score
from sim.model.codes import Status
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import Accounts
from sim.model.rng import Streams


def vintage_of_accounts(n: int, vintages: int) -> np.ndarray:
    """Vintage number of each account: contiguous, near-equal blocks."""
    return (np.arange(n, dtype=np.int64) * vintages // max(n, 1)).astype(np.int16)


def placement_days(scenario: Scenario) -> list[int]:
    """The day each vintage is placed."""
    bank = scenario.bank
    return [v * bank.vintage_every_days for v in range(bank.vintages)]


def program_days(scenario: Scenario) -> int:
    """Days from the first placement to the last recall (second placements included)."""
    placements = 2 if scenario.bank.second_placement else 1
    return placement_days(scenario)[-1] + placements * scenario.scenario.horizon_days


def agency_scores(scenario: Scenario, accounts: Accounts, streams: Streams) -> np.ndarray:
    """One score per (agency, account): a noisy view of the latent payer type."""
    scores = np.empty((len(scenario.agencies), accounts.n))
    for index, agency in enumerate(scenario.agencies):
        scores[index] = noisy_score(accounts.payer, agency.analytics_auc,
                                    streams.get("scores", agency_key(agency.name)))
    return scores


def draw_control(scenario: Scenario, accounts: Accounts, streams: Streams) -> None:
    """Mark the accounts the bank holds out as its control group."""
    share = scenario.bank.control_share
    if share > 0:
        accounts.in_control[:] = streams.get("control").random(accounts.n) < share


def place(scenario: Scenario, accounts: Accounts, idx: np.ndarray, agency: np.ndarray,
          day: int) -> None:
    """Place accounts ``idx`` with ``agency`` on ``day``; recall after the placement length."""
    accounts.agency[idx] = agency
    accounts.is_placed[idx] = True
    accounts.placed_day[idx] = float(day)
    accounts.workable_day[idx] = float(day + scenario.bank.transfer_delay_days)
    accounts.recall_day[idx] = float(day + scenario.scenario.horizon_days)
    enter_lifecycle(scenario, accounts, idx, day)


def hold_out(scenario: Scenario, accounts: Accounts, idx: np.ndarray, day: int) -> None:
    """Keep the control accounts ``idx`` of the vintage placed on ``day`` with the bank, for
    as long as its placed accounts stay out (both placements, with a second placement)."""
    placements = 2 if scenario.bank.second_placement else 1
    accounts.placed_day[idx] = float(day)
    accounts.recall_day[idx] = float(day + placements * scenario.scenario.horizon_days)
    enter_lifecycle(scenario, accounts, idx, day)


def enter_lifecycle(scenario: Scenario, accounts: Accounts, idx: np.ndarray, day: int) -> None:
    """Start the delinquency lifecycle of ``idx`` at their days past due."""
    portfolio = scenario.portfolio
    lifecycle.enter(accounts, idx, day, portfolio.minimum_payment_share,
                    portfolio.minimum_payment_floor, portfolio.apr,
                    charged_off=scenario.bank.stage == "post_charge_off")


def hand_over(accounts: Accounts, day: int) -> None:
    """Accounts whose data reached their agency become workable."""
    ready = ((accounts.status == Status.PENDING) & (accounts.workable_day <= day)
             & ~accounts.recalled)
    accounts.status[ready] = Status.ACTIVE


def recall(accounts: Accounts, day: int) -> np.ndarray:
    """Return accounts to the bank at the end of their placement; returns those recalled."""
    due = np.flatnonzero(~accounts.recalled & (accounts.recall_day <= day))
    accounts.recalled[due] = True
    accounts.collected_at_recall[due] = accounts.collected[due]
    accounts.plan_at_recall[due] = accounts.status[due] == Status.PLAN
    accounts.state_at_recall[due] = lifecycle.states(accounts, due, day)
    accounts.delinquent_at_recall[due] = lifecycle.delinquent(accounts, due)
    return due
