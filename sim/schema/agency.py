"""``[[agencies]]`` table: one collection agency's profile, shifts and message cadences."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    model_validator,
)

from sim.schema.common import (
    WORKWEEK,
    Clock,
    Name,
    NonNegative,
    Positive,
    Probability,
    Strict,
    Weekday,
    check_finite,
    clock_to_day_fraction,
)


class FeeTier(Strict):
    """A contingency-fee tier: ``rate`` applies to all collections once the agency's recovery
    rate on its placed balance reaches ``recovery_at_least``."""

    recovery_at_least: Probability
    rate: Probability


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
            raise ValueError(f"start: must be before end (got {self.start}-{self.end})")
        if len(set(self.days)) != len(self.days):
            raise ValueError(f"days: must not repeat (got {self.days})")
        return self


class Agency(Strict):
    """One collection agency (or the bank's own team when ``kind = "in_house"``).

    Incentives: a contingency agency earns ``commission`` on everything collected, or the rate
    of the highest ``commission_tiers`` entry its recovery reaches; it works only accounts whose
    expected fee (rate × balance × its own estimate of the chance the account pays) is at least
    ``min_expected_fee`` ("cherry-picking"; 0 works every account); and while its recovery runs
    behind the pace of ``target_recovery`` its rule discipline falls to
    ``compliance_when_behind`` (cutting corners).
    """

    name: Name
    kind: Literal["contingency", "in_house"] = "contingency"
    share: Probability | None = None
    collectors: int = Field(default=20, ge=0, le=100_000)
    shift: Shift = Shift()
    skill: Probability = 0.5
    tone: Probability = 0.3
    analytics_auc: Annotated[float, Field(ge=0.5, le=0.999), AfterValidator(check_finite)] = 0.65
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
    commission_tiers: list[FeeTier] = Field(default_factory=list)
    min_expected_fee: NonNegative = 0.0
    target_recovery: Probability = 0.0
    compliance_when_behind: Probability | None = None
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

    @model_validator(mode="after")
    def _tiers_ordered(self) -> Agency:
        thresholds = [t.recovery_at_least for t in self.commission_tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError(f"commission_tiers: must rise strictly in recovery_at_least "
                             f"(got {thresholds})")
        return self
