"""The KPIs of a group of accounts: an agency's, the program's, a segment's or the control
group's.

:func:`group_kpis` computes every KPI of :mod:`sim.model.kpis` over the accounts of a
:class:`~sim.model.bank.second_placement.PlacementView` worked by a list of desks;
:func:`segment_kpis` does it for the accounts of one segment, across desks, apportioning what
only a desk counts (fees as each desk's fees on the segment's accounts, a desk's costs by the
segment's share of its calls) and leaving out what only a desk has (collector utilisation,
inbound queues, lawsuits, days behind target).

Money between the bank and its agencies: ``commission`` is every fee the bank pays agencies
(contingency, per-account fees and cure bonuses: :func:`sim.model.agency.fees.fees_owed`), the
same money as the agencies' ``agency_revenue``; ``agency_cost`` is what every desk spends at its
fully loaded cost (:meth:`AgencyDesk.operating_cost`), the bank's own team's included (for which
it is the bank's ``contact_cost``); ``agency_margin`` is the fee-paid agencies' revenue less
their own cost, over that revenue.

``cx_index`` (0-100) is ``100·exp(−(10·c + d + 2·b + s + h/2))`` where, per account placed,
``c`` is complaints and ``d`` disputes; ``b`` is the share of accounts contacted at least once in
breach of the reference standard (``[rules] reference``, whatever regime is in force, so a regime
with fewer rules can never look kinder for having fewer to break), ``s`` the share that asked
collectors to stop, and ``h`` the share contacted four or more times within seven days (a
pressure level 40% of consumers reported in the CFPB 2017 survey). Its weights are a documented
assumption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.agency import fees
from sim.model.bank.second_placement import PlacementView
from sim.model.codes import Delinquency, Status
from sim.model.units import HOURS_PER_DAY
from sim.model.world import World

if TYPE_CHECKING:
    from sim.model.agency.desk import AgencyDesk

CONTROL = "control"
DESK_ONLY = ("collector_utilization", "inbound_abandon_rate", "abandon_rate",
             "dials_per_collector_hour", "inbound_calls",
             "lawsuits", "lawsuits_per_1000", "days_behind_target", "legal_cost",
             "reputation_cost")


def against_control(row: dict[str, Any], control: pd.DataFrame) -> dict[str, float]:
    """Differences from the bank's control group (NaN without one)."""
    if control.empty:
        return {"delinquency_change": float("nan"), "recovery_uplift": float("nan")}
    held = control.loc[CONTROL]
    return {"delinquency_change": row["delinquent_share_end"] - held["delinquent_share_end"],
            "recovery_uplift": row["recovery_rate"] - held["recovery_rate"]}


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _mean_delay(when: np.ndarray, placed: np.ndarray) -> float:
    """Mean days from placement to ``when`` over accounts where it happened."""
    happened = np.isfinite(when)
    return float((when[happened] - placed[happened]).mean()) if happened.any() else float("nan")


def _outbound_abandonment(desks: list[AgencyDesk]) -> tuple[int, int]:
    """Answered and abandoned outbound calls of the predictive diallers among ``desks``: only
    a predictive dialler abandons calls, so the abandon rate is theirs (NaN without one), not
    diluted by the calls of diallers that never abandon."""
    predictive = [d for d in desks if d.profile.dialler == "predictive"]
    answered = sum(sum(d.daily["answered_calls"]) for d in predictive)
    abandoned = sum(sum(d.daily["abandoned_calls"]) for d in predictive)
    return answered, abandoned


def desk_view(world: World, desk: AgencyDesk) -> PlacementView:
    """The accounts a desk worked, seen through the placement it worked them in."""
    second = world.scenario.bank.second_placement == desk.profile.name
    return PlacementView(world.accounts, world.history, desk.members,
                         "second" if second else "first")


def _first_attempt_service(world: World, v: PlacementView) -> tuple[float, float]:
    """The share of accounts never called although they stayed open past their agency's
    first-attempt service level, and the share called within it (of those still open at its
    deadline or called before it).

    An account is open past the deadline (hand-over plus ``first_attempt_sla_days``) unless it
    was paid, settled or cured before it; accounts screened out as not worth the fee count as
    never called.
    """
    agency = v.agency.astype(np.int64)
    placed = agency >= 0  # the bank's control group is never placed, so never due a call
    if not placed.any():
        return float("nan"), float("nan")
    sla = np.array([a.first_attempt_sla_days for a in world.scenario.agencies])
    deadline = v.workable_day + sla[np.maximum(agency, 0)]
    closed = np.fmin(v.closed_day, v.cured_day)
    open_past = ~(closed < deadline) & placed
    called = v.attempts > 0
    in_time = called & (v.first_attempt <= deadline)
    never = _ratio(int((open_past & ~called).sum()), int(open_past.sum()))
    return never, _ratio(int(in_time.sum()), int((open_past | in_time).sum()))


def desk_fees(world: World, desk: AgencyDesk) -> fees.Fees:
    """What the bank owes ``desk`` for each account it worked (in :attr:`AgencyDesk.members`
    order), by fee component."""
    return fees.view_fees(desk.profile, desk_view(world, desk))


def _economics(revenue: float, agency_cost: float, contingency_cost: float,
               contact_cost: float, collected: float) -> dict[str, float]:
    """The agencies' P&L and the bank's cost of collecting: ``contingency_cost`` is what the
    agencies paid by fees spent (the margin's cost), ``agency_cost`` what every desk spent."""
    return {"agency_revenue": revenue, "agency_cost": agency_cost,
            "agency_margin": _ratio(revenue - contingency_cost, revenue),
            "cost_per_dollar_collected": _ratio(revenue + contact_cost, collected)}


def _lifecycle_kpis(v: PlacementView, persistence: float) -> dict[str, float]:
    """Cures, rolls, charge-offs and the pipeline of the accounts in view ``v``."""
    start, end = v.state_at_placement, v.state_at_recall
    before = start != Delinquency.CHARGED_OFF  # placed before charge-off
    charged = v.charged_off & (v.charged_off_day >= v.placed_day)
    return {
        "cure_rate": float((end[before] == Delinquency.CURRENT).mean()) if before.any()
        else float("nan"),
        "roll_forward_rate": float((end[before] > start[before]).mean()) if before.any()
        else float("nan"),
        "charged_off_share": float(charged.mean()) if len(charged) else 0.0,
        "charged_off_balance": v.written_off[charged].sum() / 100.0,
        "pipeline_value": pipeline_value(v, persistence) / 100.0,
    }


def pipeline_value(v: PlacementView, persistence: float) -> float:
    """Expected cents still to come at recall from live promises and plans, from each one's
    keep probability: a promise pays its amount with that probability; a plan pays its next
    instalment with it (or, once an instalment is paid, misses with ``persistence`` times the
    miss probability) and stops at the first miss."""
    status, keep = v.status, v.keep_probability
    promise = status == Status.PROMISE
    value = float((keep[promise] * v.promise_amount[promise]).sum())
    plan = status == Status.PLAN
    keep = keep[plan]
    later = 1.0 - (1.0 - keep) * persistence
    first = np.where(v.plan_paid[plan] == 0, keep, later)
    left = np.maximum(v.plan_left[plan], 0).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        series = np.where(later < 1.0, (1.0 - later ** left) / (1.0 - later), left)
        each = np.where(v.plan_reages[plan], v.plan_installment[plan],
                        v.outstanding[plan] / np.maximum(left, 1.0))
    return value + float((first * series * each).sum())


def group_kpis(world: World, v: PlacementView, desks: list[AgencyDesk],
                redefault_day: np.ndarray) -> dict[str, Any]:
    """KPIs of the accounts in view ``v`` worked by ``desks``."""
    members = v.members
    n = len(members)
    placed = v.placed.sum() / 100.0
    collected = v.collected.sum() / 100.0
    commission = sum(float(desk_fees(world, d).total.sum()) for d in desks)
    operating = {d.index: d.operating_cost() for d in desks}
    contact_cost = sum(operating[d.index] for d in desks if d.profile.kind == "in_house")
    paid_by_fees = sum(operating[d.index] for d in desks if d.profile.kind != "in_house")
    calls = sum(d.calls for d in desks)
    rpcs = int(v.rpcs.sum())
    conversations = int(v.conversations.sum())
    promises = int(v.promises.sum())
    kept, broken = v.promises_kept.sum(), v.promises_broken.sum()
    status = v.status
    complaints = int(v.complaints.sum())
    disputes = int(v.disputes.sum())
    violations = int(sum(sum(d.violations_by_rule.values()) for d in desks))
    breaches = int(v.breaches.sum())
    breached = float((v.breaches > 0).mean()) if n else 0.0
    ceased = float(v.ceased.mean()) if n else 0.0
    pressured = float((v.max_pressure >= 4).mean()) if n else 0.0
    arrivals = sum(d.queue.arrivals for d in desks)
    staffed = sum(d.staffed_days for d in desks)
    cured = (status >= Status.PAID) | v.ever_paid_instalment | np.isfinite(v.cured_day)
    redefaulted = v.redefaulted | np.isfinite(redefault_day[members])
    follow_days = world.scenario.bank.follow_up_days
    still_cured = ~v.delinquent_at_recall & ~np.isfinite(redefault_day[members])
    per = max(n, 1)
    strain = (10 * complaints + disputes) / per + 2 * breached + ceased + pressured / 2
    net = collected - commission - contact_cost
    rules = world.scenario.rules
    lawsuits = sum(d.lawsuits for d in desks)
    legal = rules.fine_per_violation * violations + rules.lawsuit_cost * lawsuits
    first_attempt = _mean_delay(v.first_attempt, v.placed_day)
    first_rpc = _mean_delay(v.first_rpc, v.placed_day)
    answered, abandoned = _outbound_abandonment(desks)
    never, within_sla = _first_attempt_service(world, v)
    return {
        "accounts": n,
        "balance_placed": placed,
        "collected": collected,
        "recovery_rate": _ratio(collected, placed),
        "commission": commission,
        "contact_cost": contact_cost,
        "net_recovery": net,
        "netback_rate": _ratio(net, placed),
        "waived": v.waived.sum() / 100.0,
        "outstanding_at_recall": v.outstanding.sum() / 100.0,
        "on_plan_at_recall": int(v.plan_at_recall.sum()),
        "rpc_rate": _ratio(rpcs, calls),
        "contact_rate": float(np.isfinite(v.first_rpc).mean()) if n else 0.0,
        "ptp_rate": _ratio(promises, conversations),
        "ptp_kept_rate": _ratio(kept, kept + broken),
        "paid_in_full_share": float((status == Status.PAID).mean()) if n else 0.0,
        "settled_share": float((status == Status.SETTLED).mean()) if n else 0.0,
        "mean_days_to_first_attempt": first_attempt,
        "mean_days_to_first_rpc": first_rpc,
        "complaints_per_1000": 1000.0 * complaints / per,
        "disputes_per_1000": 1000.0 * disputes / per,
        "regulator_complaints_per_1000": 1000.0 * int(v.regulator_complaints.sum()) / per,
        "rule_violations": violations,
        "conduct_breaches": breaches,
        "lawsuits": lawsuits,
        "lawsuits_per_1000": 1000.0 * lawsuits / per,
        "cx_index": 100.0 * float(np.exp(-strain)),
        "collector_utilization": _ratio(sum(d.busy_days for d in desks), staffed),
        "inbound_abandon_rate": _ratio(sum(d.queue.abandoned for d in desks), arrivals),
        "abandon_rate": _ratio(abandoned, answered),
        "dials_per_collector_hour": _ratio(calls, staffed * HOURS_PER_DAY),
        "first_attempt_sla_share": within_sla,
        "delinquent_share_end": float(v.delinquent_at_recall.mean()) if n else 0.0,
        "redefault_rate": _ratio(int((redefaulted & cured).sum()), int(cured.sum())),
        **_lifecycle_kpis(v, world.scenario.behaviour.stage.instalment_persistence),
        **_economics(commission, sum(operating.values()), paid_by_fees, contact_cost,
                     collected),
        "call_attempts": calls,
        "conversations": conversations,
        "promises": promises,
        "self_cure_share": float(v.self_cured.mean()) if n else 0.0,
        "inbound_calls": arrivals,
        "never_attempted_share": never,
        "breathing_space_share": float((v.breathing_spaces > 0).mean()) if n else 0.0,
        "legal_cost": legal,
        "reputation_cost": legal + rules.complaint_cost * complaints,
        "days_behind_target": max((d.days_behind for d in desks), default=0),
        "delinquent_share_follow_up": float((~still_cured).mean()) if n and follow_days
        else float("nan"),
    }


def segment_kpis(world: World, members: np.ndarray, desks: list[AgencyDesk],
                 redefault_day: np.ndarray) -> dict[str, Any]:
    """KPIs of the placed accounts ``members`` of one segment, across ``desks``: fees are each
    desk's fees on the segment's accounts (:func:`desk_fees`, at the tier the desk's whole
    recovery reached); a desk's costs are apportioned by the segment's share of its calls."""
    acc = world.accounts
    view = PlacementView(acc, world.history, members, "all")
    row = group_kpis(world, view, [], redefault_day)
    attempts = int(view.attempts.sum())
    in_segment = np.zeros(acc.n, dtype=np.bool_)
    in_segment[members] = True
    commission = contact_cost = paid_by_fees = 0.0
    for desk in desks:
        mine = in_segment[desk.members]
        worked = desk_view(world, desk)
        commission += float(fees.view_fees(desk.profile, worked).total[mine].sum())
        calls = desk.calls
        share = worked.attempts[mine].sum() / calls if calls else 0.0
        cost = desk.operating_cost() * share
        if desk.profile.kind == "in_house":
            contact_cost += cost
        else:
            paid_by_fees += cost
    net = row["collected"] - commission - contact_cost
    row.update({
        "commission": commission, "contact_cost": contact_cost, "net_recovery": net,
        "netback_rate": _ratio(net, row["balance_placed"]), "call_attempts": attempts,
        "rpc_rate": _ratio(int(view.rpcs.sum()), attempts),
        "rule_violations": int(view.violations.sum()),
    })
    row.update({name: float("nan") for name in DESK_ONLY})
    row.update(_economics(commission, paid_by_fees + contact_cost, paid_by_fees, contact_cost,
                          row["collected"]))
    return row
