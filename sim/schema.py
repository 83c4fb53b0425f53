"""Typed schema of a scenario file.

A scenario is plain data: the tables of DESIGN §4 (``[scenario]``, ``[portfolio]``, ``[bank]``,
``[rules]``, ``[[agencies]]``, ``[behaviour]``) validated by pydantic v2 models. Every model
forbids unknown keys and checks ranges, so a typo in a scenario file is an error rather than a
silently ignored setting. Loading, ``extends`` inheritance and ``--set`` overrides live in
:mod:`sim.scenario`; this module only says what a valid scenario looks like.

Money is given in the currency's main unit (dollars) in files and converted to integer cents by
the model. Rates are per day unless the name says otherwise; times of day are ``"HH:MM"``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

SHARE_TOLERANCE = 1e-6
CLOCK_PATTERN = re.compile(r"[0-9]{2}:[0-9]{2}")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKWEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


def _clock(value: str) -> str:
    if not CLOCK_PATTERN.fullmatch(value):
        raise ValueError('must be a time of day "HH:MM"')
    hours, minutes = int(value[:2]), int(value[3:])
    if hours > 24 or minutes > 59 or (hours == 24 and minutes != 0):
        raise ValueError('must be a time of day "HH:MM" between 00:00 and 24:00')
    return value


Finite = Annotated[float, AfterValidator(_finite)]
Probability = Annotated[float, Field(ge=0.0, le=1.0), AfterValidator(_finite)]
NonNegative = Annotated[float, Field(ge=0.0), AfterValidator(_finite)]
Positive = Annotated[float, Field(gt=0.0), AfterValidator(_finite)]
Clock = Annotated[str, AfterValidator(_clock)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")]


def clock_to_day_fraction(value: str) -> float:
    """Convert ``"HH:MM"`` to a fraction of a day (``"12:00"`` → 0.5)."""
    hours, minutes = value.split(":")
    return (int(hours) * 60 + int(minutes)) / 1440.0


class Strict(BaseModel):
    """Base for every table: unknown keys are errors, types are not coerced (``"100"`` is not a
    number, ``true`` is not 1), values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)


# --------------------------------------------------------------------------- [scenario]


class ScenarioInfo(Strict):
    """``[scenario]``: identity, calendar and seed of the run."""

    name: Name
    description: str = ""
    start_date: dt.date = dt.date(2026, 1, 5)
    horizon_days: int = Field(default=90, ge=1, le=3650)
    seed: int = Field(default=12345, ge=0, lt=2**63)


# --------------------------------------------------------------------------- [portfolio]


class BalanceDistribution(Strict):
    """Placed balance: log-normal with the given median and log-sd, clipped to [min, max]."""

    distribution: Literal["lognormal"] = "lognormal"
    median: Positive = 3500.0
    sigma: NonNegative = 0.8
    min: NonNegative = 100.0
    max: Positive = 50_000.0

    @model_validator(mode="after")
    def _ordered(self) -> BalanceDistribution:
        if self.min > self.max:
            raise ValueError(f"min must not exceed max (got min={self.min}, max={self.max})")
        return self


class DaysPastDueDistribution(Strict):
    """Days past due at placement: uniform integers in [low, high]."""

    distribution: Literal["uniform"] = "uniform"
    low: int = Field(default=30, ge=0, le=3650)
    high: int = Field(default=90, ge=0, le=3650)

    @model_validator(mode="after")
    def _ordered(self) -> DaysPastDueDistribution:
        if self.low > self.high:
            raise ValueError(f"low must not exceed high (got low={self.low}, high={self.high})")
        return self


class Segment(Strict):
    """One reason for falling behind, with its own latent behaviour.

    Means of per-account Beta distributions are given directly; ``concentration`` sets how
    tightly accounts cluster around them (larger is tighter).
    """

    share: Probability
    balance_scale: Positive = 1.0
    answer_rate: Probability = 0.3
    willingness: Probability = 0.5
    lump_sum_share: Probability = 0.3
    monthly_capacity: Probability = 0.1
    self_cure_rate: NonNegative = 0.002
    reminder_lift: NonNegative = 0.0
    misunderstanding: Probability = 0.0
    dispute_rate: Probability = 0.05
    complaint_sensitivity: Probability = 0.01
    cease_rate: Probability = 0.01
    callback_rate: Probability = 0.02
    promise_keep: Probability = 0.6
    hardship_response: Finite = 0.0
    concentration: Positive = 8.0


class Portfolio(Strict):
    """``[portfolio]``: the delinquent accounts placed, by reason segment."""

    accounts: int = Field(default=20_000, ge=1, le=50_000_000)
    apr: Annotated[float, Field(ge=0.0, le=2.0), AfterValidator(_finite)] = 0.2499
    late_fee: NonNegative = 0.0
    balance: BalanceDistribution = BalanceDistribution()
    days_past_due: DaysPastDueDistribution = DaysPastDueDistribution()
    segments: dict[Name, Segment]

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, segments: dict[str, Segment]) -> dict[str, Segment]:
        if not segments:
            raise ValueError("at least one segment is required")
        total = sum(s.share for s in segments.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"segment shares must sum to 1 (got {total:g})")
        return segments


# --------------------------------------------------------------------------- [bank]


class Allocation(Strict):
    """How placed accounts are split across agencies (by each agency's ``share``)."""

    method: Literal["fixed"] = "fixed"


class Bank(Strict):
    """``[bank]``: placement, hand-over to agencies, feedback and recall."""

    placement: Literal["batch"] = "batch"
    allocation: Allocation = Allocation()
    transfer_delay_days: int = Field(default=2, ge=0, le=60)
    phone_valid: Probability = 0.85
    email_valid: Probability = 0.7
    report_every_days: int = Field(default=7, ge=1, le=365)


# --------------------------------------------------------------------------- [rules]


class Rules(Strict):
    """``[rules]``: what a contact may do. Defaults follow US Regulation F (12 CFR 1006.14).

    A cap of 0 means "no cap". ``window`` is the legal contact window in the cardholder's
    local time; ``dispute_hold_days`` is how long collection pauses while a dispute is verified.
    """

    max_calls_per_7_days: int = Field(default=7, ge=0, le=1000)
    quiet_days_after_conversation: NonNegative = 7.0
    window_start: Clock = "08:00"
    window_end: Clock = "21:00"
    max_conversations_per_day: int = Field(default=0, ge=0, le=100)
    max_unanswered_per_day: int = Field(default=0, ge=0, le=100)
    max_messages_per_7_days: int = Field(default=0, ge=0, le=1000)
    honour_cease_requests: bool = True
    dispute_hold_days: NonNegative = 30.0
    lawsuit_per_violation: Probability = 0.002
    lawsuit_per_complaint: Probability = 0.01

    @model_validator(mode="after")
    def _window_ordered(self) -> Rules:
        if clock_to_day_fraction(self.window_start) >= clock_to_day_fraction(self.window_end):
            raise ValueError(
                f"window_start must be before window_end "
                f"(got {self.window_start}-{self.window_end})"
            )
        return self


# --------------------------------------------------------------------------- [[agencies]]


class Channel(Strict):
    """A message cadence: sent every ``every_days`` from ``first_day`` after hand-over."""

    every_days: int = Field(default=0, ge=0, le=365)
    first_day: int = Field(default=1, ge=0, le=365)
    cost: NonNegative = 0.0

    @property
    def enabled(self) -> bool:
        return self.every_days > 0


class Shift(Strict):
    """Collector working hours and days."""

    start: Clock = "09:00"
    end: Clock = "17:00"
    days: list[Weekday] = Field(default_factory=lambda: list(WORKWEEK))

    @model_validator(mode="after")
    def _ordered(self) -> Shift:
        if clock_to_day_fraction(self.start) >= clock_to_day_fraction(self.end):
            raise ValueError(f"start must be before end (got {self.start}-{self.end})")
        if len(set(self.days)) != len(self.days):
            raise ValueError(f"days must not repeat (got {self.days})")
        return self


class Agency(Strict):
    """One collection agency (or the bank's own team when ``kind = "in_house"``)."""

    name: Name
    kind: Literal["contingency", "in_house"] = "contingency"
    share: Probability
    collectors: int = Field(default=20, ge=0, le=100_000)
    shift: Shift = Shift()
    skill: Probability = 0.5
    tone: Probability = 0.3
    analytics_auc: Annotated[float, Field(ge=0.5, le=0.999), AfterValidator(_finite)] = 0.65
    priority: Literal["score", "balance", "days_past_due", "random"] = "score"
    max_attempts_per_day: int = Field(default=2, ge=1, le=50)
    retry_hours: NonNegative = 3.0
    compliance: Probability = 0.98
    settlement_max_discount: Probability = 0.3
    plan_max_months: int = Field(default=6, ge=0, le=120)
    freeze_interest_on_plan: bool = True
    waive_interest: bool = False
    promise_days: int = Field(default=7, ge=1, le=60)
    commission: Probability = 0.2
    collector_hourly_wage: NonNegative = 16.5
    cost_per_call: NonNegative = 0.05
    ring_minutes: Positive = 0.6
    wrong_number_minutes: Positive = 1.0
    talk_minutes: Positive = 6.0
    wrap_minutes: NonNegative = 1.0
    inbound_patience_minutes: Positive = 3.0
    sms: Channel = Channel()
    email: Channel = Channel()
    letter: Channel = Channel()


# --------------------------------------------------------------------------- [behaviour]


class StageParameters(Strict):
    """Effects in the stage model. See :mod:`sim.behaviour.stage` for where each one enters.

    Effects on probabilities are logit shifts (``*_promise``, ``*_keep``) or log-multipliers
    (``*_answer``, ``*_complaint``, ``*_cease``); pressure is calls in the last 7 days, skill
    and tone are the agency's, centred at 0.5 for skill and 0 (soft) for tone.
    """

    skill_promise: Finite = 1.0
    tone_promise: Finite = 0.6
    tone_keep: Finite = -0.8
    tone_complaint: Finite = 1.5
    tone_cease: Finite = 1.0
    pressure_answer: Finite = -0.08
    pressure_complaint: Finite = 0.25
    pressure_cease: Finite = 0.1
    violation_complaint: Finite = 1.5
    burden_promise: Finite = -1.0
    burden_keep: Finite = -1.5
    settlement_promise: Finite = 2.0
    willingness_keep: Finite = 1.0
    payer_effect: Finite = 1.0
    instalment_persistence: Probability = 0.5
    clear_misunderstanding: Probability = 0.5
    clear_skill: Finite = 0.4


class HawkesParameters(Strict):
    """Self-exciting repayment process (Chehrazi & Weber 2015), rates per day.

    Intensity starts at ``lambda0`` and decays toward ``lambda_inf`` at rate ``kappa``; each
    repayment (a share R ~ U(r_min, r_max) of the balance) raises it by ``delta10 + delta11·R``
    and each right-party contact by ``delta2``. Defaults are illustrative, not estimates.
    """

    lambda0: NonNegative = 0.004
    lambda_inf: NonNegative = 0.0005
    kappa: NonNegative = 0.03
    delta10: NonNegative = 0.005
    delta11: NonNegative = 0.01
    delta2: NonNegative = 0.003
    r_min: Probability = 0.1
    r_max: Probability = 1.0

    @model_validator(mode="after")
    def _consistent(self) -> HawkesParameters:
        if self.r_min > self.r_max:
            raise ValueError(f"r_min must not exceed r_max (got {self.r_min} > {self.r_max})")
        if self.r_max <= 0:
            raise ValueError("r_max must be positive: repayments must repay something")
        if self.lambda0 < self.lambda_inf:
            raise ValueError(f"lambda0 must be at least lambda_inf "
                             f"(got {self.lambda0} < {self.lambda_inf})")
        return self


class Behaviour(Strict):
    """``[behaviour]``: which borrower-response model and its parameters."""

    model: Literal["stage", "hawkes"] = "stage"
    stage: StageParameters = StageParameters()
    hawkes: HawkesParameters = HawkesParameters()


# --------------------------------------------------------------------------- the whole file


class Scenario(Strict):
    """A whole scenario file, after ``extends`` and overrides have been applied."""

    scenario: ScenarioInfo
    portfolio: Portfolio
    bank: Bank = Bank()
    rules: Rules = Rules()
    agencies: list[Agency]
    behaviour: Behaviour = Behaviour()

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
        total = sum(a.share for a in agencies)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"agency shares must sum to 1 (got {total:g})")
        return agencies

    def agency(self, name: str) -> Agency:
        """Return the agency called ``name``."""
        for agency in self.agencies:
            if agency.name == name:
                return agency
        raise KeyError(name)
