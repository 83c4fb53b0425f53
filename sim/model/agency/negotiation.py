"""What a collector offers, and what an agreed offer does to the account.

The offer kinds are a registry, :data:`OFFERS`, in the order a collector steps down them: the
kinds whose ``propose`` returns an offer for the account make its *ladder*
(:func:`offer_ladder`), most asked first, and a kind's ``agree`` is what an accepted offer does
to the account. A conversation makes at most ``offers_per_conversation`` of them in turn (after
charge-off starting below the last offer the cardholder refused: see
:mod:`sim.model.agency.conversation`). What the collector asks follows what it has learnt of
the cardholder's means, with an error (discovery); the burden of the offer, which is what the
cardholder responds to, follows what they really can pay. What is asked depends on where the account
stands in the delinquency lifecycle (:mod:`sim.model.portfolio.lifecycle`). Before charge-off
the agency works the past-due amount:

* **cure** — pay the past-due amount, asked of a cardholder believed able to raise it at once;
* **re-age plan** — three consecutive minimum payments, after which the account is brought
  current (if the account may still be re-aged and the agency may offer plans; where the
  agency runs a hardship programme, only to a cardholder believed able to pay the minimum),
  with interest frozen under hardship terms;
* **hardship programme** — for a cardholder believed unable to afford the minimum, where the
  agency runs one (``hardship_months``): a reduced minimum (``hardship_payment_share``) with
  interest frozen, re-aged after three payments, stepping up to the full minimum when the
  programme ends.

If neither applies it asks for the past-due amount all the same. After charge-off the agency
works the whole balance, within its authority:

* **pay in full** — asked of a cardholder who can raise nearly the whole balance at once (with
  the interest accrued during placement waived if the agency offers that);
* **settlement** — the smallest discount, in 5-point steps, that brings the balance within
  what the cardholder can raise, up to ``settlement_max_discount``;
* **instalments** — no larger than needed to clear the balance in ``plan_max_months`` and no
  smaller than the cardholder's monthly capacity (with interest frozen under hardship terms).

If none applies, the collector asks for the most the agency's authority allows: a settlement
at ``settlement_max_discount``, or payment in full. The offer's *burden* — what is asked
relative to what the cardholder can afford — is what makes promises less likely and less often
kept; behaviour models read an offer's terms, never its kind.

Every rule works on a batch of accounts at once — the conversations of one pacing interval —
as numpy arrays (:class:`Offers`: one row per conversation, one column per offer made in turn);
the one-account functions (:func:`offer_ladder`, :func:`make_offer`, :func:`record_promise`) are
the same rules on a batch of one.

To add an offer kind: a member of :class:`~sim.model.codes.OfferKind`, an entry here (what it
proposes to a batch and what agreeing does), and the agency's authority for it in
:class:`~sim.config.schema.Agency`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from sim.config.schema import Agency
from sim.model.behaviour.base import (
    FIELDS,
    NO_OFFER,
    BoolArray,
    FloatArray,
    IntArray,
    Offer,
    Offers,
)
from sim.model.codes import OfferKind, Status
from sim.model.portfolio.accounts import Accounts
from sim.model.portfolio.lifecycle import REAGE_PAYMENTS
from sim.model.units import DAYS_PER_MONTH

# Codes as plain ints.
FULL, SETTLEMENT, INSTALMENTS = int(OfferKind.FULL), int(OfferKind.SETTLEMENT), \
    int(OfferKind.INSTALMENTS)
CURE, REAGE, HARDSHIP = int(OfferKind.CURE), int(OfferKind.REAGE), int(OfferKind.HARDSHIP)
PLAN, PROMISE = int(Status.PLAN), int(Status.PROMISE)

SETTLEMENT_STEP = 0.05  # discounts are offered in 5-point steps
PAY_IN_FULL_ABILITY = 0.9  # can raise 90% of the balance at once: asked to pay in full


@dataclass(frozen=True)
class OfferTerms:
    """One kind of offer: when it is proposed, and what agreeing to it does.

    ``propose(acc, profile, idx, belief)`` is the offer to each account of ``idx`` and whether
    this kind applies to it, when the collector believes each cardholder can pay ``belief``
    times what they really can (1: known exactly); what is asked follows the belief, its burden
    the truth. ``agree(acc, idx, offers)`` puts the accounts under the agreed terms.
    """

    kind: OfferKind
    propose: Callable[[Accounts, Agency, IntArray, FloatArray], tuple[BoolArray, Offers]]
    agree: Callable[[Accounts, IntArray, Offers], None]


def _can_raise(acc: Accounts, idx: IntArray) -> FloatArray:
    """Cents each cardholder of ``idx`` can raise at once."""
    return np.maximum(1.0, acc.lump_sum_share[idx] * acc.balance[idx].astype(np.float64))


def _capacity(acc: Accounts, idx: IntArray) -> FloatArray:
    """Cents each cardholder of ``idx`` can pay a month."""
    return np.maximum(1.0, acc.monthly_capacity[idx] * acc.balance[idx].astype(np.float64))


def _offers(kind: int, n: int, **fields: npt.NDArray[np.generic] | float | int | bool) -> Offers:
    offers = Offers.empty((n,))
    offers.kind[:] = kind
    for name, value in fields.items():
        getattr(offers, name)[:] = value
    return offers


def _propose_cure(acc: Accounts, profile: Agency, idx: IntArray,
                  belief: FloatArray) -> tuple[BoolArray, Offers]:
    past_due = np.minimum(acc.past_due[idx], acc.outstanding[idx]).astype(np.float64)
    can_raise = _can_raise(acc, idx)
    applies = ~acc.charged_off[idx] & ~(past_due > can_raise * belief)
    return applies, _offers(CURE, len(idx), burden=past_due / can_raise)


def _propose_reage(acc: Accounts, profile: Agency, idx: IntArray,
                   belief: FloatArray) -> tuple[BoolArray, Offers]:
    # one re-age per program: the policy's limit (lifecycle.can_reage) is once in twelve
    # months, and no account is assumed re-aged before its placement
    minimum = acc.minimum_payment[idx]
    capacity = _capacity(acc, idx)
    applies = ~acc.charged_off[idx] & (acc.reages[idx] == 0)
    if profile.plan_max_months <= 0:
        applies[:] = False
    if profile.hardship_months > 0:  # believed unable to pay the minimum: the programme is
        applies &= ~(minimum > capacity * belief)
    return applies, _offers(REAGE, len(idx), months=REAGE_PAYMENTS, instalment=minimum,
                            burden=minimum / capacity,
                            hardship_terms=profile.freeze_interest_on_plan)


def _propose_hardship(acc: Accounts, profile: Agency, idx: IntArray,
                      belief: FloatArray) -> tuple[BoolArray, Offers]:
    minimum = acc.minimum_payment[idx]
    # only for a cardholder believed unable to pay the minimum
    unable = ~(minimum <= acc.monthly_capacity[idx] * acc.balance[idx].astype(np.float64)
               * belief)
    applies = ~acc.charged_off[idx] & (acc.reages[idx] == 0) & unable
    if profile.hardship_months <= 0:
        applies[:] = False
    reduced = np.maximum(1, np.ceil(minimum * profile.hardship_payment_share)).astype(np.int64)
    return applies, _offers(HARDSHIP, len(idx), months=profile.hardship_months,
                            instalment=reduced, burden=reduced / _capacity(acc, idx),
                            hardship_terms=True)


def _propose_full(acc: Accounts, profile: Agency, idx: IntArray,
                  belief: FloatArray) -> tuple[BoolArray, Offers]:
    lump = acc.lump_sum_share[idx]
    applies = acc.charged_off[idx] & ~(lump * belief < PAY_IN_FULL_ABILITY)
    offers = _offers(FULL, len(idx), burden=1.0 / lump)
    if profile.waive_interest:
        accrued = acc.accrued[idx]
        waived = accrued > 0
        waiver = np.minimum(1.0, accrued / np.maximum(1.0, acc.outstanding[idx]))
        offers.discount[waived] = waiver[waived]
        offers.burden[waived] = ((1.0 - waiver) / lump)[waived]
        offers.interest_waiver[waived] = True
    return applies, offers


def _propose_settlement(acc: Accounts, profile: Agency, idx: IntArray,
                        belief: FloatArray) -> tuple[BoolArray, Offers]:
    lump = acc.lump_sum_share[idx]
    most = profile.settlement_max_discount
    needed = np.maximum(0.0, 1.0 - lump * belief)
    applies = acc.charged_off[idx] & ~(needed > most)
    if most <= 0:
        applies[:] = False
    # at least one step: a cardholder believed able to pay in full is offered the smallest
    # discount when stepping down from payment in full
    steps = np.maximum(1, np.ceil(needed / SETTLEMENT_STEP - 1e-9))
    discount = np.minimum(most, steps * SETTLEMENT_STEP)
    return applies, _offers(SETTLEMENT, len(idx), discount=discount,
                            burden=(1.0 - discount) / lump)


def _propose_instalments(acc: Accounts, profile: Agency, idx: IntArray,
                         belief: FloatArray) -> tuple[BoolArray, Offers]:
    months_most = profile.plan_max_months
    applies = acc.charged_off[idx].copy()
    if months_most <= 0:
        applies[:] = False
        months_most = 1
    outstanding = acc.outstanding[idx]
    capacity = _capacity(acc, idx)
    instalment = np.maximum(np.maximum(capacity * belief, outstanding / months_most), 1.0)
    months = np.maximum(1, np.ceil(outstanding / instalment)).astype(np.int64)
    return applies, _offers(INSTALMENTS, len(idx), months=months,
                            instalment=np.ceil(instalment).astype(np.int64),
                            burden=instalment / capacity,
                            hardship_terms=profile.freeze_interest_on_plan)


def _agree_to_pay(acc: Accounts, idx: IntArray, offers: Offers) -> None:
    """A promise to pay: in full (perhaps less the interest waived) or a settlement."""
    settles = offers.kind == SETTLEMENT
    acc.status[idx] = PROMISE
    acc.promise_settles[idx] = settles
    acc.promise_waives[idx] = settles | offers.interest_waiver
    acc.promise_cures[idx] = False
    outstanding = acc.outstanding[idx]
    amount = np.where(offers.interest_waiver, outstanding - acc.accrued[idx],
                      np.ceil(outstanding * (1.0 - offers.discount)))
    acc.promise_amount[idx] = np.maximum(0, amount).astype(np.int64)


def _agree_to_cure(acc: Accounts, idx: IntArray, offers: Offers) -> None:
    """A promise to pay the past-due amount as it stands now."""
    acc.status[idx] = PROMISE
    acc.promise_settles[idx] = False
    acc.promise_waives[idx] = False
    acc.promise_cures[idx] = True
    acc.promise_amount[idx] = np.minimum(acc.past_due[idx], acc.outstanding[idx])


def _agree_to_reage(acc: Accounts, idx: IntArray, offers: Offers) -> None:
    _agree_to_instalments(acc, idx, offers)
    acc.plan_reages[idx] = True


def _agree_to_hardship(acc: Accounts, idx: IntArray, offers: Offers) -> None:
    """Three reduced payments re-age the account; the reduced minimum lasts the programme."""
    acc.hardship_payment[idx] = offers.instalment
    acc.hardship_until[idx] = acc.promise_due[idx] + offers.months * DAYS_PER_MONTH
    reage = _offers(HARDSHIP, len(idx), months=REAGE_PAYMENTS, instalment=offers.instalment,
                    burden=offers.burden, hardship_terms=True)
    _agree_to_reage(acc, idx, reage)


def _agree_to_instalments(acc: Accounts, idx: IntArray, offers: Offers) -> None:
    acc.status[idx] = PLAN
    acc.plan_installment[idx] = offers.instalment
    acc.plan_left[idx] = offers.months
    acc.plan_paid[idx] = 0
    acc.plans_started[idx] += 1
    acc.plan_reages[idx] = False
    acc.interest_frozen[idx] = offers.hardship_terms | acc.charged_off[idx]


OFFERS: dict[int, OfferTerms] = {  # keyed by OfferKind, looked up by the offer's int kind
    terms.kind: terms for terms in (
        OfferTerms(OfferKind.CURE, _propose_cure, _agree_to_cure),
        OfferTerms(OfferKind.REAGE, _propose_reage, _agree_to_reage),
        OfferTerms(OfferKind.HARDSHIP, _propose_hardship, _agree_to_hardship),
        OfferTerms(OfferKind.FULL, _propose_full, _agree_to_pay),
        OfferTerms(OfferKind.SETTLEMENT, _propose_settlement, _agree_to_pay),
        OfferTerms(OfferKind.INSTALMENTS, _propose_instalments, _agree_to_instalments),
    )
}


def _most_allowed(acc: Accounts, profile: Agency, idx: IntArray) -> Offers:
    """The offer when no kind applies: the past-due amount before charge-off; after it the
    most the agency's authority allows (a settlement at ``settlement_max_discount``, or
    payment in full)."""
    before = ~acc.charged_off[idx]
    owed = np.minimum(acc.past_due[idx], acc.outstanding[idx]).astype(np.float64)
    discount = profile.settlement_max_discount
    after_kind = SETTLEMENT if discount > 0 else FULL
    lump = np.maximum(acc.lump_sum_share[idx], 1e-3)
    offers = _offers(after_kind, len(idx), discount=discount, burden=(1.0 - discount) / lump)
    offers.kind[before] = CURE
    offers.discount[before] = 0.0
    offers.burden[before] = (owed / _can_raise(acc, idx))[before]
    return offers


def offer_ladders(acc: Accounts, profile: Agency, idx: IntArray, belief: FloatArray,
                  skip: IntArray, width: int) -> Offers:
    """The offers made to each account of ``idx``: ``width`` rungs of its ladder — every offer
    the agency may make to it, most it asks first (the registry's order) — from rung ``skip``
    (at most the last rung). A ladder is never empty: if no kind applies, the most the
    agency's authority allows. ``belief``: what the collector believes each cardholder can pay,
    relative to the truth."""
    proposals = [terms.propose(acc, profile, idx, belief) for terms in OFFERS.values()]
    n, kinds = len(idx), len(proposals)
    applies = np.column_stack([applies for applies, _ in proposals])
    # each field of every kind's offers, kind after kind: kind j's offer to row r is at j*n + r
    candidates = Offers(*(np.concatenate([getattr(offers, name) for _, offers in proposals])
                          for name in FIELDS))
    length = applies.sum(axis=1)
    none = np.flatnonzero(length == 0)
    if len(none):  # the fallback is the first and only rung
        fallback = _most_allowed(acc, profile, idx[none])
        for name in FIELDS:
            getattr(candidates, name)[none] = getattr(fallback, name)
        applies[none, 0] = True
        length[none] = 1
    # the applicable kinds of each row first, in the registry's order
    order = np.argsort(~applies, axis=1, kind="stable")
    rung = np.minimum(skip, length - 1)[:, None] + np.arange(width)[None, :]
    made = rung < length[:, None]
    column = np.take_along_axis(order, np.minimum(rung, kinds - 1), axis=1)
    cell = column * n + np.arange(n)[:, None]
    table = Offers(*(getattr(candidates, name)[cell] for name in FIELDS))
    table.kind[~made] = NO_OFFER
    return table


def agree(acc: Accounts, profile: Agency, idx: IntArray, now: FloatArray, offers: Offers,
          keep: FloatArray) -> None:
    """Put each account of ``idx`` under the promise (or plan) it just agreed to at ``now``
    (``offers``: one per account; ``keep``: the chance each is kept)."""
    acc.promises[idx] += 1
    acc.keep_probability[idx] = keep
    acc.promise_due[idx] = np.ceil(now + profile.promise_days)
    for kind, terms in OFFERS.items():
        these = np.flatnonzero(offers.kind == kind)
        if len(these):
            terms.agree(acc, idx[these], _pick_one(offers, these))


def _pick_one(offers: Offers, rows: IntArray) -> Offers:
    return Offers(*(getattr(offers, name)[rows] for name in FIELDS))


def offer_ladder(acc: Accounts, profile: Agency, i: int, belief: float = 1.0) -> list[Offer]:
    """Every offer the agency may make to account ``i``, most it asks first (see
    :func:`offer_ladders`)."""
    table = offer_ladders(acc, profile, np.array([i]), np.array([belief]), np.zeros(1, np.int64),
                          len(OFFERS))
    return table.row(0)


def make_offer(acc: Accounts, profile: Agency, i: int) -> Offer:
    """The first offer to account ``i`` by a collector who knows what the cardholder can pay."""
    return offer_ladder(acc, profile, i)[0]


def record_promise(acc: Accounts, profile: Agency, i: int, now: float, offer: Offer,
                   keep: float) -> None:
    """Put account ``i`` under the promise (or plan) it just agreed to (see :func:`agree`)."""
    agree(acc, profile, np.array([i]), np.array([now]), Offers.of([[offer]], 1).column(0),
          np.array([keep]))
