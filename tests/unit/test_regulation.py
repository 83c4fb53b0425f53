"""The law as the regime data files state it (sim/config/rules/*.toml), read by the rule books
(sim.model.rules), and the agency's conduct that breaks it (sim.model.agency.conduct).

Times are program days on the agencies' clock; a cardholder whose clock is ``offset`` days
ahead has local time ``t + offset``. ``local(d, h, offset)`` is the agency time of ``h``
o'clock on the cardholder's local day ``d``.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from typing import get_args

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.config.loading import ScenarioError
from sim.config.schema import Agency, ContactLimits, Rules
from sim.config.schema.conduct import Conduct as ConductRates
from sim.config.schema.rules import Regime, regime_data
from sim.model.agency.conduct import FREQUENCY_RULES, Conduct
from sim.model.agency.desk import AgencyDesk
from sim.model.bank.placement import agency_scores
from sim.model.behaviour import make_behaviour
from sim.model.codes import Rule
from sim.model.portfolio.accounts import Accounts, draw_portfolio
from sim.model.rng import Streams
from sim.model.rules.book import RuleBook, RuleBooks
from sim.model.rules.history import ContactHistory
from sim.model.rules.table import Contact
from sim.model.world import CountingEnvironment, World

HOUR = 1 / 24
BEHIND = -3 * HOUR  # a cardholder three hours behind the agency's clock
REGIMES = get_args(Regime)
ONE = np.array([0])
DATA_FILES = sorted(path.name.removesuffix(".toml")
                    for path in resources.files("sim.config.rules").iterdir()
                    if path.name.endswith(".toml"))


def local(day: int, hour: float, offset: float = 0.0) -> float:
    return day + hour * HOUR - offset


def history(n: int = 1, offset: float = 0.0, placed: float = 0.0) -> ContactHistory:
    """A fresh contact history for books up to a cap of 7 calls."""
    return ContactHistory([ContactLimits()], np.full(n, offset), np.full(n, placed))


def third_party(regime: str = "us_reg_f", n: int = 1, offset: float = 0.0,
                placed: float = 0.0, **fields) -> RuleBook:
    limits = Rules(regime=regime, **fields).limits()
    return RuleBook(limits, history(n, offset, placed))


def call(book: RuleBook, i: int, now: float, answered: bool = False) -> None:
    book.history.record_attempts(np.array([i]), np.array([now]), np.array([answered]))


def call_reason(book: RuleBook, now: float) -> Rule:
    return Rule(book.call_block(0, now))


def message_reason(book: RuleBook, now: float) -> Rule:
    return Rule(int(book.message_block_reasons(ONE, now)[0]))


# --------------------------------------------------------------------------- the data files


def test_every_regime_has_a_data_file_and_every_data_file_is_a_regime():
    assert sorted(REGIMES) == DATA_FILES


@pytest.mark.parametrize("regime", REGIMES)
def test_regime_data_file_has_title_sources_and_both_parties_rules(regime):
    data = regime_data(regime)
    assert isinstance(data["title"], str) and data["title"].strip()
    assert isinstance(data["sources"], list)
    assert all(isinstance(source, str) and source.strip() for source in data["sources"])
    assert bool(data["sources"]) == (regime != "none")
    for party in ("third_party", "first_party"):
        assert set(data[party]) == set(ContactLimits.model_fields), party
        ContactLimits(**data[party])  # each table is a valid set of rules


@pytest.mark.parametrize("regime", REGIMES)
def test_rules_of_a_regime_take_its_files_values_for_each_party(regime):
    data = regime_data(regime)
    rules = Rules(regime=regime)
    assert rules.limits() == ContactLimits(**data["third_party"])
    assert rules.limits(first_party=True) == ContactLimits(**data["first_party"])


def test_the_data_file_is_what_the_package_ships():
    text = resources.files("sim.config.rules").joinpath("us_massachusetts.toml").read_text()
    assert regime_data("us_massachusetts") == tomllib.loads(text)


def test_first_party_overrides_merge_over_the_presets_first_party():
    rules = Rules(regime="us_reg_f", first_party={"max_calls_per_7_days": 7})
    preset = ContactLimits(**regime_data("us_reg_f")["first_party"])
    assert rules.first_party == preset.model_copy(update={"max_calls_per_7_days": 7})
    assert rules.limits() == Rules(regime="us_reg_f").limits()  # agencies' rules untouched


def test_first_party_overrides_merge_in_a_scenario_file(small_scenario):
    scenario = small_scenario('rules.regime="us_massachusetts"',
                              'rules.first_party.window_end="20:00"')
    own = scenario.rules.first_party
    assert own.window_end == "20:00"
    assert own.max_calls_per_7_days == 2  # the rest is Massachusetts' first-party rules
    assert scenario.rules.max_calls_per_7_days == 2


def test_an_unknown_field_in_first_party_is_an_error(small_scenario):
    with pytest.raises(ValidationError, match="max_calls_a_week"):
        Rules(first_party={"max_calls_a_week": 3})
    with pytest.raises(ScenarioError, match="max_calls_a_week"):
        small_scenario("rules.first_party.max_calls_a_week=3")


# --------------------------------------------------------------------------- seven days


@pytest.mark.parametrize("offset", [0.0, BEHIND])
def test_seven_calls_on_local_days_1_to_7_block_until_local_midnight(offset):
    book = third_party(offset=offset)
    for day, hour in zip(range(1, 8), (8.0, 20.9, 12.0, 9.5, 15.0, 19.0, 8.5), strict=True):
        call(book, 0, local(day, hour, offset))
    assert call_reason(book, local(7, 20.0, offset)) == Rule.CALLS_PER_7_DAYS
    # without the window: the cap alone lets a call through from local midnight
    assert book.account_block_reasons(ONE, local(8, 0.5, offset))[0] == Rule.ALLOWED
    assert call_reason(book, local(8, 8.0, offset)) == Rule.ALLOWED


def test_a_cardholder_behind_the_agency_is_counted_on_their_own_calendar():
    """Day 8 01:00 on the agency's clock is still day 7 for a cardholder three hours behind:
    their seven calls of local days 1-7 still block."""
    book = third_party(offset=BEHIND)
    for day in range(1, 8):
        call(book, 0, local(day, 20.5, BEHIND))  # 23:30 on the agency's clock
    assert book.account_block_reasons(ONE, 8 + 1 * HOUR)[0] == Rule.CALLS_PER_7_DAYS
    assert book.account_block_reasons(ONE, local(8, 0.5, BEHIND))[0] == Rule.ALLOWED


def test_quiet_days_run_through_the_seventh_local_day_after_a_conversation():
    book = third_party()
    book.history.record_conversation(0, local(1, 20.98))
    for day in range(2, 8):
        assert call_reason(book, local(day, 10.0)) == Rule.QUIET_AFTER_CONVERSATION, day
    assert call_reason(book, local(7, 20.5)) == Rule.QUIET_AFTER_CONVERSATION
    assert call_reason(book, local(8, 8.0)) == Rule.ALLOWED


# --------------------------------------------------------------------------- consent


def capped_and_quiet(consent: bool) -> RuleBook:
    """Seven calls on days 1-7 and a conversation on day 7, in a book with or without the
    consent exception; the cardholder asked to be called on day 7."""
    book = third_party(consent_exception=consent)
    for day in range(1, 8):
        call(book, 0, local(day, 9.0))
    book.history.record_conversation(0, local(7, 9.0))
    book.history.record_consent(0, 7)
    return book


def test_a_call_the_cardholder_asked_for_is_allowed_despite_the_cap_and_quiet_days():
    assert call_reason(capped_and_quiet(consent=True), local(7, 15.0)) == Rule.ALLOWED


def test_without_the_consent_exception_the_cap_and_quiet_days_hold():
    book = capped_and_quiet(consent=False)
    assert call_reason(book, local(7, 15.0)) == Rule.CALLS_PER_7_DAYS
    assert book.account_block_reasons(ONE, local(7, 15.0))[0] != Rule.ALLOWED


def test_a_call_asked_for_is_not_counted_toward_the_cap():
    """Seven calls on days 1-7, day 3's asked for: Regulation F counts six; a book without
    the exception counts seven. Both read the one history."""
    reg_f = third_party()
    strict = RuleBook(Rules(consent_exception=False).limits(), reg_f.history)
    reg_f.history.record_consent(0, 3)
    for day in range(1, 8):
        call(reg_f, 0, local(day, 9.0))
    assert call_reason(reg_f, local(7, 15.0)) == Rule.ALLOWED
    assert call_reason(strict, local(7, 15.0)) == Rule.CALLS_PER_7_DAYS


# --------------------------------------------------------------------------- cease


def test_a_spoken_cease_under_regulation_f_stops_calls_not_messages():
    book = third_party()
    book.history.record_cease(0, local(2, 10.0), received=None)
    assert call_reason(book, local(2, 11.0)) == Rule.CEASED
    assert message_reason(book, local(2, 11.0)) == Rule.ALLOWED
    assert message_reason(book, local(40, 11.0)) == Rule.ALLOWED


def test_a_written_cease_stops_messages_from_the_day_it_is_received():
    book = third_party()
    book.history.record_cease(0, local(2, 10.0), received=7.0)
    assert message_reason(book, local(6, 20.5)) == Rule.ALLOWED
    assert message_reason(book, local(7, 8.0)) == Rule.CEASED
    assert message_reason(book, local(30, 12.0)) == Rule.CEASED


@pytest.mark.parametrize("regime", ["uk", "china"])
def test_a_spoken_cease_stops_calls_and_messages_where_writing_is_not_asked(regime):
    book = third_party(regime)
    book.history.record_cease(0, local(2, 10.0), received=None)
    assert call_reason(book, local(2, 11.0)) == Rule.CEASED
    assert message_reason(book, local(2, 11.0)) == Rule.CEASED


# --------------------------------------------------------------------------- dispute


def test_a_written_dispute_within_the_validation_period_holds_until_verified():
    rules = Rules()
    received = rules.validation_days - 0.5  # placed on day 0
    book = third_party()
    book.history.record_dispute(0, received - rules.mail_days, received=received)
    until = math.ceil(received + rules.dispute_hold_days)
    for now in (local(math.floor(received) + 1, 10.0), local(until - 1, 20.5)):
        assert call_reason(book, now) == Rule.DISPUTE_HOLD
        assert message_reason(book, now) == Rule.DISPUTE_HOLD
    assert call_reason(book, local(until, 8.0)) == Rule.ALLOWED
    assert message_reason(book, local(until, 8.0)) == Rule.ALLOWED


def test_a_written_dispute_after_the_validation_period_holds_nothing():
    received = Rules().validation_days + 1.0
    book = third_party()
    book.history.record_dispute(0, received - 5.0, received=received)
    now = local(math.ceil(received) + 1, 10.0)
    assert call_reason(book, now) == Rule.ALLOWED and message_reason(book, now) == Rule.ALLOWED


def test_a_spoken_dispute_under_regulation_f_holds_nothing():
    book = third_party()
    book.history.record_dispute(0, local(3, 10.0), received=None)
    now = local(4, 10.0)
    assert call_reason(book, now) == Rule.ALLOWED and message_reason(book, now) == Rule.ALLOWED


@pytest.mark.parametrize("received", [None, 200.0])
def test_any_dispute_holds_under_the_uk_rules(received):
    book = third_party("uk")
    book.history.record_dispute(0, local(150, 10.0), received=received)
    assert call_reason(book, local(151, 10.0)) == Rule.DISPUTE_HOLD
    assert message_reason(book, local(151, 10.0)) == Rule.DISPUTE_HOLD


@pytest.mark.parametrize("regime", ["uk", "china", "taiwan"])
def test_a_later_spoken_dispute_holds_anew_after_an_earlier_written_one(regime):
    """Where a dispute need not be in writing, a hold runs from the latest dispute: a spoken
    dispute after the hold of an earlier written one has ended holds for its own 30 days (the
    earlier letter's date no longer counts)."""
    book = third_party(regime)
    first = local(10, 10.0)
    book.history.record_dispute(0, first, received=math.ceil(first + 3))  # 30 days from day 10
    assert call_reason(book, local(42, 10.0)) == Rule.ALLOWED
    later = local(60, 10.0)
    book.history.record_dispute(0, later, received=None)
    for now in (local(60, 11.0), local(75, 10.0), local(90, 20.0)):  # to the end of day 90
        assert call_reason(book, now) == Rule.DISPUTE_HOLD
        assert message_reason(book, now) == Rule.DISPUTE_HOLD
    assert call_reason(book, local(91, 10.0)) == Rule.ALLOWED


def test_a_later_spoken_dispute_holds_nothing_under_regulation_f():
    """Regulation F holds only from a written dispute: a later spoken one after the hold of
    an earlier letter has ended holds nothing."""
    book = third_party()
    first = local(10, 10.0)
    book.history.record_dispute(0, first, received=math.ceil(first + 3))
    assert call_reason(book, local(20, 10.0)) == Rule.DISPUTE_HOLD
    book.history.record_dispute(0, local(60, 10.0), received=None)
    assert call_reason(book, local(61, 10.0)) == Rule.ALLOWED


# --------------------------------------------------------------------------- breathing space


def test_breathing_space_blocks_from_its_start_until_its_end_only():
    book = third_party("uk")
    days = Rules(regime="uk").breathing_space_days
    start = local(10, 12.0)
    book.history.record_breathing_space(0, start, days)
    assert call_reason(book, start - 0.1) == Rule.ALLOWED
    for now in (start, start + 0.1, start + days - 0.1):
        assert call_reason(book, now) == Rule.BREATHING_SPACE
        assert message_reason(book, now) == Rule.BREATHING_SPACE
    assert call_reason(book, start + days + 0.1) == Rule.ALLOWED
    assert book.history.in_breathing_space(start).tolist() == [True]
    assert book.history.in_breathing_space(start - 0.1).tolist() == [False]
    assert book.history.in_breathing_space(start + days).tolist() == [False]


# --------------------------------------------------------------------------- window


def test_the_window_governs_messages_on_the_cardholders_clock():
    book = third_party(offset=BEHIND)
    assert message_reason(book, 3 + 9 * HOUR) == Rule.CONTACT_WINDOW  # 06:00 local
    assert message_reason(book, 3 + 11.5 * HOUR) == Rule.ALLOWED  # 08:30 local
    assert message_reason(book, 3 + 23.5 * HOUR) == Rule.ALLOWED  # 20:30 local
    assert message_reason(book, 3 + 24.5 * HOUR) == Rule.CONTACT_WINDOW  # 21:30 local
    china = third_party("china", offset=BEHIND)
    assert message_reason(china, 3 + 24.5 * HOUR) == Rule.ALLOWED  # China: until 22:00


# --------------------------------------------------------------------------- who is bound


def books(regime: str) -> RuleBooks:
    return RuleBooks(Rules(regime=regime), np.zeros(1), np.zeros(1))


def test_the_in_house_desk_gets_the_first_party_book():
    both = books("us_reg_f")
    assert both.of(in_house=True) is both.first_party
    assert both.of(in_house=False) is both.third_party
    assert both.first_party.history is both.third_party.history is both.reference.history


@pytest.mark.parametrize("kind", ["contingency", "in_house"])
def test_each_desk_works_under_its_partys_book_and_the_reference(small_scenario, kind):
    scenario = small_scenario(f'agencies.alpha.kind="{kind}"', accounts=50)
    streams = Streams(1, 0)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, streams)
    world = World(env=CountingEnvironment(), scenario=scenario, accounts=acc,
                  books=RuleBooks(scenario.rules, acc.local_offset, acc.placed_day),
                  streams=streams, horizon=10, start_weekday=0)
    desk = AgencyDesk(0, scenario.agencies[0], world, make_behaviour(scenario.behaviour, acc,
                                                                     streams),
                      streams, agency_scores(scenario, acc, streams)[0])
    book = world.books.first_party if kind == "in_house" else world.books.third_party
    assert desk.call_list.rules is book and desk.dialler.book is book
    assert desk.messenger.rules is book and desk.conduct.book is book
    assert desk.dialler.reference is desk.messenger.reference is world.books.reference


def test_regulation_f_caps_agencies_not_the_banks_own_collectors():
    both = books("us_reg_f")
    for day in range(1, 8):
        call(both.third_party, 0, local(day, 9.0))
    now = local(7, 15.0)
    assert call_reason(both.of(in_house=False), now) == Rule.CALLS_PER_7_DAYS
    assert call_reason(both.of(in_house=True), now) == Rule.ALLOWED


def test_massachusetts_caps_the_banks_own_collectors_at_two_calls_in_seven_days():
    own = books("us_massachusetts").of(in_house=True)
    call(own, 0, local(1, 9.0))
    assert call_reason(own, local(1, 15.0)) == Rule.ALLOWED
    call(own, 0, local(2, 9.0))
    assert call_reason(own, local(7, 20.5)) == Rule.CALLS_PER_7_DAYS
    assert call_reason(own, local(8, 8.0)) == Rule.ALLOWED  # day 1's call has left the week


# --------------------------------------------------------------------------- conduct


@pytest.fixture(scope="module")
def portfolio(small_scenario) -> Accounts:
    """A few hundred accounts spread over the US time zones, placed on day 0."""
    scenario = small_scenario(accounts=300)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, Streams(1, 0))
    assert len(set(acc.local_offset.tolist())) > 1
    acc.placed_day[:] = 0.0
    return acc


def conduct(acc: Accounts, compliance: float, regime: str = "us_reg_f",
            **rates) -> Conduct:
    book = RuleBook(Rules(regime=regime).limits(),
                    ContactHistory([ContactLimits()], acc.local_offset, acc.placed_day))
    profile = Agency(name="alpha", compliance=compliance, conduct=rates)
    slips = Conduct(profile, acc, book, np.random.default_rng(8), key=21)
    members = np.arange(acc.n)
    slips.take_on(members)
    slips.new_day(members, compliance)
    return slips


EVERY_BLOCK = np.array([int(rule) for rule in Rule])
rates = st.fixed_dictionaries({
    "wrong_time_zone": st.sampled_from([0.0, 0.5, 1.0]),
    "manual_redial": st.sampled_from([0.0, 0.5, 1.0]),
    "posting_days": st.sampled_from([0.0, 5.0, 60.0]),
    "wrong_party_disclosure": st.sampled_from([0.0, 0.5, 1.0]),
    "voicemail_share": st.sampled_from([0.0, 1.0]),
    "voicemail_disclosure": st.sampled_from([0.0, 0.5, 1.0]),
})


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rates=rates)
def test_a_fully_compliant_agency_never_slips_whatever_its_rates(portfolio, rates):
    slips = conduct(portfolio, 1.0, **rates)
    n = portfolio.n
    assert not slips.slipped(10_000, 1.0).any()
    np.testing.assert_array_equal(slips.believed_offset, portfolio.local_offset)
    assert not slips.late_posting.any() and not slips.redial_today.any()
    idx = np.resize(np.arange(n), len(EVERY_BLOCK) * 20)
    blocks = np.resize(EVERY_BLOCK, len(idx))
    slips.history.record_cease(0, 1.5, received=2.0)
    slips.history.record_dispute(1, 1.5, received=2.0)
    for contact in Contact:
        assert not slips.overlooked(idx, blocks, 2.5, contact).any()
    everyone = np.ones(n, dtype=np.bool_)
    for wrong_party in (everyone, ~everyone):
        told = slips.disclosures(np.arange(n), np.zeros(n, dtype=np.int64), wrong_party,
                                 ~wrong_party)
        assert not told.any()


def test_rates_at_defaults_would_slip_without_controls(portfolio):
    """The compliant agency's silence above is its controls', not its rates'."""
    slips = conduct(portfolio, 0.0, wrong_time_zone=1.0, manual_redial=1.0)
    assert slips.late_posting.all() and slips.redial_today.all()
    assert (slips.believed_offset != portfolio.local_offset).any()


def blocked(acc: Accounts, case: str) -> tuple[Conduct, float, Rule]:
    """An agency with no controls that redials by hand, whose account 0 is blocked in
    ``case`` at the returned time, and the rule its book gives."""
    regime = "china" if case.endswith("per_day") else "uk" if case == "breathing" else "us_reg_f"
    slips = conduct(acc, 0.0, regime, manual_redial=1.0, posting_days=0.0, wrong_time_zone=0.0)
    h = slips.history
    now = local(3, 12.0, float(acc.local_offset[0]))
    if case == "window":
        now = local(3, 6.0, float(acc.local_offset[0]))
    elif case == "cease_spoken":
        h.record_cease(0, now - 1.0, received=None)
    elif case == "cease_written":
        h.record_cease(0, now - 2.0, received=now - 1.0)
    elif case == "dispute":
        h.record_dispute(0, now - 2.0, received=now - 1.0)
    elif case == "breathing":
        h.record_breathing_space(0, now - 1.0, 60.0)
    elif case == "calls_per_7_days":
        for day in range(7):
            call(slips.book, 0, now - 0.01 * (day + 1))
    elif case == "quiet":
        h.record_conversation(0, now - 1.0)
    elif case == "conversations_per_day":
        for k in range(3):
            h.record_conversation(0, now - 0.01 * (k + 1))
    elif case == "unanswered_per_day":
        for k in range(6):
            call(slips.book, 0, now - 0.01 * (k + 1))
    return slips, now, Rule(slips.book.call_block(0, now))


CASES = {"window": Rule.CONTACT_WINDOW, "cease_spoken": Rule.CEASED,
         "cease_written": Rule.CEASED, "dispute": Rule.DISPUTE_HOLD,
         "breathing": Rule.BREATHING_SPACE, "calls_per_7_days": Rule.CALLS_PER_7_DAYS,
         "quiet": Rule.QUIET_AFTER_CONVERSATION,
         "conversations_per_day": Rule.CONVERSATIONS_PER_DAY,
         "unanswered_per_day": Rule.UNANSWERED_PER_DAY}


@pytest.mark.parametrize("case", CASES)
def test_a_manual_redial_gets_past_exactly_the_frequency_rules(portfolio, case):
    slips, now, rule = blocked(portfolio, case)
    assert rule == CASES[case]
    through = slips.overlooked(ONE, np.array([int(rule)]), now, Contact.CALL)[0]
    assert through == (int(rule) in FREQUENCY_RULES)


def test_a_letter_posted_late_lets_messages_through_only_while_it_waits(portfolio):
    posting = 5.0
    slips = conduct(portfolio, 0.0, manual_redial=0.0, posting_days=posting)
    offset = float(portfolio.local_offset[0])
    received = 10.0
    slips.history.record_cease(0, received - 5.0, received=received)
    book = slips.book
    for now, through in ((local(10, 12.0, offset), True), (local(14, 12.0, offset), True),
                         (local(15, 12.0, offset), False), (local(30, 12.0, offset), False)):
        blocks = book.message_block_reasons(ONE, now)
        assert blocks[0] == Rule.CEASED
        assert slips.overlooked(ONE, blocks, now, Contact.MESSAGE)[0] == through, now
        calls = book.account_block_reasons(ONE, now)
        assert calls[0] == Rule.CEASED  # said on the phone: calls stop at once
        assert not slips.overlooked(ONE, calls, now, Contact.CALL)[0], now
    assert book.message_block_reasons(ONE, local(9, 12.0, offset))[0] == Rule.ALLOWED


@pytest.mark.parametrize("compliance", [0.0, 0.5])
def test_disclosures_happen_at_their_rates_less_what_the_controls_catch(portfolio,
                                                                       compliance):
    rates = ConductRates(wrong_party_disclosure=0.2, voicemail_share=0.3,
                         voicemail_disclosure=0.1)
    slips = conduct(portfolio, compliance, **rates.model_dump())
    attempts = 80
    idx = np.repeat(np.arange(portfolio.n), attempts)
    tries = np.tile(np.arange(attempts), portfolio.n).astype(np.int64)
    everyone = np.ones(len(idx), dtype=np.bool_)
    catch = 1.0 - compliance
    for wrong_party, rate in ((everyone, rates.wrong_party_disclosure * catch),
                              (~everyone, rates.voicemail_share * rates.voicemail_disclosure
                               * catch)):
        told = slips.disclosures(idx, tries, wrong_party, ~wrong_party)
        error = math.sqrt(rate * (1 - rate) / len(idx))
        assert abs(told.mean() - rate) < 4 * error, (rate, told.mean())
