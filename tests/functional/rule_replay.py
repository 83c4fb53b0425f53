"""An independent replay of a replication's contacts against the contact rules.

:func:`broken_rules` reads a replication's event log (``run_replication(...,
record_events=True)``: time, local_time, account, agency, kind, outcome, rule_broken), the
messages it sent (:func:`run_recording_messages`) and its accounts table (each cardholder's time
zone and day of placement), replays every account's history in time order, and says for every
outbound call and every message which rules it broke: those binding the desk that made it
(the regime's first-party rules for the bank's own team, ``kind = "in_house"``; its third-party
rules for agencies) and those of the reference standard (``[rules] reference``, for every desk).

Each rule is read again here from the regulation as the scenario's ``[rules]`` states it, never
from the model's rule tests (:data:`REPLAY_CHECKS`):

* calendar days are the cardholder's local ones: ``floor(time + local offset)``;
* the contact window, on the cardholder's clock, for calls and messages (12 CFR 1006.6(b)(1));
* a request to stop contact: in writing, all contact from the day the letter is received; said
  on the phone, calls only where the regime asks for writing (12 CFR 1006.14(h)), all contact
  at once where it does not (FDCPA §805(c));
* the dispute hold: from a written dispute received within ``validation_days`` of placement
  (or from the latest dispute, however made, where the regime does not ask for writing) until
  the midnight ``dispute_hold_days`` later (FDCPA §809(b));
* breathing space, from the day the debt adviser's application takes effect (the first
  midnight ``breathing_space_referral_days`` after the request), for ``breathing_space_days``
  (the scheme's length, whoever the creditor); a request while one is pending or running starts
  none;
* calls per 7 calendar days (a call on local day ``d`` counts for days ``d`` to ``d + 6``) and
  quiet days after a telephone conversation (the day of the conversation is the first), neither
  counting a call on the local day the cardholder asked to be called where the regime has the
  consent exception (12 CFR 1006.14(b)(2)-(3));
* conversations and unanswered dials per local calendar day; messages per 7 calendar days;
* no disclosure of the debt to a third party (a wrong party told, a voicemail that says too
  much: FDCPA §805(b)); the model sends no message that reaches a third party.

The log does not show whether a request was also put in writing, nor whether a cardholder who
refused asked to be called back (consent). The replay therefore needs the scenario to make
both certain: ``written_request_share`` 0 (no request is ever written) or 1 (every request is
written too, received at ``ceil(time + mail_days)``), and ``callback_request_share`` 0 (no
consent) or 1 (every refusal consents to a call on the next local day).

A message is decided when the agency plans its day's batch, at the start of the agency's day,
and goes out later that day (at the shift's start or when the window opens on the clock the
agency believes the cardholder keeps): the replay reads the requests and caps a message is
subject to as they stood at the start of that day, at the hour it goes out
(``message_state="day_start"``, the model's reading); ``message_state="sent"`` takes in what
happened earlier that day too (a request to stop made on the phone that morning), as the law
would.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from unittest import mock

import numpy as np
import pandas as pd

from sim.config.schema import ContactLimits, Rules, Scenario, clock_to_day_fraction
from sim.model.agency.messenger import Messenger
from sim.model.codes import Rule
from sim.model.replication import run_replication
from sim.model.results import Results

CALL, MESSAGE = "call", "message"
UNANSWERED = frozenset({"no_answer", "wrong_number", "voicemail_disclosed"})
"""Dials nobody picked up (a voicemail may have been left)."""
NO_CONVERSATION = frozenset({"wrong_party", "wrong_party_disclosed", "abandoned"})
"""Dials somebody picked up without a conversation with the cardholder."""
CONVERSATIONS = frozenset({"promise", "refusal", "dispute", "cease_request", "breathing_space",
                           "already_paid"})
"""What a conversation with the cardholder produced."""
DISCLOSED = frozenset({"wrong_party_disclosed", "voicemail_disclosed"})
"""Dials that told a third party about the debt."""
WEEK = 7  # calendar days in the frequency rules' period


@dataclass
class Replayed:
    """One account's contact history as the event log and its messages tell it."""

    offset: float  # the cardholder's clock's lead on the agencies', days
    placed_day: float
    calls: list[tuple[int, bool]] = field(default_factory=list)  # local day, asked for
    message_days: list[int] = field(default_factory=list)
    last_conversation: float = -math.inf
    cease_spoken: float = math.inf
    cease_written: float = math.inf
    dispute_spoken: float = math.inf
    dispute_written: float = math.inf
    breathing_from: float = math.inf
    breathing_until: float = math.inf
    consent_day: int | None = None
    count_day: int | None = None
    conversations_today: int = 0
    unanswered_today: int = 0

    def day(self, t: float) -> int:
        """The cardholder's calendar day of time ``t``."""
        return math.floor(t + self.offset)

    def start_counting(self, t: float) -> None:
        if self.count_day != self.day(t):
            self.count_day = self.day(t)
            self.conversations_today = self.unanswered_today = 0

    def asked_for(self, t: float, limits: ContactLimits) -> bool:
        """A call at ``t`` on the local day the cardholder asked to be called, under a regime
        with the consent exception."""
        return limits.consent_exception and self.consent_day == self.day(t)


def clock_minutes(local_time: float) -> float:
    """Minutes since midnight of a local time (days), to a microsecond or so: ``day + 08:00``
    in floating point lands a hair before 08:00 and is read as 08:00."""
    return round((local_time - math.floor(local_time)) * 1440.0, 3)


def outside_window(local_time: float, limits: ContactLimits) -> bool:
    minutes = clock_minutes(local_time)
    start = round(clock_to_day_fraction(limits.window_start) * 1440.0, 3)
    end = round(clock_to_day_fraction(limits.window_end) * 1440.0, 3)
    return minutes < start or minutes >= end


def _window(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    return outside_window(t + h.offset, r)


def _ceased(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    if h.cease_written <= t:
        return True
    if r.cease_needs_writing and contact == MESSAGE:
        return False  # a spoken request not to be called leaves letters and messages
    return h.cease_spoken <= t


def _dispute_hold(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    written = h.dispute_written
    if r.validation_days > 0 and written > h.placed_day + r.validation_days:
        written = math.inf  # received after the validation period: no hold
    if not r.dispute_needs_writing:  # from the latest dispute, however it was made
        since = h.dispute_spoken if math.isfinite(h.dispute_spoken) else written
    else:
        since = written
    return since <= t < math.ceil(since + r.dispute_hold_days)


def _breathing(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    return h.breathing_from <= t < h.breathing_until


def _calls_per_7_days(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    today = h.day(t)
    counted = sum(1 for day, asked in h.calls
                  if day > today - WEEK and not (asked and r.consent_exception))
    return counted >= r.max_calls_per_7_days and not h.asked_for(t, r)


def _quiet(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    if h.last_conversation == -math.inf:
        return False
    since = h.day(t) - h.day(h.last_conversation)
    return since < r.quiet_days_after_conversation and not h.asked_for(t, r)


def _conversations_per_day(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    return h.count_day == h.day(t) and h.conversations_today >= r.max_conversations_per_day


def _unanswered_per_day(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    return h.count_day == h.day(t) and h.unanswered_today >= r.max_unanswered_per_day


def _messages_per_7_days(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    today = h.day(t)
    return sum(day > today - WEEK for day in h.message_days) >= r.max_messages_per_7_days


def _never(h: Replayed, t: float, r: ContactLimits, contact: str) -> bool:
    return False


ReplayCheck = Callable[[Replayed, float, ContactLimits, str], bool]


@dataclass(frozen=True)
class Check:
    """One rule for one kind of contact: whether ``limits`` switch it on, and whether a
    contact at ``t`` breaks it."""

    on: Callable[[ContactLimits], bool]
    broken: ReplayCheck


def _both(on: Callable[[ContactLimits], bool], broken: ReplayCheck) -> dict[str, Check]:
    return {CALL: Check(on, broken), MESSAGE: Check(on, broken)}


_BY_RULE: dict[Rule, dict[str, Check]] = {
    Rule.CONTACT_WINDOW: _both(lambda r: not (clock_to_day_fraction(r.window_start) <= 0.0
                                              and clock_to_day_fraction(r.window_end) >= 1.0),
                               _window),
    Rule.CEASED: _both(lambda r: r.honour_cease_requests, _ceased),
    Rule.DISPUTE_HOLD: _both(lambda r: r.dispute_hold_days > 0, _dispute_hold),
    Rule.BREATHING_SPACE: _both(lambda r: r.breathing_space_days > 0, _breathing),
    Rule.CALLS_PER_7_DAYS: {CALL: Check(lambda r: r.max_calls_per_7_days > 0,
                                        _calls_per_7_days)},
    Rule.QUIET_AFTER_CONVERSATION: {CALL: Check(lambda r: r.quiet_days_after_conversation > 0,
                                                _quiet)},
    Rule.CONVERSATIONS_PER_DAY: {CALL: Check(lambda r: r.max_conversations_per_day > 0,
                                             _conversations_per_day)},
    Rule.UNANSWERED_PER_DAY: {CALL: Check(lambda r: r.max_unanswered_per_day > 0,
                                          _unanswered_per_day)},
    Rule.MESSAGES_PER_7_DAYS: {MESSAGE: Check(lambda r: r.max_messages_per_7_days > 0,
                                              _messages_per_7_days)},
    # broken by what is said: a disclosing dial (see broken_rules); no message discloses
    Rule.THIRD_PARTY_DISCLOSURE: _both(lambda r: r.third_party_disclosure, _never),
}

PRECEDENCE: tuple[Rule, ...] = (
    Rule.CONTACT_WINDOW, Rule.CEASED, Rule.DISPUTE_HOLD, Rule.BREATHING_SPACE,
    Rule.CALLS_PER_7_DAYS, Rule.QUIET_AFTER_CONVERSATION, Rule.CONVERSATIONS_PER_DAY,
    Rule.UNANSWERED_PER_DAY, Rule.MESSAGES_PER_7_DAYS, Rule.THIRD_PARTY_DISCLOSURE)
"""When several rules forbid a contact, the first of them is the one the log names: the window
first (unlawful whoever the contact is to), disclosure last (it forbids no contact)."""

REPLAY_CHECKS: dict[tuple[Rule, str], Check] = {
    (rule, contact): check for rule in PRECEDENCE for contact, check in _BY_RULE[rule].items()}
"""Each rule, for each kind of contact it governs, read from the replayed history."""


def switched_on(limits: ContactLimits, contact: str) -> list[tuple[str, Check]]:
    """The checks ``limits`` switch on for ``contact``, labelled, in precedence order."""
    return [(rule.label, check) for (rule, kind), check in REPLAY_CHECKS.items()
            if kind == contact and check.on(limits)]


def broken_by(h: Replayed, t: float, limits: ContactLimits, contact: str,
              outcome: str = "") -> tuple[str, ...]:
    """The rules of ``limits`` a contact at ``t`` breaks, in precedence order."""
    broken = [label for label, check in switched_on(limits, contact)
              if check.broken(h, t, limits, contact)]
    if (contact == CALL and outcome in DISCLOSED and limits.third_party_disclosure
            and Rule.THIRD_PARTY_DISCLOSURE.label not in broken):
        broken.append(Rule.THIRD_PARTY_DISCLOSURE.label)
    return tuple(broken)


def request_forms(rules: Rules) -> tuple[bool, bool]:
    """Whether every request is written too and every refusal asks for a callback, as the
    scenario makes certain (see the module docstring)."""
    for name in ("written_request_share", "callback_request_share"):
        if getattr(rules, name) not in (0.0, 1.0):
            raise ValueError(f"the replay needs rules.{name} 0 or 1 "
                             f"(got {getattr(rules, name)})")
    return rules.written_request_share == 1.0, rules.callback_request_share == 1.0


SAME_MOMENT_DIGITS = 8
"""Times (days) equal to this many decimals (about a millisecond) are one moment."""


def broken_rules(scenario: Scenario, results: Results, messages: pd.DataFrame | None = None,
                 message_state: Literal["day_start", "sent"] = "day_start") -> pd.DataFrame:
    """Every outbound call of the event log and every message (agency, account, time), with the
    rules of its desk it broke (``broken``) and the reference standard's (``breached``), each a
    tuple in precedence order; ``rule_broken`` is the log's (``None`` for messages)."""
    rules = scenario.rules
    written, callback = request_forms(rules)
    in_house = [agency.kind == "in_house" for agency in scenario.agencies]
    books = {True: rules.limits(first_party=True), False: rules.limits()}
    reference = rules.reference_limits()
    accounts = results.accounts.set_index("account")
    offsets = accounts.local_offset_hours.astype(float) / 24.0
    placed = accounts.placed_day.astype(float)
    log: dict[int, list[tuple]] = defaultdict(list)
    if messages is not None:
        for row in messages.itertuples(index=False):
            decided = math.floor(row.time) if message_state == "day_start" else row.time
            log[int(row.account)].append((decided, 0, row.time, None, int(row.agency)))
    for row in results.events.itertuples(index=False):
        log[int(row.account)].append((row.time, 1, row.time, row, int(row.agency)))
    out = []
    for account, entries in log.items():
        # a message goes out just before any call of the same moment (the messenger reads the
        # history before the dialler plays out the pacing interval starting then); the
        # interval's start, a sum of pacing steps, may sit a rounding error either side
        entries.sort(key=lambda entry: (round(entry[0], SAME_MOMENT_DIGITS), entry[1]))
        h = Replayed(offset=float(offsets[account]), placed_day=float(placed[account]))
        for _, _, t, event, agency in entries:
            book = books[in_house[agency]]
            if event is None:  # a message, read against the history when it was decided
                broken, breached = (broken_by(h, t, book, MESSAGE),
                                    broken_by(h, t, reference, MESSAGE))
                out.append((account, t, agency, MESSAGE, "", None, broken, breached))
                h.message_days.append(h.day(t))
                continue
            outcome = event.outcome
            if event.kind == CALL:
                out.append((account, t, agency, CALL, outcome, event.rule_broken,
                            broken_by(h, t, book, CALL, outcome),
                            broken_by(h, t, reference, CALL, outcome)))
                h.calls.append((h.day(t), h.consent_day == h.day(t)))
                if outcome in UNANSWERED:
                    h.start_counting(t)
                    h.unanswered_today += 1
            else:
                assert outcome in CONVERSATIONS, event
            if event.kind != CALL or outcome in CONVERSATIONS:
                h.start_counting(t)
                h.last_conversation = t
                h.conversations_today += 1
            else:
                assert outcome in UNANSWERED | NO_CONVERSATION, event
            letter = float(math.ceil(t + rules.mail_days)) if written else math.inf
            if outcome == "cease_request":
                h.cease_spoken = min(h.cease_spoken, t)
                h.cease_written = min(h.cease_written, letter)
            elif outcome == "dispute":
                h.dispute_spoken = t
                if written:
                    h.dispute_written = letter
            elif outcome == "breathing_space":
                start = math.ceil(t + rules.breathing_space_referral_days)
                if not (math.isfinite(h.breathing_until) and h.breathing_until > t):
                    h.breathing_from = start  # none pending or running: a new one
                    h.breathing_until = start + rules.breathing_space_days
            elif outcome == "refusal" and callback:
                h.consent_day = h.day(t) + 1
    return pd.DataFrame(out, columns=["account", "time", "agency", "kind", "outcome",
                                      "rule_broken", "broken", "breached"])


def run_recording_messages(scenario: Scenario, seed: int) -> tuple[Results, pd.DataFrame]:
    """:func:`run_replication` with the event log and the accounts table, and the messages it
    sent (agency, account, time): the event log does not hold messages."""
    sent: list[pd.DataFrame] = []
    obey = Messenger.obey_message_rules

    def recording(self: Messenger, due: np.ndarray, now: np.ndarray, day: int) -> np.ndarray:
        keep = obey(self, due, now, day)
        sent.append(pd.DataFrame({"agency": self.index, "account": np.asarray(due)[keep],
                                  "time": np.broadcast_to(now, due.shape)[keep]}))
        return keep

    with mock.patch.object(Messenger, "obey_message_rules", recording):
        results = run_replication(scenario, seed=seed, record_events=True, keep_accounts=True)
    columns = {"agency": np.int64, "account": np.int64, "time": np.float64}
    messages = pd.concat(sent, ignore_index=True) if sent else pd.DataFrame(
        {name: pd.Series(dtype=kind) for name, kind in columns.items()})
    return results, messages.astype(columns)
