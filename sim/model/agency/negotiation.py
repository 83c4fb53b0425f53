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

To add an offer kind: a member of :class:`~sim.model.codes.OfferKind`, an entry here, and the
agency's authority for it in :class:`~sim.config.schema.Agency`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.config.schema import Agency
from sim.model.behaviour.base import Offer
from sim.model.codes import OfferKind, Status
from sim.model.portfolio.accounts import Accounts
from sim.model.portfolio.lifecycle import REAGE_PAYMENTS
from sim.model.units import DAYS_PER_MONTH

# Codes as plain ints, for the per-conversation path.
FULL, SETTLEMENT, INSTALMENTS = int(OfferKind.FULL), int(OfferKind.SETTLEMENT), \
    int(OfferKind.INSTALMENTS)
CURE, REAGE, HARDSHIP = int(OfferKind.CURE), int(OfferKind.REAGE), int(OfferKind.HARDSHIP)
PLAN, PROMISE = int(Status.PLAN), int(Status.PROMISE)

SETTLEMENT_STEP = 0.05  # discounts are offered in 5-point steps
PAY_IN_FULL_ABILITY = 0.9  # can raise 90% of the balance at once: asked to pay in full


@dataclass(frozen=True)
class OfferTerms:
    """One kind of offer: when it is proposed, and what agreeing to it does.

    ``propose(views, profile, i, belief)`` is the offer to account ``i`` (``views``: the
    accounts' :class:`~sim.model.portfolio.accounts.ScalarViews`) or ``None`` if this kind
    does not apply, when the collector believes the cardholder can pay ``belief`` times what
    they really can (1: known exactly); what is asked follows the belief, its burden the truth.
    ``agree(views, i, offer)`` puts the account under the agreed terms.
    """

    kind: OfferKind
    propose: Callable[[Any, Agency, int, float], Offer | None]
    agree: Callable[[Any, int, Offer], None]


def _can_raise(v: Any, i: int) -> float:
    """Cents the cardholder of ``i`` can raise at once."""
    lump: float = v.lump_sum_share[i]
    return max(1.0, lump * float(v.balance[i]))


def _capacity(v: Any, i: int) -> float:
    """Cents the cardholder of ``i`` can pay a month."""
    return max(1.0, v.monthly_capacity[i] * float(v.balance[i]))


def _propose_cure(v: Any, profile: Agency, i: int, belief: float) -> Offer | None:
    if v.charged_off[i]:
        return None
    past_due = float(min(v.past_due[i], v.outstanding[i]))
    can_raise = _can_raise(v, i)
    if past_due > can_raise * belief:
        return None
    return Offer(CURE, burden=past_due / can_raise)


def _propose_reage(v: Any, profile: Agency, i: int, belief: float) -> Offer | None:
    # one re-age per program: the policy's limit (lifecycle.can_reage) is once in twelve
    # months, and no account is assumed re-aged before its placement
    if v.charged_off[i] or profile.plan_max_months <= 0 or v.reages[i] > 0:
        return None
    minimum: int = v.minimum_payment[i]
    if profile.hardship_months > 0 and minimum > _capacity(v, i) * belief:
        return None  # believed unable to pay the minimum: the hardship programme is the plan
    return Offer(REAGE, months=REAGE_PAYMENTS, instalment=minimum,
                 burden=minimum / _capacity(v, i),
                 hardship_terms=profile.freeze_interest_on_plan)


def _propose_hardship(v: Any, profile: Agency, i: int, belief: float) -> Offer | None:
    if v.charged_off[i] or profile.hardship_months <= 0 or v.reages[i] > 0 \
            or v.minimum_payment[i] <= v.monthly_capacity[i] * float(v.balance[i]) * belief:
        return None  # only for a cardholder believed unable to pay the minimum
    reduced = max(1, math.ceil(v.minimum_payment[i] * profile.hardship_payment_share))
    return Offer(HARDSHIP, months=profile.hardship_months, instalment=reduced,
                 burden=reduced / _capacity(v, i), hardship_terms=True)


def _propose_full(v: Any, profile: Agency, i: int, belief: float) -> Offer | None:
    lump: float = v.lump_sum_share[i]
    if not v.charged_off[i] or lump * belief < PAY_IN_FULL_ABILITY:
        return None
    accrued: int = v.accrued[i]
    if profile.waive_interest and accrued > 0:
        waiver = min(1.0, float(accrued) / max(1.0, float(v.outstanding[i])))
        return Offer(FULL, discount=waiver, burden=(1.0 - waiver) / lump, interest_waiver=True)
    return Offer(FULL, burden=1.0 / lump)


def _propose_settlement(v: Any, profile: Agency, i: int, belief: float) -> Offer | None:
    lump: float = v.lump_sum_share[i]
    needed = max(0.0, 1.0 - lump * belief)
    if not v.charged_off[i] or profile.settlement_max_discount <= 0 \
            or needed > profile.settlement_max_discount:
        return None
    # at least one step: a cardholder believed able to pay in full is offered the smallest
    # discount when stepping down from payment in full
    discount = min(profile.settlement_max_discount,
                   max(1, math.ceil(needed / SETTLEMENT_STEP - 1e-9)) * SETTLEMENT_STEP)
    return Offer(SETTLEMENT, discount=discount, burden=(1.0 - discount) / lump)


def _propose_instalments(v: Any, profile: Agency, i: int, belief: float) -> Offer | None:
    if not v.charged_off[i] or profile.plan_max_months <= 0:
        return None
    outstanding: int = v.outstanding[i]
    capacity = _capacity(v, i)
    instalment = max(capacity * belief, outstanding / profile.plan_max_months, 1.0)
    months = max(1, math.ceil(outstanding / instalment))
    return Offer(INSTALMENTS, months=months, instalment=math.ceil(instalment),
                 burden=instalment / capacity, hardship_terms=profile.freeze_interest_on_plan)


def _agree_to_pay(v: Any, i: int, offer: Offer) -> None:
    """A promise to pay: in full (perhaps less the interest waived) or a settlement."""
    settles = offer.kind == SETTLEMENT
    v.status[i] = PROMISE
    v.promise_settles[i] = settles
    v.promise_waives[i] = settles or offer.interest_waiver
    v.promise_cures[i] = False
    outstanding: int = v.outstanding[i]
    if offer.interest_waiver:
        amount = outstanding - v.accrued[i]
    else:
        amount = math.ceil(outstanding * (1.0 - offer.discount))
    v.promise_amount[i] = max(0, amount)


def _agree_to_cure(v: Any, i: int, offer: Offer) -> None:
    """A promise to pay the past-due amount as it stands now."""
    v.status[i] = PROMISE
    v.promise_settles[i] = False
    v.promise_waives[i] = False
    v.promise_cures[i] = True
    v.promise_amount[i] = min(v.past_due[i], v.outstanding[i])


def _agree_to_reage(v: Any, i: int, offer: Offer) -> None:
    _agree_to_instalments(v, i, offer)
    v.plan_reages[i] = True


def _agree_to_hardship(v: Any, i: int, offer: Offer) -> None:
    """Three reduced payments re-age the account; the reduced minimum lasts the programme."""
    v.hardship_payment[i] = offer.instalment
    v.hardship_until[i] = v.promise_due[i] + offer.months * DAYS_PER_MONTH
    _agree_to_reage(v, i, Offer(HARDSHIP, months=REAGE_PAYMENTS, instalment=offer.instalment,
                                burden=offer.burden, hardship_terms=True))


def _agree_to_instalments(v: Any, i: int, offer: Offer) -> None:
    v.status[i] = PLAN
    v.plan_installment[i] = offer.instalment
    v.plan_left[i] = offer.months
    v.plan_paid[i] = 0
    v.plans_started[i] += 1
    v.plan_reages[i] = False
    v.interest_frozen[i] = offer.hardship_terms or v.charged_off[i]


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
_PROPOSALS = tuple(terms.propose for terms in OFFERS.values())


def offer_ladder(acc: Accounts, profile: Agency, i: int, belief: float = 1.0) -> list[Offer]:
    """Every offer the agency may make to account ``i``, most it asks first (the registry's
    order): the ladder a collector steps down in a conversation. ``belief`` is what the
    collector believes the cardholder can pay, relative to the truth (see :class:`OfferTerms`).
    Never empty: if no kind applies, the most the agency's authority allows."""
    v = acc.views
    ladder = [offer for propose in _PROPOSALS
              if (offer := propose(v, profile, i, belief)) is not None]
    if ladder:
        return ladder
    if not v.charged_off[i]:
        owed = float(min(v.past_due[i], v.outstanding[i]))
        return [Offer(CURE, burden=owed / _can_raise(v, i))]
    lump: float = v.lump_sum_share[i]
    discount = profile.settlement_max_discount
    return [Offer(SETTLEMENT if discount > 0 else FULL, discount=discount,
                  burden=(1.0 - discount) / max(lump, 1e-3))]


def make_offer(acc: Accounts, profile: Agency, i: int) -> Offer:
    """The first offer to account ``i`` by a collector who knows what the cardholder can pay."""
    return offer_ladder(acc, profile, i)[0]


def record_promise(acc: Accounts, profile: Agency, i: int, now: float, offer: Offer,
                   keep: float) -> None:
    """Put account ``i`` under the promise (or plan) it just agreed to."""
    due = float(math.ceil(now + profile.promise_days))
    v = acc.views
    v.promises[i] += 1
    v.keep_probability[i] = keep
    v.promise_due[i] = due
    OFFERS[offer.kind].agree(v, i, offer)
