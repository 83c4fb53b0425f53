"""``[bank]`` and ``[rules]`` tables: placement, allocation, hand-over, regulation."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from sim.schema.common import (
    Clock,
    NonNegative,
    Probability,
    Strict,
    clock_to_day_fraction,
)


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
