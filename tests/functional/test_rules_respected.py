"""Rules are never broken silently, under every regime, by agencies and the bank's own team.

Each replication here runs a contingency agency (``alpha``, bound by the regime's third-party
rules) and the bank's own team (``beta``, ``kind = "in_house"``, bound by its first-party rules)
side by side, pushy (up to 8 dials a day, half an hour apart, from the top of a static list, on a
07:00-23:00 shift, a daily SMS), and the independent checker of :mod:`rule_replay` replays its
event log and messages against the rules of each desk and the reference standard. For every
regime of the schema (``typing.get_args(Regime)``), with perfect compliance and with a lax
agency (compliance 0.3 and high slip rates in ``[agencies.conduct]``), and with every request
spoken only or also written (consent, a cardholder asking to be called, apart):

* a contact that breaks a rule of its desk is flagged (a call's ``rule_broken``) and counted
  as one violation of its account; a flagged call broke the rule it names; the KPI is the sum;
* a contact the reference standard forbids is one conduct breach, whatever the desk;
* a dial that told a third party about the debt carries ``third_party_disclosure`` exactly when
  its desk's rules forbid disclosure (and no rule before it in precedence was broken);
* with compliance 1 nothing is a violation; with lax conduct every rule each preset switches on
  is broken somewhere — except the ones no slip of the model can reach (:data:`UNREACHABLE`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import get_args

import numpy as np
import pandas as pd
import pytest
from rule_replay import (
    CALL,
    CONVERSATIONS,
    MESSAGE,
    NO_CONVERSATION,
    REPLAY_CHECKS,
    UNANSWERED,
    broken_rules,
    run_recording_messages,
)

from sim.config.schema import ContactLimits, Rules, Scenario
from sim.config.schema.rules import Regime
from sim.model.codes import Rule
from sim.model.results import TOTAL
from sim.model.rules.table import RULES

REGIMES: tuple[str, ...] = get_args(Regime)
AGENCY, BANK_TEAM = 0, 1  # alpha (contingency), beta (in-house) in the baseline's order
LAX_CONDUCT = {"wrong_time_zone": 0.5, "manual_redial": 0.5, "posting_days": 10.0,
               "wrong_party_disclosure": 0.5, "voicemail_share": 0.5,
               "voicemail_disclosure": 0.5}
PUSHY = {"max_attempts_per_day": 8, "retry_hours": 0.5, "pacing_minutes": 15,
         "strategy": "static", "shift.start": "07:00", "shift.end": "23:00",
         "sms.every_days": 1}
SIZE = {"accounts": 300, "collectors": 2, "horizon": 30}
SEED = 11


def scenario_for(small_scenario: Callable[..., Scenario], regime: str, lax: bool, written: bool,
                 *overrides: str, **size: int) -> Scenario:
    """The two desks under ``regime``, lax or fully compliant; every request written too
    (``written``) or none; no cardholder asks to be called back unless ``overrides`` say so."""
    each: dict[str, object] = {**PUSHY, "compliance": 0.3 if lax else 1.0}
    each.update({f"conduct.{name}": rate for name, rate in LAX_CONDUCT.items()})
    return small_scenario(f'rules.regime="{regime}"', 'agencies.beta.kind="in_house"',
                          f"rules.written_request_share={1.0 if written else 0.0}",
                          "rules.callback_request_share=0.0",
                          "portfolio.segments.income_shock.breathing_space_request=0.5",
                          *overrides, each=each, **{**SIZE, **size})


@functools.cache
def recorded(small_scenario: Callable[..., Scenario], regime: str, lax: bool, written: bool,
             *overrides: str, **size: int):
    """The scenario of :func:`scenario_for`, its results and the messages it sent."""
    scenario = scenario_for(small_scenario, regime, lax, written, *overrides, **size)
    return scenario, *run_recording_messages(scenario, seed=SEED)


@functools.cache
def replayed(small_scenario: Callable[..., Scenario], regime: str, lax: bool, written: bool,
             *overrides: str, **size: int):
    """The scenario, its results and every contact with the rules it broke."""
    scenario, results, messages = recorded(small_scenario, regime, lax, written, *overrides,
                                           **size)
    return scenario, results, broken_rules(scenario, results, messages)


def _setting_id(regime: str, lax: bool, written: bool) -> str:
    return f"{regime}-{'lax' if lax else 'compliant'}-{'written' if written else 'spoken'}"


SETTINGS = [(regime, lax, written) for regime in REGIMES for lax in (False, True)
            for written in (False, True)]
FAST = ("us_reg_f", True, True)


@pytest.fixture(scope="module", params=[
    pytest.param(setting, id=_setting_id(*setting),
                 marks=() if setting == FAST else pytest.mark.slow) for setting in SETTINGS])
def run(request, small_scenario):
    """(regime, lax, written, scenario, results, contacts) of one setting."""
    regime, lax, written = request.param
    if request.param == FAST:  # small enough for the fast suite
        return (*request.param, *replayed(small_scenario, regime, lax, written, accounts=150,
                                          horizon=20))
    return (*request.param, *replayed(small_scenario, regime, lax, written))


# ----------------------------------------------------------------------------- the checker


def test_every_rule_in_the_table_has_a_replay_check():
    governed = {(spec.code, contact.value) for spec in RULES for contact in spec.governs}
    assert governed == set(REPLAY_CHECKS)


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("first_party", [False, True], ids=["agencies", "bank_team"])
def test_the_replay_switches_rules_as_the_table_does(regime, first_party):
    """What switches each rule on is read again here from the fields; it agrees with the
    table for every party of every preset, and for a bank policy on top of one."""
    for rules in (Rules(regime=regime), Rules(regime=regime, max_messages_per_7_days=3,
                                              first_party={"max_messages_per_7_days": 3})):
        limits = rules.limits(first_party)
        for spec in RULES:
            for contact in spec.governs:
                assert REPLAY_CHECKS[spec.code, contact.value].on(limits) == spec.on(limits), (
                    regime, spec.code, contact)


def test_the_replay_needs_known_request_forms(small_scenario):
    scenario = small_scenario("rules.written_request_share=0.5", accounts=50, horizon=3)
    with pytest.raises(ValueError, match="written_request_share"):
        broken_rules(scenario, None)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- every setting


def test_event_log_is_well_formed(run):
    *_, results, contacts = run
    events = results.events
    assert list(events.columns) == ["time", "local_time", "account", "agency", "kind", "outcome",
                                    "rule_broken"]
    assert len(events) > 1000
    assert set(events.kind) <= {"call", "inbound"}
    calls = events[events.kind == "call"]
    assert set(calls.outcome) <= CONVERSATIONS | UNANSWERED | NO_CONVERSATION
    assert set(events[events.kind == "inbound"].outcome) <= CONVERSATIONS
    assert set(events.rule_broken) <= {rule.label for rule in Rule}
    assert (np.diff(events.time.to_numpy()) >= 0).all()
    assert (events[events.kind == "inbound"].rule_broken == "").all()
    # every outbound call in the log is a call attempt in the KPIs, from both desks
    assert len(calls) == results.kpi("call_attempts")
    assert set(calls.agency) == {AGENCY, BANK_TEAM}
    assert set(contacts[contacts.kind == MESSAGE].agency) == {AGENCY, BANK_TEAM}


def test_no_call_breaks_a_rule_silently(run):
    *_, contacts = run
    calls = contacts[contacts.kind == CALL]
    silent = calls[(calls.rule_broken == "") & (calls.broken.map(len) > 0)]
    assert silent.empty, f"{len(silent)} silent violations, e.g.\n{silent.head(10)}"


def test_flagged_calls_really_broke_the_rule_named(run):
    *_, contacts = run
    flagged = contacts[(contacts.kind == CALL) & (contacts.rule_broken != "")]
    wrong = flagged[[rule not in broken
                     for rule, broken in zip(flagged.rule_broken, flagged.broken, strict=True)]]
    assert wrong.empty, f"{len(wrong)} calls flagged with a rule they did not break\n{wrong.head()}"


def test_flagged_calls_name_the_first_rule_they_broke(run):
    """Where a call breaks several rules, the log names the first in precedence order: the
    window, requests, breathing space, the frequency caps, disclosure last."""
    *_, contacts = run
    flagged = contacts[(contacts.kind == CALL) & (contacts.rule_broken != "")]
    first = flagged.broken.map(lambda rules: rules[0] if rules else "")
    wrong = flagged[flagged.rule_broken != first]
    assert wrong.empty, f"{len(wrong)} calls not named by their first rule\n{wrong.head()}"


def test_disclosures_are_flagged_exactly_where_the_desk_may_not_disclose(run):
    _, _, _, scenario, _, contacts = run
    tpd = Rule.THIRD_PARTY_DISCLOSURE.label
    told = contacts.outcome.isin(["wrong_party_disclosed", "voicemail_disclosed"])
    assert told.sum() > 0 or not run[1]
    carries = contacts.broken.map(lambda rules: tpd in rules)
    assert not (carries & ~told).any()
    assert not (contacts.rule_broken[~told] == tpd).any()
    for desk, in_house in ((AGENCY, False), (BANK_TEAM, True)):
        mine = told & (contacts.agency == desk)
        if scenario.rules.limits(first_party=in_house).third_party_disclosure:
            assert carries[mine].all()
            only = mine & (contacts.broken.map(len) == 1)
            assert (contacts.rule_broken[only] == tpd).all()
        else:
            assert not carries[mine].any()
            assert not (contacts.rule_broken[mine] == tpd).any()


def test_every_contact_against_the_rules_is_one_violation(run):
    """Account by account: flagged calls plus messages sent against the desk's rules are its
    violations, and contacts against the reference standard its conduct breaches."""
    _, lax, _, _, results, contacts = run
    calls = contacts[contacts.kind == CALL]
    messages = contacts[contacts.kind == MESSAGE]
    daily = results.daily[results.daily.agency == TOTAL]
    assert len(messages) == daily.messages.sum() > 0
    accounts = results.accounts.set_index("account")
    for column, counted_here in (
            ("violations", (calls.rule_broken != "").groupby(calls.account).sum().add(
                (messages.broken.map(len) > 0).groupby(messages.account).sum(), fill_value=0)),
            ("breaches", (contacts.breached.map(len) > 0).groupby(contacts.account).sum())):
        pd.testing.assert_series_equal(
            counted_here.reindex(accounts.index, fill_value=0).astype(np.int64),
            accounts[column].astype(np.int64), check_names=False, obj=column)
    violations = results.kpi("rule_violations")
    assert accounts.violations.sum() == violations == daily.violations.sum()
    assert accounts.breaches.sum() == results.kpi("conduct_breaches") == daily.breaches.sum()
    if not lax:
        assert violations == 0


def test_lax_desks_break_rules_and_compliant_ones_do_not(run):
    regime, lax, _, scenario, _, contacts = run
    for desk, in_house in ((AGENCY, False), (BANK_TEAM, True)):
        broken = int((contacts[contacts.agency == desk].broken.map(len) > 0).sum())
        if lax and reachable(scenario.rules.limits(in_house)):
            assert broken > 0, (regime, desk)
        else:
            assert broken == 0, (regime, desk)


# ----------------------------------------------------------------------------- coverage

UNREACHABLE: dict[tuple[Rule, str], str] = {
    (Rule.CEASED, CALL): "a spoken request stops calls at once under every preset, and no slip "
                         "lets a call through one (a late posting only delays the letter)",
    (Rule.BREATHING_SPACE, CALL): "no slip lets a contact through a breathing space",
    (Rule.BREATHING_SPACE, MESSAGE): "no slip lets a contact through a breathing space",
    (Rule.THIRD_PARTY_DISCLOSURE, MESSAGE): "no message reaches a third party in the model",
}
"""Rules no slip of an agency can break, and why."""


def reachable(limits: ContactLimits) -> set[tuple[str, str]]:
    """The (rule, contact) pairs ``limits`` switch on that a lax desk can break: a written
    request posted late breaks only a rule that waits for the letter."""
    pairs = {(rule, contact) for (rule, contact), check in REPLAY_CHECKS.items()
             if check.on(limits) and (rule, contact) not in UNREACHABLE}
    if not limits.cease_needs_writing:  # the spoken request binds all contact at once
        pairs.discard((Rule.CEASED, MESSAGE))
    if not limits.dispute_needs_writing:
        pairs -= {(Rule.DISPUTE_HOLD, CALL), (Rule.DISPUTE_HOLD, MESSAGE)}
    return {(rule.label, contact) for rule, contact in pairs}


@pytest.mark.slow
@pytest.mark.parametrize("regime", REGIMES)
def test_every_rule_a_preset_switches_on_is_broken_by_a_lax_desk(small_scenario, regime):
    """Across the lax runs of a regime, each desk breaks every rule of its party that a slip
    can reach, and none other."""
    for desk, in_house in ((AGENCY, False), (BANK_TEAM, True)):
        seen: set[tuple[str, str]] = set()
        for written in (False, True):
            scenario, _, contacts = replayed(small_scenario, regime, True, written)
            mine = contacts[contacts.agency == desk]
            seen |= {(rule, kind) for kind, broken in zip(mine.kind, mine.broken, strict=True)
                     for rule in broken}
        assert seen == reachable(scenario.rules.limits(in_house)), (regime, desk)


@pytest.mark.slow
def test_every_rule_of_the_table_is_exercised(small_scenario):
    """Between the lax runs of all regimes, and one with a message cap (which no preset sets),
    every rule of the table is broken for every contact it governs that a slip can reach."""
    seen: set[tuple[str, str]] = set()
    runs = [replayed(small_scenario, regime, True, written) for regime in REGIMES
            for written in (False, True)]
    runs.append(replayed(small_scenario, "us_reg_f", True, True,
                         "rules.max_messages_per_7_days=2"))
    for _, _, contacts in runs:
        seen |= {(rule, kind) for kind, broken in zip(contacts.kind, contacts.broken,
                                                      strict=True) for rule in broken}
    governed = {(rule.label, contact) for rule, contact in REPLAY_CHECKS}
    assert governed - seen == {(rule.label, contact) for rule, contact in UNREACHABLE}


# ----------------------------------------------------------------------------- consent

CONSENT = "rules.callback_request_share=1.0"
"""Every cardholder who refuses asks to be called the next (local) day."""


def without_consent_exception(scenario: Scenario) -> Scenario:
    rules = scenario.rules.model_copy(update={"consent_exception": False})
    return scenario.model_copy(update={"rules": rules})


@pytest.mark.slow
def test_calls_the_cardholder_asked_for_are_exempt_from_the_caps(small_scenario):
    """Under Regulation F a compliant agency calls a cardholder on the day they asked to be
    called, within the quiet days and past the cap (12 CFR 1006.14(b)(3)); none of it is a
    violation, and the replay, which exempts those calls, agrees call by call."""
    scenario, results, contacts = replayed(small_scenario, "us_reg_f", False, False, CONSENT)
    assert results.kpi("rule_violations") == 0
    assert (contacts.broken.map(len) == 0).all()
    # read without the exception, the same calls break the cap or the quiet days
    strict = broken_rules(without_consent_exception(scenario), results)
    strict = strict[(strict.kind == CALL) & (strict.agency == AGENCY)]
    asked_for = strict.broken.map(lambda rules: bool({"calls_per_7_days",
                                                      "quiet_after_conversation"} & set(rules)))
    assert asked_for.sum() > 50


@pytest.mark.slow
def test_a_call_on_the_day_asked_for_stays_exempt_when_the_cardholder_asks_again(
        small_scenario):
    _, _, contacts = replayed(small_scenario, "us_reg_f", True, False, CONSENT)
    flagged = contacts[(contacts.kind == CALL) & (contacts.rule_broken != "")]
    wrong = flagged[[rule not in broken
                     for rule, broken in zip(flagged.rule_broken, flagged.broken, strict=True)]]
    assert wrong.empty, f"{len(wrong)} calls flagged with a rule they did not break\n{wrong}"


@pytest.mark.slow
def test_calls_asked_for_do_not_hide_the_calls_counted_towards_the_cap(small_scenario):
    """Calls on days the cardholder asked for, many a day, leave the cap counting every other
    call of the seven days (seen with no quiet days, where nothing else stops the calls)."""
    _, _, contacts = replayed(small_scenario, "us_reg_f", False, False, CONSENT,
                              "rules.quiet_days_after_conversation=0")
    calls = contacts[contacts.kind == CALL]
    silent = calls[(calls.rule_broken == "") & (calls.broken.map(len) > 0)]
    assert silent.empty, f"{len(silent)} silent violations, e.g.\n{silent.head()}"


# ----------------------------------------------------------------------------- messages


@pytest.mark.slow
@pytest.mark.parametrize("regime", ["uk", "china"])
def test_a_message_respects_a_request_made_earlier_the_same_day(small_scenario, regime):
    scenario, results, messages = recorded(small_scenario, regime, False, False)
    contacts = broken_rules(scenario, results, messages, message_state="sent")
    sent = contacts[contacts.kind == MESSAGE]
    assert (sent.broken.map(len) == 0).all(), sent[sent.broken.map(len) > 0]


def test_the_message_cap_counts_each_cardholders_own_calendar_days(small_scenario):
    """A cardholder ten hours ahead of the agency gets the day's message at 09:00 (19:00 their
    time) while one ten hours behind gets it at 18:00: each is counted on its own calendar days,
    so a message six days after the last one is held back under a cap of one a week."""
    scenario = small_scenario(
        "rules.max_messages_per_7_days=1", "rules.written_request_share=0",
        "rules.callback_request_share=0",
        "portfolio.time_zones=[{offset_hours=10, share=0.5}, {offset_hours=-10, share=0.5}]",
        accounts=200, horizon=30,
        each={"collectors": 0, "sms.every_days": 6, "email.every_days": 0,
              "letter.every_days": 0, "compliance": 1.0, "shift.start": "09:00",
              "shift.end": "20:00"})
    results, messages = run_recording_messages(scenario, seed=3)
    sent = broken_rules(scenario, results, messages)
    assert len(sent) > 500 and results.kpi("rule_violations") == 0
    over = sent[sent.broken.map(len) > 0]
    assert over.empty, f"{len(over)} messages over the cap, e.g.\n{over.head()}"
