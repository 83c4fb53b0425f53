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
  that day] + payment_link_lift·[a payment link reached it that day]) ·
  (1 − cure_decay_per_week)^w`` per day, ``w`` the weeks it has been past due
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
    NO_OFFER,
    AgencyStyle,
    BoolArray,
    Conversation,
    Draw,
    FloatArray,
    IntArray,
    Offer,
    Offers,
    Outcomes,
)
from sim.model.codes import Outcome
from sim.model.portfolio.accounts import Accounts
from sim.model.portfolio.lifecycle import days_past_due
from sim.model.rng import Streams, counter_uniforms
from sim.model.units import DAYS_PER_MONTH

# Draws and outcomes as plain ints.
COMPLAINT, CLEAR, DISPUTE_DRAW = int(Draw.COMPLAINT), int(Draw.CLEAR), int(Draw.DISPUTE)
CEASE, BREATHING = int(Draw.CEASE), int(Draw.BREATHING_SPACE)
PROMISE_LANES = (int(Draw.PROMISE), int(Draw.SECOND_PROMISE), int(Draw.THIRD_PROMISE))
DISPUTE = int(Outcome.DISPUTE)
CEASE_REQUEST = int(Outcome.CEASE_REQUEST)
BREATHING_SPACE_REQUEST = int(Outcome.BREATHING_SPACE_REQUEST)
PROMISE = int(Outcome.PROMISE)
REFUSAL = int(Outcome.REFUSAL)
ALREADY_PAID = int(Outcome.ALREADY_PAID)
NO_OBJECTION = -1


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def _logits(p: FloatArray) -> FloatArray:
    """:func:`_logit` of each element (with the scalar function, so values match it exactly)."""
    return np.array([_logit(x) for x in p.tolist()], dtype=np.float64)


def _sigmoids(x: FloatArray) -> FloatArray:
    """The logistic function of each element, without overflow."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


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
        self._answer_rates = accounts.answer_rate * np.exp(params.dpd_answer * late)
        self._willingness_logits = _logits(accounts.willingness) + params.dpd_promise * late
        self._keep_logits = _logits(accounts.promise_keep)
        self._payer_signs = accounts.payer.astype(np.float64) * 2.0 - 1.0
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
        table = Offers.of([list(offers)], MAX_OFFERS)
        return self.converse_many(np.array([i]), np.array([now]), style, table,
                                  np.array([pressure]), np.array([violation]),
                                  np.array([draws], dtype=np.float64)).one(0)

    def converse_many(self, idx: IntArray, now: FloatArray, style: AgencyStyle, offers: Offers,
                      pressure: IntArray, violation: BoolArray, draws: FloatArray) -> Outcomes:
        n = len(idx)
        outcome = np.full(n, REFUSAL, dtype=np.int64)
        keep = np.zeros(n)
        accepted = np.full(n, -1, dtype=np.int64)
        paid = offers.kind[:, 0] == NO_OFFER  # called after paying: irritation, nothing to agree
        complaint = self.complains_many(idx, style, pressure, violation, draws,
                                        np.where(paid, self.p.paid_call_complaint, 0.0))
        outcome[paid] = ALREADY_PAID
        talking = np.flatnonzero(~paid)
        objection = self.objects_many(idx[talking], style, pressure[talking], draws[talking])
        objects = objection != NO_OBJECTION
        outcome[talking[objects]] = objection[objects]
        open_ = talking[~objects]
        for step in range(min(MAX_OFFERS, offers.kind.shape[1])):
            made = open_[offers.kind[open_, step] != NO_OFFER]
            if len(made) == 0:
                break
            promised, kept = self.negotiate_many(idx[made], style, offers.column(step), made,
                                                 draws[made, PROMISE_LANES[step]])
            yes = made[promised]
            outcome[yes] = PROMISE
            keep[yes] = kept[promised]
            accepted[yes] = step
            open_ = open_[outcome[open_] == REFUSAL]
        return Outcomes(outcome, complaint, keep, accepted)

    def complains_many(self, idx: IntArray, style: AgencyStyle, pressure: IntArray,
                       violation: BoolArray, draws: FloatArray, push: FloatArray) -> BoolArray:
        """Whether each conversation ends in a complaint (drawn first, whatever else happens);
        ``push`` adds to the log of its probability."""
        p = self.p
        push = push + (p.tone_complaint * style.tone + p.pressure_complaint * pressure)
        push = push + np.where(violation, p.violation_complaint, 0.0)
        acc = self.acc
        push = push + np.where(acc.misunderstanding[idx], acc.misunderstood_complaint[idx], 0.0)
        chance = np.minimum(1.0, acc.complaint_sensitivity[idx] * np.exp(push))
        return draws[:, COMPLAINT] < chance

    def objects_many(self, idx: IntArray, style: AgencyStyle, pressure: IntArray,
                     draws: FloatArray) -> IntArray:
        """An :class:`~sim.model.codes.Outcome` per conversation: ``DISPUTE``,
        ``CEASE_REQUEST`` or ``BREATHING_SPACE_REQUEST`` (asked only where the rules offer
        breathing space) if the cardholder objects, else :data:`NO_OBJECTION`.

        A misunderstanding of card terms is cleared by a good conversation or becomes a dispute.
        """
        p, acc = self.p, self.acc
        objection = np.full(len(idx), NO_OBJECTION, dtype=np.int64)
        confused = acc.misunderstanding[idx]
        clear = p.clear_misunderstanding + p.clear_skill * (style.skill - 0.5)
        cleared = confused & (draws[:, CLEAR] < clear)
        objection[confused & ~cleared] = DISPUTE
        explained = idx[cleared]
        acc.misunderstanding[explained] = False
        cure = acc.cleared_cure_rate[explained]
        acc.self_cure_rate[explained[cure > 0]] = cure[cure > 0]
        free = objection == NO_OBJECTION
        objection[free & (draws[:, DISPUTE_DRAW] < acc.dispute_rate[idx])] = DISPUTE
        free = objection == NO_OBJECTION
        cease = acc.cease_rate[idx] * np.exp(p.tone_cease * style.tone
                                             + p.pressure_cease * pressure)
        objection[free & (draws[:, CEASE] < np.minimum(1.0, cease))] = CEASE_REQUEST
        if self.breathing_space_offered:
            free = objection == NO_OBJECTION
            asks = free & (draws[:, BREATHING] < acc.breathing_space_request[idx])
            objection[asks] = BREATHING_SPACE_REQUEST
        return objection

    def negotiate_many(self, idx: IntArray, style: AgencyStyle, offers: Offers, rows: IntArray,
                       draws: FloatArray) -> tuple[BoolArray, FloatArray]:
        """Whether each cardholder of ``idx`` promises against its offer (the ``rows`` of the
        one-column ``offers``), decided by ``draws``, and the chance each promise is kept."""
        p, acc = self.p, self.acc
        burden, discount = offers.burden[rows], offers.discount[rows]
        excess_burden = np.maximum(0.0, burden - 1.0)
        payer = p.payer_effect * self._payer_signs[idx]
        hardship = np.where(offers.hardship_terms[rows], acc.hardship_response[idx], 0.0)
        promise = (self._willingness_logits[idx] + p.skill_promise * (style.skill - 0.5)
                   + p.tone_promise * style.tone + payer + p.settlement_promise * discount
                   + hardship + p.burden_promise * excess_burden)
        promised = draws < _sigmoids(promise)
        keep = (self._keep_logits[idx] + p.willingness_keep * (acc.willingness[idx] - 0.5)
                + p.tone_keep * style.tone + p.burden_keep * excess_burden + payer + hardship)
        return promised, _sigmoids(keep)

    def contacted(self, i: int, now: float) -> None:
        """Right-party contacts leave no trace in the stage model beyond the conversation."""

    def keeps(self, idx: IntArray, day: int, first: BoolArray) -> BoolArray:
        miss = 1.0 - self.acc.keep_probability[idx]
        miss = np.where(first, miss, miss * self.p.instalment_persistence)
        # the draw of the k-th promise's j-th payment, whenever it falls due
        acc = self.acc
        counter = acc.promises[idx].astype(np.int64) * 1024 + acc.plan_paid[idx]
        return counter_uniforms(self._keep_key, idx, counter) >= miss

    def spontaneous(self, idx: IntArray, day: int, reminded: BoolArray,
                    linked: BoolArray | None = None) -> FloatArray:
        acc = self.acc
        lift = acc.reminder_lift[idx] * reminded
        if linked is not None:
            lift = lift + acc.payment_link_lift[idx] * linked
        hazard = acc.self_cure_rate[idx] * self._cure_factor[idx] * (1.0 + lift)
        if self.p.cure_decay_per_week > 0:
            weeks = np.maximum(days_past_due(acc, idx, day) - DAYS_PER_MONTH, 0) / 7.0
            hazard = hazard * (1.0 - self.p.cure_decay_per_week) ** weeks
        level = acc.cure_level[idx] + hazard
        acc.cure_level[idx] = level
        return (level >= acc.cure_budget[idx]).astype(np.float64)

    def calls_back(self, idx: IntArray, day: int) -> BoolArray:
        draws = counter_uniforms(self._callback_key, idx, np.full(len(idx), day))
        return draws < self.acc.callback_rate[idx]

