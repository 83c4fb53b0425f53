"""The replay checker of :mod:`rule_replay` on hand-written histories, rule by rule, as the
regulation reads: it is what the replication tests trust, so it is checked here without the
model.

Every history is one cardholder three hours behind the agency (``local_offset_hours = -3``),
placed on day 0, under Regulation F, with every request also written (received at the first
midnight five days later) and every refusal a request to be called the next day.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest
from rule_replay import broken_rules

OFFSET = -3.0 / 24.0  # the cardholder's clock's lead on the agency's, days
AGENCY, BANK_TEAM = 0, 1


@pytest.fixture(scope="module")
def scenario(small_scenario):
    return small_scenario('agencies.beta.kind="in_house"', "rules.written_request_share=1",
                          "rules.callback_request_share=1", "rules.mail_days=5",
                          accounts=50, horizon=3)


def local(day: int, hour: float) -> float:
    """The agency's time of ``hour`` on the cardholder's local ``day``."""
    return day + hour / 24.0 - OFFSET


def replay(scenario, *contacts: tuple[str, float, str], agency: int = AGENCY,
           messages: tuple[float, ...] = ()) -> pd.DataFrame:
    """The replay of ``contacts`` (kind, time, outcome) and ``messages`` (times) of one
    account."""
    events = pd.DataFrame(
        [(t, t + OFFSET, 0, agency, kind, outcome, "") for kind, t, outcome in contacts],
        columns=["time", "local_time", "account", "agency", "kind", "outcome", "rule_broken"])
    results = SimpleNamespace(events=events, accounts=pd.DataFrame(
        {"account": [0], "local_offset_hours": [-3], "placed_day": [0.0]}))
    sent = pd.DataFrame({"agency": agency, "account": 0, "time": list(messages)})
    return broken_rules(scenario, results, sent).sort_values("time", kind="stable")


def broken_at(contacts: pd.DataFrame, t: float) -> tuple[str, ...]:
    return contacts[contacts.time == t].broken.iloc[0]


def test_seven_calls_a_week_on_the_cardholders_calendar_days(scenario):
    """A call on local day d counts on days d to d + 6: the eighth call of local days 0-6
    breaks the cap, one on day 7 does not; the agency's calendar day does not matter."""
    week = [("call", local(day, 10.0), "no_answer") for day in range(7)]
    late_on_day_6 = local(6, 22.5)  # day 7 on the agency's clock, 01:30
    contacts = replay(scenario, *week, ("call", late_on_day_6, "no_answer"))
    assert broken_at(contacts, late_on_day_6) == ("contact_window", "calls_per_7_days")
    contacts = replay(scenario, *week, ("call", local(7, 10.0), "no_answer"))
    assert (contacts.broken.map(len) == 0).all()


def test_quiet_days_after_a_conversation_and_a_call_asked_for(scenario):
    """After a conversation on local day 0 no call until local day 7 — except on the day the
    cardholder asked to be called (the day after a refusal), which the cap does not count."""
    talk = local(0, 9.0)
    contacts = replay(scenario, ("call", talk, "promise"), ("call", local(6, 20.0), "no_answer"),
                      ("call", local(7, 8.0), "no_answer"))
    assert broken_at(contacts, local(6, 20.0)) == ("quiet_after_conversation",)
    assert broken_at(contacts, local(7, 8.0)) == ()
    asked = [("call", local(1, 8.0 + k), "no_answer") for k in range(8)]
    contacts = replay(scenario, ("call", talk, "refusal"), *asked,
                      ("call", local(2, 9.0), "no_answer"))
    assert (contacts.broken.map(len)[:-1] == 0).all()  # eight calls asked for on day 1
    assert broken_at(contacts, local(2, 9.0)) == ("quiet_after_conversation",)


def test_the_window_is_on_the_cardholders_clock_for_calls_and_messages(scenario):
    contacts = replay(scenario, ("call", local(0, 20.99), "no_answer"),
                      ("call", local(1, 21.0), "no_answer"),
                      messages=(local(2, 7.99), local(3, 8.0)))
    assert list(contacts.broken) == [(), ("contact_window",), ("contact_window",), ()]


def test_a_spoken_request_to_stop_stops_calls_and_its_letter_all_contact(scenario):
    """Regulation F: said on the phone, calls stop (12 CFR 1006.14(h)); the letter, received at
    the first midnight five days later, stops messages too (FDCPA §805(c))."""
    said = local(1, 10.0)  # agency day 1, 13:00
    contacts = replay(scenario, ("call", said, "cease_request"),
                      ("call", local(2, 10.0), "no_answer"),
                      messages=(local(3, 9.0), local(6, 20.0), local(6, 22.0)))
    assert broken_at(contacts, local(2, 10.0)) == ("cease_request", "quiet_after_conversation")
    assert broken_at(contacts, local(3, 9.0)) == ()
    assert broken_at(contacts, local(6, 20.0)) == ()  # agency day 6, 23:00
    # agency day 7, 01:00: the letter is in
    assert broken_at(contacts, local(6, 22.0)) == ("contact_window", "cease_request")


def test_a_written_dispute_holds_contact_from_receipt_for_thirty_days(scenario):
    said = local(1, 10.0)  # the letter arrives at midnight starting agency day 7
    contacts = replay(scenario, ("call", said, "dispute"),
                      messages=(local(6, 10.0), local(7, 10.0), local(36, 10.0),
                                local(37, 10.0)))
    assert broken_at(contacts, local(6, 10.0)) == ()
    assert broken_at(contacts, local(7, 10.0)) == ("dispute_hold",)
    assert broken_at(contacts, local(36, 10.0)) == ("dispute_hold",)
    assert broken_at(contacts, local(37, 10.0)) == ()


def test_a_dispute_received_after_the_validation_period_holds_nothing(scenario):
    said = local(33, 10.0)  # received on day 39, after placement + 37 days
    contacts = replay(scenario, ("call", said, "dispute"), ("call", local(40, 10.0), "no_answer"))
    assert broken_at(contacts, local(40, 10.0)) == ()


def test_disclosure_binds_the_agency_not_the_bank_under_regulation_f(scenario):
    told = (("call", local(0, 10.0), "voicemail_disclosed"),
            ("call", local(1, 10.0), "wrong_party_disclosed"),
            ("call", local(2, 10.0), "wrong_party"))
    contacts = replay(scenario, *told)
    assert list(contacts.broken) == [("third_party_disclosure",)] * 2 + [()]
    contacts = replay(scenario, *told, agency=BANK_TEAM)
    assert (contacts.broken.map(len) == 0).all()
    # the reference standard (Regulation F) binds both
    assert list(contacts.breached) == [("third_party_disclosure",)] * 2 + [()]


def test_breathing_space_starts_after_the_referral(small_scenario):
    scenario = small_scenario('rules.regime="uk"', "rules.written_request_share=0",
                              "rules.callback_request_share=0", accounts=50, horizon=3)
    asked = local(1, 10.0)  # agency day 1, 13:00: the space runs from day 16 to day 76
    contacts = replay(scenario, ("call", asked, "breathing_space"),
                      ("call", local(15, 20.0), "no_answer"),
                      messages=(local(16, 10.0), local(75, 20.0), local(75, 22.0)))
    assert broken_at(contacts, local(15, 20.0)) == ()
    assert broken_at(contacts, local(16, 10.0)) == ("breathing_space",)
    assert broken_at(contacts, local(75, 20.0)) == ("breathing_space",)
    assert broken_at(contacts, local(75, 22.0)) == ("contact_window",)
