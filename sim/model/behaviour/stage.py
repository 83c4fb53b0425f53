"""The stage model of borrower response: answer, conversation, outcome, promise kept or broken.

Probabilities come from each account's latent attributes (drawn once in
:mod:`sim.model.portfolio.accounts`) shifted by the agency's skill and tone, the offer's terms,
the contact
pressure and any rule violation, with the effects of ``[behaviour.stage]``:

* **answer** — ``answer_rate · exp(pressure_answer · pressure)``: cardholders who are called
  often pick up less.
* **a call after paying** — to a cardholder who paid before the payment reached the agency:
  a complaint with ``paid_call_complaint`` added to the log below, and nothing else.
* **conversation** — a complaint is drawn first (``complaint_sensitivity`` scaled by
  ``exp(tone_complaint·tone + pressure_complaint·pressure + violation_complaint·violated +
  misunderstood_complaint·[a misunderstanding not yet explained])``);
  then a misunderstanding of card terms is cleared with probability ``clear_misunderstanding +
  clear_skill·(skill − ½)`` — after which the cardholder self-cures at the segment's
  ``cleared_cure_rate``, where set — or becomes a dispute; an ordinary dispute follows with
  the account's ``dispute_rate``; a cease-contact request with ``cease_rate`` scaled like
  complaints; else a promise with ``logit(willingness) + skill_promise·(skill − ½) +
  tone_promise·tone + payer_effect·(±1) + settlement_promise·discount +
  hardship_response·[hardship terms] + burden_promise·(burden − 1)⁺``; when the cardholder
  refuses an offer the collector steps down to the next offer made (each with its own
  draw), and the conversation ends in a refusal when none is accepted.
* **keeping a promise** — fixed when the promise is made: ``logit(promise_keep) +
  willingness_keep·(willingness − ½) + tone_keep·tone + burden_keep·(burden − 1)⁺ +
  payer_effect·(±1) + hardship_response·[hardship terms]``. After a first instalment is paid,
  later ones are missed with ``instalment_persistence`` times the first miss probability.
* **self-cure** — each account accumulates hazard ``self_cure_rate · (1 + reminder_lift·[reminded
  that day]) · (1 − cure_decay_per_week)^w`` per day, ``w`` the weeks it has been past due
  beyond 30 days, and pays what it owes (the past-due amount before charge-off, the balance
  after) when the hazard passes its own Exp(1) budget; with no reminders and no decay the share
  cured by day T is exactly ``1 − exp(−self_cure_rate·T)``.
* **days past due** — an account placed m 30-day steps after 30 days past due answers
  ``exp(dpd_answer·m)`` times as often, promises with ``dpd_promise·m`` added to the logit,
  and self-cures at ``exp(dpd_cure·m)`` times the rate. All three are 0 by default: no public
  figure calibrates them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.config.schema import Behaviour, StageParameters
from sim.model.behaviour.base import (
    MAX_OFFERS,
    AgencyStyle,
    BoolArray,
    Conversation,
    Draw,
    FloatArray,
    IntArray,
    Offer,
)
from sim.model.codes import Outcome
from sim.model.portfolio.accounts import Accounts, scalar_view
from sim.model.portfolio.lifecycle import days_past_due
from sim.model.rng import Streams, counter_uniforms
from sim.model.units import DAYS_PER_MONTH

# Draws and outcomes as plain ints, for the per-conversation path.
COMPLAINT, CLEAR, DISPUTE_DRAW = int(Draw.COMPLAINT), int(Draw.CLEAR), int(Draw.DISPUTE)
CEASE, BREATHING = int(Draw.CEASE), int(Draw.BREATHING_SPACE)
PROMISE_LANES = (int(Draw.PROMISE), int(Draw.SECOND_PROMISE), int(Draw.THIRD_PROMISE))
DISPUTE = int(Outcome.DISPUTE)
CEASE_REQUEST = int(Outcome.CEASE_REQUEST)
BREATHING_SPACE_REQUEST = int(Outcome.BREATHING_SPACE_REQUEST)
PROMISE = int(Outcome.PROMISE)
REFUSAL = int(Outcome.REFUSAL)
ALREADY_PAID = int(Outcome.ALREADY_PAID)


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def _logits(p: FloatArray) -> FloatArray:
    """:func:`_logit` of each element (with the scalar function, so values match it exactly)."""
    return np.array([_logit(x) for x in p.tolist()], dtype=np.float64)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class StageModel:
    """Default behaviour model; see the module docstring for every probability."""

    def __init__(self, accounts: Accounts, params: StageParameters, streams: Streams) -> None:
        self.acc = accounts
        self.p = params
        # counter-based draws keyed by account and promise or day: paired across scenarios
        self._keep_key = streams.key("payments")
        self._callback_key = streams.key("messages")
        # How much later than 30 days past due each account was placed, in 30-day steps.
        late = (accounts.days_past_due.astype(np.float64) - DAYS_PER_MONTH) / DAYS_PER_MONTH
        self._cure_factor = np.exp(params.dpd_cure * late)
        # Per-account terms as memoryviews for one-account reads on the hot path (plain floats,
        # contiguous memory: lean at a million accounts, where lists of floats are not).
        willingness = accounts.willingness
        self._answer_rates = accounts.answer_rate * np.exp(params.dpd_answer * late)
        self._willingness_logit = scalar_view(_logits(willingness) + params.dpd_promise * late)
        self._keep_logit = scalar_view(_logits(accounts.promise_keep))
        self._willingness = scalar_view(willingness)
        self._payer_sign = scalar_view(accounts.payer.astype(np.float64) * 2.0 - 1.0)
        self._complaint = scalar_view(accounts.complaint_sensitivity)
        self._dispute = scalar_view(accounts.dispute_rate)
        self._cease = scalar_view(accounts.cease_rate)
        self._hardship = scalar_view(accounts.hardship_response)
        self._breathing = scalar_view(accounts.breathing_space_request)
        self._misunderstood = scalar_view(accounts.misunderstanding)
        self._misunderstood_complaint = scalar_view(accounts.misunderstood_complaint)
        self._cleared_cure = scalar_view(accounts.cleared_cure_rate)
        self._pressure_answer = params.pressure_answer
        self.breathing_space_offered = False  # set by the model when the rules offer it

    @classmethod
    def from_spec(cls, spec: Behaviour, accounts: Accounts, streams: Streams,
                  breathing_space_offered: bool) -> StageModel:
        """The model with the effects of ``[behaviour.stage]``."""
        model = cls(accounts, spec.stage, streams)
        model.breathing_space_offered = breathing_space_offered
        return model

    def answer_chance(self, idx: IntArray, pressure: IntArray) -> FloatArray:
        return np.minimum(self._answer_rates[idx] * np.exp(self._pressure_answer * pressure),
                          1.0)

    def converse(self, i: int, now: float, style: AgencyStyle, offers: Sequence[Offer],
                 pressure: int, violation: bool, draws: Sequence[float]) -> Conversation:
        if not offers:  # called after paying: irritation, nothing to agree
            paid = self.complains(i, style, pressure, violation, draws, self.p.paid_call_complaint)
            return Conversation(ALREADY_PAID, paid)
        complaint = self.complains(i, style, pressure, violation, draws)
        objection = self.objects(i, style, pressure, draws)
        if objection is not None:
            return Conversation(objection, complaint)
        for step, offer in enumerate(offers[:MAX_OFFERS]):
            result = self.negotiate(i, style, offer, complaint, draws, PROMISE_LANES[step])
            if result.outcome == PROMISE:
                return Conversation(PROMISE, complaint, result.keep_probability, step)
        return Conversation(REFUSAL, complaint)

    def complains(self, i: int, style: AgencyStyle, pressure: int, violation: bool,
                  draws: Sequence[float], push: float = 0.0) -> bool:
        """Whether this conversation ends in a complaint (drawn first, whatever else happens);
        ``push`` adds to the log of its probability."""
        p = self.p
        push += p.tone_complaint * style.tone + p.pressure_complaint * pressure
        if violation:
            push += p.violation_complaint
        if self._misunderstood[i]:
            push += self._misunderstood_complaint[i]
        return draws[COMPLAINT] < min(1.0, self._complaint[i] * math.exp(push))

    def objects(self, i: int, style: AgencyStyle, pressure: int,
                draws: Sequence[float]) -> int | None:
        """An :class:`~sim.model.codes.Outcome`: ``DISPUTE``, ``CEASE_REQUEST`` or
        ``BREATHING_SPACE_REQUEST`` (asked only where the rules offer breathing space) if the
        cardholder objects, else ``None``.

        A misunderstanding of card terms is cleared by a good conversation or becomes a dispute.
        """
        p, acc = self.p, self.acc
        if acc.misunderstanding[i]:
            clear = p.clear_misunderstanding + p.clear_skill * (style.skill - 0.5)
            if draws[CLEAR] < clear:
                acc.misunderstanding[i] = False
                cleared = self._cleared_cure[i]
                if cleared > 0:
                    acc.self_cure_rate[i] = cleared
            else:
                return DISPUTE
        if draws[DISPUTE_DRAW] < self._dispute[i]:
            return DISPUTE
        cease = self._cease[i] * math.exp(p.tone_cease * style.tone + p.pressure_cease * pressure)
        if draws[CEASE] < min(1.0, cease):
            return CEASE_REQUEST
        if self.breathing_space_offered and draws[BREATHING] < self._breathing[i]:
            return BREATHING_SPACE_REQUEST
        return None

    def negotiate(self, i: int, style: AgencyStyle, offer: Offer, complaint: bool,
                  draws: Sequence[float], lane: int = int(Draw.PROMISE)) -> Conversation:
        """A promise against ``offer`` (with the chance it is kept) or a refusal, decided by
        ``draws[lane]``."""
        p = self.p
        excess_burden = max(0.0, offer.burden - 1.0)
        payer = p.payer_effect * self._payer_sign[i]
        hardship = self._hardship[i] if offer.hardship_terms else 0.0
        promise = (self._willingness_logit[i] + p.skill_promise * (style.skill - 0.5)
                   + p.tone_promise * style.tone + payer + p.settlement_promise * offer.discount
                   + hardship + p.burden_promise * excess_burden)
        if draws[lane] >= _sigmoid(promise):
            return Conversation(REFUSAL, complaint)
        keep = (self._keep_logit[i] + p.willingness_keep * (self._willingness[i] - 0.5)
                + p.tone_keep * style.tone + p.burden_keep * excess_burden + payer + hardship)
        return Conversation(PROMISE, complaint, _sigmoid(keep))

    def contacted(self, i: int, now: float) -> None:
        """Right-party contacts leave no trace in the stage model beyond the conversation."""

    def keeps(self, idx: IntArray, day: int, first: BoolArray) -> BoolArray:
        miss = 1.0 - self.acc.keep_probability[idx]
        miss = np.where(first, miss, miss * self.p.instalment_persistence)
        # the draw of the k-th promise's j-th payment, whenever it falls due
        acc = self.acc
        counter = acc.promises[idx].astype(np.int64) * 1024 + acc.plan_paid[idx]
        return counter_uniforms(self._keep_key, idx, counter) >= miss

    def spontaneous(self, idx: IntArray, day: int, reminded: BoolArray) -> FloatArray:
        acc = self.acc
        hazard = (acc.self_cure_rate[idx] * self._cure_factor[idx]
                  * (1.0 + acc.reminder_lift[idx] * reminded))
        if self.p.cure_decay_per_week > 0:
            weeks = np.maximum(days_past_due(acc, idx, day) - DAYS_PER_MONTH, 0) / 7.0
            hazard = hazard * (1.0 - self.p.cure_decay_per_week) ** weeks
        level = acc.cure_level[idx] + hazard
        acc.cure_level[idx] = level
        return (level >= acc.cure_budget[idx]).astype(np.float64)

    def calls_back(self, idx: IntArray, day: int) -> BoolArray:
        draws = counter_uniforms(self._callback_key, idx, np.full(len(idx), day))
        return draws < self.acc.callback_rate[idx]

