"""Fee structures (sim.model.agency.fees.fees_owed, cured, expected_fee) and their schema.

* contingency, per-account fees and cure bonuses, each alone and together (a hybrid): the total
  owed for each account is the sum of its components;
* a per-account fee is owed on every account, whatever it paid; a cure bonus on every account
  brought current before charge-off, never on one placed after it;
* the contingency tier follows the agency's recovery, which a caller may give;
* an in-house team is owed nothing, and the schema refuses it fees;
* the expected-fee screen counts what the structure pays: the per-account fee whatever the
  account, the cure bonus only where it can still cure, the post-charge-off rate on accounts
  charged off at placement;
* existing contingency-only agencies load unchanged, with no per-account fee or bonus.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from pydantic import ValidationError

from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import Agency
from sim.config.schema.agency import FeeTier
from sim.model.agency.fees import cured, expected_fee, fees_owed, payer_probability
from sim.model.codes import Delinquency, Status

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"

PLACED = np.array([1000.0, 2000.0, 500.0, 4000.0])
COLLECTED = np.array([0.0, 300.0, 500.0, 100.0])
AFTER = np.array([0.0, 0.0, 200.0, 0.0])
CURED = np.array([False, True, True, False])


def owed(profile: Agency, **kwargs):
    return fees_owed(profile, PLACED, COLLECTED, AFTER, CURED, **kwargs)


def test_contingency_alone_is_the_rate_on_each_collection():
    fees = owed(Agency(name="a", commission=0.2))
    np.testing.assert_allclose(fees.contingency, 0.2 * COLLECTED, rtol=1e-15)
    np.testing.assert_array_equal(fees.per_account, 0.0)
    np.testing.assert_array_equal(fees.cure_bonus, 0.0)
    np.testing.assert_allclose(fees.total, 0.2 * COLLECTED, rtol=1e-15)


def test_per_account_fee_alone_is_owed_on_every_account_whatever_it_paid():
    fees = owed(Agency(name="a", commission=0.0, fee_per_account=7.5))
    np.testing.assert_array_equal(fees.per_account, 7.5)
    np.testing.assert_array_equal(fees.contingency, 0.0)
    assert fees.total.sum() == pytest.approx(7.5 * len(PLACED), rel=1e-15)


def test_cure_bonus_alone_is_owed_on_cured_accounts_only():
    fees = owed(Agency(name="a", commission=0.0, cure_bonus=40.0))
    np.testing.assert_array_equal(fees.cure_bonus, [0.0, 40.0, 40.0, 0.0])
    assert fees.total.sum() == pytest.approx(80.0, rel=1e-15)


def test_hybrid_adds_every_component():
    profile = Agency(name="a", commission=0.1, commission_post_charge_off=0.3,
                     fee_per_account=5.0, cure_bonus=25.0)
    fees = owed(profile)
    contingency = 0.1 * (COLLECTED - AFTER) + 0.3 * AFTER
    np.testing.assert_allclose(fees.contingency, contingency, rtol=1e-15)
    np.testing.assert_allclose(fees.total, contingency + 5.0 + 25.0 * CURED, rtol=1e-15)
    assert fees.total.sum() == pytest.approx(
        fees.contingency.sum() + fees.per_account.sum() + fees.cure_bonus.sum(), rel=1e-15)


def test_tier_follows_the_recovery_of_all_the_accounts_or_the_one_given():
    tiered = Agency(name="a", commission=0.2,
                    commission_tiers=[FeeTier(recovery_at_least=0.1, rate=0.3)])
    # recovery 900 / 7500 = 0.12 reaches the tier
    np.testing.assert_allclose(owed(tiered).contingency, 0.3 * COLLECTED, rtol=1e-15)
    np.testing.assert_allclose(owed(tiered, recovery=0.05).contingency, 0.2 * COLLECTED,
                               rtol=1e-15)


def test_in_house_team_is_owed_nothing():
    team = Agency(name="team", kind="in_house", commission=0.2)
    fees = owed(team)
    for part in (fees.contingency, fees.per_account, fees.cure_bonus, fees.total):
        np.testing.assert_array_equal(part, 0.0)


@pytest.mark.parametrize("field", ["fee_per_account", "cure_bonus"])
def test_schema_refuses_fees_to_an_in_house_team(field):
    with pytest.raises(ValidationError, match=field):
        Agency(name="team", kind="in_house", **{field: 3.0})


@pytest.mark.parametrize(("field", "value"), [("fee_per_account", -1.0),
                                              ("cure_bonus", float("nan")),
                                              ("benefits_multiplier", 0.9),
                                              ("overhead_multiplier", 6.0),
                                              ("fixed_monthly_cost", -5.0)])
def test_bad_fee_and_cost_values_are_reported_with_their_field(field, value):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, [f"agencies.alpha.{field}={value}"])
    assert caught.value.field == f"agencies.alpha.{field}"


def test_contingency_agencies_load_unchanged_with_no_other_fee():
    scenario = load_scenario(BASELINE)
    for profile in scenario.agencies:
        assert profile.fee_per_account == 0.0 and profile.cure_bonus == 0.0


def test_cured_means_brought_current_before_charge_off():
    view = SimpleNamespace(
        state_at_placement=np.array([Delinquency.DPD_30_59, Delinquency.DPD_30_59,
                                     Delinquency.DPD_30_59, Delinquency.CHARGED_OFF,
                                     Delinquency.DPD_60_89]),
        cured_day=np.array([12.0, np.nan, np.nan, np.nan, np.nan]),
        status=np.array([Status.CURED, Status.PAID, Status.PAID, Status.PAID, Status.ACTIVE]),
        charged_off=np.array([False, False, True, True, False]))
    # a cure; paid in full before charge-off; paid in full after a charge-off during the
    # placement (no); placed charged off (no); still behind (no)
    np.testing.assert_array_equal(cured(view), [True, True, False, False, False])


def test_expected_fee_counts_the_whole_structure():
    profile = Agency(name="a", commission=0.1, commission_post_charge_off=0.3,
                     fee_per_account=4.0, cure_bonus=50.0, analytics_auc=0.7)
    balance = np.array([1000.0, 1000.0, 3000.0])
    score = np.array([0.0, 0.0, 1.0])
    charged = np.array([False, True, False])
    pays = payer_probability(score, 0.7, 0.3)
    fee = expected_fee(profile, balance, score, 0.3, charged)
    want = 4.0 + pays * np.array([0.1 * 1000.0 + 50.0, 0.3 * 1000.0, 0.1 * 3000.0 + 50.0])
    np.testing.assert_allclose(fee, want, rtol=1e-14)


def test_expected_fee_of_a_per_account_agency_is_its_fee():
    profile = Agency(name="a", commission=0.0, fee_per_account=12.0)
    fee = expected_fee(profile, np.array([100.0, 50_000.0]), np.array([-3.0, 3.0]), 0.3)
    np.testing.assert_array_equal(fee, 12.0)
