"""Contingency fees and the effort they buy: commission tiers and expected-fee screening.

An agency on contingency earns a share of what it collects — a flat ``commission``, or the rate
of the highest tier its recovery rate reaches (:func:`commission_rate`), with its own rate on
what it recovers from charged-off accounts if it states one (``commission_post_charge_off``).
Paid that way, it has reason to work only accounts worth its time: :func:`expected_fee` is what
it expects to earn on an account (rate × balance × its estimate of the chance the account
pays), and accounts below ``min_expected_fee`` get only the contract's first call
("cherry-picking"). The estimate comes from the agency's own score through the binormal model of
:mod:`sim.model.bank.allocation`: P(payer | score) with the portfolio's payer share as prior.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from sim.config.schema import Agency
from sim.model.bank.allocation import separation_for_auc


def commission_rate(profile: Agency, recovery: float) -> float:
    """The fee rate of a contingency agency whose recovery rate is ``recovery``."""
    rate = profile.commission
    for tier in profile.commission_tiers:
        if recovery >= tier.recovery_at_least:
            rate = tier.rate
    return rate


def commission(profile: Agency, collected: float, placed: float,
               after_charge_off: float = 0.0) -> float:
    """Fees owed on ``collected`` out of ``placed`` (nothing for an in-house team); the part
    ``after_charge_off`` (collected from accounts already charged off) earns
    ``commission_post_charge_off`` where the agency has one."""
    if profile.kind == "in_house" or collected <= 0:
        return 0.0
    recovery = collected / placed if placed > 0 else 0.0
    rate = commission_rate(profile, recovery)
    post = profile.commission_post_charge_off
    if post is None:
        return rate * collected
    return rate * (collected - after_charge_off) + post * after_charge_off


def payer_probability(score: np.ndarray, auc: float, prior: float) -> np.ndarray:
    """P(payer | score) when payers' scores are N(d, 1) and others' N(0, 1)."""
    d = separation_for_auc(auc)
    payer = prior * norm.pdf(score - d)
    other = (1.0 - prior) * norm.pdf(score)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(payer + other > 0, payer / (payer + other), prior)


def expected_fee(profile: Agency, balance: np.ndarray, score: np.ndarray,
                 prior: float) -> np.ndarray:
    """What the agency expects to earn on each account, in the balance's unit."""
    return profile.commission * balance * payer_probability(score, profile.analytics_auc, prior)
