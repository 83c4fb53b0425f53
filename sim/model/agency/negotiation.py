"""What a collector offers, and what an agreed offer does to the account.

:func:`make_offer` is the agency's negotiation policy within its authority: ask a cardholder who
can raise nearly the whole balance to pay in full (with accrued interest waived if the agency
offers that), settle at the smallest discount — in 5-point steps — that brings the balance
within what the cardholder can raise, up to ``settlement_max_discount``; otherwise propose
instalments no larger than needed to clear the balance in ``plan_max_months`` and no smaller
than the cardholder's monthly capacity (with interest frozen under hardship terms). The
offer's *burden* — what is asked relative to what the cardholder can afford — is what makes
promises less likely and less often kept.

:func:`record_promise` puts the account under the agreed promise or plan.
"""

from __future__ import annotations

import math

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


def make_offer(acc: Accounts, profile: Agency, i: int) -> Offer:
    """The agency's proposal to account ``i`` within its settlement and plan authority."""
    v = acc.views
    lump: float = v.lump_sum_share[i]
    if lump >= PAY_IN_FULL_ABILITY:
        accrued: int = v.accrued[i]
        if profile.waive_interest and accrued > 0:
            waiver = min(1.0, float(accrued) / max(1.0, float(v.outstanding[i])))
            return Offer(FULL, discount=waiver, burden=(1.0 - waiver) / lump,
                         interest_waiver=True)
        return Offer(FULL, burden=1.0 / lump)
    needed = 1.0 - lump
    if needed <= profile.settlement_max_discount:
        discount = min(profile.settlement_max_discount,
                       math.ceil(needed / SETTLEMENT_STEP - 1e-9) * SETTLEMENT_STEP)
        return Offer(SETTLEMENT, discount=discount, burden=(1.0 - discount) / lump)
    outstanding: int = v.outstanding[i]
    if profile.plan_max_months > 0:
        capacity = max(1.0, v.monthly_capacity[i] * float(v.balance[i]))
        instalment = max(capacity, outstanding / profile.plan_max_months)
        months = max(1, math.ceil(outstanding / instalment))
        return Offer(INSTALMENTS, months=months, instalment=math.ceil(instalment),
                     burden=instalment / capacity,
                     hardship_terms=profile.freeze_interest_on_plan)
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
    if offer.kind == INSTALMENTS:
        v.status[i] = PLAN
        v.plan_installment[i] = offer.instalment
        v.plan_left[i] = offer.months
        v.plan_paid[i] = 0
        v.plans_started[i] += 1
        v.interest_frozen[i] = offer.hardship_terms
    else:
        v.status[i] = PROMISE
        v.promise_settles[i] = offer.kind == SETTLEMENT
        v.promise_waives[i] = offer.kind == SETTLEMENT or offer.interest_waiver
        outstanding: int = v.outstanding[i]
        if offer.interest_waiver:
            amount = outstanding - v.accrued[i]
        else:
            amount = math.ceil(outstanding * (1.0 - offer.discount))
        v.promise_amount[i] = max(0, amount)
