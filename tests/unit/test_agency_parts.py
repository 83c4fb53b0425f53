"""The parts of an agency desk on a few hand-set accounts, without a whole replication.

* :class:`~sim.model.agency.call_list.CallList` — order, filters, defiance, and the incremental
  contact-pressure cache against :meth:`RuleBook.pressure`;
* :class:`~sim.model.agency.messenger.Messenger` — channel cadences, deliverability, message
  rules and the violations counted when they are defied, callbacks in the next shift;
* :class:`~sim.model.agency.collectors.Collectors` — a collector answers queued inbound
  callers before dialling, and flags calls outside the window on a day the window is defied.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.schema import Agency, Rules
from sim.model.agency.call_list import CallList
from sim.model.agency.collectors import Collectors
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.inbound_queue import InboundQueue
from sim.model.agency.messenger import Messenger
from sim.model.behaviour.base import AgencyStyle, Conversation, Offer
from sim.model.codes import Outcome, Rule, Status
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams
from sim.model.rules.book import RuleBook
from sim.model.world import CountingEnvironment, World

HORIZON = 60


def accounts(scenario, n: int) -> Accounts:
    """``n`` accounts placed with agency 0 on day 0, workable at once, phones valid."""
    acc = draw_portfolio(scenario.portfolio.model_copy(update={"accounts": n}), scenario.bank,
                         Streams(1, 0))
    acc.agency[:] = 0
    acc.status[:] = Status.ACTIVE
    acc.is_placed[:] = True
    acc.placed_day[:] = acc.workable_day[:] = 0.0
    acc.phone_valid[:] = True
    acc.email_valid[:] = True
    return acc


def agency(**fields) -> Agency:
    return Agency(name="alpha", **fields)


def call_list(acc: Accounts, rules: RuleBook, profile: Agency,
              score: np.ndarray | None = None) -> CallList:
    score = np.linspace(0.9, 0.1, acc.n) if score is None else score
    rng = np.random.default_rng(3)
    listed = CallList(0, profile, acc, rules, HORIZON, score, rng, np.random.default_rng(4))
    listed.add_members(np.arange(acc.n))
    listed.new_day(0)
    return listed


def dial(acc: Accounts, rules: RuleBook, i: int, now: float) -> None:
    """What a collector's dial records (see ``Collectors.dial``)."""
    acc.attempts[i] += 1
    acc.attempts_today[i] += 1
    acc.last_attempt[i] = now
    rules.record_attempt(i, now, answered=False)


# --------------------------------------------------------------------------- call list


def test_call_list_goes_by_priority_and_skips_what_it_must(small_scenario):
    acc = accounts(small_scenario(), 6)
    acc.status[1] = Status.PROMISE
    acc.phone_known_bad[2] = True
    acc.recalled[3] = True
    rules = RuleBook(Rules(), acc.n)
    rules.record_cease(4)
    listed = call_list(acc, rules, agency(compliance=1.0, retry_hours=1.0))
    got = []
    while (nxt := listed.next_outbound(10.4))[0] >= 0:
        got.append(nxt)
        dial(acc, rules, nxt[0], 10.4)
    assert got == [(0, Rule.ALLOWED, 0), (5, Rule.ALLOWED, 0)]
    assert listed.idle_until == pytest.approx(10.4 + 1 / 24)


def test_call_list_defiant_accounts_come_with_the_rule_they_break(small_scenario):
    acc = accounts(small_scenario(), 3)
    rules = RuleBook(Rules(), acc.n)
    rules.record_dispute(1, 10.0)
    listed = call_list(acc, rules, agency(compliance=0.0))  # every account defiant
    assert listed.defiant[:3].all()
    got = [listed.next_outbound(10.5)[:2] for _ in range(3)]
    assert got == [(0, Rule.ALLOWED), (1, Rule.DISPUTE_HOLD), (2, Rule.ALLOWED)]


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.floats(0.001, 2.5), min_size=1, max_size=120))
def test_call_list_pressure_cache_matches_the_call_ring(small_scenario, steps):
    """At every dial, the cached pressure is the ring's count of calls in the last 7 days."""
    acc = accounts(small_scenario(), 5)
    rules = RuleBook(Rules(regime="none"), acc.n)
    listed = call_list(acc, rules, agency(retry_hours=0.0, max_attempts_per_day=50))
    now, day = 0.0, 0
    for step in steps:
        now += step
        if math.floor(now) != day:
            day = math.floor(now)
            rules.new_day()
            acc.attempts_today[:] = 0
            listed.new_day(day)
        i, block, pressure = listed.next_outbound(now)
        if i < 0:
            continue
        assert block == Rule.ALLOWED
        assert pressure == rules.pressure(i, now), (i, now)
        dial(acc, rules, i, now)


# --------------------------------------------------------------------------- messenger


def messenger(scenario, acc: Accounts, rules: RuleBook, profile: Agency,
              env: CountingEnvironment | None = None):
    env = env or CountingEnvironment()
    counters = DeskCounters(HORIZON)
    legal = LegalRecord(acc, counters, Rules(lawsuit_per_violation=0.0), lambda: 0.5)
    listed = call_list(acc, rules, profile)
    shifts = Shifts.of(profile.shift, 0, HORIZON)  # day 0 is a Monday
    queue: InboundQueue[int] = InboundQueue(env)
    sender = Messenger(0, profile, acc, rules, listed, shifts, queue, env, counters, legal,
                       np.random.default_rng(5))
    return sender, counters, queue, env


def test_messages_follow_each_channels_cadence_and_reach_whom_it_can(small_scenario):
    acc = accounts(small_scenario(), 4)
    acc.phone_valid[:] = [True, False, True, False]
    acc.workable_day[:] = [0.0, 0.0, 1.0, 1.0]
    profile = agency(sms={"every_days": 3, "first_day": 1, "cost": 0.02},
                     letter={"every_days": 10, "first_day": 0, "cost": 0.5})
    sender, counters, _, _ = messenger(small_scenario(), acc, RuleBook(Rules(), acc.n), profile)
    reached = {day: sender.send_messages(day).tolist() for day in range(12)}
    assert reached[0] == [0, 1]  # letters on hand-over, delivered to all
    assert reached[1] == [0, 2, 3]  # SMS to 0 (phone valid); letters to 2 and 3
    assert reached[2] == [2]  # SMS to 2 and 3, delivered to 2 only
    assert reached[4] == [0] and reached[5] == [2] and reached[3] == []
    assert reached[10] == [0, 1] and reached[11] == [2, 3]
    sent = counters.daily["messages"]
    assert sent[:6] == [2, 4, 2, 0, 2, 2]
    assert acc.messages.tolist() == [6, 6, 6, 6]  # 4 SMS and 2 letters each over days 0-11
    assert counters.message_cost == pytest.approx(16 * 0.02 + 8 * 0.5)


def test_messages_obey_the_rules_unless_the_agency_defies_them(small_scenario):
    acc = accounts(small_scenario(), 4)
    rules = RuleBook(Rules(max_messages_per_7_days=1, breathing_space_days=30.0), acc.n)
    rules.record_cease(0)
    rules.record_dispute(1, 0.5)
    rules.record_breathing_space(1, 0.5)  # under both: the dispute hold comes first
    rules.record_messages(np.array([2]), 0.0)  # capped until day 7
    profile = agency(letter={"every_days": 1, "first_day": 0}, compliance=1.0)
    sender, counters, _, _ = messenger(small_scenario(), acc, rules, profile)
    assert sender.send_messages(1).tolist() == [3]
    assert counters.violations_by_rule == {rule.label: 0 for rule in Rule if rule}

    sender.call_list.defiant[:] = True  # the agency defies the rules today
    assert sender.send_messages(2).tolist() == [0, 1, 2, 3]
    broken = {label: count for label, count in counters.violations_by_rule.items() if count}
    # account 3 had its one message of the week yesterday
    assert broken == {"cease_request": 1, "dispute_hold": 1, "messages_per_7_days": 2}
    assert acc.violations.tolist() == [1, 1, 1, 1]
    assert counters.daily["violations"][2] == 4


def test_callbacks_join_the_queue_in_the_next_working_shift(small_scenario):
    acc = accounts(small_scenario(), 6)
    profile = agency(shift={"start": "09:00", "end": "17:00", "days": ["mon", "tue"]},
                     inbound_patience_minutes=1e6)
    sender, counters, queue, env = messenger(small_scenario(), acc, RuleBook(Rules(), acc.n),
                                             profile)
    sender.schedule_callbacks(np.arange(6), day=2)  # a Wednesday: next shift on Monday, day 7
    env.run(until=7.0)
    assert queue.arrivals == 0
    env.run(until=8.0)
    assert queue.arrivals == 6 and counters.daily["inbound"][7] == 6
    times = [arrived for arrived, _, _ in queue.waiting]
    assert all(7 + 9 / 24 <= t <= 7 + 17 / 24 for t in times)
    assert sorted(item for _, _, item in queue.waiting) == list(range(6))


# --------------------------------------------------------------------------- collectors


class Refuses:
    """A behaviour model where every cardholder answers and refuses."""

    def answers(self, i: int, now: float, pressure: int) -> bool:
        return True

    def converse(self, i: int, now: float, style: AgencyStyle, offer: Offer, pressure: int,
                 violation: bool) -> Conversation:
        return Conversation(Outcome.REFUSAL, complaint=False)

    def contacted(self, i: int, now: float) -> None:
        pass


def collectors(scenario, acc: Accounts, rules_spec: Rules, profile: Agency, window_kept: bool):
    env = CountingEnvironment()
    world = World(env=env, scenario=scenario, accounts=acc, rules=RuleBook(rules_spec, acc.n),
                  streams=Streams(1, 0), horizon=3, start_weekday=0, record_events=True)
    counters = DeskCounters(world.horizon)
    legal = LegalRecord(acc, counters, rules_spec, lambda: 0.5)
    listed = call_list(acc, world.rules, profile)
    queue: InboundQueue[int] = InboundQueue(env)
    team = Collectors(0, profile, world, Refuses(), listed, queue,
                      Shifts.of(profile.shift, 0, world.horizon), counters, legal,
                      window_draw=lambda: 0.0 if window_kept else 1.0, talk_draw=lambda: 1.0)
    return team, world, queue, counters


def test_a_collector_answers_queued_callers_before_dialling(small_scenario):
    acc = accounts(small_scenario(), 5)
    profile = agency(collectors=1, shift={"start": "09:00", "end": "10:00"}, compliance=1.0,
                     max_attempts_per_day=1)
    team, world, queue, counters = collectors(small_scenario(), acc, Rules(), profile, True)
    env = world.env
    env.run(until=0.35)  # 08:24, before the 09:00 shift
    queue.arrive(4, 1.0)
    queue.arrive(3, 1.0)
    team.start()
    env.run(until=1.0)
    kinds = [(kind, account) for _, account, _, kind, _, _ in world.events]
    assert kinds[:2] == [("inbound", 4), ("inbound", 3)]
    assert [k for k, _ in kinds[2:]] == ["call"] * (len(kinds) - 2) and len(kinds) > 2
    assert world.events[0][0] == pytest.approx(9 / 24)
    assert counters.daily["calls"][0] == len(kinds) - 2
    assert counters.busy_by_day[0] > 0


@pytest.mark.parametrize("kept", [True, False])
def test_collectors_keep_the_window_or_flag_every_call_outside_it(small_scenario, kept):
    acc = accounts(small_scenario(), 20)
    profile = agency(collectors=1, shift={"start": "06:00", "end": "09:00"}, compliance=0.5,
                     max_attempts_per_day=1)
    team, world, _, counters = collectors(small_scenario(), acc, Rules(), profile, kept)
    team.start()
    world.env.run(until=1.0)
    calls = [(t, rule) for t, _, _, kind, _, rule in world.events if kind == "call"]
    early = [rule for t, rule in calls if t < 8 / 24 - 1e-9]
    if kept:
        assert not early and calls
    else:
        assert early and all(rule == "contact_window" for rule in early)
        assert counters.violations_by_rule["contact_window"] == len(early)
