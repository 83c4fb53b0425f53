"""What a conversation with a cardholder does to the account, outbound or inbound.

A conversation goes to the behaviour model with the agency's offer
(:mod:`sim.model.agency.negotiation`), and its outcome changes the account: a promise or plan, a
dispute hold, a cease request, a breathing space, a complaint (and perhaps a lawsuit), or a
refusal, which starts the adaptive strategy's cool-off. Either way the agency learns when in
the week the cardholder answers (:mod:`sim.model.agency.reach`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.config.schema import Agency
from sim.model.agency.counters import DeskCounters, LegalRecord
from sim.model.agency.negotiation import make_offer, record_promise
from sim.model.behaviour.base import AgencyStyle, BehaviourModel, conversation_draws
from sim.model.codes import OUTCOME_LABELS, Outcome, Rule, Status
from sim.model.world import World

ALLOWED = int(Rule.ALLOWED)
ACTIVE = int(Status.ACTIVE)
PROMISE, DISPUTE, REFUSAL = int(Outcome.PROMISE), int(Outcome.DISPUTE), int(Outcome.REFUSAL)
CEASE_REQUEST = int(Outcome.CEASE_REQUEST)
BREATHING_SPACE_REQUEST = int(Outcome.BREATHING_SPACE_REQUEST)


class Conversations:
    """The conversations of agency ``index``: outcomes drawn by ``behaviour``, counted in
    ``counters`` and ``legal``."""

    def __init__(self, index: int, profile: Agency, world: World, behaviour: BehaviourModel,
                 counters: DeskCounters, legal: LegalRecord, key: int) -> None:
        self.index = index
        self.profile = profile
        self.world = world
        self.acc = world.accounts
        self.rules = world.rules
        self.behaviour = behaviour
        self.counters = counters
        self.legal = legal
        self.style = AgencyStyle(skill=profile.skill, tone=profile.tone)
        self._daily = counters.daily
        self.key = key
        """The :func:`~sim.model.behaviour.base.conversation_draws` key (one for every agency:
        a cardholder's k-th conversation draws the same numbers whoever holds it)."""

    def draws(self, idx: np.ndarray) -> np.ndarray:
        """The draws of the next conversation with each of ``idx`` (one row each)."""
        return conversation_draws(self.key, idx, self.acc.conversations[idx])

    def inbound(self, i: int, now: float, day: int, part_bit: int,
                draws: Sequence[float]) -> bool:
        """Talk to the cardholder of account ``i`` who phoned in, with the conversation
        ``draws`` (see :meth:`draws`); ``False`` if the account is no longer this agency's to
        work (the call is only wrapped up)."""
        acc = self.acc
        if acc.status[i] != ACTIVE or acc.recalled[i] or acc.agency[i] != self.index:
            return False
        if math.isnan(acc.first_rpc[i]):
            acc.first_rpc[i] = now
        outcome = self.converse(i, now, day, self.rules.pressure(i, now), False, part_bit, draws)
        self.world.log(now, i, self.index, "inbound", outcome, ALLOWED)
        return True

    def converse(self, i: int, now: float, day: int, pressure: int, violated: bool,
                 part_bit: int, draws: Sequence[float]) -> str:
        """A conversation with account ``i`` at ``now``, decided with ``draws`` (see
        :meth:`draws`); returns its outcome's label."""
        acc = self.acc
        self.rules.record_conversation(i, now)
        self.behaviour.contacted(i, now)
        acc.conversations[i] += 1
        acc.unanswered_since_talk[i] = 0
        acc.answered_parts[i] |= part_bit
        self._daily["conversations"][day] += 1
        offer = make_offer(acc, self.profile, i)
        result = self.behaviour.converse(i, now, self.style, offer, pressure, violated, draws)
        if result.complaint:
            self.legal.complaint(i, day)
        outcome = result.outcome
        if outcome == PROMISE:
            record_promise(acc, self.profile, i, now, offer, result.keep_probability)
            self._daily["promises"][day] += 1
        elif outcome == REFUSAL:
            acc.last_refusal[i] = now
        elif outcome == DISPUTE:
            acc.disputes[i] += 1
            acc.misunderstanding[i] = False  # the verification explains the terms
            self.rules.record_dispute(i, now)
        elif outcome == CEASE_REQUEST:
            self.rules.record_cease(i)
        elif outcome == BREATHING_SPACE_REQUEST:
            self.rules.record_breathing_space(i, now)
            acc.breathing_spaces[i] += 1
        return OUTCOME_LABELS[outcome]
