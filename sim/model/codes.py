"""The model's codes: account status, conversation outcome, offer kind and contact rule.

Each code is an :class:`~enum.IntEnum` whose value is what the per-account arrays and the
per-call path store, and whose ``label`` is what the outputs show: the ``status`` column of the
account table, the ``outcome`` and ``rule_broken`` columns of the event log, the keys of an
agency's ``violations_by_rule``. Values and labels are part of the output contract; a new code
gets a new value at the end.

The per-call path compares plain ``int`` values: where a loop runs once per dial, bind the
member to a local (or use ``int(Code.MEMBER)``) rather than looking it up on the class each time.
"""

from __future__ import annotations

from enum import IntEnum


class Labelled(IntEnum):
    """An integer code with the label the outputs use for it (by default, its name in lower
    case)."""

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def labels(cls) -> tuple[str, ...]:
        """Every member's label, indexed by value (values run 0, 1, 2, … with no gap)."""
        members = sorted(cls, key=int)
        assert [int(m) for m in members] == list(range(len(members))), cls
        return tuple(m.label for m in members)


class Status(Labelled):
    """Where an account stands (``accounts.status``)."""

    PENDING = 0  # placed, data not yet with the agency
    ACTIVE = 1  # workable
    PROMISE = 2  # promise to pay (in full or a settlement) outstanding
    PLAN = 3  # on an instalment plan
    PAID = 4  # paid in full (closed)
    SETTLED = 5  # paid a settlement, remainder waived (closed)
    CURED = 6  # past-due amount paid: current again, not worked while it stays current


class Delinquency(Labelled):
    """Where an account stands in the delinquency lifecycle at a statement due date (the
    ``from``/``to`` columns of ``roll_rates.csv``): current, a days-past-due bucket, or charged
    off (see :mod:`sim.model.portfolio.lifecycle`)."""

    CURRENT = 0
    DPD_1_29 = 1
    DPD_30_59 = 2
    DPD_60_89 = 3
    DPD_90_119 = 4
    DPD_120_149 = 5
    DPD_150_179 = 6
    CHARGED_OFF = 7

    @property
    def label(self) -> str:
        if self.name.startswith("DPD_"):
            low, high = self.name[4:].split("_")
            return f"{low}-{high}"
        return super().label


class Outcome(Labelled):
    """What a conversation with a cardholder produced (the event log's ``outcome``)."""

    PROMISE = 0
    REFUSAL = 1
    DISPUTE = 2
    CEASE_REQUEST = 3
    BREATHING_SPACE_REQUEST = 4
    ALREADY_PAID = 5  # called after paying, before the payment reached the agency

    @property
    def label(self) -> str:
        return "breathing_space" if self is Outcome.BREATHING_SPACE_REQUEST else super().label


# Event-log outcomes of an outbound call that reached nobody.
NO_ANSWER = "no_answer"
WRONG_NUMBER = "wrong_number"


class OfferKind(Labelled):
    """What a collector proposes (see :mod:`sim.model.agency.negotiation`)."""

    FULL = 0
    SETTLEMENT = 1
    INSTALMENTS = 2
    CURE = 3  # pay the past-due amount (before charge-off)
    REAGE = 4  # three consecutive minimum payments, then the account is re-aged to current
    HARDSHIP = 5  # a reduced minimum, interest frozen, for some months; re-aged after three


class Rule(Labelled):
    """A contact rule, or ``ALLOWED`` (0: no rule says no). The label is the event log's
    ``rule_broken`` ("" for ``ALLOWED``); each rule is defined in :mod:`sim.model.rules.table`.
    """

    ALLOWED = 0
    CEASED = 1
    DISPUTE_HOLD = 2
    CALLS_PER_7_DAYS = 3
    QUIET_AFTER_CONVERSATION = 4
    CONTACT_WINDOW = 5
    CONVERSATIONS_PER_DAY = 6
    UNANSWERED_PER_DAY = 7
    MESSAGES_PER_7_DAYS = 8
    BREATHING_SPACE = 9
    THIRD_PARTY_DISCLOSURE = 10

    @property
    def label(self) -> str:
        if self is Rule.ALLOWED:
            return ""
        return "cease_request" if self is Rule.CEASED else super().label


STATUS_LABELS = Status.labels()
OUTCOME_LABELS = Outcome.labels()
RULE_LABELS = Rule.labels()
DELINQUENCY_LABELS = Delinquency.labels()
RULES_BROKEN = tuple(rule for rule in Rule if rule is not Rule.ALLOWED)
