"""What one replication produced: KPIs per agency and in total, daily series, account outcomes.

KPI names and meanings are a contract: :mod:`sim.model.kpis` lists them in order with their
one-line definitions and units (:data:`KPI_NAMES`, :data:`KPI_DOCS`, :data:`EXTRA_KPIS` and
:data:`MONEY_KPIS` are importable from here too). Money KPIs are in the currency's main unit.
Costs are split by who bears them: ``contact_cost`` is what contacting costs *the bank* (the
fully loaded cost of an ``in_house`` team; nothing for a contingency agency, which pays its own
way out of its fees), while ``agency_cost`` is what each desk itself spends, fully loaded;
``commission`` is every fee the bank pays agencies, their ``agency_revenue``.

How each KPI is computed over a group of accounts is in :mod:`sim.model.group_kpis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.bank.second_placement import PlacementView
from sim.model.codes import DELINQUENCY_LABELS, STATUS_LABELS
from sim.model.group_kpis import CONTROL, against_control, desk_view, group_kpis, segment_kpis
from sim.model.kpis import EXTRA_KPIS as EXTRA_KPIS
from sim.model.kpis import KPI_DOCS as KPI_DOCS
from sim.model.kpis import KPI_NAMES as KPI_NAMES
from sim.model.kpis import MONEY_KPIS as MONEY_KPIS
from sim.model.portfolio.lifecycle import RollCounts
from sim.model.world import EVENT_COLUMNS, World

if TYPE_CHECKING:
    from sim.model.agency.desk import AgencyDesk

TOTAL = "total"
__all__ = ["CONTROL", "TOTAL", "Results", "build_results"]
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
    segments: pd.DataFrame = field(default_factory=pd.DataFrame)
    accounts: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def kpi(self, name: str, agency: str = TOTAL) -> float:
        """One KPI value, for an agency or the whole program."""
        return float(self.kpis.loc[agency, name])


def _with_total(daily: pd.DataFrame, again: str | None = None) -> pd.DataFrame:
    """Add ``total`` rows and the derived shares to the per-agency daily counters. The
    program's balance placed is that of its first placements: the agency ``again`` (``[bank]
    second_placement``) is placed balances the program counted already."""
    if daily.empty:
        return daily
    sums = daily.drop(columns=["agency"]).groupby(["day", "date"], as_index=False).sum()
    if again is not None:
        first = daily[daily["agency"] != again].groupby(["day", "date"], as_index=False)
        sums["placed"] = first["placed"].sum()["placed"].to_numpy()
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
             "breaches", "messages", "inbound", "abandoned", "busy_hours", "staffed_hours"]
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
    rows = {d.profile.name: group_kpis(world, desk_view(world, d), [d], redefault_day)
            for d in desks}
    everyone = PlacementView(acc, world.history, np.flatnonzero(~acc.in_control), "all")
    rows[TOTAL] = group_kpis(world, everyone, desks, redefault_day)
    control = pd.DataFrame()
    held_out = np.flatnonzero(acc.in_control)
    if len(held_out):
        view = PlacementView(acc, world.history, held_out, "all")
        control = pd.DataFrame.from_dict(
            {CONTROL: group_kpis(world, view, [], redefault_day)}, orient="index")
        control.index.name = "group"
    by_segment: dict[str, dict[str, Any]] = {}
    for code, name in enumerate(acc.segment_names):
        mine = acc.segment == code
        row = segment_kpis(world, np.flatnonzero(mine & ~acc.in_control), desks, redefault_day)
        held = np.flatnonzero(mine & acc.in_control)
        own_control = pd.DataFrame.from_dict(
            {CONTROL: group_kpis(world, PlacementView(acc, world.history, held, "all"), [],
                                 redefault_day)}, orient="index") if len(held) else pd.DataFrame()
        row.update(against_control(row, own_control))  # against the segment's own control
        by_segment[name] = row
    for row in rows.values():
        row.update(against_control(row, control))
    kpis = pd.DataFrame.from_dict(rows, orient="index")
    kpis.index.name = "agency"
    segments = pd.DataFrame.from_dict(by_segment, orient="index")
    segments.index.name = "segment"
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
            "workable_day": acc.workable_day,
            "local_offset_hours": np.rint(acc.local_offset * 24.0).astype(np.int8),
            "first_attempt": acc.first_attempt,
            "closed_day": acc.closed_day,
            "cured_day": acc.cured_day,
            "collected": acc.collected / 100.0,
            "waived": acc.waived / 100.0,
            "accrued": acc.accrued / 100.0,
            "outstanding": acc.outstanding / 100.0,
            "status": pd.Categorical.from_codes(acc.status, categories=list(STATUS_LABELS)),
            "self_cured": acc.self_cured,
            "attempts": acc.attempts,
            "traces": acc.traces,
            "conversations": acc.conversations,
            "promises": acc.promises,
            "complaints": acc.complaints,
            "disputes": acc.disputes,
            "violations": acc.violations,
            "breaches": acc.breaches,
            "regulator_complaints": acc.regulator_complaints,
            "ceased": world.history.ceased,
            "on_plan_at_recall": acc.plan_at_recall,
            "promise_due": acc.promise_due,
            "recall_day": acc.recall_day,
            "propensity": acc.propensity,
        })
    events = pd.DataFrame(world.events, columns=list(EVENT_COLUMNS)) \
        .sort_values("time", kind="stable", ignore_index=True) if world.record_events else None
    frame = _with_total(daily, world.scenario.bank.second_placement)
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
                   control=control, segments=segments, meta=meta)
