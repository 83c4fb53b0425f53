"""Codes, the registries that make up extension points, and the counting environment."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.config.schema import BEHAVIOUR_MODELS, Agency, Behaviour, Channel
from sim.model.agency.channels import CHANNELS
from sim.model.agency.negotiation import OFFERS, make_offer
from sim.model.behaviour import MODELS, make_behaviour
from sim.model.codes import (
    DELINQUENCY_LABELS,
    OUTCOME_LABELS,
    RULE_LABELS,
    STATUS_LABELS,
    OfferKind,
    Outcome,
    Rule,
    Status,
)
from sim.model.portfolio import lifecycle
from sim.model.portfolio.accounts import draw_portfolio
from sim.model.rng import Streams
from sim.model.world import CountingEnvironment


def test_labels_are_the_ones_the_outputs_show():
    assert STATUS_LABELS == ("pending", "active", "promise", "plan", "paid", "settled", "cured")
    assert OUTCOME_LABELS == ("promise", "refusal", "dispute", "cease_request", "breathing_space",
                              "already_paid")
    assert RULE_LABELS[Rule.ALLOWED] == ""
    assert Rule.CEASED.label == "cease_request"
    assert [Rule(code).label for code in range(1, len(Rule))] == list(RULE_LABELS[1:])
    assert Rule.THIRD_PARTY_DISCLOSURE.label == "third_party_disclosure"
    assert int(Status.PROMISE) == 2 and int(Outcome.PROMISE) == 0  # two codes, one word
    assert [kind.label for kind in OfferKind] == ["full", "settlement", "instalments", "cure",
                                                  "reage", "hardship"]
    assert DELINQUENCY_LABELS == ("current", "1-29", "30-59", "60-89", "90-119", "120-149",
                                  "150-179", "charged_off")


def test_every_channel_field_of_an_agency_is_a_registered_channel():
    fields = {name for name, info in Agency.model_fields.items() if info.annotation is Channel}
    assert fields == {channel.name for channel in CHANNELS}


def test_every_offer_kind_is_registered_and_every_offer_made_is_one(small_scenario):
    """Before charge-off the agency asks for the past-due amount or a re-age plan; after it,
    for the balance in full, a settlement or instalments."""
    assert set(OFFERS) == set(OfferKind)
    scenario = small_scenario(accounts=300)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, Streams(1, 0))
    everyone = np.arange(acc.n)
    lifecycle.enter(acc, everyone, 0, 0.01, 25.0, 0.25, charged_off=False)
    before = {make_offer(acc, Agency(name="a"), i).kind for i in range(acc.n)}
    assert before == {OfferKind.CURE, OfferKind.REAGE}
    assert {make_offer(acc, Agency(name="b", plan_max_months=0), i).kind
            for i in range(acc.n)} == {OfferKind.CURE}
    lifecycle.charge_off(acc, everyone, 0)
    for profile in (Agency(name="a"), Agency(name="b", plan_max_months=0),
                    Agency(name="c", settlement_max_discount=0.0, plan_max_months=0)):
        kinds = {make_offer(acc, profile, i).kind for i in range(acc.n)}
        assert kinds <= {OfferKind.FULL, OfferKind.SETTLEMENT, OfferKind.INSTALMENTS}
    assert len({make_offer(acc, Agency(name="a"), i).kind for i in range(acc.n)}) == 3


def test_behaviour_registry_serves_every_name_the_schema_accepts(small_scenario):
    assert set(MODELS) == set(BEHAVIOUR_MODELS)
    scenario = small_scenario(accounts=50)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, Streams(1, 0))
    for name in BEHAVIOUR_MODELS:
        model = make_behaviour(Behaviour(model=name), acc, Streams(1, 0),
                               breathing_space_offered=True)
        assert isinstance(model, MODELS[name])
        assert model.breathing_space_offered


def test_counting_environment_counts_every_event_it_schedules():
    env = CountingEnvironment()
    delays = np.random.default_rng(0).exponential(1.0, 25).tolist()

    def loop():
        for delay in delays:
            yield env.timeout(delay)

    for _ in range(4):
        env.process(loop())
    env.run()
    # each process: its start, its timeouts, and its end
    assert env.events_scheduled == 4 * (len(delays) + 2)
    assert env.events_scheduled == 4 * (len(delays) + 2)  # reading it changes nothing
    env.timeout(1.0)
    assert env.events_scheduled == 4 * (len(delays) + 2) + 1
    assert {"timeout", "process", "event", "all_of", "any_of"} <= set(vars(env))


def test_counting_environment_orders_events_as_simpy_does():
    order: dict[str, list[int]] = {}
    for name, env in (("simpy", simpy.Environment()), ("counting", CountingEnvironment())):
        fired: list[int] = []

        def proc(k: int, env=env, fired=fired):
            yield env.timeout(1.0)  # all at the same time: the tie-break decides
            fired.append(k)

        for k in range(6):
            env.process(proc(k))
        env.run()
        order[name] = fired
    assert order["counting"] == order["simpy"] == list(range(6))


def test_unknown_model_name_is_refused():
    with pytest.raises(ValueError, match="unknown behaviour model"):
        make_behaviour(Behaviour.model_construct(model="nope"), None, Streams(1, 0))
