"""Fees (sim.model.agency.fees): commission tiers, the fees owed, and expected-fee screening.

* ``commission_rate`` — the base ``commission`` below the first tier, the rate of the highest
  tier whose ``recovery_at_least`` the recovery reaches (thresholds inclusive) above it;
* ``fees_owed`` — its contingency part is that rate times what was collected (nothing for an
  in-house team or when nothing was collected); the structures beside it are tested in
  ``test_fee_structures.py``;
* ``payer_probability`` — Bayes' rule under the binormal score model: the prior where the score
  carries no information (AUC ½), rising in the score, and on average equal to the prior;
* ``expected_fee`` — commission × balance × P(payer | score) for a contingency-only agency;
* the schema rejects tiers whose thresholds do not rise strictly, naming the agency.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import Agency
from sim.config.schema.agency import FeeTier
from sim.model.agency.fees import commission_rate, expected_fee, fees_owed, payer_probability
from sim.model.bank.allocation import separation_for_auc

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"


def agency(commission_: float = 0.2, tiers=(), kind: str = "contingency", **extra) -> Agency:
    return Agency(name="a", kind=kind, commission=commission_,
                  commission_tiers=[FeeTier(recovery_at_least=r, rate=q) for r, q in tiers],
                  **extra)


TIERED = agency(0.2, [(0.1, 0.25), (0.2, 0.3), (0.35, 0.4)])


def commission(profile: Agency, collected: float, placed: float,
               after_charge_off: float = 0.0) -> float:
    """The contingency fee on one account of balance ``placed`` that paid ``collected``."""
    owed = fees_owed(profile, np.array([placed]), np.array([collected]),
                     np.array([after_charge_off]), np.array([False]))
    return float(owed.contingency.sum())


# --------------------------------------------------------------------------- commission_rate


def test_no_tiers_is_the_flat_commission():
    flat = agency(0.18)
    for recovery in (0.0, 0.05, 0.5, 1.0):
        assert commission_rate(flat, recovery) == 0.18


@pytest.mark.parametrize(("recovery", "rate"), [
    (0.0, 0.2),        # nothing collected: base
    (0.0999, 0.2),     # just below the first tier: base
    (0.1, 0.25),       # at the first threshold: inclusive
    (0.15, 0.25),
    (0.1999999, 0.25),
    (0.2, 0.3),        # at the second threshold
    (0.3499, 0.3),
    (0.35, 0.4),       # at the top threshold
    (0.9, 0.4),        # far above: the highest tier reached wins
    (1.0, 0.4),
])
def test_tier_rate_by_recovery(recovery, rate):
    assert commission_rate(TIERED, recovery) == rate


def test_highest_reached_tier_wins_even_when_its_rate_is_lower():
    """A falling schedule (bigger recovery, smaller share) is applied as written."""
    falling = agency(0.3, [(0.1, 0.2), (0.2, 0.1)])
    assert commission_rate(falling, 0.05) == 0.3
    assert commission_rate(falling, 0.15) == 0.2
    assert commission_rate(falling, 0.25) == 0.1


def test_tier_at_zero_replaces_the_base_rate_everywhere():
    base_replaced = agency(0.2, [(0.0, 0.15)])
    assert commission_rate(base_replaced, 0.0) == 0.15
    assert commission_rate(base_replaced, 0.7) == 0.15


tiers_strategy = st.lists(
    st.tuples(st.floats(0.0, 1.0, allow_nan=False), st.floats(0.0, 1.0, allow_nan=False)),
    max_size=5, unique_by=lambda t: t[0],
).map(lambda tiers: sorted(tiers))


@settings(max_examples=150, deadline=None)
@given(base=st.floats(0.0, 1.0, allow_nan=False), tiers=tiers_strategy,
       recovery=st.floats(0.0, 1.0, allow_nan=False))
def test_rate_is_that_of_the_highest_threshold_reached(base, tiers, recovery):
    profile = agency(base, tiers)
    reached = [rate for threshold, rate in tiers if threshold <= recovery]
    assert commission_rate(profile, recovery) == (reached[-1] if reached else base)


# --------------------------------------------------------------------------- commission


def test_commission_is_the_tier_rate_on_everything_collected():
    # recovery 250 / 1000 = 0.25 reaches the 0.2 tier (30%): 30% of all 250, not marginal
    assert commission(TIERED, 250.0, 1000.0) == pytest.approx(75.0, abs=1e-12)
    # recovery 0.05: below every tier, base 20%
    assert commission(TIERED, 50.0, 1000.0) == pytest.approx(10.0, abs=1e-12)
    # recovery exactly at the top threshold
    assert commission(TIERED, 350.0, 1000.0) == pytest.approx(140.0, abs=1e-12)


def test_commission_flat():
    assert commission(agency(0.18), 1234.5, 10_000.0) == pytest.approx(0.18 * 1234.5,
                                                                       rel=1e-15)


def test_collections_after_charge_off_earn_their_own_rate():
    profile = Agency(name="a", commission=0.2, commission_post_charge_off=0.35)
    assert commission(profile, 1000.0, 10_000.0, after_charge_off=400.0) == pytest.approx(
        0.2 * 600.0 + 0.35 * 400.0, rel=1e-15)
    # without a rate of its own, everything earns the base commission
    assert commission(agency(0.2), 1000.0, 10_000.0, after_charge_off=400.0) == pytest.approx(
        200.0, rel=1e-15)


def test_nothing_collected_no_commission():
    assert commission(TIERED, 0.0, 1000.0) == 0.0
    assert commission(agency(0.5), 0.0, 0.0) == 0.0


@pytest.mark.parametrize("collected", [0.0, 10.0, 900.0])
def test_in_house_team_earns_no_commission(collected):
    team = agency(0.2, [(0.0, 0.5)], kind="in_house")
    assert commission(team, collected, 1000.0) == 0.0


def test_commission_with_nothing_placed_uses_the_base_rate():
    assert commission(TIERED, 100.0, 0.0) == pytest.approx(20.0)


def test_commission_grows_with_collections_within_a_tier():
    amounts = np.linspace(1.0, 99.0, 50)  # recovery below 0.1: base tier throughout
    fees = [commission(TIERED, float(c), 1000.0) for c in amounts]
    assert np.all(np.diff(fees) > 0)


# --------------------------------------------------------------------------- payer probability


def test_uninformative_score_gives_the_prior():
    scores = np.linspace(-4.0, 4.0, 17)
    np.testing.assert_allclose(payer_probability(scores, 0.5, 0.3), 0.3, rtol=0, atol=1e-15)


@pytest.mark.parametrize("auc", [0.6, 0.7, 0.9])
def test_payer_probability_is_bayes_rule_and_rises_with_the_score(auc):
    prior = 0.35
    scores = np.linspace(-5.0, 6.0, 221)
    posterior = payer_probability(scores, auc, prior)
    d = separation_for_auc(auc)
    bayes = prior * norm.pdf(scores - d) / (prior * norm.pdf(scores - d)
                                            + (1 - prior) * norm.pdf(scores))
    np.testing.assert_allclose(posterior, bayes, rtol=1e-12)
    assert np.all((posterior > 0) & (posterior < 1))
    assert np.all(np.diff(posterior) > 0)


@pytest.mark.parametrize("auc", [0.55, 0.7, 0.95])
def test_posterior_averages_to_the_prior(auc):
    """E[P(payer | score)] over the score's own mixture distribution is the prior."""
    prior = 0.27
    d = separation_for_auc(auc)
    grid = np.linspace(-12.0, 12.0 + d, 200_001)
    density = prior * norm.pdf(grid - d) + (1 - prior) * norm.pdf(grid)
    mean = np.trapezoid(density * payer_probability(grid, auc, prior), grid)
    assert mean == pytest.approx(prior, abs=1e-9)


def test_payer_probability_extreme_priors():
    scores = np.array([-3.0, 0.0, 3.0])
    np.testing.assert_array_equal(payer_probability(scores, 0.8, 0.0), 0.0)
    np.testing.assert_array_equal(payer_probability(scores, 0.8, 1.0), 1.0)


# --------------------------------------------------------------------------- expected fee


def test_expected_fee_is_rate_times_balance_times_payer_probability():
    profile = agency(0.18, analytics_auc=0.7)
    balance = np.array([0.0, 100.0, 3500.0, 3500.0, 20_000.0])
    score = np.array([0.5, -1.0, -1.0, 2.0, 0.0])
    prior = 0.3
    fee = expected_fee(profile, balance, score, prior)
    np.testing.assert_allclose(
        fee, 0.18 * balance * payer_probability(score, 0.7, prior), rtol=1e-14)
    assert fee[0] == 0.0
    assert fee[3] > fee[2]  # same balance, better score


def test_expected_fee_ignores_score_without_analytics():
    profile = agency(0.2, analytics_auc=0.5)
    balance = np.array([1000.0, 1000.0, 2000.0])
    fee = expected_fee(profile, balance, np.array([-3.0, 3.0, 0.0]), 0.25)
    np.testing.assert_allclose(fee, [50.0, 50.0, 100.0], rtol=1e-14)


# --------------------------------------------------------------------------- schema


def tiers_override(*tiers: tuple[float, float]) -> str:
    inner = ", ".join(f"{{recovery_at_least = {r}, rate = {q}}}" for r, q in tiers)
    return f"agencies.beta.commission_tiers=[{inner}]"


@pytest.mark.parametrize("tiers", [
    ((0.2, 0.25), (0.1, 0.3)),              # falling thresholds
    ((0.2, 0.25), (0.2, 0.3)),              # equal thresholds: not strictly rising
    ((0.1, 0.2), (0.3, 0.3), (0.25, 0.4)),  # out of order later on
])
def test_tiers_must_rise_strictly(tiers):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, [tiers_override(*tiers)])
    error = caught.value
    assert error.field is not None and error.field.startswith("agencies.beta")
    assert "commission_tiers" in str(error)
    assert "beta" in str(error)


def test_rising_tiers_are_accepted_in_order():
    scenario = load_scenario(BASELINE, [tiers_override((0.05, 0.22), (0.15, 0.3))])
    beta = next(a for a in scenario.agencies if a.name == "beta")
    assert [(t.recovery_at_least, t.rate) for t in beta.commission_tiers] == [
        (0.05, 0.22), (0.15, 0.3)]
    assert commission_rate(beta, 0.1) == 0.22


@pytest.mark.parametrize(("tier", "field"), [
    ("{recovery_at_least = 1.5, rate = 0.2}", "recovery_at_least"),
    ("{recovery_at_least = 0.1, rate = -0.1}", "rate"),
    ("{recovery_at_least = 0.1}", "rate"),
    ("{recovery_at_least = 0.1, rate = 0.2, cap = 3}", "cap"),
])
def test_bad_tier_entries_are_rejected_with_their_field(tier, field):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, [f"agencies.alpha.commission_tiers=[{tier}]"])
    assert caught.value.field == f"agencies.alpha.commission_tiers.0.{field}"
