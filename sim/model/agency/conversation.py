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

Conversations are decided in batches, as arrays: the dialler places a pacing interval's
conversations with collectors call by call (:class:`Talks`) and has them decided together
(:meth:`Conversations.hold`). An account talks at most once in a batch, so one conversation's
outcome never depends on another's, and what is drawn for each is keyed by the account and its
own count of conversations: the outcomes are those of deciding them one by one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import ndtri

from sim.config.schema import Agency
from sim.model.agency.counters import DeskCounters, LegalRecord
from sim.model.agency.negotiation import agree, offer_ladders
from sim.model.behaviour.base import (
    FIELDS,
    NO_OFFER,
    AgencyStyle,
    BehaviourModel,
    BoolArray,
    Draw,
    FloatArray,
    IntArray,
    Offer,
    Offers,
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
REFUSALS_KEPT = 100  # offers refused remembered, at most (the count is one byte)


class Talks:
    """Conversations a pacing interval has placed with collectors, in the order they began, to
    be decided together (:meth:`Conversations.hold`): the batch holds distinct accounts.

    They are kept as the arrays each placing gave (one chunk per placing), joined when
    decided."""

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, ...]] = []
        self._waiting: set[int] = set()

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, account: int, now: float, pressure: int, violated: bool, part_bit: int,
            draws: Sequence[float] | FloatArray, place: int) -> None:
        """Place a conversation with ``account`` at ``now`` (see :meth:`Conversations.converse`
        for the rest)."""
        self.extend(np.array([account], dtype=np.int64), np.array([now]),
                    np.array([pressure], dtype=np.int64), np.array([violated]),
                    np.array([part_bit], dtype=np.int64),
                    np.asarray(draws, dtype=np.float64)[None, :],
                    np.array([place], dtype=np.int64))

    def extend(self, accounts: IntArray, times: FloatArray, pressure: IntArray,
               violated: BoolArray, part_bits: IntArray, draws: FloatArray,
               places: IntArray) -> None:
        """:meth:`add` for several distinct accounts, in turn (``draws``: a row each)."""
        if len(accounts):
            self._chunks.append((accounts, times, pressure, violated, part_bits, draws,
                                 places))
            self._waiting.update(accounts.tolist())

    def waiting(self, account: int) -> bool:
        """Whether a conversation with ``account`` is placed and not yet decided."""
        return account in self._waiting

    def columns(self) -> tuple[IntArray, FloatArray, IntArray, BoolArray, IntArray,
                               FloatArray, IntArray]:
        """Accounts, times, contact pressure, whether felt as a violation, part-of-week bits,
        draws (a row each) and places in the batch (-1: a cardholder phoning in), in the
        order the conversations began."""
        accounts, times, pressure, violated, bits, draws, places = (
            np.concatenate(column) for column in zip(*self._chunks, strict=True))
        return (accounts, times, pressure, violated, bits.astype(np.int64, copy=False), draws,
                places)  # a placing's part bits are one byte each

    def clear(self) -> None:
        self._chunks.clear()
        self._waiting.clear()


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

    def can_talk(self, i: int) -> bool:
        """Whether the cardholder of account ``i``, who phoned in, is this agency's to work
        (else the call is only wrapped up)."""
        acc = self.acc
        return bool(acc.status[i] == ACTIVE and not acc.recalled[i]
                    and acc.agency[i] == self.index)

    def offers_many(self, idx: IntArray, draws: FloatArray) -> Offers:
        """The offers a collector makes to each account of ``idx`` in this conversation, in
        turn (one row each; ``draws``: the conversations' draws)."""
        profile, acc = self.profile, self.acc
        # the conversation count already includes this one
        spread = profile.discovery_error * 2.0 * (1.0 - profile.skill) \
            / np.sqrt(acc.conversations[idx].astype(np.float64))
        belief = np.exp(spread * ndtri(draws[:, DISCOVERY])) if profile.discovery_error \
            and profile.skill < 1.0 else np.ones(len(idx))
        # after charge-off an offer refused is not made again (a discount once offered is not
        # withdrawn; the count starts at charge-off and at each placement); before it, every
        # conversation asks again for the past-due amount first
        skip = np.where(acc.charged_off[idx], acc.offers_refused[idx], 0).astype(np.int64)
        return offer_ladders(acc, profile, idx, belief, skip, profile.offers_per_conversation)

    def offers(self, i: int, draws: Sequence[float]) -> list[Offer]:
        """The offers a collector makes to account ``i`` in this conversation, in turn."""
        return self.offers_many(np.array([i]), np.array([draws], dtype=np.float64)).row(0)

    def converse(self, i: int, now: float, day: int, pressure: int, violated: bool,
                 part_bit: int, draws: Sequence[float]) -> str:
        """A conversation with account ``i`` at ``now``, decided with ``draws`` (see
        :meth:`draws`); returns its outcome's label."""
        outcome = self.converse_many(np.array([i]), np.array([now]), day, np.array([pressure]),
                                     np.array([violated]), np.array([part_bit]),
                                     np.array([draws], dtype=np.float64))
        return OUTCOME_LABELS[int(outcome[0])]

    def converse_many(self, idx: IntArray, now: FloatArray, day: int, pressure: IntArray,
                      violated: BoolArray, part_bits: IntArray, draws: FloatArray) -> IntArray:
        """Conversations on ``day`` with the distinct accounts ``idx`` at ``now``, decided with
        ``draws`` (one row each, see :meth:`draws`), in the order given (which complaints go
        further is drawn in that order); returns each one's :class:`~sim.model.codes.Outcome`."""
        acc, history, profile = self.acc, self.history, self.profile
        history.record_conversations(idx, now)
        for i, t in zip(idx.tolist(), now.tolist(), strict=True):
            self.behaviour.contacted(i, t)
        acc.conversations[idx] += 1
        acc.unanswered_since_talk[idx] = 0
        acc.answered_parts[idx] |= part_bits.astype(acc.answered_parts.dtype)
        self._daily["conversations"][day] += len(idx)
        # a cardholder who has already paid (the agency does not know yet) is offered nothing
        offers = Offers.empty((len(idx), profile.offers_per_conversation))
        active = np.flatnonzero(acc.status[idx] == ACTIVE)
        if len(active):
            offers.put((active[:, None], np.arange(offers.kind.shape[1])[None, :]),
                       self.offers_many(idx[active], draws[active]), None)
        result = self.behaviour.converse_many(idx, now, self.style, offers, pressure, violated,
                                              draws)
        for i in idx[result.complaint].tolist():
            self.legal.complaint(i, day)
        outcome = result.outcome
        promised = np.flatnonzero(outcome == PROMISE)
        if len(promised):
            taken = result.accepted[promised]
            agreed = Offers(*(getattr(offers, name)[promised, taken] for name in FIELDS))
            agree(acc, profile, idx[promised], now[promised], agreed,
                  result.keep_probability[promised])
            self.refused(idx[promised], taken)
            self._daily["promises"][day] += len(promised)
        refusals = np.flatnonzero(outcome == REFUSAL)
        if len(refusals):
            acc.last_refusal[idx[refusals]] = now[refusals]
            self.refused(idx[refusals], (offers.kind[refusals] != NO_OFFER).sum(axis=1))
            back = refusals[draws[refusals, CALLBACK] < self.rules.callback_request_share]
            for i, t in zip(idx[back].tolist(), now[back].tolist(), strict=True):
                # "call me tomorrow"
                history.record_consent(i, math.floor(t + acc.local_offset[i]) + 1)
        for r in np.flatnonzero(outcome == DISPUTE).tolist():
            i, t = int(idx[r]), float(now[r])
            acc.disputes[i] += 1
            acc.misunderstanding[i] = False  # the verification explains the terms
            history.record_dispute(i, t, self.letter(t, draws[r]))
        for r in np.flatnonzero(outcome == CEASE_REQUEST).tolist():
            t = float(now[r])
            history.record_cease(int(idx[r]), t, self.letter(t, draws[r]))
        for r in np.flatnonzero(outcome == BREATHING_SPACE_REQUEST).tolist():
            # referred to a debt adviser, who applies
            i = int(idx[r])
            start = math.ceil(float(now[r]) + self.rules.breathing_space_referral_days)
            history.record_breathing_space(i, start, self.rules.breathing_space_days)
            acc.breathing_spaces[i] += 1
        return outcome

    def hold(self, talks: Talks, day: int) -> IntArray:
        """Decide the conversations ``talks`` placed on ``day``; returns each one's
        :class:`~sim.model.codes.Outcome`, in its order."""
        if not len(talks):
            return np.zeros(0, dtype=np.int64)
        accounts, times, pressure, violated, bits, draws, _ = talks.columns()
        return self.converse_many(accounts, times, day, pressure, violated, bits, draws)

    def refused(self, idx: IntArray, offers: IntArray) -> None:
        """Count ``offers`` more offers refused by each of the distinct accounts ``idx``
        (saturating: only the first few rungs of a ladder are ever skipped)."""
        acc = self.acc
        total = acc.offers_refused[idx].astype(np.int64) + offers
        acc.offers_refused[idx] = np.minimum(total, REFUSALS_KEPT)

    def letter(self, now: float, draws: Sequence[float] | FloatArray) -> float | None:
        """The day a request made at ``now`` arrives in writing too (from the next midnight
        after ``mail_days``), or ``None`` if the cardholder only said it."""
        rules = self.rules
        if draws[WRITTEN] >= rules.written_request_share:
            return None
        return float(math.ceil(now + rules.mail_days))
