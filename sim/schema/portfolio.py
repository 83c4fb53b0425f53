"""``[scenario]`` and ``[portfolio]`` tables: identity, calendar, seed; accounts by segment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
    model_validator,
)

from sim.schema.common import (
    SHARE_TOLERANCE,
    Finite,
    Name,
    NonNegative,
    Positive,
    Probability,
    Strict,
    check_finite,
)


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
    breathing_space_request: Probability = 0.0
    redefault_risk: Probability = 0.2
    concentration: Positive = 8.0


class Portfolio(Strict):
    """``[portfolio]``: the delinquent accounts placed, by reason segment."""

    accounts: int = Field(default=20_000, ge=1, le=50_000_000)
    apr: Annotated[float, Field(ge=0.0, le=2.0), AfterValidator(check_finite)] = 0.2499
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
