"""What the bank pays an agency, and the effort it buys: fee structures and expected-fee screening.

An agency's contract may pay it in three ways, alone or together (a hybrid):

* **contingency** — a share of what it collects: a flat ``commission``, or the rate of the
  highest tier its recovery rate reaches (:func:`commission_rate`), with its own rate on what it
  recovers from charged-off accounts if it states one (``commission_post_charge_off``);
* **per account** — ``fee_per_account`` for every account placed with it, whatever it yields
  (the usual basis of early-stage, pre-charge-off work);
* **cure bonus** — ``cure_bonus`` for every account brought current during its placement
  (:func:`cured`: its past-due amount paid, or paid in full, before charge-off).

:func:`fees_owed` is the one place fees are computed, account by account: the KPIs of an agency,
a segment and the program (:mod:`sim.model.group_kpis`), and the bank's reviews of agencies
(:mod:`sim.model.replication`), all sum what it returns. An in-house team is paid nothing.

Paid on success, an agency has reason to work only accounts worth its time:
:func:`expected_fee` is what it expects to earn on an account under its structure (the
per-account fee, plus the success fees weighted by its estimate of the chance the account pays),
and accounts below ``min_expected_fee`` get only the contract's first call ("cherry-picking").
The estimate comes from the agency's own score through the binormal model of
:mod:`sim.model.bank.allocation`: P(payer | score) with the portfolio's payer share as prior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from sim.config.schema import Agency
from sim.model.bank.allocation import separation_for_auc
from sim.model.codes import Delinquency, Status


@dataclass(frozen=True)
class Fees:
    """Fees owed, per account (arrays over the same accounts), by component, currency units."""

    contingency: np.ndarray
    per_account: np.ndarray
    cure_bonus: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """Every component together: what the bank pays for each account."""
        return self.contingency + self.per_account + self.cure_bonus


def commission_rate(profile: Agency, recovery: float) -> float:
    """The contingency rate of an agency whose recovery rate is ``recovery``."""
    rate = profile.commission
    for tier in profile.commission_tiers:
        if recovery >= tier.recovery_at_least:
            rate = tier.rate
    return rate


def cured(view: Any) -> np.ndarray:
    """Which accounts of ``view`` (anything that reads like
    :class:`~sim.model.portfolio.accounts.Accounts` over some accounts, as a
    :class:`~sim.model.bank.second_placement.PlacementView` does) were brought current during
    their placement: placed before charge-off, and their past-due amount paid (a cure) or their
    balance paid in full before any charge-off."""
    before = np.asarray(view.state_at_placement) != Delinquency.CHARGED_OFF
    paid_up = (np.asarray(view.status) == Status.PAID) & ~np.asarray(view.charged_off)
    return before & (np.isfinite(np.asarray(view.cured_day, dtype=np.float64)) | paid_up)


def fees_owed(profile: Agency, placed: np.ndarray, collected: np.ndarray,
              after_charge_off: np.ndarray, cured_accounts: np.ndarray,
              recovery: float | None = None) -> Fees:
    """What the bank owes ``profile`` for each of its accounts, in the unit of the amounts.

    The arrays run over the same accounts: balance ``placed``, amount ``collected`` (of which
    ``after_charge_off`` came from accounts already charged off) and whether each was
    ``cured_accounts`` (:func:`cured`). The contingency tier follows ``recovery``, the agency's
    recovery rate over all its accounts (by default collected / placed over these). An in-house
    team is owed nothing.
    """
    placed = np.asarray(placed, dtype=np.float64)
    collected = np.asarray(collected, dtype=np.float64)
    after = np.asarray(after_charge_off, dtype=np.float64)
    if profile.kind == "in_house":
        nothing = np.zeros_like(collected)
        return Fees(nothing, nothing.copy(), nothing.copy())
    if recovery is None:
        total_placed = float(placed.sum())
        recovery = float(collected.sum()) / total_placed if total_placed > 0 else 0.0
    rate = commission_rate(profile, recovery)
    post = profile.commission_post_charge_off
    contingency = rate * collected if post is None \
        else rate * (collected - after) + post * after
    return Fees(contingency=contingency,
                per_account=np.full(collected.shape, profile.fee_per_account),
                cure_bonus=profile.cure_bonus * np.asarray(cured_accounts, dtype=np.float64))


def view_fees(profile: Agency, view: Any) -> Fees:
    """:func:`fees_owed` over the accounts of ``view`` (money in cents there, fees in the
    currency's main unit), the tier set by the recovery of those accounts together."""
    return fees_owed(profile, view.placed / 100.0, view.collected / 100.0,
                     view.collected_after_charge_off / 100.0, cured(view))


def payer_probability(score: np.ndarray, auc: float, prior: float) -> np.ndarray:
    """P(payer | score) when payers' scores are N(d, 1) and others' N(0, 1)."""
    d = separation_for_auc(auc)
    payer = prior * norm.pdf(score - d)
    other = (1.0 - prior) * norm.pdf(score)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(payer + other > 0, payer / (payer + other), prior)


def expected_fee(profile: Agency, balance: np.ndarray, score: np.ndarray,
                 prior: float, charged_off: np.ndarray | bool = False) -> np.ndarray:
    """What the agency expects to earn on each account, in the balance's unit: the per-account
    fee, plus, weighted by its estimate of the chance the account pays, the contingency fee on
    the balance (at ``commission_post_charge_off``, where it has one, for accounts already
    ``charged_off`` at placement; at the base ``commission`` otherwise, not at its tiers) and
    the cure bonus on accounts that can still cure (not charged off)."""
    pays = payer_probability(score, profile.analytics_auc, prior)
    charged = np.asarray(charged_off, dtype=np.bool_)
    post = profile.commission_post_charge_off
    rate = np.where(charged, profile.commission if post is None else post, profile.commission)
    bonus = np.where(charged, 0.0, profile.cure_bonus)
    return profile.fee_per_account + pays * (rate * balance + bonus)
