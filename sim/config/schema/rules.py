"""``[rules]`` table: regulation of contact, as named regimes that scenarios can pick and override.

``regime`` selects a preset; any field the scenario states overrides the preset's value, so
``regime = "china"`` with ``max_conversations_per_day = 2`` is China's rules with a tighter cap.

* ``us_reg_f`` — US Regulation F, 12 CFR 1006.14 (CFPB): at most 7 calls in 7 days per debt,
  none within 7 days after a telephone conversation, calls only 08:00-21:00.
* ``china`` — no collection 22:00-08:00, at most 3 effective voice contacts a day per debtor,
  at most 6 unanswered dials a day per number (NIFA 2024 guidelines; China Banking Association
  2026 trial guidelines).
* ``uk`` — UK-style forbearance: a cardholder may ask for a 60-day breathing space, during which
  contact and interest are paused (Debt Respite Scheme); calls 08:00-21:00, no numeric caps.
* ``none`` — nothing enforced: no caps, any hour, cease requests and disputes do not stop
  contact. For "what if there were no rules" comparisons.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.config.schema.common import (
    Clock,
    Money,
    NonNegative,
    Probability,
    Strict,
    clock_to_day_fraction,
)

Regime = Literal["us_reg_f", "china", "uk", "none"]

REGIMES: dict[str, dict[str, Any]] = {
    "us_reg_f": {"max_calls_per_7_days": 7, "quiet_days_after_conversation": 7.0,
                 "window_start": "08:00", "window_end": "21:00",
                 "max_conversations_per_day": 0, "max_unanswered_per_day": 0,
                 "honour_cease_requests": True, "dispute_hold_days": 30.0,
                 "breathing_space_days": 0.0},
    "china": {"max_calls_per_7_days": 0, "quiet_days_after_conversation": 0.0,
              "window_start": "08:00", "window_end": "22:00",
              "max_conversations_per_day": 3, "max_unanswered_per_day": 6,
              "honour_cease_requests": True, "dispute_hold_days": 30.0,
              "breathing_space_days": 0.0},
    "uk": {"max_calls_per_7_days": 0, "quiet_days_after_conversation": 0.0,
           "window_start": "08:00", "window_end": "21:00",
           "max_conversations_per_day": 0, "max_unanswered_per_day": 0,
           "honour_cease_requests": True, "dispute_hold_days": 30.0,
           "breathing_space_days": 60.0},
    "none": {"max_calls_per_7_days": 0, "quiet_days_after_conversation": 0.0,
             "window_start": "00:00", "window_end": "24:00",
             "max_conversations_per_day": 0, "max_unanswered_per_day": 0,
             "honour_cease_requests": False, "dispute_hold_days": 0.0,
             "breathing_space_days": 0.0},
}


class Rules(Strict):
    """``[rules]``: what a contact may do. Defaults follow US Regulation F (12 CFR 1006.14).

    A cap of 0 means "no cap". The window is the legal contact window in the cardholder's local
    time; ``dispute_hold_days`` is how long collection pauses while a dispute is verified;
    ``breathing_space_days`` (0 = not offered) is how long contact and interest pause when a
    cardholder asks for breathing space. Legal consequences: each violation and complaint may
    become a lawsuit; fines, lawsuits and complaints carry costs to the bank's reputation.
    """

    regime: Regime = "us_reg_f"
    """Preset the other fields start from: ``us_reg_f`` (US Regulation F), ``china``, ``uk``
    (breathing space) or ``none`` (nothing enforced); fields stated in the file override it."""
    max_calls_per_7_days: int = Field(default=7, ge=0, le=1000)
    """Most calls per account in any rolling 7 days; 0 = no cap (Regulation F: 7)."""
    quiet_days_after_conversation: NonNegative = 7.0
    """Days after a telephone conversation during which the account may not be called (messages
    are not affected); 0 = none (Regulation F: 7)."""
    window_start: Clock = "08:00"
    """Start of the daily window in which calls are allowed, ``"HH:MM"`` (Regulation F: 08:00)."""
    window_end: Clock = "21:00"
    """End of the daily call window, ``"HH:MM"``, exclusive (Regulation F: 21:00)."""
    max_conversations_per_day: int = Field(default=0, ge=0, le=100)
    """Most telephone conversations per account per calendar day, after which calls stop;
    0 = no cap (China: 3)."""
    max_unanswered_per_day: int = Field(default=0, ge=0, le=100)
    """Most unanswered dials (no answer or wrong number) per account per calendar day; 0 = no cap
    (China: 6)."""
    max_messages_per_7_days: int = Field(default=0, ge=0, le=1000)
    """Most messages (SMS, e-mail and letters together) per account in any rolling 7 days;
    0 = no cap (no preset sets one)."""
    honour_cease_requests: bool = True
    """Whether a cease-contact request stops all calls and messages to the account."""
    dispute_hold_days: NonNegative = 30.0
    """Days calls and messages pause after a dispute while it is verified; 0 = no hold (presets:
    30, an assumption; ``none``: 0)."""
    breathing_space_days: NonNegative = 0.0
    """Days contact, interest and fees pause when a cardholder asks for breathing space; 0 = not
    offered, and nobody asks (``uk``: 60, Debt Respite Scheme)."""
    lawsuit_per_violation: Probability = 0.002
    """Chance 0–1 that each rule violation (a call or message a rule forbade) becomes a
    lawsuit."""
    lawsuit_per_complaint: Probability = 0.01
    """Chance 0–1 that each complaint becomes a lawsuit."""
    fine_per_violation: Money = 500.0
    """Regulatory fine per rule violation, currency units, at most 1e9 (in ``legal_cost``, not
    in net recovery)."""
    lawsuit_cost: Money = 5_000.0
    """Cost of one lawsuit, currency units, at most 1e9 (in ``legal_cost``, not in net
    recovery)."""
    complaint_cost: Money = 50.0
    """Reputational cost of one complaint, currency units, at most 1e9 (in
    ``reputation_cost``)."""

    @model_validator(mode="before")
    @classmethod
    def _preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        regime = data.get("regime", "us_reg_f")
        preset = REGIMES.get(regime) if isinstance(regime, str) else None
        if preset is None:
            return data  # the field validator reports the bad regime name
        return {**preset, **data}

    @model_validator(mode="after")
    def _window_ordered(self) -> Rules:
        if clock_to_day_fraction(self.window_start) >= clock_to_day_fraction(self.window_end):
            raise ValueError(
                f"window_start: must be before window_end "
                f"(got {self.window_start}-{self.window_end})"
            )
        return self
