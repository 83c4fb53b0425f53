"""``[rules]`` table: regulation of contact, as named regimes that scenarios pick and override.

``regime`` selects a preset, read from the regime's data file in :mod:`sim.config.rules`
(where every rule cites its source). A regime has two sets of contact rules: those binding the
**third party** (collection agencies working for the bank: the fields of ``[rules]`` itself) and
those binding the **first party** (the bank's own collectors, ``kind = "in_house"``:
``[rules.first_party]``). Any field the scenario states overrides the preset's value, so
``regime = "china"`` with ``max_conversations_per_day = 2`` is China's rules with a tighter cap
for agencies, and ``[rules.first_party] max_calls_per_7_days = 7`` is a bank policy on top of
a regime that sets no cap for the bank's own team.

* ``us_reg_f`` — US Regulation F (12 CFR 1006): binds debt collectors, not creditors.
* ``us_massachusetts`` — Regulation F plus Massachusetts' two calls in seven days (209 CMR
  18.16 for collectors, 940 CMR 7.04 for creditors).
* ``uk`` — FCA CONC 7 and the Debt Respite Scheme, binding lenders and collectors alike.
* ``china`` — contact hours and daily contact limits, no third-party collection (NIFA 2024,
  China Banking Association 2026), binding banks and agencies alike.
* ``taiwan`` — collection only 07:00-22:00 and never from third parties (FSC outsourcing
  rules, art. 14; Bankers Association rules), binding banks and agencies.
* ``none`` — nothing enforced.

``reference`` names the regime every contact is also measured against (``conduct_breaches``),
whatever regime is in force, so regimes compare on one standard of conduct.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

from pydantic import Field, model_validator

from sim.config.schema.common import (
    Clock,
    Money,
    NonNegative,
    Probability,
    Strict,
    clock_to_day_fraction,
)

Regime = Literal["us_reg_f", "us_massachusetts", "uk", "china", "taiwan", "none"]
PARTIES = ("third_party", "first_party")


@cache
def regime_data(name: str) -> dict[str, Any]:
    """The data file of regime ``name``: ``title``, ``sources``, ``third_party`` and
    ``first_party``."""
    text = resources.files("sim.config.rules").joinpath(f"{name}.toml").read_text("utf-8")
    return tomllib.loads(text)


REGIMES: dict[str, dict[str, Any]] = {
    name: dict(regime_data(name)["third_party"]) for name in get_args(Regime)}
"""Each regime's rules for third-party collectors (the fields of ``[rules]``)."""


class ContactLimits(Strict):
    """The contact rules binding one party under a regime. A cap of 0 means "no cap"; times
    are on the cardholder's local clock; seven-day counts run over calendar days."""

    window_start: Clock = "08:00"
    """Start of the daily window in which calls and messages are allowed, ``"HH:MM"`` on the
    cardholder's local clock (Regulation F: 08:00)."""
    window_end: Clock = "21:00"
    """End of the daily contact window, ``"HH:MM"``, exclusive (Regulation F: 21:00)."""
    max_calls_per_7_days: int = Field(default=7, ge=0, le=1000)
    """Most calls per account in any 7 consecutive calendar days; 0 = no cap (Regulation F:
    7)."""
    quiet_days_after_conversation: NonNegative = 7.0
    """Calendar days after a telephone conversation during which the account may not be called
    (messages are not affected); 0 = none (Regulation F: 7)."""
    consent_exception: bool = True
    """Whether a call the cardholder asked for (a callback agreed in a conversation, within the
    last 7 days) is exempt from the call cap and the quiet days (12 CFR 1006.14(b)(3))."""
    max_conversations_per_day: int = Field(default=0, ge=0, le=100)
    """Most telephone conversations per account per local calendar day, after which calls
    stop; 0 = no cap (China: 3)."""
    max_unanswered_per_day: int = Field(default=0, ge=0, le=100)
    """Most unanswered dials (no answer or wrong number) per account per local calendar day;
    0 = no cap (China: 6)."""
    max_messages_per_7_days: int = Field(default=0, ge=0, le=1000)
    """Most messages (SMS, e-mail and letters together) per account in any 7 consecutive
    calendar days; 0 = no cap (no preset sets one)."""
    honour_cease_requests: bool = True
    """Whether a request to stop contact binds (see ``cease_needs_writing``)."""
    cease_needs_writing: bool = True
    """Whether only a written request stops all contact, from the day it is received (FDCPA
    §805(c)); a spoken one then stops calls only (a request not to use a medium, 12 CFR
    1006.14(h)). When false, a request in any form stops all contact at once."""
    dispute_hold_days: NonNegative = 30.0
    """Days calls and messages pause after a dispute while it is verified; 0 = no hold (the
    verification time is an assumption, 14–45)."""
    dispute_needs_writing: bool = True
    """Whether only a written dispute, received within ``validation_days`` of placement,
    starts the hold (FDCPA §809(b)); when false any dispute does, at any time."""
    validation_days: NonNegative = 37.0
    """Days after placement within which a written dispute holds collection: the 30-day
    validation period after the notice is received, receipt presumed 5 business days after
    placement (12 CFR 1006.34); 0 = no limit."""
    third_party_disclosure: bool = True
    """Whether disclosing the debt to a third party (a wrong party on the phone, a voicemail
    heard by others) is forbidden (FDCPA §805(b), 12 CFR 1006.6(d))."""
    breathing_space_days: NonNegative = 0.0
    """Days contact, interest and fees pause once a cardholder enters breathing space; 0 = not
    offered, and nobody asks (``uk``: 60, Debt Respite Scheme)."""

    @model_validator(mode="after")
    def _window_ordered(self) -> ContactLimits:
        if clock_to_day_fraction(self.window_start) >= clock_to_day_fraction(self.window_end):
            raise ValueError(
                f"window_start: must be before window_end "
                f"(got {self.window_start}-{self.window_end})"
            )
        return self


class Rules(ContactLimits):
    """``[rules]``: the regime in force, what binds agencies (the fields of this table) and the
    bank's own collectors (``first_party``), the reference standard, and legal consequences.
    Defaults follow US Regulation F (12 CFR 1006).

    Each violation and complaint may become a lawsuit; fines, lawsuits and complaints carry
    costs to the bank.
    """

    regime: Regime = "us_reg_f"
    """Preset the other fields start from (one data file each in ``sim/config/rules/``):
    ``us_reg_f``, ``us_massachusetts``, ``uk``, ``china``, ``taiwan`` or ``none``; fields
    stated in the file override it."""
    first_party: ContactLimits = ContactLimits()
    """The rules binding the bank's own collectors (``kind = "in_house"``): the regime's
    first-party rules, plus whatever the bank's policy adds here."""
    reference: Regime = "us_reg_f"
    """The standard every contact is also measured against (``conduct_breaches``), whatever
    regime is in force: third-party rules of this regime, applied to every desk."""
    breathing_space_referral_days: NonNegative = 14.0
    """Days from a cardholder's request for help to the start of their breathing space: the
    agency refers them to a debt adviser, who applies for the moratorium (Debt Respite Scheme
    regulations 2020, reg. 6; assumption, 3–30)."""
    written_request_share: Probability = 0.25
    """Share 0–1 of requests to stop contact and of disputes that the cardholder also puts in
    writing (assumption, 0.1–0.5)."""
    mail_days: float = Field(default=5.0, ge=0.0, le=30.0)
    """Days a written request takes to reach the agency (12 CFR 1006.34 presumes receipt of a
    mailed notice 5 business days after it is sent; assumption, 3–7)."""
    callback_request_share: Probability = 0.15
    """Chance 0–1 that a cardholder who refuses an offer asks to be called back the next day
    (consent to that call, 12 CFR 1006.14(b)(3); assumption, 0–0.3)."""
    regulator_complaint_share: Probability = 0.076
    """Share 0–1 of complaints the cardholder takes on to a regulator or ombudsman: in the UK
    in 2024 firms received 3.64 million complaints and the Financial Ombudsman Service 274,865
    (7.6%; FCA aggregate complaints data, FOS half-year figures); range 0.04–0.15."""
    lawsuit_per_violation: Probability = 0.0005
    """Chance 0–1 that each rule violation (a contact the regime in force forbade) becomes a
    lawsuit. With ``lawsuit_per_complaint``, set so that the baseline draws about 0.1 lawsuits
    per 1,000 accounts in 90 days: WebRecon counted 4,165 federal FDCPA suits in 2023 against
    some 64 million consumers with debt in collections (Urban Institute, 2021), 0.015–0.35 per
    1,000 in 90 days depending on how many are actively pursued (assumption, 0.0001–0.002)."""
    lawsuit_per_complaint: Probability = 0.004
    """Chance 0–1 that each complaint becomes a lawsuit (assumption, 0.001–0.01; see
    ``lawsuit_per_violation``)."""
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
        if not isinstance(regime, str) or regime not in get_args(Regime):
            return data  # the field validator reports the bad regime name
        preset = regime_data(regime)
        merged = {**preset["third_party"], **data}
        own = data.get("first_party", {})
        if isinstance(own, dict):
            merged["first_party"] = {**preset["first_party"], **own}
        return merged

    def limits(self, first_party: bool = False) -> ContactLimits:
        """The rules binding the bank's own collectors (``first_party``) or its agencies."""
        if first_party:
            return self.first_party
        return ContactLimits(**{name: getattr(self, name) for name in ContactLimits.model_fields})

    def reference_limits(self) -> ContactLimits:
        """The reference standard's rules (third-party rules of ``reference``)."""
        return ContactLimits(**regime_data(self.reference)["third_party"])
