"""The parts of an agency desk on a few hand-set accounts, without a whole replication.

* :class:`~sim.model.agency.call_list.CallList` — order under each strategy, filters, cool-offs,
  the window on the cardholder's clock as the agency's records have it, calls a manual redial
  lets through with the rule they break, and contact pressure against
  :meth:`ContactHistory.pressure`;
* :class:`~sim.model.agency.messenger.Messenger` — channel cadences, deliverability, message
  rules, and the violations and breaches counted when a late-posted letter lets a message
  through; callbacks in the next shift;
* :class:`~sim.model.agency.dialler.Dialler` — callers are answered before dials, collectors
  work through the list one call at a time (preview, progressive), calls are kept inside the
  window unless a wrong time zone on file puts them outside it, where each is flagged, and the
  predictive dialler holds its abandonment target.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.schema import Agency, Rules
from sim.model.agency.call_list import CallList
from sim.model.agency.conduct import Conduct
from sim.model.agency.conversation import Conversations
from sim.model.agency.counters import DeskCounters, LegalRecord, Shifts
from sim.model.agency.dialler import Dialler
from sim.model.agency.inbound import InboundLine
from sim.model.agency.messenger import Messenger
from sim.model.agency.reach import DayPart, day_part, part_bit_at, part_bits
from sim.model.behaviour.base import AgencyStyle, Conversation, Offer, Outcomes
from sim.model.codes import Outcome, Rule, Status
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams
from sim.model.rules.book import RuleBook, RuleBooks
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


def books(acc: Accounts, **rules) -> RuleBooks:
    """The rule books of ``Rules(**rules)`` over a fresh contact history of ``acc``."""
    return RuleBooks(Rules(**rules), acc.local_offset, acc.placed_day)


def call_list(acc: Accounts, rules: RuleBook, profile: Agency,
              score: np.ndarray | None = None) -> CallList:
    score = np.linspace(0.9, 0.1, acc.n) if score is None else score
    conduct = Conduct(profile, acc, rules, np.random.default_rng(3), key=9)
    listed = CallList(0, profile, acc, rules, conduct, HORIZON, score,
                      np.random.default_rng(4))
    listed.add_members(np.arange(acc.n))
    listed.new_day(0)
    return listed


def dial(acc: Accounts, rules: RuleBook, i: int, now: float, answered: bool = False) -> None:
    """What the dialler records of a dial (see ``Dialler.record``)."""
    if np.isnan(acc.first_attempt[i]):
        acc.first_attempt[i] = now
    acc.attempts[i] += 1
    acc.attempts_today[i] += 1
    acc.last_attempt[i] = now
    rules.history.record_attempts(np.array([i]), np.array([now]), np.array([answered]))


# --------------------------------------------------------------------------- call list


def test_call_list_goes_by_priority_and_skips_what_it_must(small_scenario):
    acc = accounts(small_scenario(), 6)
    acc.status[1] = Status.PROMISE
    acc.phone_known_bad[2] = True
    acc.recalled[3] = True
    rules = books(acc).third_party
    rules.history.record_cease(4, 9.5, received=None)  # spoken: no more calls
    listed = call_list(acc, rules, agency(compliance=1.0, strategy="static"))
    chosen, blocks = listed.candidates(10.5, 10.5 + 1 / 24, limit=10)
    assert chosen.tolist() == [0, 5] and blocks.tolist() == [Rule.ALLOWED] * 2
    assert listed.candidates(10.5, 10.6, limit=1)[0].tolist() == [0]
    dial(acc, rules, 0, 10.5)
    assert listed.candidates(10.55, 10.6, limit=10)[0].tolist() == [5]  # retry 3 hours


@pytest.mark.parametrize("compliance", [0.0, 1.0])
def test_a_manual_redial_lets_a_frequency_rule_through_with_the_rule_it_breaks(
        small_scenario, compliance):
    """An account in its quiet days is listed, with that rule, only when a manual redial gets
    past the agency's controls; one that asked not to be called never is."""
    acc = accounts(small_scenario(), 3)
    rules = books(acc).third_party
    rules.history.record_conversation(1, 9.5)
    rules.history.record_cease(2, 9.5, received=None)
    profile = agency(compliance=compliance, strategy="static",
                     conduct={"manual_redial": 1.0, "posting_days": 0.0})
    listed = call_list(acc, rules, profile)
    chosen, blocks = listed.candidates(10.5, 10.54, limit=10)
    expected = [(0, Rule.ALLOWED)] + [(1, Rule.QUIET_AFTER_CONVERSATION)] * (compliance == 0)
    assert list(zip(chosen.tolist(), blocks.tolist(), strict=True)) == expected


def test_adaptive_strategy_fresh_first_then_decayed_standing(small_scenario):
    """Never-attempted accounts first (oldest hand-over first); then the priority order, each
    unanswered attempt since the last conversation costing ``attempt_decay``."""
    acc = accounts(small_scenario(), 5)
    acc.workable_day[:] = [0.0, 0.0, 0.0, 2.0, 1.0]
    acc.attempts[:3] = 1
    acc.first_attempt[:3] = 5.5
    acc.unanswered_since_talk[:3] = [3, 0, 1]
    rules = books(acc).third_party
    listed = call_list(acc, rules, agency(compliance=1.0, attempt_decay=0.5))
    chosen, _ = listed.candidates(10.5, 10.54, limit=10)
    assert chosen.tolist() == [4, 3, 1, 2, 0]
    assert listed.candidates(10.5, 10.54, limit=3)[0].tolist() == [4, 3, 1]


def test_an_account_placed_again_is_fresh_for_its_new_agency(small_scenario):
    """An account called by its first agency and placed again (its attempts carried over, its
    first call in this placement not yet made: sim.model.bank.second_placement) is dialled
    first for the first-attempt service level, like any account not yet called."""
    acc = accounts(small_scenario(), 3)
    acc.attempts[:] = [4, 1, 6]
    acc.first_attempt[:2] = 5.5  # called in this placement
    acc.workable_day[2] = 4.0  # placed again, handed over on day 4
    rules = books(acc).third_party
    listed = call_list(acc, rules, agency(compliance=1.0))
    assert listed.candidates(10.5, 10.54, limit=10)[0].tolist() == [2, 0, 1]


def test_adaptive_strategy_cools_off_and_remembers_when_cardholders_answer(small_scenario):
    acc = accounts(small_scenario(), 4)
    acc.attempts[:] = 1
    acc.first_attempt[:] = 5.5
    acc.last_refusal[0] = 9.0  # refused a day and a half ago: cool-off of 3 days
    acc.last_broken[1] = 10.0  # broke a promise this morning: cool-off of 1 day
    acc.unanswered_since_talk[2] = 1
    rules = books(acc).third_party
    listed = call_list(acc, rules, agency(compliance=1.0))
    assert listed.candidates(10.5, 10.54, limit=10)[0].tolist() == [2, 3]
    # day 10 of a program starting on a Monday is a Thursday: 19:00 is a weekday evening
    acc.answered_parts[3] = int(part_bits(np.array([DayPart.WEEKDAY_EVENING]))[0])
    evening = 10 + 19 / 24
    assert listed.candidates(evening, evening + 1 / 24, limit=10)[0].tolist() == [3, 2]
    assert listed.candidates(10.5, 10.54, limit=10)[0].tolist() == [2, 3]
    assert listed.candidates(12.5, 12.54, limit=10)[0].tolist() == [0, 1, 2, 3]


def test_a_cardholder_who_asked_to_be_called_today_is_called_first_despite_a_cool_off(
        small_scenario):
    acc = accounts(small_scenario(), 3)
    acc.attempts[:] = 1
    acc.first_attempt[:] = 5.5
    acc.last_refusal[:] = 9.5  # all three refused yesterday: cool-off of 3 days
    rules = books(acc).third_party
    rules.history.record_consent(1, 10)
    listed = call_list(acc, rules, agency(compliance=1.0))
    assert listed.candidates(10.5, 10.54, limit=10)[0].tolist() == [1]


def test_the_window_is_read_on_each_cardholders_local_clock(small_scenario):
    """At 09:00 on the agency's clock the window (08:00-21:00) is open for Eastern and Central
    cardholders only; from 20:30 to 21:30 for the three zones west of Eastern."""
    acc = accounts(small_scenario(), 4)
    acc.local_offset[:] = np.array([0, -1, -2, -3]) / 24
    listed = call_list(acc, books(acc).third_party, agency(compliance=1.0))
    assert listed.candidates(10 + 9 / 24, 10 + 10 / 24, limit=10)[0].tolist() == [0, 1]
    assert sorted(listed.candidates(10 + 11 / 24, 10 + 12 / 24, 10)[0].tolist()) == [
        0, 1, 2, 3]
    late = listed.candidates(10 + 20.5 / 24, 10 + 21.5 / 24, limit=10)[0]
    assert sorted(late.tolist()) == [1, 2, 3]


def test_the_window_is_read_on_the_clock_the_agencys_records_give(small_scenario):
    """A Pacific cardholder on file as Eastern is listed at 09:00 Eastern (06:00 where they
    are): the list reads the window on the believed clock, not the true one."""
    acc = accounts(small_scenario(), 2)
    acc.local_offset[:] = np.array([0, -3]) / 24
    listed = call_list(acc, books(acc).third_party, agency(compliance=1.0))
    assert listed.candidates(10 + 9 / 24, 10 + 10 / 24, limit=10)[0].tolist() == [0]
    listed.conduct.believed_offset[1] = 0.0
    assert listed.candidates(10 + 9 / 24, 10 + 10 / 24, limit=10)[0].tolist() == [0, 1]


@settings(max_examples=40, deadline=None)
@given(steps=st.lists(st.floats(0.001, 2.5), min_size=1, max_size=60))
def test_call_list_pressure_is_the_rings_count_of_calls_in_the_last_7_days(small_scenario,
                                                                           steps):
    acc = accounts(small_scenario(), 5)
    rules = books(acc, regime="none").third_party
    listed = call_list(acc, rules, agency(retry_hours=0.0, max_attempts_per_day=50))
    now = 0.0
    for k, step in enumerate(steps):
        now += step
        dial(acc, rules, k % acc.n, now)
        idx = np.arange(acc.n)
        assert listed.pressure(idx, now).tolist() == [rules.history.pressure(i, now)
                                                      for i in idx]


# --------------------------------------------------------------------------- messenger


class NobodyPhonesBack:
    """A behaviour model in which no message makes a cardholder phone the agency."""

    def calls_back(self, idx: np.ndarray, day: int) -> np.ndarray:
        return np.zeros(len(idx), dtype=np.bool_)


def messenger(scenario, acc: Accounts, rules: RuleBooks, profile: Agency):
    counters = DeskCounters(HORIZON)
    legal = LegalRecord(acc, counters, Rules(lawsuit_per_violation=0.0), lambda: 0.5)
    listed = call_list(acc, rules.third_party, profile)
    shifts = Shifts.of(profile.shift, 0, HORIZON)  # day 0 is a Monday
    line = InboundLine()
    sender = Messenger(0, profile, acc, rules.third_party, rules.reference, listed, shifts,
                       line, counters, legal, 5, env=CountingEnvironment(),
                       horizon=HORIZON, behaviour=NobodyPhonesBack())
    sender.start()
    return sender, counters, line


def send_day(sender: Messenger, day: int) -> list[int]:
    """Run the messenger through ``day`` (from where it stands); the accounts it reached that
    day."""
    sender.env.run(until=day + 1)
    reached = np.flatnonzero(sender.acc.reminded).tolist()
    sender.acc.reminded[:] = False
    return reached


def test_messages_follow_each_channels_cadence_and_reach_whom_it_can(small_scenario):
    acc = accounts(small_scenario(), 4)
    acc.phone_valid[:] = [True, False, True, False]
    acc.workable_day[:] = [0.0, 0.0, 1.0, 1.0]
    profile = agency(sms={"every_days": 3, "first_day": 1, "cost": 0.02},
                     letter={"every_days": 10, "first_day": 0, "cost": 0.5})
    sender, counters, _ = messenger(small_scenario(), acc, books(acc), profile)
    reached = {day: send_day(sender, day) for day in range(12)}
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


def test_messages_go_out_when_the_window_opens_on_the_cardholders_clock(small_scenario):
    """With the shift from 07:00, a message reaches an Eastern cardholder at 08:00 and a
    Pacific one at 11:00 on the agency's clock (08:00 theirs), none after the shift ends."""
    acc = accounts(small_scenario(), 3)
    acc.local_offset[:] = np.array([0, -3, -12]) / 24
    profile = agency(letter={"every_days": 1, "first_day": 0},
                     shift={"start": "07:00", "end": "17:00"}, compliance=1.0)
    rules = books(acc, max_messages_per_7_days=0)
    sender, _, _ = messenger(small_scenario(), acc, rules, profile)
    sender.call_list.conduct.believed_offset[:] = acc.local_offset
    assert send_day(sender, 0) == [0, 1]  # 08:00 for the third is 20:00 here: after the shift
    times = sorted(rules.history.message_times[:2, 0].tolist())
    assert times == pytest.approx([8 / 24, 11 / 24])


def test_messages_obey_the_rules_unless_a_letter_is_posted_late(small_scenario):
    """Written requests received on day 0 stop letters; a letter posted late lets the messages
    they forbid through for ``posting_days``, each counted against the regime (a violation)
    and the reference standard (a breach). No slip gets a message past a message cap."""
    acc = accounts(small_scenario(), 4)
    acc.workable_day[:] = 1.0  # the first letters go out on day 1
    rules = books(acc, max_messages_per_7_days=1, breathing_space_days=30.0)
    history = rules.history
    history.record_cease(0, 0.5, received=0.5)
    history.record_dispute(1, 0.5, received=0.5)
    history.record_breathing_space(1, 0.5, 30.0)  # under both: the dispute hold comes first
    history.record_messages(np.array([2]), 0.5)  # capped through day 6
    profile = agency(letter={"every_days": 1, "first_day": 0}, compliance=1.0)
    sender, counters, _ = messenger(small_scenario(), acc, rules, profile)
    assert send_day(sender, 0) == [] and send_day(sender, 1) == [3]
    assert counters.violations_by_rule == {rule.label: 0 for rule in Rule if rule}

    sender.call_list.conduct.late_posting[:] = True  # the mailroom sits on every letter
    assert send_day(sender, 2) == [0, 1]  # 3 had its one message yesterday
    broken = {label: count for label, count in counters.violations_by_rule.items() if count}
    assert broken == {"cease_request": 1, "dispute_hold": 1}
    breached = {label: count for label, count in counters.breaches_by_rule.items() if count}
    assert breached == {"cease_request": 1, "dispute_hold": 1}
    assert acc.violations.tolist() == [1, 1, 0, 0] and acc.breaches.tolist() == [1, 1, 0, 0]
    assert counters.daily["violations"][2] == 2
    # posted by day 5.5 (a Saturday): from Monday, day 7, the letters stop again; 2 and 3 get
    # one each once seven days have passed since their last
    later = {day: send_day(sender, day) for day in range(3, 9)}
    assert later == {3: [0, 1], 4: [0, 1], 5: [], 6: [], 7: [2], 8: [3]}


def test_callbacks_are_booked_in_the_next_working_shift(small_scenario):
    acc = accounts(small_scenario(), 6)
    profile = agency(shift={"start": "09:00", "end": "17:00", "days": ["mon", "tue"]},
                     inbound_patience_minutes=1e6)
    sender, _, line = messenger(small_scenario(), acc, books(acc), profile)
    sender.schedule_callbacks(np.arange(6), day=2, sent=2.5)  # a Wednesday: next shift Monday
    assert line.take(7.0).accounts == []
    callers = line.take(8.0)
    assert line.arrivals == 6
    assert all(7 + 9 / 24 <= t <= 7 + 17 / 24 for t in callers.times)
    assert callers.times == sorted(callers.times)
    assert sorted(callers.accounts) == list(range(6))


def test_callbacks_to_a_message_come_after_it_in_the_same_shift(small_scenario):
    acc = accounts(small_scenario(), 50)
    profile = agency(inbound_patience_minutes=1e6)
    sender, _, line = messenger(small_scenario(), acc, books(acc), profile)
    sender.schedule_callbacks(np.arange(50), day=1, sent=1 + 13 / 24)  # Tuesday 13:00
    callers = line.take(2.0)
    assert len(callers.times) == 50
    assert all(1 + 13 / 24 <= t <= 1 + sender.shifts.end for t in callers.times)


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

    def converse_many(self, idx, now, style, offers, pressure, violation, draws) -> Outcomes:
        n = len(idx)
        return Outcomes(np.full(n, int(Outcome.REFUSAL)), np.zeros(n, dtype=np.bool_),
                        np.zeros(n), np.full(n, -1))

    def contacted(self, i: int, now: float) -> None:
        pass


def dialler(scenario, acc: Accounts, profile: Agency, chance: float = 1.0, horizon: int = 3,
            regime: str = "us_reg_f"):
    env = CountingEnvironment()
    world = World(env=env, scenario=scenario, accounts=acc, books=books(acc, regime=regime),
                  streams=Streams(1, 0), horizon=horizon, start_weekday=0, record_events=True)
    counters = DeskCounters(world.horizon)
    legal = LegalRecord(acc, counters, Rules(), lambda: 0.5)
    book = world.books.third_party
    listed = call_list(acc, book, profile)
    behaviour = Refuses(chance)
    talks = Conversations(0, profile, world, behaviour, counters, legal, key=7)
    line = InboundLine()
    team = Dialler(0, profile, world, behaviour, listed, talks, line,
                   Shifts.of(profile.shift, 0, world.horizon), counters, legal,
                   keys=(11, 12, 13, 14), book=book, conduct=listed.conduct)
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


@pytest.mark.parametrize("zone_on_file", ["right", "wrong"])
def test_the_dialler_keeps_the_window_or_flags_every_call_outside_it(small_scenario,
                                                                     zone_on_file):
    """With the right time zone on file no call goes out before 08:00 local; with one three
    hours ahead on file, calls go out from 06:00 and each before 08:00 local is flagged as a
    violation and a conduct breach of the window."""
    acc = accounts(small_scenario(), 200)
    profile = agency(collectors=1, shift={"start": "06:00", "end": "09:00"}, compliance=1.0,
                     max_attempts_per_day=1)
    team, world, _, counters = dialler(small_scenario(), acc, profile, chance=0.0)
    if zone_on_file == "wrong":
        team.conduct.believed_offset[:] = 3 / 24
    team.start()
    world.env.run(until=1.0)
    calls = [(t, rule) for t, _, _, _, kind, _, rule in world.events if kind == "call"]
    early = [rule for t, rule in calls if t < 8 / 24 - 1e-9]
    assert calls
    if zone_on_file == "right":
        assert not early
    else:
        assert early and all(rule == "contact_window" for rule in early)
        assert counters.violations_by_rule["contact_window"] == len(early)
        assert counters.breaches_by_rule["contact_window"] == len(early)


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
                                           horizon=14, regime="none")
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
