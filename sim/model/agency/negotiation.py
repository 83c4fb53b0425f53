"""What a collector offers, and what an agreed offer does to the account.

The offer kinds are a registry, :data:`OFFERS`, tried in order: the first kind whose
``propose`` returns an offer for the account is what the collector proposes, and its ``agree``
is what an accepted offer does to the account. The agency's negotiation policy within its
authority is, in that order:

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

# Codes as plain ints, for the per-conversation path.
FULL, SETTLEMENT, INSTALMENTS = int(OfferKind.FULL), int(OfferKind.SETTLEMENT), \
    int(OfferKind.INSTALMENTS)
PLAN, PROMISE = int(Status.PLAN), int(Status.PROMISE)

SETTLEMENT_STEP = 0.05  # discounts are offered in 5-point steps
PAY_IN_FULL_ABILITY = 0.9  # can raise 90% of the balance at once: asked to pay in full


@dataclass(frozen=True)
class OfferTerms:
    """One kind of offer: when it is proposed, and what agreeing to it does.

    ``propose(views, profile, i)`` is the offer to account ``i`` (``views``: the accounts'
    :class:`~sim.model.portfolio.accounts.ScalarViews`) or ``None`` if this kind does not
    apply; ``agree(views, i, offer)`` puts the account under the agreed terms.
    """

    kind: OfferKind
    propose: Callable[[Any, Agency, int], Offer | None]
    agree: Callable[[Any, int, Offer], None]


def _propose_full(v: Any, profile: Agency, i: int) -> Offer | None:
    lump: float = v.lump_sum_share[i]
    if lump < PAY_IN_FULL_ABILITY:
        return None
    accrued: int = v.accrued[i]
    if profile.waive_interest and accrued > 0:
        waiver = min(1.0, float(accrued) / max(1.0, float(v.outstanding[i])))
        return Offer(FULL, discount=waiver, burden=(1.0 - waiver) / lump, interest_waiver=True)
    return Offer(FULL, burden=1.0 / lump)


def _propose_settlement(v: Any, profile: Agency, i: int) -> Offer | None:
    lump: float = v.lump_sum_share[i]
    needed = 1.0 - lump
    if needed > profile.settlement_max_discount:
        return None
    discount = min(profile.settlement_max_discount,
                   math.ceil(needed / SETTLEMENT_STEP - 1e-9) * SETTLEMENT_STEP)
    return Offer(SETTLEMENT, discount=discount, burden=(1.0 - discount) / lump)


def _propose_instalments(v: Any, profile: Agency, i: int) -> Offer | None:
    if profile.plan_max_months <= 0:
        return None
    outstanding: int = v.outstanding[i]
    capacity = max(1.0, v.monthly_capacity[i] * float(v.balance[i]))
    instalment = max(capacity, outstanding / profile.plan_max_months)
    months = max(1, math.ceil(outstanding / instalment))
    return Offer(INSTALMENTS, months=months, instalment=math.ceil(instalment),
                 burden=instalment / capacity, hardship_terms=profile.freeze_interest_on_plan)


def _agree_to_pay(v: Any, i: int, offer: Offer) -> None:
    """A promise to pay: in full (perhaps less the interest waived) or a settlement."""
    settles = offer.kind == SETTLEMENT
    v.status[i] = PROMISE
    v.promise_settles[i] = settles
    v.promise_waives[i] = settles or offer.interest_waiver
    outstanding: int = v.outstanding[i]
    if offer.interest_waiver:
        amount = outstanding - v.accrued[i]
    else:
        amount = math.ceil(outstanding * (1.0 - offer.discount))
    v.promise_amount[i] = max(0, amount)


def _agree_to_instalments(v: Any, i: int, offer: Offer) -> None:
    v.status[i] = PLAN
    v.plan_installment[i] = offer.instalment
    v.plan_left[i] = offer.months
    v.plan_paid[i] = 0
    v.plans_started[i] += 1
    v.interest_frozen[i] = offer.hardship_terms


OFFERS: dict[int, OfferTerms] = {  # keyed by OfferKind, looked up by the offer's int kind
    terms.kind: terms for terms in (
        OfferTerms(OfferKind.FULL, _propose_full, _agree_to_pay),
        OfferTerms(OfferKind.SETTLEMENT, _propose_settlement, _agree_to_pay),
        OfferTerms(OfferKind.INSTALMENTS, _propose_instalments, _agree_to_instalments),
    )
}
_PROPOSALS = tuple(terms.propose for terms in OFFERS.values())


def make_offer(acc: Accounts, profile: Agency, i: int) -> Offer:
    """The agency's proposal to account ``i`` within its settlement and plan authority."""
    v = acc.views
    for propose in _PROPOSALS:
        offer = propose(v, profile, i)
        if offer is not None:
            return offer
    lump: float = v.lump_sum_share[i]
    discount = profile.settlement_max_discount
    return Offer(SETTLEMENT if discount > 0 else FULL, discount=discount,
                 burden=(1.0 - discount) / max(lump, 1e-3))


def record_promise(acc: Accounts, profile: Agency, i: int, now: float, offer: Offer,
                   keep: float) -> None:
    """Put account ``i`` under the promise (or plan) it just agreed to."""
    due = float(math.ceil(now + profile.promise_days))
    v = acc.views
    v.promises[i] += 1
    v.keep_probability[i] = keep
    v.promise_due[i] = due
    OFFERS[offer.kind].agree(v, i, offer)
