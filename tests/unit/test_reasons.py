"""The three reasons for falling behind: their profiles, and the mechanisms that move with time
(income returning, hardship step-up, affordability) or within a conversation (a
misunderstanding explained)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from sim.config.loading import ScenarioError, validate
from sim.config.schema import Agency, Bank, Portfolio, Segment, StageParameters
from sim.config.schema.reasons import PROFILES
from sim.model.agency.negotiation import make_offer
from sim.model.behaviour.base import AgencyStyle
from sim.model.behaviour.stage import NO_OBJECTION, StageModel
from sim.model.codes import OfferKind
from sim.model.portfolio import lifecycle, reasons
from sim.model.portfolio.accounts import draw_portfolio
from sim.model.rng import Streams


def scenario(segments: dict) -> dict:
    return {"scenario": {"name": "r"}, "portfolio": {"accounts": 100, "segments": segments},
            "agencies": [{"name": "a", "share": 1.0}]}


# --------------------------------------------------------------------------- profiles


def test_a_segment_named_after_a_reason_takes_its_profile():
    loaded = validate(scenario({"income_shock": {"share": 0.6},
                                "money_management": {"share": 0.4, "willingness": 0.9}}), "f")
    shock = loaded.portfolio.segments["income_shock"]
    assert shock.reason == "income_shock"
    for key, value in PROFILES["income_shock"].items():
        assert getattr(shock, key) == value, key
    money = loaded.portfolio.segments["money_management"]
    assert money.willingness == 0.9  # the file overrides the profile
    assert money.self_cure_rate == PROFILES["money_management"]["self_cure_rate"]


def test_a_named_reason_and_other():
    loaded = validate(scenario({"students": {"share": 0.5, "reason": "income_shock"},
                                "rest": {"share": 0.5}}), "f")
    assert loaded.portfolio.segments["students"].income_shocked == 1.0
    rest = loaded.portfolio.segments["rest"]
    assert rest.reason == "other"
    assert rest.willingness == Segment.model_fields["willingness"].default
    assert rest.income_shocked == 0.0


def test_an_unknown_reason_is_an_error_naming_the_field():
    with pytest.raises(ScenarioError) as info:
        validate(scenario({"x": {"share": 1.0, "reason": "gambling"}}), "f.toml")
    assert "portfolio.segments.x.reason" in str(info.value)


def test_a_spell_mean_below_its_median_is_an_error():
    with pytest.raises(ScenarioError) as info:
        validate(scenario({"income_shock": {"share": 1.0, "income_recovery_mean_days": 30.0}}),
                 "f.toml")
    assert "income_recovery_mean_days" in str(info.value)


# --------------------------------------------------------------------------- income returns


def shocked(n: int, dpd: int, median: float = 60.0, mean: float = 150.0):
    spec = Portfolio(accounts=n, days_past_due={"low": dpd, "high": dpd},
                     segments={"income_shock": {"share": 1.0, "income_recovery_median_days":
                                                median, "income_recovery_mean_days": mean}})
    acc = draw_portfolio(spec, Bank(), Streams(3, 0))
    return spec, acc


@pytest.mark.parametrize("dpd", [30, 90])
def test_income_returns_after_a_lognormal_spell_that_has_lasted_until_placement(dpd):
    """P(returns within t of placement) = (F(E + t) − F(E)) / (1 − F(E)), E = dpd + 30."""
    _, acc = shocked(20_000, dpd)
    mu, sigma = np.log(60.0), np.sqrt(2 * np.log(150.0 / 60.0))
    elapsed = dpd + reasons.INCOME_FELL_BEFORE_DAYS
    lasted = norm.cdf((np.log(elapsed) - mu) / sigma)
    for t in (15.0, 45.0, 90.0, 365.0):
        expected = (norm.cdf((np.log(elapsed + t) - mu) / sigma) - lasted) / (1 - lasted)
        share = float((acc.income_returns_after <= t).mean())
        se = np.sqrt(expected * (1 - expected) / acc.n)
        assert abs(share - expected) <= 4 * se + 1e-12, (t, share, expected)


def test_income_returning_raises_capacity_to_the_recovered_level():
    spec, acc = shocked(2000, 60)
    seg = spec.segments["income_shock"]
    acc.is_placed[:] = True
    acc.placed_day[:] = 0.0
    before = acc.monthly_capacity.copy()
    np.testing.assert_allclose(acc.recovered_capacity, np.minimum(
        before * seg.recovered_capacity / seg.monthly_capacity, 1.0))  # a share of the balance
    reasons.advance(acc, 30)
    back = acc.income_returns_after <= 30
    assert back.any() and (~back).any()
    np.testing.assert_allclose(acc.monthly_capacity[back], acc.recovered_capacity[back])
    np.testing.assert_array_equal(acc.monthly_capacity[~back], before[~back])
    assert acc.income_returned[back].all() and not acc.income_returned[~back].any()


def test_accounts_without_an_income_shock_never_see_income_return():
    spec = Portfolio(accounts=500, segments={"money_management": {"share": 1.0}})
    acc = draw_portfolio(spec, Bank(), Streams(3, 0))
    assert np.isinf(acc.income_returns_after).all()


# --------------------------------------------------------------------------- affordability


def test_a_minimum_beyond_capacity_is_missed_at_the_unaffordable_rate():
    spec = Portfolio(accounts=4, segments={"only": {"share": 1.0, "minimum_miss": 0.1,
                                                    "unaffordable_minimum_miss": 0.7}})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.placed[:] = acc.balance[:] = acc.outstanding[:] = 100_000
    acc.minimum_payment[:] = 3_000
    acc.monthly_capacity[:] = [0.05, 0.03, 0.02, 0.02]
    acc.hardship_payment[3] = 1_500  # half the minimum, within capacity
    chance = lifecycle.miss_chance(acc, np.arange(4))
    np.testing.assert_allclose(chance, [0.1, 0.1, 0.7, 0.1])


def test_hardship_step_up_restores_the_minimum_and_interest():
    spec = Portfolio(accounts=2, segments={"only": {"share": 1.0}})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.is_placed[:] = True
    acc.hardship_payment[:] = 1_000
    acc.hardship_until[:] = [40.0, 80.0]
    acc.interest_frozen[:] = True
    reasons.advance(acc, 40)
    assert acc.hardship_payment.tolist() == [0, 1_000]
    assert acc.interest_frozen.tolist() == [False, True]


def test_hardship_is_offered_to_those_who_cannot_afford_the_minimum():
    spec = Portfolio(accounts=2, segments={"only": {"share": 1.0}})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.placed[:] = acc.balance[:] = acc.outstanding[:] = 100_000
    acc.days_past_due[:] = 60
    acc.lump_sum_share[:] = 0.01  # cannot raise the past-due amount
    lifecycle.enter(acc, np.arange(2), 0, 0.01, 25.0, 0.25, charged_off=False)
    acc.monthly_capacity[:] = [0.05, 0.02]  # the minimum is about 3.1% of the balance
    programme = Agency(name="a", hardship_months=6, hardship_payment_share=0.5)
    assert make_offer(acc, programme, 0).kind == OfferKind.REAGE
    offer = make_offer(acc, programme, 1)
    assert offer.kind == OfferKind.HARDSHIP and offer.hardship_terms
    assert offer.instalment == -(-int(acc.minimum_payment[1]) // 2)
    assert make_offer(acc, Agency(name="b"), 1).kind == OfferKind.REAGE  # no programme


# --------------------------------------------------------------------------- misunderstanding


def test_an_unexplained_misunderstanding_raises_complaints_and_an_explained_one_cures():
    spec = Portfolio(accounts=2, segments={"misunderstanding": {
        "share": 1.0, "misunderstanding": 1.0, "complaint_sensitivity": 0.01,
        "concentration": 1e9}})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.misunderstanding[:] = [True, False]
    model = StageModel(acc, StageParameters(clear_misunderstanding=1.0, clear_skill=0.0),
                       Streams(1, 0))
    draws = np.full((2, 6), 0.02)  # below 0.01·e^1 ≈ 0.027, above 0.01
    style = AgencyStyle(skill=0.5, tone=0.0)
    both, calm = np.array([0, 1]), np.zeros(2, dtype=np.int64)
    complaint = model.complains_many(both, style, calm, np.zeros(2, dtype=np.bool_), draws,
                                     np.zeros(2))
    assert list(complaint) == [True, False]
    objection = model.objects_many(np.array([0]), style, calm[:1], np.full((1, 6), 0.5))
    assert objection[0] == NO_OBJECTION  # explained
    assert not acc.misunderstanding[0]
    assert acc.self_cure_rate[0] == PROFILES["misunderstanding"]["cleared_cure_rate"]


# --------------------------------------------------------------------------- contact data


def test_a_segment_states_its_own_contact_data_quality():
    """A segment's ``phone_valid``/``email_valid`` apply to its accounts; a segment that states
    none has the bank's, and the draws of the others do not move (same stream, same order)."""
    n = 40_000
    segments = {"money_management": {"share": 0.5},
                "income_shock": {"share": 0.5, "phone_valid": 0.6, "email_valid": 0.3}}
    bank = Bank(phone_valid=0.9, email_valid=0.8)
    acc = draw_portfolio(Portfolio(accounts=n, segments=segments), bank, Streams(7, 0))
    shock = acc.segment == acc.segment_names.index("income_shock")
    for column, ours, banks in ((acc.phone_valid, 0.6, 0.9), (acc.email_valid, 0.3, 0.8)):
        for members, share in ((shock, ours), (~shock, banks)):
            se = np.sqrt(share * (1 - share) / members.sum())
            assert abs(column[members].mean() - share) < 4 * se
    plain = {"money_management": {"share": 0.5}, "income_shock": {"share": 0.5}}
    same = draw_portfolio(Portfolio(accounts=n, segments=plain), bank, Streams(7, 0))
    assert (same.phone_valid[~shock] == acc.phone_valid[~shock]).all()
    assert (same.balance == acc.balance).all()
