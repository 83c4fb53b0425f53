"""Regulation: what a contact may do, decided in one place.

:class:`RuleBook` is an account-by-account :class:`~sim.model.rules.history.ContactHistory`
that answers, from the rules of :mod:`sim.model.rules.table` the scenario switches on:

* ``call_block(i, now)`` — may account *i* be called now? ``ALLOWED`` (0) or the code of the
  first rule, in the table's order, that says no (one account, on the per-call path). The
  contact window, a rule of the clock rather than of the account, is asked apart with
  ``in_window(now)``;
* ``call_block_reasons(idx, now)`` and ``call_allowed(idx, now)`` — the same over many
  accounts at once (to build call lists);
* ``message_block_reasons(idx, now)`` — the rule forbidding a message to each of many accounts
  (``ALLOWED`` where none does).

It records what happened (``record_*``, inherited) so the next answer is right. Whether an
agency obeys is not decided here: an agency that acts when a rule says no must count the act
as a violation of the returned rule (see :mod:`sim.model.agency.desk`).
"""

from __future__ import annotations

import numpy as np

from sim.config.schema import Rules
from sim.model.codes import Rule
from sim.model.rules.history import BoolArray, ContactHistory, IntArray
from sim.model.rules.table import RULES, Contact, ContactWindow, OneTest, RuleSpec

ALLOWED = int(Rule.ALLOWED)


def rules_on(rules: Rules, contact: Contact, *, clock: bool = False) -> list[RuleSpec]:
    """The rules of the table that ``rules`` switch on for ``contact``, in precedence order:
    the account rules, or with ``clock`` the rules of the clock."""
    return [spec for spec in RULES
            if contact in spec.governs and spec.clock == clock and spec.on(rules)]


class RuleBook(ContactHistory):
    """Contact rules and the contact history they need, for ``accounts`` accounts."""

    def __init__(self, rules: Rules, accounts: int) -> None:
        super().__init__(rules, accounts)
        window = ContactWindow(rules)
        self.window_start, self.window_end = window.start, window.end
        self.in_window = window.contains
        """Whether the clock time of ``now`` lies inside the legal contact window."""
        self._call_rules = rules_on(rules, Contact.CALL)
        self._message_rules = rules_on(rules, Contact.MESSAGE)
        self._call_tests: tuple[tuple[int, OneTest], ...] = tuple(
            (int(spec.code), spec.one(self)) for spec in self._call_rules)

    def call_block(self, i: int, now: float) -> int:
        """``ALLOWED`` if account ``i`` may be called at ``now``, else the blocking rule."""
        for code, blocks in self._call_tests:
            if blocks(i, now):
                return code
        return ALLOWED

    def call_allowed(self, idx: IntArray, now: float) -> BoolArray:
        """Vectorised :meth:`call_block` ``== ALLOWED`` over accounts ``idx``."""
        return self.call_block_reasons(idx, now) == ALLOWED

    def call_block_reasons(self, idx: IntArray, now: float) -> IntArray:
        """Vectorised :meth:`call_block` over accounts ``idx``."""
        return self._reasons(self._call_rules, idx, now)

    def message_block_reasons(self, idx: IntArray, now: float) -> IntArray:
        """The rule blocking a message to each of ``idx`` (``ALLOWED`` where none does)."""
        return self._reasons(self._message_rules, idx, now)

    def _reasons(self, specs: list[RuleSpec], idx: IntArray, now: float) -> IntArray:
        reasons = np.zeros(len(idx), dtype=np.int64)
        for spec in reversed(specs):  # the first rule in precedence order is written last
            reasons[spec.many(self, idx, now)] = int(spec.code)
        return reasons
