"""The parts of an agency desk on a few hand-set accounts, without a whole replication.

* :class:`~sim.model.agency.call_list.CallList` — order under each strategy, filters, cool-offs,
  the window on the local clock, defiance, and contact pressure against
  :meth:`RuleBook.pressure`;
* :class:`~sim.model.agency.messenger.Messenger` — channel cadences, deliverability, message
  rules and the violations counted when they are defied, callbacks in the next shift;
* :class:`~sim.model.agency.dialler.Dialler` — callers are answered before dials, collectors
  work through the list one call at a time (preview, progressive), calls outside the window
  are flagged on a day the window is defied, and the predictive dialler holds its
  abandonment target.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.schema import Agency, Rules
from sim.model.agency.call_list import CallList
from sim.model.agency.conversation import Conversations
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.dialler import Dialler
from sim.model.agency.inbound import InboundLine
from sim.model.agency.messenger import Messenger
from sim.model.agency.reach import DayPart, day_part, part_bit_at, part_bits
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
    acc.local_offset[:] = 0.0  # everyone on the agency's clock
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
    listed = call_list(acc, rules, agency(compliance=1.0, strategy="static"))
    chosen, blocks = listed.candidates(10.5, 10.5 + 1 / 24, True, limit=10)
    assert chosen.tolist() == [0, 5] and blocks.tolist() == [Rule.ALLOWED] * 2
    assert listed.candidates(10.5, 10.6, True, limit=1)[0].tolist() == [0]
    dial(acc, rules, 0, 10.5)
    assert listed.candidates(10.55, 10.6, True, limit=10)[0].tolist() == [5]  # retry 3 hours


def test_call_list_defiant_accounts_come_with_the_rule_they_break(small_scenario):
    acc = accounts(small_scenario(), 3)
    rules = RuleBook(Rules(), acc.n)
    rules.record_dispute(1, 10.0)
    listed = call_list(acc, rules, agency(compliance=0.0, strategy="static"))
    assert listed.defiant[:3].all()
    chosen, blocks = listed.candidates(10.5, 10.54, True, limit=10)
    assert list(zip(chosen.tolist(), blocks.tolist(), strict=True)) == [
        (0, Rule.ALLOWED), (1, Rule.DISPUTE_HOLD), (2, Rule.ALLOWED)]


def test_adaptive_strategy_fresh_first_then_decayed_standing(small_scenario):
    """Never-attempted accounts first (oldest hand-over first); then the priority order, each
    unanswered attempt since the last conversation costing ``attempt_decay``."""
    acc = accounts(small_scenario(), 5)
    acc.workable_day[:] = [0.0, 0.0, 0.0, 2.0, 1.0]
    acc.attempts[:3] = 1
    acc.unanswered_since_talk[:3] = [3, 0, 1]
    rules = RuleBook(Rules(), acc.n)
    listed = call_list(acc, rules, agency(compliance=1.0, attempt_decay=0.5))
    chosen, _ = listed.candidates(10.5, 10.54, True, limit=10)
    assert chosen.tolist() == [4, 3, 1, 2, 0]
    assert listed.candidates(10.5, 10.54, True, limit=3)[0].tolist() == [4, 3, 1]


def test_adaptive_strategy_cools_off_and_remembers_when_cardholders_answer(small_scenario):
    acc = accounts(small_scenario(), 4)
    acc.attempts[:] = 1
    acc.last_refusal[0] = 9.0  # refused a day and a half ago: cool-off of 3 days
    acc.last_broken[1] = 10.0  # broke a promise this morning: cool-off of 1 day
    acc.unanswered_since_talk[2] = 1
    rules = RuleBook(Rules(), acc.n)
    listed = call_list(acc, rules, agency(compliance=1.0))
    assert listed.candidates(10.5, 10.54, True, limit=10)[0].tolist() == [2, 3]
    # day 10 of a program starting on a Monday is a Thursday: 19:00 is a weekday evening
    acc.answered_parts[3] = int(part_bits(np.array([DayPart.WEEKDAY_EVENING]))[0])
    evening = 10 + 19 / 24
    assert listed.candidates(evening, evening + 1 / 24, True, limit=10)[0].tolist() == [3, 2]
    assert listed.candidates(10.5, 10.54, True, limit=10)[0].tolist() == [2, 3]
    assert listed.candidates(12.5, 12.54, True, limit=10)[0].tolist() == [0, 1, 2, 3]


def test_the_window_is_read_on_each_cardholders_local_clock(small_scenario):
    """At 09:00 on the agency's clock the window (08:00-21:00) is open for Eastern cardholders
    only; at 20:30 for Pacific ones only until 21:00 local, i.e. all of them."""
    acc = accounts(small_scenario(), 4)
    acc.local_offset[:] = np.array([0, -1, -2, -3]) / 24
    listed = call_list(acc, RuleBook(Rules(), acc.n), agency(compliance=1.0))
    assert listed.candidates(10 + 9 / 24, 10 + 10 / 24, True, limit=10)[0].tolist() == [0, 1]
    assert sorted(listed.candidates(10 + 11 / 24, 10 + 12 / 24, True, 10)[0].tolist()) == [
        0, 1, 2, 3]
    late = listed.candidates(10 + 20.5 / 24, 10 + 21.5 / 24, True, limit=10)[0]
    assert sorted(late.tolist()) == [1, 2, 3]
    # on a day the agency does not keep the window, everyone is a candidate
    assert len(listed.candidates(10 + 9 / 24, 10 + 10 / 24, False, limit=10)[0]) == 4


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.floats(0.001, 2.5), min_size=1, max_size=60))
def test_call_list_pressure_is_the_rings_count_of_calls_in_the_last_7_days(small_scenario,
                                                                           steps):
    acc = accounts(small_scenario(), 5)
    rules = RuleBook(Rules(regime="none"), acc.n)
    listed = call_list(acc, rules, agency(retry_hours=0.0, max_attempts_per_day=50))
    now = 0.0
    for k, step in enumerate(steps):
        now += step
        dial(acc, rules, k % acc.n, now)
        idx = np.arange(acc.n)
        assert listed.pressure(idx, now).tolist() == [rules.pressure(i, now) for i in idx]


# --------------------------------------------------------------------------- messenger


def messenger(scenario, acc: Accounts, rules: RuleBook, profile: Agency):
    counters = DeskCounters(HORIZON)
    legal = LegalRecord(acc, counters, Rules(lawsuit_per_violation=0.0), lambda: 0.5)
    listed = call_list(acc, rules, profile)
    shifts = Shifts.of(profile.shift, 0, HORIZON)  # day 0 is a Monday
    line = InboundLine()
    sender = Messenger(0, profile, acc, rules, listed, shifts, line, counters, legal,
                       np.random.default_rng(5))
    return sender, counters, line


def test_messages_follow_each_channels_cadence_and_reach_whom_it_can(small_scenario):
    acc = accounts(small_scenario(), 4)
    acc.phone_valid[:] = [True, False, True, False]
    acc.workable_day[:] = [0.0, 0.0, 1.0, 1.0]
    profile = agency(sms={"every_days": 3, "first_day": 1, "cost": 0.02},
                     letter={"every_days": 10, "first_day": 0, "cost": 0.5})
    sender, counters, _ = messenger(small_scenario(), acc, RuleBook(Rules(), acc.n), profile)
    reached = {day: sender.send_messages(day).tolist() for day in range(12)}
    assert reached[0] == [0, 1]  # letters on hand-over, delivered to all
    assert reached[1] == [0, 2, 3]  # SMS to 0 (phone valid); letters to 2 and 3
    assert reached[2] == [2]  # SMS to 2 and 3, delivered to 2 only
    assert reached[4] == [0] and reached[3] == []
    # nothing goes out at the weekend: Saturday's SMS to 2 and 3 goes out on Monday
    assert reached[5] == reached[6] == [] and reached[7] == [0, 2] and reached[8] == [2]
    assert reached[10] == [0, 1] and reached[11] == [2, 3]
    sent = counters.daily["messages"]
    assert sent[:8] == [2, 4, 2, 0, 2, 0, 0, 4]
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
    sender, counters, _ = messenger(small_scenario(), acc, rules, profile)
    assert sender.send_messages(1).tolist() == [3]
    assert counters.violations_by_rule == {rule.label: 0 for rule in Rule if rule}

    sender.call_list.defiant[:] = True  # the agency defies the rules today
    assert sender.send_messages(2).tolist() == [0, 1, 2, 3]
    broken = {label: count for label, count in counters.violations_by_rule.items() if count}
    # account 3 had its one message of the week yesterday
    assert broken == {"cease_request": 1, "dispute_hold": 1, "messages_per_7_days": 2}
    assert acc.violations.tolist() == [1, 1, 1, 1]
    assert counters.daily["violations"][2] == 4


def test_callbacks_are_booked_in_the_next_working_shift(small_scenario):
    acc = accounts(small_scenario(), 6)
    profile = agency(shift={"start": "09:00", "end": "17:00", "days": ["mon", "tue"]},
                     inbound_patience_minutes=1e6)
    sender, _, line = messenger(small_scenario(), acc, RuleBook(Rules(), acc.n), profile)
    sender.schedule_callbacks(np.arange(6), day=2)  # a Wednesday: next shift on Monday, day 7
    assert line.take(7.0).accounts == []
    callers = line.take(8.0)
    assert line.arrivals == 6
    assert all(7 + 9 / 24 <= t <= 7 + 17 / 24 for t in callers.times)
    assert callers.times == sorted(callers.times)
    assert sorted(callers.accounts) == list(range(6))


# --------------------------------------------------------------------------- dialler


class Refuses:
    """A behaviour model where every cardholder answers (with ``chance``) and refuses."""

    def __init__(self, chance: float = 1.0) -> None:
        self.chance = chance

    def answer_chance(self, idx: np.ndarray, pressure: np.ndarray) -> np.ndarray:
        return np.full(len(idx), self.chance)

    def converse(self, i: int, now: float, style: AgencyStyle, offer: Offer, pressure: int,
                 violation: bool, draws) -> Conversation:
        return Conversation(Outcome.REFUSAL, complaint=False)

    def contacted(self, i: int, now: float) -> None:
        pass


def dialler(scenario, acc: Accounts, profile: Agency, window_kept: bool = True,
            chance: float = 1.0, horizon: int = 3):
    env = CountingEnvironment()
    world = World(env=env, scenario=scenario, accounts=acc, rules=RuleBook(Rules(), acc.n),
                  streams=Streams(1, 0), horizon=horizon, start_weekday=0, record_events=True)
    counters = DeskCounters(world.horizon)
    legal = LegalRecord(acc, counters, Rules(), lambda: 0.5)
    listed = call_list(acc, world.rules, profile)
    behaviour = Refuses(chance)
    talks = Conversations(0, profile, world, behaviour, counters, legal, key=7)
    line = InboundLine()
    team = Dialler(0, profile, world, behaviour, listed, talks, line,
                   Shifts.of(profile.shift, 0, world.horizon), counters, legal,
                   keys=(11, 12, 13), window_draw=lambda: 0.0 if window_kept else 1.0,
                   talk_draw=lambda: 1.0)
    return team, world, line, counters


def test_callers_are_answered_before_the_dialler_dials(small_scenario):
    acc = accounts(small_scenario(), 30)
    profile = agency(collectors=1, shift={"start": "09:00", "end": "10:00"}, compliance=1.0,
                     max_attempts_per_day=1, dialler="preview")
    team, world, line, counters = dialler(small_scenario(), acc, profile)
    line.book(np.array([9 / 24, 9 / 24]), np.array([4, 3]), np.array([1.0, 1.0]))
    team.start()
    world.env.run(until=1.0)
    kinds = [(kind, account) for _, _, account, _, kind, _, _ in world.events]
    assert kinds[:2] == [("inbound", 4), ("inbound", 3)]
    assert {k for k, _ in kinds[2:]} == {"call"} and len(kinds) > 2
    assert 3 not in [a for _, a in kinds[2:]] and 4 not in [a for _, a in kinds[2:]]
    assert world.events[0][0] == pytest.approx(9 / 24)
    assert counters.daily["calls"][0] == len(kinds) - 2
    assert line.served == 2 and counters.busy_by_day[0] > 0


@pytest.mark.parametrize("mode", ["preview", "progressive"])
def test_one_collector_works_through_the_list_one_call_at_a_time(small_scenario, mode):
    """With every call answered by the cardholder, each dial is a conversation and the next
    starts only when the last one is wrapped up: no call is abandoned."""
    scenario = small_scenario("bank.wrong_party_share=0")
    acc = accounts(scenario, 200)
    profile = agency(collectors=1, shift={"start": "09:00", "end": "11:00"}, compliance=1.0,
                     max_attempts_per_day=1, dialler=mode, talk_minutes=5.0, wrap_minutes=1.0)
    team, world, _, counters = dialler(scenario, acc, profile)
    team.start()
    world.env.run(until=1.0)
    times = [t for t, *_ in world.events]
    gaps = np.diff(times) * 1440
    lead = profile.ring_minutes + (profile.preview_seconds / 60 + 0 if mode == "preview" else 0)
    assert (gaps >= lead + profile.wrap_minutes - 1e-6).all()
    assert counters.daily["abandoned_calls"][0] == 0
    assert counters.daily["rpcs"][0] == counters.daily["calls"][0] > 5
    assert max(times) < 11 / 24


@pytest.mark.parametrize("kept", [True, False])
def test_the_dialler_keeps_the_window_or_flags_every_call_outside_it(small_scenario, kept):
    acc = accounts(small_scenario(), 200)
    profile = agency(collectors=1, shift={"start": "06:00", "end": "09:00"}, compliance=0.5,
                     max_attempts_per_day=1)
    team, world, _, counters = dialler(small_scenario(), acc, profile, window_kept=kept,
                                       chance=0.0)
    team.start()
    world.env.run(until=1.0)
    calls = [(t, rule) for t, _, _, _, kind, _, rule in world.events if kind == "call"]
    early = [rule for t, rule in calls if t < 8 / 24 - 1e-9]
    if kept:
        assert not early and calls
    else:
        assert early and all(rule == "contact_window" for rule in early)
        assert counters.violations_by_rule["contact_window"] == len(early)


@pytest.mark.slow
def test_the_predictive_dialler_holds_its_abandonment_target(small_scenario):
    """Over a fortnight of shifts the dialler's ratio settles where abandoned calls stay under
    ``abandon_target`` of answered calls while using most of that allowance; a progressive
    dialler never abandons. (About 21,000 answered calls: the standard error of the share is
    about 0.1 point; the tolerance allows for intervals being correlated.)"""
    acc = accounts(small_scenario(), 40_000)
    shift = {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri",
                                                          "sat", "sun"]}
    rates = {}
    for mode in ("predictive", "progressive"):
        acc.attempts[:] = acc.attempts_today[:] = 0
        acc.last_attempt[:] = -1e9
        profile = agency(collectors=30, shift=shift, compliance=1.0,
                         dialler=mode, retry_hours=24.0, abandon_target=0.03,
                         max_attempts_per_day=50)
        team, world, _, counters = dialler(small_scenario(), acc, profile, chance=0.3,
                                           horizon=14)
        world.rules = RuleBook(Rules(regime="none"), acc.n)
        team.rules = team.call_list.rules = world.rules
        team.start()
        world.env.run(until=14.0)
        answered = sum(counters.daily["answered_calls"])
        abandoned = sum(counters.daily["abandoned_calls"])
        rates[mode] = (abandoned / answered, sum(counters.daily["calls"]))
    abandon, _ = rates["predictive"]
    assert 0.015 < abandon <= 0.03 + 0.003
    assert rates["progressive"][0] == 0


@settings(max_examples=200, deadline=None)
@given(local=st.floats(0.0, 60.0), weekday=st.integers(0, 6))
def test_one_part_of_the_week_is_the_same_as_many(local, weekday):
    many = part_bits(day_part(np.array([local]), weekday))
    assert part_bit_at(local, weekday) == int(many[0])
