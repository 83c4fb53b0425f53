"""Typed schema of a scenario file.

A scenario is plain data: the tables (``[scenario]``, ``[portfolio]``, ``[bank]``,
``[rules]``, ``[[agencies]]``, ``[behaviour]``) validated by pydantic v2 models. Every model
forbids unknown keys and checks ranges, so a typo in a scenario file is an error rather than a
silently ignored setting. Loading, ``extends`` inheritance and ``--set`` overrides live in
:mod:`sim.config.loading`; this module only says what a valid scenario looks like.

Money is given in the currency's main unit (dollars) in files and converted to integer cents by
the model. Rates are per day unless the name says otherwise; times of day are ``"HH:MM"``.
"""

from __future__ import annotations

from pydantic import field_validator, model_validator

from sim.config.schema import limits
from sim.config.schema.agency import Agency, Channel, Shift
from sim.config.schema.bank import Allocation, Bank, Route, Scorecard
from sim.config.schema.behaviour import (
    BEHAVIOUR_MODELS,
    Behaviour,
    HawkesParameters,
    StageParameters,
)
from sim.config.schema.calibration import CalibratedValue, Calibration
from sim.config.schema.common import (
    CLOCK_PATTERN,
    SHARE_TOLERANCE,
    WEEKDAYS,
    WORKWEEK,
    Clock,
    Finite,
    Money,
    Name,
    NonNegative,
    Positive,
    Probability,
    Strict,
    Weekday,
    clock_to_day_fraction,
    raise_problems,
)
from sim.config.schema.portfolio import (
    BalanceDistribution,
    DaysPastDueDistribution,
    Portfolio,
    ScenarioInfo,
    Segment,
)
from sim.config.schema.references import reference_problems, reserved_name_problems
from sim.config.schema.rules import REGIMES, ContactLimits, Regime, Rules, regime_data

__all__ = [
    "BEHAVIOUR_MODELS",
    "CLOCK_PATTERN",
    "REGIMES",
    "SHARE_TOLERANCE",
    "WEEKDAYS",
    "WORKWEEK",
    "Agency",
    "Allocation",
    "BalanceDistribution",
    "Bank",
    "Behaviour",
    "CalibratedValue",
    "Calibration",
    "Channel",
    "Clock",
    "ContactLimits",
    "DaysPastDueDistribution",
    "Finite",
    "HawkesParameters",
    "Money",
    "Name",
    "NonNegative",
    "Portfolio",
    "Positive",
    "Probability",
    "Regime",
    "Route",
    "Rules",
    "Scenario",
    "ScenarioInfo",
    "Scorecard",
    "Segment",
    "Shift",
    "StageParameters",
    "Strict",
    "Weekday",
    "clock_to_day_fraction",
    "regime_data",
]


class Scenario(Strict):
    """A whole scenario file, after ``extends`` and overrides have been applied."""

    scenario: ScenarioInfo
    """``[scenario]``: name, calendar, placement length and seed of the run."""
    portfolio: Portfolio
    """``[portfolio]``: how many accounts are placed, their balances, days past due, interest
    and reason segments."""
    bank: Bank = Bank()
    """``[bank]``: placement, allocation, hand-over, data quality and follow-up."""
    rules: Rules = Rules()
    """``[rules]``: contact regulation (a regime preset plus overrides) and legal costs."""
    agencies: list[Agency]
    """``[[agencies]]``: one entry per agency (1 to 100, unique names)."""
    behaviour: Behaviour = Behaviour()
    """``[behaviour]``: the borrower-response model and its parameters."""
    calibration: Calibration | None = None
    """``[calibration]``: provenance of calibrated values, written by ``collectsim calibrate``
    into ``calibrated.toml``; the model never reads it."""

    @field_validator("agencies")
    @classmethod
    def _agencies_valid(cls, agencies: list[Agency]) -> list[Agency]:
        if not agencies:
            raise ValueError("at least one agency is required")
        if len(agencies) > 100:
            raise ValueError(f"at most 100 agencies are supported (got {len(agencies)})")
        names = [a.name for a in agencies]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"agency names must be unique (got {', '.join(duplicates)} twice)")
        return agencies

    @model_validator(mode="after")
    def _within_limits(self) -> Scenario:
        """Money exact in cents and dates representable (:mod:`sim.config.schema.limits`)."""
        info, bank, portfolio = self.scenario, self.bank, self.portfolio
        second = bank.second_placement is not None
        days = limits.program_days(info.horizon_days, bank.vintages, bank.vintage_every_days,
                                   second)
        end = limits.last_date(info.start_date, days + bank.follow_up_days)
        if end is None:
            raise ValueError(f"scenario.start_date: the program and its follow-up run "
                             f"{days + bank.follow_up_days} days, past the last supported date "
                             f"{limits.LAST_DATE} (got {info.start_date})")
        accrual = (2 if second else 1) * info.horizon_days
        worst = limits.worst_portfolio_cents(portfolio.accounts, portfolio.balance.max,
                                             portfolio.apr, portfolio.late_fee, accrual)
        if worst > limits.MAX_PORTFOLIO_CENTS:
            raise ValueError(
                f"portfolio.balance.max: {portfolio.accounts} accounts at this balance, with "
                f"interest and late fees over {accrual} days, could owe {worst / 100:.3g} "
                f"currency units, beyond the {limits.MAX_PORTFOLIO_CENTS / 100:.3g} where cents "
                f"stay exact (got {portfolio.balance.max:g})")
        return self

    @model_validator(mode="after")
    def _stage_consistent(self) -> Scenario:
        dpd, limit = self.portfolio.days_past_due, self.portfolio.charge_off_days
        if self.bank.stage == "pre_charge_off" and dpd.high >= limit:
            raise ValueError(f"portfolio.days_past_due.high: a pre_charge_off placement places "
                             f"accounts before charge-off at {limit} days past due; set "
                             f"bank.stage = \"post_charge_off\" or lower it (got {dpd.high})")
        if self.bank.stage == "post_charge_off" and dpd.low < limit:
            raise ValueError(f"portfolio.days_past_due.low: a post_charge_off placement places "
                             f"accounts already charged off at {limit} days past due "
                             f"(got {dpd.low})")
        return self

    @model_validator(mode="after")
    def _allocation_consistent(self) -> Scenario:
        """Every name the allocation uses exists, and the shares fit the method; every problem
        found is raised at once, one per line (:func:`raise_problems`)."""
        allocation = self.bank.allocation
        names = [a.name for a in self.agencies]
        second = self.bank.second_placement
        problems = reference_problems(
            names, list(self.portfolio.segments), allocation.method, allocation.champion,
            allocation.challenger, [(r.agency, r.segment) for r in allocation.routes], second)
        problems += reserved_name_problems(names, list(self.portfolio.segments))
        if second is not None and second in names:
            if (self.agency(second).share or 0.0) != 0.0 or second in (
                    allocation.champion, allocation.challenger) or any(
                    r.agency == second for r in allocation.routes):
                problems.append(f"bank.second_placement: {second!r} takes only second "
                                f"placements, so it must have no share, route or role in "
                                f"the first allocation")
            if len(self.agencies) < 2:
                problems.append("bank.second_placement: needs another agency for the first "
                                "placement")
        if allocation.method != "champion_challenger":
            problems += self._share_problems()
        raise_problems(problems)
        return self

    def _share_problems(self) -> list[str]:
        allocation = self.bank.allocation
        second = self.bank.second_placement
        problems = [f"agencies.{agency.name}.share: required field is missing (every agency "
                    f"needs a share under {allocation.method} allocation)"
                    for agency in self.agencies
                    if agency.share is None and agency.name != second]
        total = sum(a.share or 0.0 for a in self.agencies)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            problems.append(f"agencies: agency shares must sum to 1 (got {total:g})")
        if allocation.method == "performance":
            for agency in self.agencies:
                share = agency.share or 0.0
                if not allocation.floor <= share <= allocation.cap:
                    problems.append(f"agencies.{agency.name}.share: must lie within "
                                    f"bank.allocation floor and cap ({allocation.floor}-"
                                    f"{allocation.cap}) under performance allocation "
                                    f"(got {share:g})")
        return problems

    def agency(self, name: str) -> Agency:
        """Return the agency called ``name``."""
        for agency in self.agencies:
            if agency.name == name:
                return agency
        raise KeyError(name)
