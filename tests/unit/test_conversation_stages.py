"""A conversation's stages: discovery of what the cardholder can pay, then offers stepping down.

* :func:`~sim.model.agency.negotiation.offer_ladder` — the offers an agency may make, most
  asked first; what is asked follows the collector's belief, the burden the truth;
* the stage model steps down the offers made until one is accepted, each with its own draw;
* :class:`~sim.model.agency.conversation.Conversations` — discovery's error shrinks with skill
  and with earlier conversations; after charge-off a refused offer is not made again.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.schema import Agency, Bank, Portfolio, Rules, StageParameters
from sim.model.agency.conversation import Conversations
from sim.model.agency.counters import DeskCounters, LegalRecord
from sim.model.agency.negotiation import offer_ladder
from sim.model.behaviour.base import CONVERSATION_DRAWS, AgencyStyle, Draw, Offer
from sim.model.behaviour.stage import StageModel
from sim.model.codes import OfferKind, Outcome
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams
from sim.model.rules.book import RuleBooks
from sim.model.world import CountingEnvironment, World


def charged_off_accounts(n: int = 3, lump: float = 0.6, capacity: float = 0.05) -> Accounts:
    spec = Portfolio(accounts=n, segments={"only": {"share": 1.0, "concentration": 1e9}})
    acc = draw_portfolio(spec, Bank(), Streams(1, 0))
    acc.placed[:] = acc.balance[:] = acc.outstanding[:] = 100_000
    acc.lump_sum_share[:] = lump
    acc.monthly_capacity[:] = capacity
    everyone = np.arange(n)
    lifecycle.enter(acc, everyone, 0, 0.01, 25.0, 0.25, charged_off=True)
    return acc


def test_the_ladder_steps_down_and_what_is_asked_follows_the_belief():
    acc = charged_off_accounts(lump=0.6)
    profile = Agency(name="a", settlement_max_discount=0.5, plan_max_months=12)
    kinds = [offer.kind for offer in offer_ladder(acc, profile, 0)]
    assert kinds == [OfferKind.SETTLEMENT, OfferKind.INSTALMENTS]  # 60% cannot pay in full
    exact = offer_ladder(acc, profile, 0)[0]
    assert exact.discount == pytest.approx(0.4) and exact.burden == pytest.approx(1.0)
    # a collector who thinks the cardholder can raise less offers a deeper discount, and the
    # cardholder, who could pay more, finds it easier
    low = offer_ladder(acc, profile, 0, belief=0.9)[0]
    assert low.kind == OfferKind.SETTLEMENT and low.discount == pytest.approx(0.5)
    assert low.burden < exact.burden
    # believed too poor for any settlement within authority: a plan is the first offer
    assert offer_ladder(acc, profile, 0, belief=0.7)[0].kind == OfferKind.INSTALMENTS
    # one who thinks they can raise more asks for more: a heavier burden
    high = offer_ladder(acc, profile, 0, belief=2.0)
    assert high[0].kind == OfferKind.FULL and high[0].burden > 1.0


def test_the_stage_model_steps_down_until_an_offer_is_accepted():
    acc = charged_off_accounts()
    model = StageModel(acc, StageParameters(), Streams(1, 0))
    style = AgencyStyle(skill=0.5, tone=0.0)
    offers = [Offer(OfferKind.FULL, burden=3.0), Offer(OfferKind.INSTALMENTS, burden=1.0)]
    draws = [0.999] * CONVERSATION_DRAWS  # no complaint, no objection
    draws[Draw.PROMISE], draws[Draw.SECOND_PROMISE] = 0.999, 0.0
    result = model.converse(0, 1.0, style, offers, 0, False, draws)
    assert result.outcome == Outcome.PROMISE and result.accepted == 1
    draws[Draw.SECOND_PROMISE] = 0.999
    refused = model.converse(0, 1.0, style, offers, 0, False, draws)
    assert refused.outcome == Outcome.REFUSAL and refused.accepted == -1
    assert model.converse(0, 1.0, style, offers[:1], 0, False,
                          [0.999] * 5 + [0.0] + [0.999] * 3).accepted == 0


def talks(acc: Accounts, profile: Agency) -> Conversations:
    scenario_stub = type("S", (), {"rules": Rules()})()
    world = World(env=CountingEnvironment(), scenario=scenario_stub, accounts=acc,  # type: ignore[arg-type]
                  books=RuleBooks(Rules(), acc.local_offset, acc.placed_day),
                  streams=Streams(1, 0), horizon=10,
                  start_weekday=0)
    counters = DeskCounters(10)
    legal = LegalRecord(acc, counters, Rules(), lambda: 0.5)
    model = StageModel(acc, StageParameters(), Streams(1, 0))
    return Conversations(0, profile, world, model, counters, legal, key=5)


@pytest.mark.parametrize("skill", [1.0, 0.5])
def test_discovery_is_exact_for_a_perfect_collector_and_noisy_otherwise(skill):
    acc = charged_off_accounts(n=200, lump=0.6)
    profile = Agency(name="a", skill=skill, discovery_error=0.4, settlement_max_discount=0.7,
                     offers_per_conversation=1)
    conversations = talks(acc, profile)
    acc.conversations[:] = 1
    draws = conversations.draws(np.arange(acc.n))
    discounts = {round(conversations.offers(i, draws[i].tolist())[0].discount, 6)
                 for i in range(acc.n)}
    if skill == 1.0:
        assert discounts == {0.4}
    else:
        assert len(discounts) > 3


def test_after_charge_off_a_refused_offer_is_not_made_again_before_it_is():
    acc = charged_off_accounts(n=2, lump=0.6)
    profile = Agency(name="a", skill=1.0, settlement_max_discount=0.5, plan_max_months=12,
                     offers_per_conversation=1)
    conversations = talks(acc, profile)
    acc.conversations[:] = 1
    draws = [0.5] * CONVERSATION_DRAWS
    assert conversations.offers(0, draws)[0].kind == OfferKind.SETTLEMENT
    acc.offers_refused[0] = 1
    assert conversations.offers(0, draws)[0].kind == OfferKind.INSTALMENTS
    acc.offers_refused[0] = 5  # past the bottom of the ladder: its last offer again
    assert conversations.offers(0, draws)[0].kind == OfferKind.INSTALMENTS
    acc.charged_off[1] = False  # before charge-off every conversation starts from the top
    acc.past_due[1] = 5_000
    acc.offers_refused[1] = 3
    assert conversations.offers(1, draws)[0].kind == OfferKind.CURE


def test_offers_refused_before_charge_off_do_not_skip_the_offers_after_it():
    """Refusals of the past-due amount say nothing of a settlement on the whole balance: at
    charge-off the ladder starts again from its top."""
    acc = charged_off_accounts(n=1, lump=0.6)
    profile = Agency(name="a", skill=1.0, settlement_max_discount=0.5, plan_max_months=12,
                     offers_per_conversation=1)
    conversations = talks(acc, profile)
    acc.conversations[:] = 1
    acc.charged_off[0] = False
    acc.offers_refused[0] = 2  # two cure offers refused while past due
    lifecycle.charge_off(acc, np.array([0]), day=40)
    assert acc.offers_refused[0] == 0
    draws = [0.5] * CONVERSATION_DRAWS
    assert conversations.offers(0, draws)[0].kind == OfferKind.SETTLEMENT


def test_a_call_after_paying_offers_nothing_and_irritates():
    acc = charged_off_accounts()
    acc.complaint_sensitivity[:] = 0.01
    model = StageModel(acc, StageParameters(paid_call_complaint=2.0), Streams(1, 0))
    style = AgencyStyle(skill=0.5, tone=0.0)
    draws = [0.999] * CONVERSATION_DRAWS
    draws[Draw.COMPLAINT] = 0.05  # above 0.01, below 0.01·e² ≈ 0.074
    result = model.converse(0, 1.0, style, [], 0, False, draws)
    assert result.outcome == Outcome.ALREADY_PAID and result.complaint
    offers = [Offer(OfferKind.FULL, burden=1.0)]
    assert not model.converse(0, 1.0, style, offers, 0, False, draws).complaint
