"""Regulation: what a contact may do, decided in one place.

A :class:`RuleBook` is one set of contact rules (:class:`~sim.config.schema.ContactLimits`)
read against the replication's one :class:`~sim.model.rules.history.ContactHistory`. A
replication has three (see :func:`rule_books`): the regime's rules for collection agencies
(third party), its rules for the bank's own collectors (first party), and the reference
standard every contact is also measured against, whatever the regime. Each answers, from the
rules of :mod:`sim.model.rules.table` it switches on:

* ``call_block_reasons(idx, now)`` — for each of many accounts, ``ALLOWED`` (0) or the first
  rule, in the table's order, forbidding a call at ``now`` (one time, or one per account), the
  contact window read on each cardholder's local clock; ``account_block_reasons`` the same
  without the window (the call list reads the window itself, on the clock it believes the
  cardholder keeps);
* ``message_block_reasons(idx, now)`` — the rule forbidding a message to each of ``idx``
  (with or without the window);
* ``forbids_disclosure`` — whether telling a third party about the debt breaks a rule.

Whether an agency keeps to the rules is not decided here: the agency's own slips (see
:mod:`sim.model.agency.conduct`) let contacts through that a rule book then counts.
"""

from __future__ import annotations

import numpy as np

from sim.config.schema import ContactLimits, Rules, clock_to_day_fraction
from sim.model.codes import Rule
from sim.model.rules.history import ContactHistory, IntArray
from sim.model.rules.table import RULES, Contact, RuleSpec, Times

ALLOWED = int(Rule.ALLOWED)


def rules_on(limits: ContactLimits, contact: Contact) -> list[RuleSpec]:
    """The rules of the table that ``limits`` switch on for ``contact``, in precedence
    order."""
    return [spec for spec in RULES if contact in spec.governs and spec.on(limits)]


class RuleBook:
    """One set of contact rules, ``limits``, over the contact ``history``."""

    def __init__(self, limits: ContactLimits, history: ContactHistory) -> None:
        self.limits = limits
        self.history = history
        self.window_start = clock_to_day_fraction(limits.window_start)
        self.window_end = clock_to_day_fraction(limits.window_end)
        self._call_rules = rules_on(limits, Contact.CALL)
        self._account_rules = [s for s in self._call_rules if s.code is not Rule.CONTACT_WINDOW]
        self._message_rules = rules_on(limits, Contact.MESSAGE)
        self._account_message_rules = [s for s in self._message_rules
                                       if s.code is not Rule.CONTACT_WINDOW]
        self.forbids_disclosure = limits.third_party_disclosure
        """Whether disclosing the debt to a third party breaks one of these rules."""

    def call_block(self, i: int, now: float) -> int:
        """``ALLOWED`` if account ``i`` may be called at ``now``, else the blocking rule."""
        return int(self.call_block_reasons(np.array([i]), now)[0])

    def call_block_reasons(self, idx: IntArray, now: Times) -> IntArray:
        """The rule forbidding a call to each of ``idx`` at ``now`` (``ALLOWED`` where none
        does), the contact window included."""
        return self._reasons(self._call_rules, idx, now, Contact.CALL)

    def account_block_reasons(self, idx: IntArray, now: Times) -> IntArray:
        """:meth:`call_block_reasons` without the contact window."""
        return self._reasons(self._account_rules, idx, now, Contact.CALL)

    def message_block_reasons(self, idx: IntArray, now: Times, window: bool = True) -> IntArray:
        """The rule forbidding a message to each of ``idx`` at ``now`` (``ALLOWED`` where none
        does); without ``window``, leaving the contact window out."""
        specs = self._message_rules if window else self._account_message_rules
        return self._reasons(specs, idx, now, Contact.MESSAGE)

    def _reasons(self, specs: list[RuleSpec], idx: IntArray, now: Times,
                 contact: Contact) -> IntArray:
        reasons = np.zeros(len(idx), dtype=np.int64)
        if len(idx) == 0:
            return reasons
        for spec in reversed(specs):  # the first rule in precedence order is written last
            reasons[spec.test(self.history, self.limits, idx, now, contact)] = int(spec.code)
        return reasons


class RuleBooks:
    """The rule books of one replication, over one shared contact history."""

    def __init__(self, rules: Rules, local_offset: np.ndarray, placed_day: np.ndarray) -> None:
        agencies, own, reference = (rules.limits(), rules.limits(first_party=True),
                                    rules.reference_limits())
        self.rules = rules
        self.history = ContactHistory([agencies, own, reference], local_offset, placed_day)
        self.third_party = RuleBook(agencies, self.history)
        """The regime's rules for collection agencies."""
        self.first_party = RuleBook(own, self.history)
        """The regime's rules for the bank's own collectors (plus the bank's policy)."""
        self.reference = RuleBook(reference, self.history)
        """The reference standard (``[rules] reference``), for every desk."""

    def of(self, in_house: bool) -> RuleBook:
        """The rule book binding a desk: the first party's for the bank's own team."""
        return self.first_party if in_house else self.third_party
