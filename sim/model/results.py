"""What one replication produced: KPIs per agency and in total, daily series, account outcomes.

KPI names and meanings are a contract: :mod:`sim.model.kpis` lists them in order with their
one-line definitions and units (:data:`KPI_NAMES`, :data:`KPI_DOCS`, :data:`EXTRA_KPIS` and
:data:`MONEY_KPIS` are importable from here too). Money KPIs are in the currency's main unit.
Costs are split by who bears them: ``contact_cost`` is what contacting costs *the bank* (all
staff, call and message costs for an ``in_house`` team; nothing for a contingency agency, which
pays its own way out of its commission), while ``agency_cost`` is what the agency itself spends.

``cx_index`` (0-100) is ``100·exp(−(10·c + 2·v + d + s + h/2))`` where, per account placed,
``c`` is complaints, ``v`` rule violations, ``d`` disputes, ``s`` the share that asked collectors
to stop, and ``h`` the share contacted four or more times within seven days (a pressure level
40% of consumers reported in the CFPB 2017 survey). Its weights are a documented assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.agency import fees
from sim.model.bank.second_placement import PlacementView
from sim.model.codes import DELINQUENCY_LABELS, STATUS_LABELS, Delinquency, Status
from sim.model.kpis import EXTRA_KPIS as EXTRA_KPIS
from sim.model.kpis import KPI_DOCS as KPI_DOCS
from sim.model.kpis import KPI_NAMES as KPI_NAMES
from sim.model.kpis import MONEY_KPIS as MONEY_KPIS
from sim.model.portfolio.lifecycle import RollCounts
from sim.model.world import EVENT_COLUMNS, World

if TYPE_CHECKING:
    from sim.model.agency.desk import AgencyDesk

TOTAL = "total"
CONTROL = "control"
ROLL_RATE_COLUMNS = ["group", "from", "to", "count", "share"]


@dataclass
class Results:
    """KPIs (one row per agency plus ``total``), daily series, and optional detail tables."""

    scenario: str
    seed: int
    replication: int
    kpis: pd.DataFrame
    daily: pd.DataFrame
    reports: pd.DataFrame
    vintages: pd.DataFrame = field(default_factory=pd.DataFrame)
    allocation: pd.DataFrame = field(default_factory=pd.DataFrame)
    follow_up: pd.DataFrame = field(default_factory=pd.DataFrame)
    roll_rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    control: pd.DataFrame = field(default_factory=pd.DataFrame)
    accounts: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def kpi(self, name: str, agency: str = TOTAL) -> float:
        """One KPI value, for an agency or the whole program."""
        return float(self.kpis.loc[agency, name])


def _against_control(row: dict[str, Any], control: pd.DataFrame) -> dict[str, float]:
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


def desk_view(world: World, desk: AgencyDesk) -> PlacementView:
    """The accounts a desk worked, seen through the placement it worked them in."""
    second = world.scenario.bank.second_placement == desk.profile.name
    return PlacementView(world.accounts, world.rules, desk.members,
                         "second" if second else "first")


def _desk_commission(world: World, desk: AgencyDesk) -> float:
    view = desk_view(world, desk)
    return fees.commission(desk.profile, view.collected.sum() / 100.0,
                           view.placed.sum() / 100.0,
                           view.collected_after_charge_off.sum() / 100.0)


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


def _group_kpis(world: World, v: PlacementView, desks: list[AgencyDesk],
                redefault_day: np.ndarray) -> dict[str, Any]:
    """KPIs of the accounts in view ``v`` worked by ``desks``."""
    members = v.members
    n = len(members)
    placed = v.placed.sum() / 100.0
    collected = v.collected.sum() / 100.0
    commission = sum(_desk_commission(world, d) for d in desks)
    operating = {d.index: d.operating_cost() for d in desks}
    contact_cost = sum(operating[d.index] for d in desks if d.profile.kind == "in_house")
    calls = sum(d.calls for d in desks)
    rpcs = int(v.rpcs.sum())
    conversations = int(v.conversations.sum())
    promises = int(v.promises.sum())
    kept, broken = v.promises_kept.sum(), v.promises_broken.sum()
    status = v.status
    complaints = int(v.complaints.sum())
    disputes = int(v.disputes.sum())
    violations = int(sum(sum(d.violations_by_rule.values()) for d in desks))
    ceased = float(v.ceased.mean()) if n else 0.0
    pressured = float((v.max_pressure >= 4).mean()) if n else 0.0
    arrivals = sum(d.queue.arrivals for d in desks)
    staffed = sum(d.staffed_days for d in desks)
    cured = (status >= Status.PAID) | v.ever_paid_instalment | np.isfinite(v.cured_day)
    redefaulted = v.redefaulted | np.isfinite(redefault_day[members])
    follow_days = world.scenario.bank.follow_up_days
    still_cured = ~v.delinquent_at_recall & ~np.isfinite(redefault_day[members])
    per = max(n, 1)
    strain = (10 * complaints + 2 * violations + disputes) / per + ceased + pressured / 2
    net = collected - commission - contact_cost
    rules = world.scenario.rules
    lawsuits = sum(d.lawsuits for d in desks)
    legal = rules.fine_per_violation * violations + rules.lawsuit_cost * lawsuits
    first_attempt = _mean_delay(v.first_attempt, v.placed_day)
    first_rpc = _mean_delay(v.first_rpc, v.placed_day)
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
        "rule_violations": violations,
        "lawsuits": lawsuits,
        "cx_index": 100.0 * float(np.exp(-strain)),
        "collector_utilization": _ratio(sum(d.busy_days for d in desks), staffed),
        "inbound_abandon_rate": _ratio(sum(d.queue.abandoned for d in desks), arrivals),
        "delinquent_share_end": float(v.delinquent_at_recall.mean()) if n else 0.0,
        "redefault_rate": _ratio(int((redefaulted & cured).sum()), int(cured.sum())),
        **_lifecycle_kpis(v, world.scenario.behaviour.stage.instalment_persistence),
        "agency_cost": sum(operating.values()),
        "call_attempts": calls,
        "conversations": conversations,
        "promises": promises,
        "self_cure_share": float(v.self_cured.mean()) if n else 0.0,
        "inbound_calls": arrivals,
        "never_attempted_share": float((v.attempts == 0).mean()) if n else 0.0,
        "breathing_space_share": float((v.breathing_spaces > 0).mean()) if n else 0.0,
        "legal_cost": legal,
        "reputation_cost": legal + rules.complaint_cost * complaints,
        "days_behind_target": max((d.days_behind for d in desks), default=0),
        "delinquent_share_follow_up": float((~still_cured).mean()) if n and follow_days
        else float("nan"),
    }


def _with_total(daily: pd.DataFrame) -> pd.DataFrame:
    """Add ``total`` rows and the derived shares to the per-agency daily counters."""
    if daily.empty:
        return daily
    sums = daily.drop(columns=["agency"]).groupby(["day", "date"], as_index=False).sum()
    sums["agency"] = TOTAL
    frame = pd.concat([daily, sums[daily.columns]], ignore_index=True)
    frame["recovery_to_date"] = _share(frame["collected_to_date"], frame["placed"])
    frame["delinquent_share"] = _share(frame["delinquent"], frame["accounts"])
    frame["collector_utilization"] = _utilization(frame)
    return frame.drop(columns=["placed", "delinquent"])


def _utilization(frame: pd.DataFrame) -> pd.Series:
    """Collectors' busy share of paid shift time; NaN where nobody was on shift."""
    return frame["busy_hours"] / frame["staffed_hours"].where(frame["staffed_hours"] > 0)


def _share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return (numerator / denominator.where(denominator > 0)).fillna(0.0)


def feedback_reports(daily: pd.DataFrame, every_days: int) -> pd.DataFrame:
    """The agencies' periodic reports to the bank: one row per agency and reporting period.

    Each row covers days ``[start, end]``; flows (calls, contacts, promises, complaints,
    violations, collected, collectors' busy and paid hours) are totals over the period, with
    collector utilisation their ratio; stocks (recovery to date, active plans, delinquent
    share) are read at its last day.
    """
    if daily.empty:
        return daily
    flows = ["calls", "rpcs", "conversations", "promises", "complaints", "violations",
             "messages", "inbound", "abandoned", "busy_hours", "staffed_hours"]
    frame = daily.assign(period=daily["day"] // every_days)
    grouped = frame.groupby(["agency", "period"], sort=False)
    reports = grouped[flows].sum()
    last = grouped[["day", "collected_to_date", "recovery_to_date", "active_plans",
                    "delinquent_share"]].last()
    reports = reports.join(last.rename(columns={"day": "end_day"}))
    reports["start_day"] = reports.index.get_level_values("period") * every_days
    reports["collected"] = reports.groupby(level="agency")["collected_to_date"].diff() \
        .fillna(reports["collected_to_date"])
    reports["collector_utilization"] = _utilization(reports)
    reports = reports.reset_index().drop(columns=["period"])
    first = ["agency", "start_day", "end_day", "collected"]
    return reports[first + [c for c in reports.columns if c not in first]]


def _vintage_curves(vintages: pd.DataFrame) -> pd.DataFrame:
    """Per-vintage liquidation curves with ``total`` rows and recovery to date."""
    if vintages.empty:
        return vintages
    sums = vintages.groupby(["day", "vintage", "age"], as_index=False)[
        ["collected_to_date", "placed"]].sum()
    sums["agency"] = TOTAL
    frame = pd.concat([vintages, sums[vintages.columns]], ignore_index=True)
    frame["recovery_to_date"] = _share(frame["collected_to_date"], frame["placed"])
    return frame


def _states(codes: np.ndarray) -> pd.Categorical:
    """Delinquency states as labels (missing for accounts that never entered the program)."""
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=list(DELINQUENCY_LABELS))


def build_results(world: World, desks: list[AgencyDesk], daily: pd.DataFrame, *, seed: int,
                  replication: int, wall_seconds: float, keep_accounts: bool,
                  vintages: pd.DataFrame | None = None,
                  allocation: pd.DataFrame | None = None,
                  redefault_day: np.ndarray | None = None,
                  follow_up: pd.DataFrame | None = None,
                  rolls: RollCounts | None = None) -> Results:
    """Assemble :class:`Results` from the state a finished replication left behind."""
    acc = world.accounts
    if redefault_day is None:
        redefault_day = np.full(acc.n, np.inf)
    rows = {d.profile.name: _group_kpis(world, desk_view(world, d), [d], redefault_day)
            for d in desks}
    everyone = PlacementView(acc, world.rules, np.flatnonzero(~acc.in_control), "all")
    rows[TOTAL] = _group_kpis(world, everyone, desks, redefault_day)
    control = pd.DataFrame()
    held_out = np.flatnonzero(acc.in_control)
    if len(held_out):
        view = PlacementView(acc, world.rules, held_out, "all")
        control = pd.DataFrame.from_dict(
            {CONTROL: _group_kpis(world, view, [], redefault_day)}, orient="index")
        control.index.name = "group"
    for row in rows.values():
        row.update(_against_control(row, control))
    kpis = pd.DataFrame.from_dict(rows, orient="index")
    kpis.index.name = "agency"
    accounts = None
    if keep_accounts:
        names = [a.name for a in world.scenario.agencies]
        accounts = pd.DataFrame({
            "account": np.arange(acc.n),
            "agency": pd.Categorical.from_codes(acc.agency, categories=names),
            "segment": pd.Categorical.from_codes(acc.segment, categories=acc.segment_names),
            "balance_placed": acc.placed / 100.0,
            "days_past_due": acc.days_past_due,
            "control": acc.in_control,
            "state_at_placement": _states(acc.state_at_placement),
            "state_at_recall": _states(acc.state_at_recall),
            "charged_off": acc.charged_off,
            "written_off": acc.written_off / 100.0,
            "vintage": acc.vintage,
            "placed_day": acc.placed_day,
            "collected": acc.collected / 100.0,
            "waived": acc.waived / 100.0,
            "accrued": acc.accrued / 100.0,
            "outstanding": acc.outstanding / 100.0,
            "status": pd.Categorical.from_codes(acc.status, categories=list(STATUS_LABELS)),
            "self_cured": acc.self_cured,
            "attempts": acc.attempts,
            "conversations": acc.conversations,
            "promises": acc.promises,
            "complaints": acc.complaints,
            "disputes": acc.disputes,
            "violations": acc.violations,
            "ceased": world.rules.ceased,
            "on_plan_at_recall": acc.plan_at_recall,
            "propensity": acc.propensity,
        })
    events = pd.DataFrame(world.events, columns=list(EVENT_COLUMNS)) \
        if world.record_events else None
    frame = _with_total(daily)
    meta = {"wall_seconds": wall_seconds, "events_scheduled": world.env.events_scheduled,
            "horizon_days": world.horizon}
    return Results(scenario=world.scenario.scenario.name, seed=seed, replication=replication,
                   kpis=kpis, daily=frame, accounts=accounts, events=events,
                   reports=feedback_reports(frame, world.scenario.bank.report_every_days),
                   vintages=_vintage_curves(vintages if vintages is not None
                                            else pd.DataFrame()),
                   allocation=allocation if allocation is not None else pd.DataFrame(),
                   follow_up=follow_up if follow_up is not None else pd.DataFrame(),
                   roll_rates=pd.DataFrame((rolls or RollCounts()).frame_rows(),
                                           columns=ROLL_RATE_COLUMNS),
                   control=control, meta=meta)
