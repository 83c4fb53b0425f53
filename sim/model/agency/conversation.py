"""What a conversation with a cardholder does to the account, outbound or inbound.

A conversation has stages. **Discovery**: the collector learns what the cardholder can pay
(income and expenditure) with an error — the estimate is the truth times ``exp(σ·z)``, ``z``
standard normal, ``σ = discovery_error · 2(1 − skill) / √(1 + earlier conversations)``: a
skilled collector, or one with notes from earlier calls, is closer. **Offers**: from that
estimate the agency's ladder (:func:`~sim.model.agency.negotiation.offer_ladder`), of which the
collector makes up to ``offers_per_conversation`` in turn: before charge-off from the top (each
conversation asks again for the past-due amount first, as early-stage scripts do), after it
from below the last offer the cardholder refused in an earlier conversation (a settlement
discount once offered is not withdrawn). The behaviour model decides the outcome, which
changes the account: a promise or plan (on the offer accepted), a dispute, a request to stop contact
(each of them spoken, and with chance ``written_request_share`` put in writing too, arriving
``mail_days`` later), a referral to a debt adviser for breathing space (which starts
``breathing_space_referral_days`` later), a complaint (and perhaps a lawsuit), or a refusal, which
starts the adaptive strategy's cool-off — unless the cardholder asks to be called back the next day
(``callback_request_share``), a call they consent to. Either way the agency learns when in the week
the cardholder answers (:mod:`sim.model.agency.reach`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from sim.config.schema import Agency
from sim.model.agency.counters import DeskCounters, LegalRecord
from sim.model.agency.negotiation import offer_ladder, record_promise
from sim.model.behaviour.base import (
    AgencyStyle,
    BehaviourModel,
    Draw,
    Offer,
    conversation_draws,
)
from sim.model.codes import OUTCOME_LABELS, Outcome, Rule, Status
from sim.model.world import World

ALLOWED = int(Rule.ALLOWED)
ACTIVE = int(Status.ACTIVE)
PROMISE, DISPUTE, REFUSAL = int(Outcome.PROMISE), int(Outcome.DISPUTE), int(Outcome.REFUSAL)
CEASE_REQUEST = int(Outcome.CEASE_REQUEST)
BREATHING_SPACE_REQUEST = int(Outcome.BREATHING_SPACE_REQUEST)
DISCOVERY, WRITTEN, CALLBACK = int(Draw.DISCOVERY), int(Draw.WRITTEN), int(Draw.CALLBACK)
STANDARD_NORMAL = NormalDist()
REFUSALS_KEPT = 100  # offers refused remembered, at most (the count is one byte)


class Conversations:
    """The conversations of agency ``index``: outcomes drawn by ``behaviour``, counted in
    ``counters`` and ``legal``."""

    def __init__(self, index: int, profile: Agency, world: World, behaviour: BehaviourModel,
                 counters: DeskCounters, legal: LegalRecord, key: int) -> None:
        self.index = index
        self.profile = profile
        self.world = world
        self.acc = world.accounts
        self.history = world.history
        self.rules = world.scenario.rules
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
        outcome = self.converse(i, now, day, self.history.pressure(i, now), False, part_bit, draws)
        self.world.log(now, i, self.index, "inbound", outcome, ALLOWED)
        return True

    def offers(self, i: int, draws: Sequence[float]) -> list[Offer]:
        """The offers a collector makes to account ``i`` in this conversation, in turn."""
        profile, acc = self.profile, self.acc
        # the conversation count already includes this one
        spread = profile.discovery_error * 2.0 * (1.0 - profile.skill) \
            / math.sqrt(float(acc.conversations[i]))
        belief = math.exp(spread * STANDARD_NORMAL.inv_cdf(draws[DISCOVERY])) if spread else 1.0
        ladder = offer_ladder(acc, profile, i, belief)
        # after charge-off an offer refused is not made again (a discount once offered is not
        # withdrawn); before it, every conversation asks again for the past-due amount first
        start = min(int(acc.offers_refused[i]), len(ladder) - 1) if acc.charged_off[i] else 0
        return ladder[start:start + profile.offers_per_conversation]

    def converse(self, i: int, now: float, day: int, pressure: int, violated: bool,
                 part_bit: int, draws: Sequence[float]) -> str:
        """A conversation with account ``i`` at ``now``, decided with ``draws`` (see
        :meth:`draws`); returns its outcome's label."""
        acc = self.acc
        self.history.record_conversation(i, now)
        self.behaviour.contacted(i, now)
        acc.conversations[i] += 1
        acc.unanswered_since_talk[i] = 0
        acc.answered_parts[i] |= part_bit
        self._daily["conversations"][day] += 1
        # a cardholder who has already paid (the agency does not know yet) is offered nothing
        offers = self.offers(i, draws) if acc.status[i] == ACTIVE else []
        result = self.behaviour.converse(i, now, self.style, offers, pressure, violated, draws)
        if result.complaint:
            self.legal.complaint(i, day)
        outcome = result.outcome
        if outcome == PROMISE:
            record_promise(acc, self.profile, i, now, offers[result.accepted],
                           result.keep_probability)
            self.refused(i, result.accepted)
            self._daily["promises"][day] += 1
        elif outcome == REFUSAL:
            acc.last_refusal[i] = now
            self.refused(i, len(offers))
            if draws[CALLBACK] < self.rules.callback_request_share:  # "call me tomorrow"
                self.history.record_consent(i, math.floor(now + acc.local_offset[i]) + 1)
        elif outcome == DISPUTE:
            acc.disputes[i] += 1
            acc.misunderstanding[i] = False  # the verification explains the terms
            self.history.record_dispute(i, now, self.letter(now, draws))
        elif outcome == CEASE_REQUEST:
            self.history.record_cease(i, now, self.letter(now, draws))
        elif outcome == BREATHING_SPACE_REQUEST:  # referred to a debt adviser, who applies
            start = math.ceil(now + self.rules.breathing_space_referral_days)
            self.history.record_breathing_space(i, start, self.rules.breathing_space_days)
            acc.breathing_spaces[i] += 1
        return OUTCOME_LABELS[outcome]

    def refused(self, i: int, offers: int) -> None:
        """Count ``offers`` more offers refused by account ``i`` (saturating: only the first
        few rungs of a ladder are ever skipped)."""
        acc = self.acc
        acc.offers_refused[i] = min(int(acc.offers_refused[i]) + offers, REFUSALS_KEPT)

    def letter(self, now: float, draws: Sequence[float]) -> float | None:
        """The day a request made at ``now`` arrives in writing too (from the next midnight
        after ``mail_days``), or ``None`` if the cardholder only said it."""
        rules = self.rules
        if draws[WRITTEN] >= rules.written_request_share:
            return None
        return float(math.ceil(now + rules.mail_days))
