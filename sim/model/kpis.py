"""The KPIs a replication reports: each one's name, meaning, unit, direction, group and format.

:data:`KPIS` holds one :class:`Kpi` per column of :attr:`sim.model.results.Results.kpis`, in
contract order: first the headline KPIs (:data:`KPI_NAMES`, the contract every scenario is
compared on), then those also reported (:data:`EXTRA_KPIS`). Every table, summary, report and
figure takes its labels, units and number formats from here, so one value reads the same in
``collectsim run``, ``compare``, ``sweep``, ``table`` and ``report``:

- shares as percentages with one decimal (``17.6%``; half-widths and differences in
  percentage points), and KPIs that are themselves differences of shares (against the
  control group) in signed percentage points (``-35.2 pp``);
- money in whole currency units with thousands separators (``1,234,567``);
- counts as integers with separators (``2,664``), a mean over replications with one decimal;
- rates per 1,000 accounts, days and the 0–100 index with one decimal.

Money is kept in integer cents inside the model and reported in the currency's main unit;
how each KPI is computed (the ``cx_index`` formula included) is in :mod:`sim.model.results`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MISSING = "–"


class Unit(StrEnum):
    """What a KPI's number counts."""

    SHARE = "share"
    POINTS = "percentage points"  # a difference of two shares
    MONEY = "currency units"
    COUNT = "count"
    PER_1000 = "per 1,000 accounts"
    DAYS = "days"
    INDEX = "index 0–100"
    PER_COLLECTOR_HOUR = "per collector-hour"


class Direction(StrEnum):
    """Which way a KPI is better, for the bank."""

    HIGHER = "higher is better"
    LOWER = "lower is better"
    NEITHER = "neither"


class Group(StrEnum):
    """Sections of the KPI tables, in reading order."""

    MONEY = "Money"
    OUTCOMES = "Outcomes"
    CONTACT = "Contact and promises"
    CUSTOMERS = "Customers and conduct"
    OPERATIONS = "Operations"
    ALSO = "Also reported"


# Decimals shown for a value (percent for shares); counts get one more as means.
_DECIMALS = {Unit.SHARE: 1, Unit.POINTS: 1, Unit.MONEY: 0, Unit.COUNT: 0, Unit.PER_1000: 1,
             Unit.DAYS: 1, Unit.INDEX: 1, Unit.PER_COLLECTOR_HOUR: 1}


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` (missing, NaN, infinite, not a number)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Kpi:
    """One KPI: its column name, one-line definition, unit, direction and report group.

    ``label`` is a reader's name for tables and figures; ``headline`` is true for the KPIs of
    the contract (:data:`KPI_NAMES`). The ``format`` methods write a value in the KPI's unit;
    ``averaged`` says the value is a mean over replications (a count then gets a decimal).
    """

    name: str
    definition: str
    unit: Unit
    direction: Direction
    group: Group
    label: str
    headline: bool = True

    def decimals(self, averaged: bool = False) -> int:
        """Decimals shown (of the percentage, for a share)."""
        extra = 1 if averaged and self.unit is Unit.COUNT else 0
        return _DECIMALS[self.unit] + extra

    def _text(self, number: float, digits: int, sign: str = "") -> str:
        if self.unit in (Unit.SHARE, Unit.POINTS):
            return f"{100 * number:{sign},.{digits}f}"
        return f"{number:{sign},.{digits}f}"

    def format(self, value: Any, averaged: bool = False) -> str:
        """``17.6%``, ``1,234,567``, ``2,664``, ``25.3``; ``–`` when there is no value."""
        number = _number(value)
        if number is None:
            return MISSING
        if self.unit is Unit.POINTS:
            return self._text(number, self.decimals(averaged), "+") + " pp"
        text = self._text(number, self.decimals(averaged))
        return text + "%" if self.unit is Unit.SHARE else text

    def format_half(self, half: Any, averaged: bool = True) -> str:
        """A 95% half-width in the KPI's unit (percentage points for a share): ``±0.4``."""
        number = _number(half)
        if number is None:
            return MISSING
        return "±" + self._text(abs(number), self.decimals(averaged))

    def format_interval(self, mean: Any, half: Any, averaged: bool = True) -> str:
        """``mean ±half-width``: ``17.6% ±0.4``, ``16,083,670 ±601,439``; the mean alone
        when there is no half-width."""
        text = self.format(mean, averaged)
        if text == MISSING or _number(half) is None:
            return text
        return f"{text} {self.format_half(half, averaged)}"

    def format_difference(self, diff: Any, half: Any = None) -> str:
        """A signed difference of means, ``±half-width``: ``-0.9 pp ±0.5``, ``+26.6 ±6.0``."""
        number = _number(diff)
        if number is None:
            return MISSING
        text = self._text(number, self.decimals(True), "+")
        if self.unit in (Unit.SHARE, Unit.POINTS):
            text += " pp"
        return text if _number(half) is None else f"{text} {self.format_half(half)}"


def _kpi(name: str, definition: str, unit: Unit, direction: Direction, group: Group,
         label: str, headline: bool = True) -> Kpi:
    return Kpi(name, definition, unit, direction, group, label, headline)


_U, _D, _G = Unit, Direction, Group
KPIS: tuple[Kpi, ...] = (
    _kpi("accounts", "accounts placed", _U.COUNT, _D.NEITHER, _G.MONEY, "accounts placed"),
    _kpi("balance_placed", "balance placed", _U.MONEY, _D.NEITHER, _G.MONEY, "balance placed"),
    _kpi("collected", "payments received during placement", _U.MONEY, _D.HIGHER, _G.MONEY,
         "collected"),
    _kpi("recovery_rate", "collected / balance placed (liquidation rate)", _U.SHARE,
         _D.HIGHER, _G.MONEY, "recovery rate"),
    _kpi("commission", "every fee paid to agencies: contingency, per-account fees and cure "
         "bonuses", _U.MONEY, _D.NEITHER, _G.MONEY, "commission (all fees)"),
    _kpi("contact_cost", "cost of contacting borne by the bank: the fully loaded cost of "
         "in-house teams (staff with overheads, calls, messages, tracing, fixed monthly cost)",
         _U.MONEY, _D.LOWER, _G.MONEY, "contact cost (bank)"),
    _kpi("net_recovery", "collected - commission - contact cost", _U.MONEY, _D.HIGHER,
         _G.MONEY, "net recovery"),
    _kpi("netback_rate", "net recovery / balance placed", _U.SHARE, _D.HIGHER, _G.MONEY,
         "netback rate"),
    _kpi("cost_per_dollar_collected", "(commission + contact cost) / collected: what the bank "
         "pays for each unit of currency collected", _U.SHARE, _D.LOWER, _G.MONEY,
         "cost per dollar collected"),
    _kpi("waived", "balance forgiven in settlements", _U.MONEY, _D.NEITHER, _G.MONEY,
         "waived"),
    _kpi("outstanding_at_recall", "balance still owed when accounts returned to the bank",
         _U.MONEY, _D.LOWER, _G.MONEY, "outstanding at recall"),
    _kpi("on_plan_at_recall", "accounts returned to the bank on a live instalment plan",
         _U.COUNT, _D.NEITHER, _G.OUTCOMES, "on a plan at recall"),
    _kpi("rpc_rate", "right-party contacts / outbound call attempts", _U.SHARE, _D.HIGHER,
         _G.CONTACT, "right-party contact rate"),
    _kpi("contact_rate", "share of accounts ever reached (outbound or inbound conversation)",
         _U.SHARE, _D.HIGHER, _G.CONTACT, "accounts reached"),
    _kpi("ptp_rate", "promises to pay / conversations", _U.SHARE, _D.HIGHER, _G.CONTACT,
         "promise rate"),
    _kpi("ptp_kept_rate", "promises kept / promises fallen due", _U.SHARE, _D.HIGHER,
         _G.CONTACT, "promises kept"),
    _kpi("paid_in_full_share", "share of accounts paid in full (including self-cures and "
         "finished plans)", _U.SHARE, _D.HIGHER, _G.OUTCOMES, "paid in full"),
    _kpi("settled_share", "share of accounts settled at a discount", _U.SHARE, _D.NEITHER,
         _G.OUTCOMES, "settled"),
    _kpi("mean_days_to_first_attempt", "mean days from placement to the first call, over "
         "accounts called", _U.DAYS, _D.LOWER, _G.CONTACT, "days to first call"),
    _kpi("mean_days_to_first_rpc", "mean days from placement to the first conversation, over "
         "those reached", _U.DAYS, _D.LOWER, _G.CONTACT, "days to first conversation"),
    _kpi("complaints_per_1000", "complaints per 1,000 accounts", _U.PER_1000, _D.LOWER,
         _G.CUSTOMERS, "complaints per 1,000 accounts"),
    _kpi("disputes_per_1000", "disputes per 1,000 accounts", _U.PER_1000, _D.LOWER,
         _G.CUSTOMERS, "disputes per 1,000 accounts"),
    _kpi("regulator_complaints_per_1000", "complaints taken to a regulator or ombudsman per "
         "1,000 accounts", _U.PER_1000, _D.LOWER, _G.CUSTOMERS,
         "regulator complaints per 1,000 accounts"),
    _kpi("rule_violations", "contacts made although a rule of the regime in force forbade them",
         _U.COUNT, _D.LOWER, _G.CUSTOMERS, "rule violations"),
    _kpi("conduct_breaches", "contacts the reference standard ([rules] reference, Regulation F "
         "by default) forbids, whatever regime is in force", _U.COUNT, _D.LOWER, _G.CUSTOMERS,
         "conduct breaches"),
    _kpi("lawsuits", "lawsuits arising from violations and complaints", _U.COUNT, _D.LOWER,
         _G.CUSTOMERS, "lawsuits"),
    _kpi("lawsuits_per_1000", "lawsuits arising from violations and complaints per 1,000 "
         "accounts", _U.PER_1000, _D.LOWER, _G.CUSTOMERS, "lawsuits per 1,000 accounts"),
    _kpi("cx_index", "customer-experience index, 0-100 (see sim.model.results)", _U.INDEX,
         _D.HIGHER, _G.CUSTOMERS, "customer-experience index"),
    _kpi("collector_utilization", "collector busy time / paid shift time", _U.SHARE,
         _D.NEITHER, _G.OPERATIONS, "collector utilisation"),
    _kpi("inbound_abandon_rate", "inbound callers who hung up before being answered / "
         "inbound callers", _U.SHARE, _D.LOWER, _G.OPERATIONS, "inbound abandonment"),
    _kpi("abandon_rate", "answered outbound calls of predictive diallers with no collector "
         "free within 2 seconds / answered outbound calls of predictive diallers (none "
         "without one)", _U.SHARE, _D.LOWER,
         _G.OPERATIONS, "abandoned calls"),
    _kpi("dials_per_collector_hour", "outbound call attempts / paid collector-hours of shift",
         _U.PER_COLLECTOR_HOUR, _D.NEITHER, _G.OPERATIONS, "dials per collector-hour"),
    _kpi("first_attempt_sla_share", "accounts first called within their agency's "
         "first_attempt_sla_days of hand-over / accounts still open at that deadline or called "
         "before it", _U.SHARE, _D.HIGHER, _G.CONTACT, "first call within the SLA"),
    _kpi("delinquent_share_end", "share of accounts delinquent at recall: past due, or charged "
         "off and owing (not current on a plan for the whole balance)", _U.SHARE, _D.LOWER,
         _G.OUTCOMES, "still delinquent at recall"),
    _kpi("redefault_rate", "cured accounts (paid, settled or paid an instalment) that fell "
         "behind again — a broken plan, a missed minimum, or within the follow-up window — / "
         "cured accounts",
         _U.SHARE, _D.LOWER, _G.OUTCOMES, "re-default rate"),
    _kpi("cure_rate", "share of accounts placed before charge-off that were current at recall "
         "(past-due amount paid, re-aged, or paid in full)", _U.SHARE, _D.HIGHER, _G.OUTCOMES,
         "cure rate"),
    _kpi("roll_forward_rate", "share of accounts placed before charge-off in a worse "
         "delinquency bucket (or charged off) at recall than at placement", _U.SHARE, _D.LOWER,
         _G.OUTCOMES, "rolled forward"),
    _kpi("charged_off_share", "share of accounts charged off during the placement (the "
         "program's placements, in the total row)", _U.SHARE,
         _D.LOWER, _G.OUTCOMES, "charged off"),
    _kpi("charged_off_balance", "balance written off by accounts charged off during the "
         "placement (the program's placements, in the total row)", _U.MONEY, _D.LOWER,
         _G.MONEY, "balance charged off"),
    _kpi("delinquency_change", "delinquent share at recall, placed accounts minus the bank's "
         "control group (with control_share)", _U.POINTS, _D.LOWER, _G.OUTCOMES,
         "delinquency change vs control"),
    _kpi("recovery_uplift", "recovery rate of placed accounts minus that of the bank's control "
         "group (with control_share)", _U.POINTS, _D.HIGHER, _G.MONEY,
         "recovery uplift vs control"),
    _kpi("pipeline_value", "expected value at recall of live promises and plans, from their "
         "keep probabilities (beside cash collected)", _U.MONEY, _D.HIGHER, _G.MONEY,
         "pipeline value"),
    # Also reported: not part of the contract, but in every KPI table.
    _kpi("agency_revenue", "what agencies earn from the bank: every fee (the commission seen "
         "from the agency's side)", _U.MONEY, _D.NEITHER, _G.ALSO, "agency revenue",
         headline=False),
    _kpi("agency_cost", "what the desks themselves spend, fully loaded: collectors' paid time "
         "at wage × benefits × overhead multipliers, calls, messages, tracing and the fixed "
         "monthly cost of serving the client", _U.MONEY, _D.NEITHER, _G.ALSO, "agency cost",
         headline=False),
    _kpi("agency_margin", "(agency revenue - cost of the fee-paid agencies) / agency revenue: "
         "the agencies' operating margin", _U.SHARE, _D.NEITHER, _G.ALSO, "agency margin",
         headline=False),
    _kpi("call_attempts", "outbound call attempts", _U.COUNT, _D.NEITHER, _G.ALSO,
         "call attempts", headline=False),
    _kpi("conversations", "right-party conversations, outbound and inbound", _U.COUNT,
         _D.HIGHER, _G.ALSO, "conversations", headline=False),
    _kpi("promises", "promises to pay made", _U.COUNT, _D.HIGHER, _G.ALSO, "promises",
         headline=False),
    _kpi("self_cure_share", "accounts that paid, without a promise, their past-due amount "
         "(a cure) or their whole balance (paid in full) / accounts",
         _U.SHARE, _D.NEITHER, _G.ALSO, "self-cured", headline=False),
    _kpi("inbound_calls", "inbound callers", _U.COUNT, _D.NEITHER, _G.ALSO, "inbound calls",
         headline=False),
    _kpi("never_attempted_share", "accounts never called / accounts still open (not paid, "
         "settled or cured) at their agency's first-attempt SLA deadline", _U.SHARE,
         _D.LOWER, _G.CONTACT, "never called"),
    _kpi("breathing_space_share", "share of accounts granted a breathing space", _U.SHARE,
         _D.NEITHER, _G.ALSO, "breathing space", headline=False),
    _kpi("legal_cost", "regulatory fines for violations plus the cost of lawsuits",
         _U.MONEY, _D.LOWER, _G.ALSO, "legal cost", headline=False),
    _kpi("reputation_cost", "legal cost plus the reputational cost of complaints", _U.MONEY,
         _D.LOWER, _G.ALSO, "reputation cost", headline=False),
    _kpi("days_behind_target", "days an agency spent behind its target recovery pace",
         _U.DAYS, _D.LOWER, _G.ALSO, "days behind target", headline=False),
    _kpi("delinquent_share_follow_up", "share of accounts delinquent at the end of the "
         "follow-up window after recall (with follow_up_days)", _U.SHARE, _D.LOWER, _G.ALSO,
         "delinquent after follow-up", headline=False),
)
BY_NAME: dict[str, Kpi] = {kpi.name: kpi for kpi in KPIS}

KPI_DOCS: dict[str, str] = {k.name: k.definition for k in KPIS if k.headline}
KPI_NAMES: tuple[str, ...] = tuple(KPI_DOCS)
EXTRA_KPIS: dict[str, str] = {k.name: k.definition for k in KPIS if not k.headline}
MONEY_KPIS = frozenset(k.name for k in KPIS if k.unit is Unit.MONEY)
KPI_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (str(group), tuple(k.name for k in KPIS if k.group is group)) for group in Group)


def lookup(name: str) -> Kpi:
    """The registry entry of ``name``; for a measure outside it (a daily series, a derived
    figure), an entry with its unit guessed from the name (``*_rate``/``*_share``: a share;
    ``*_per_1000``: per 1,000; otherwise a count) and no definition."""
    found = BY_NAME.get(name)
    if found is not None:
        return found
    if name.endswith(("_rate", "_share")):
        unit = Unit.SHARE
    elif name.endswith("_per_1000"):
        unit = Unit.PER_1000
    else:
        unit = Unit.COUNT
    return Kpi(name, "", unit, Direction.NEITHER, Group.ALSO, name.replace("_", " "),
               headline=False)


def format_value(name: str, value: Any, averaged: bool = False) -> str:
    """``value`` of KPI ``name`` in its unit (:meth:`Kpi.format`)."""
    return lookup(name).format(value, averaged)


def format_interval(name: str, mean: Any, half: Any, averaged: bool = True) -> str:
    """``mean ±half-width`` of KPI ``name`` (:meth:`Kpi.format_interval`)."""
    return lookup(name).format_interval(mean, half, averaged)


def format_half(name: str, half: Any, averaged: bool = True) -> str:
    """``±half-width`` of KPI ``name`` (:meth:`Kpi.format_half`)."""
    return lookup(name).format_half(half, averaged)


def format_difference(name: str, diff: Any, half: Any = None) -> str:
    """A signed difference of KPI ``name`` ``±half-width`` (:meth:`Kpi.format_difference`)."""
    return lookup(name).format_difference(diff, half)
