"""``[scenario]`` and ``[portfolio]`` tables: identity, calendar, seed; accounts by segment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    field_validator,
    model_validator,
)

from sim.config.schema.common import (
    SHARE_TOLERANCE,
    Finite,
    Money,
    Name,
    NonNegative,
    Positive,
    PositiveMoney,
    Probability,
    Strict,
    check_finite,
    raise_problems,
)
from sim.config.schema.reasons import Reason, with_reason_profile
from sim.config.schema.traits import Correlation, correlation_problems, default_correlations


class ScenarioInfo(Strict):
    """``[scenario]``: identity, calendar and seed of the run."""

    name: Name
    """Scenario name (letters, digits, ``_``, ``-``; at most 64 characters): labels the run
    and is the default output folder ``results/<name>``."""
    description: str = ""
    """Free text: what the scenario is for (not used by the model)."""
    start_date: dt.date = dt.date(2026, 1, 5)
    """Calendar date of day 0 (``YYYY-MM-DD``): sets the weekday of every day (collector
    shift days) and the dates of the daily series."""
    horizon_days: int = Field(default=90, ge=1, le=3650)
    """Placement length, days: each account is recalled this many days after its own placement
    (90 is industry practice for contingency agencies on recent delinquency)."""
    seed: int = Field(default=12345, ge=0, lt=2**63)
    """Root seed of the random streams (0 to 2**63 - 1): a (seed, replication) pair always gives
    the same run; ``--seed`` on the command line overrides it."""


# --------------------------------------------------------------------------- [portfolio]


class BalanceDistribution(Strict):
    """Placed balance: log-normal with the given median and log-sd, clipped to [min, max]."""

    distribution: Literal["lognormal"] = "lognormal"
    """Shape of the balance distribution; only ``"lognormal"`` is implemented."""
    median: PositiveMoney = 3500.0
    """Median placed balance before the segment's ``balance_scale``, currency units (at most
    1e9, as every amount of money)."""
    sigma: NonNegative = 0.8
    """Standard deviation of the log balance (log-sd); 0 puts every balance at the median."""
    min: Money = 100.0
    """Smallest placed balance, currency units: lower draws are raised to it (applied after
    ``balance_scale``); at most 1e9."""
    max: PositiveMoney = 50_000.0
    """Largest placed balance, currency units: higher draws are cut to it (applied after
    ``balance_scale``); at most 1e9 per account, and accounts × max grown by interest and late
    fees over the program must stay within 2**53 cents (about 9.0e13 currency units), where
    cents are exact (:mod:`sim.config.schema.limits`)."""

    @model_validator(mode="after")
    def _ordered(self) -> BalanceDistribution:
        if self.min > self.max:
            raise ValueError(f"min must not exceed max (got min={self.min}, max={self.max})")
        return self


class DaysPastDueDistribution(Strict):
    """Days past due at placement: uniform integers in [low, high]."""

    distribution: Literal["uniform"] = "uniform"
    """Shape of the days-past-due distribution; only ``"uniform"`` is implemented."""
    low: int = Field(default=30, ge=0, le=3650)
    """Fewest days past due at placement (inclusive), days."""
    high: int = Field(default=90, ge=0, le=3650)
    """Most days past due at placement (inclusive), days. Days past due only order call lists
    (``priority``) and route accounts (``routes``), and set where each account starts in the
    delinquency lifecycle: its bucket, its past-due amount (one missed minimum payment per
    30 days, plus the one just missed) and its statement due day."""

    @model_validator(mode="after")
    def _ordered(self) -> DaysPastDueDistribution:
        if self.low > self.high:
            raise ValueError(f"low must not exceed high (got low={self.low}, high={self.high})")
        return self


class Segment(Strict):
    """One reason for falling behind, with its own latent behaviour.

    Nine fields are the means of per-account Beta distributions (``answer_rate``,
    ``willingness``, ``lump_sum_share``, ``monthly_capacity``, ``dispute_rate``,
    ``complaint_sensitivity``, ``cease_rate``, ``callback_rate``, ``promise_keep``);
    ``concentration`` sets how tightly accounts cluster around them (larger is tighter).
    ``misunderstanding`` is the chance an account holds one; the other fields are one value
    for the whole segment.
    """

    share: Probability
    """Share 0–1 of the portfolio's accounts in this segment; segment shares must sum to 1."""
    reason: Reason = "other"
    """Why these cardholders fell behind: ``"money_management"``, ``"income_shock"``,
    ``"misunderstanding"`` or ``"other"``; by default the segment's own name when that is a
    reason, else ``"other"``. Every field the segment leaves unset comes from the reason's
    sourced profile (:mod:`sim.config.schema.reasons`); ``"other"`` gets the generic defaults
    shown here."""
    balance_scale: Positive = 1.0
    """Multiplier on this segment's drawn balances, before the ``min``/``max`` clip; 1 = the
    portfolio's distribution as given."""
    answer_rate: Probability = 0.3
    """Mean chance 0–1 (Beta per account) that a call to the cardholder's valid number is picked
    up on a weekday day — by the cardholder, or by a wrong party (``[bank]
    wrong_party_share``) — before contact pressure (``pressure_answer``)."""
    evening_answer_factor: Positive = 1.3
    """How much more often the cardholder answers on weekday evenings (17:00–21:00 local) than
    on weekday days (08:00–17:00, where ``answer_rate`` applies): employed cardholders are home
    in the evening (assumption; 1.0–2.0; evenings and weekends give the highest contact rates
    in telephone call scheduling studies: Weeks, Kulka and Pierson, Public Opinion Quarterly
    51(4), 1987)."""
    weekend_answer_factor: Positive = 1.2
    """The same for Saturday and Sunday, 08:00–21:00 local (assumption; 1.0–1.8; same
    source)."""
    phone_valid: Probability | None = None
    """Share 0–1 of this segment's accounts whose phone number on file is valid; unset =
    ``[bank] phone_valid``. Contact data is often worse for some cardholders than others (those
    who moved or lost a line after a job loss; assumption, 0.6–0.95)."""
    email_valid: Probability | None = None
    """Share 0–1 of this segment's accounts whose e-mail address on file is valid; unset =
    ``[bank] email_valid`` (assumption, 0.5–0.9)."""
    willingness: Probability = 0.5
    """Mean willingness to pay 0–1 (Beta per account): base logit of the promise probability;
    times ability (min(1, lump sum + 6 months' capacity)) it is the chance of being a payer."""
    lump_sum_share: Probability = 0.3
    """Mean share 0–1 (Beta) of the balance the cardholder can raise at once: from 0.9, asked to
    pay in full; else a settlement if the discount needed is within the agency's authority."""
    monthly_capacity: Probability = 0.1
    """Mean share 0–1 (Beta) of the placed balance the cardholder can pay a month: the smallest
    instalment offered; asking more than it is a burden."""
    self_cure_rate: NonNegative = 0.002
    """Hazard per day of paying in full unprompted (one value for the segment; stage model):
    with no reminders, 1 − exp(−rate·T) of accounts self-cure by day T."""
    reminder_lift: NonNegative = 0.0
    """On a day a message reaches the cardholder the self-cure hazard is multiplied by
    1 + lift (stage model); 0 = reminders do not help."""
    payment_link_lift: NonNegative = 0.2
    """On a day a message carrying a payment link (a channel's ``payment_link``) reaches the
    cardholder, the self-cure hazard is multiplied by 1 + ``reminder_lift`` + this lift
    (stage model): paying takes two taps instead of a call or a login. 0.2 is a fifth more than
    a reminder alone for a segment reminders do not move (a pay-now link in overdue SMS raised
    collections about 20%: Debitsuccess, 2014; assumption, 0-0.5)."""
    misunderstanding: Probability = 0.0
    """Chance 0–1 that an account misunderstands its card terms (yes/no per account): it disputes
    unless a conversation clears it (``clear_misunderstanding``)."""
    dispute_rate: Probability = 0.05
    """Mean chance 0–1 (Beta) per conversation of an ordinary dispute, which starts the
    ``dispute_hold_days`` hold."""
    complaint_sensitivity: Probability = 0.01
    """Mean base chance 0–1 (Beta) per conversation of a complaint, scaled by tone, pressure and
    any violation (``tone_complaint``, ``pressure_complaint``, ``violation_complaint``)."""
    cease_rate: Probability = 0.01
    """Mean base chance 0–1 (Beta) per conversation of a request to stop contact, scaled by tone
    and pressure (``tone_cease``, ``pressure_cease``)."""
    callback_rate: Probability = 0.02
    """Mean chance 0–1 (Beta) that the cardholder phones the agency on a day a message reaches
    them; callers join the agency's inbound queue."""
    promise_keep: Probability = 0.6
    """Mean base chance 0–1 (Beta) that a promise is kept, before willingness, tone, burden,
    payer type and hardship terms shift its logit."""
    hardship_response: Finite = 0.0
    """Logit shift of both the promise and the keep probability when offered a plan with interest
    frozen (``freeze_interest_on_plan``); 0 = no response."""
    breathing_space_request: Probability = 0.0
    """Chance 0–1 per conversation of asking for breathing space, only where the rules offer it
    (``breathing_space_days`` > 0)."""
    redefault_risk: Probability = 0.2
    """Chance 0–1 that an account paid in full falls behind again within the follow-up window
    (used only with ``[bank] follow_up_days`` > 0)."""
    minimum_miss: Probability = 0.1
    """Chance 0–1 that a cardholder whose account is current again (cured or re-aged) misses
    each later minimum payment, which rolls the account back to 1–29 days past due
    (assumption; plausible range 0.02–0.3)."""
    unaffordable_minimum_miss: Probability = 0.6
    """Chance 0–1 that a current cardholder misses a minimum payment larger than what they can
    pay a month (``monthly_capacity`` of the balance), in place of ``minimum_miss``
    (assumption; plausible range 0.3–0.9)."""
    income_shocked: Probability = 0.0
    """Share 0–1 of accounts whose income fell and has not yet returned at placement: their
    capacity rises to ``recovered_capacity`` when it returns (1 for the income-shock reason)."""
    income_recovery_median_days: Positive = 60.0
    """Median length of the income spell (days from the fall to its return), drawn log-normal
    with ``income_recovery_mean_days`` and conditioned on having lasted until placement
    (US Bureau of Labor Statistics: median unemployment spell about 2 months)."""
    income_recovery_mean_days: Positive = 150.0
    """Mean length of the income spell, days (BLS: about 5 months); at least the median."""
    recovered_capacity: Probability = 0.1
    """Mean share 0–1 of the placed balance a month that the cardholder can pay once income
    returns (each account keeps its place in the spread; assumption, 0.06–0.15)."""
    cleared_cure_rate: NonNegative = 0.0
    """Self-cure hazard per day once a misunderstanding of card terms is explained in a
    conversation (assumption; 0.05 for the misunderstanding reason, range 0.02–0.2); 0 = the
    segment's ``self_cure_rate`` stays."""
    misunderstood_complaint: Finite = 0.0
    """Log-multiplier of the complaint probability in a conversation while the cardholder's
    misunderstanding is still unexplained: pressure before the explanation breeds complaints
    (assumption; 1.0 for the misunderstanding reason, range 0–2)."""
    concentration: Positive = 8.0
    """Beta concentration (α + β) of the per-account draws around the segment means marked
    "Beta"; larger is tighter."""


    @model_validator(mode="after")
    def _spell(self) -> Segment:
        if self.income_recovery_mean_days < self.income_recovery_median_days:
            raise ValueError(f"income_recovery_mean_days: a log-normal spell's mean is at least "
                             f"its median ({self.income_recovery_median_days:g}) "
                             f"(got {self.income_recovery_mean_days:g})")
        return self


class TimeZone(Strict):
    """A share of the cardholders whose local clock differs from the agencies' by a whole
    number of hours."""

    offset_hours: int = Field(ge=-12, le=12)
    """Hours the cardholders' local clock is ahead of the agencies' clock (negative: behind;
    Pacific cardholders of an agency on Eastern time: -3)."""
    share: Probability
    """Share 0–1 of the portfolio's accounts in this time zone; shares sum to 1."""


def us_time_zones() -> list[TimeZone]:
    """Cardholders spread over the US time zones, agencies on Eastern time: approximate shares
    of the US population by zone from the 2020 Census state counts (Eastern 47%, Central 29%,
    Mountain 7%, Pacific with Alaska and Hawaii 17%)."""
    return [TimeZone(offset_hours=offset, share=share)
            for offset, share in ((0, 0.47), (-1, 0.29), (-2, 0.07), (-3, 0.17))]


class Portfolio(Strict):
    """``[portfolio]``: the delinquent accounts placed, by reason segment."""

    accounts: int = Field(default=20_000, ge=1, le=50_000_000)
    """Number of accounts placed over the whole program (all vintages together)."""
    apr: Annotated[float, Field(ge=0.0, le=2.0), AfterValidator(check_finite)] = 0.2499
    """Annual interest rate as a fraction (0.2499 = 24.99%), accrued daily at apr/365 on the
    outstanding balance; paused on frozen plans and in breathing space. 0 = no interest."""
    late_fee: Money = 0.0
    """Fee added at each monthly due date whose minimum payment went unpaid (not on a plan,
    nor in breathing space), currency units (at most 1e9); 0 = none."""
    balance: BalanceDistribution = BalanceDistribution()
    """Distribution of placed balances, currency units."""
    days_past_due: DaysPastDueDistribution = DaysPastDueDistribution()
    """Distribution of days past due at placement."""
    charge_off_days: int = Field(default=180, ge=30, le=3650)
    """Days past due at which the bank charges an account off: interest and fees stop and the
    balance is written off its books (180 for open-end credit under the federal banking
    agencies' Uniform Retail Credit Classification and Account Management Policy, 2000)."""
    minimum_payment_share: Probability = 0.01
    """Minimum payment per statement cycle as a share 0–1 of the balance, on top of the month's
    interest (apr / 12 of the balance): "1% of the balance plus interest and fees" is the common
    card agreement formula (CFPB, The Consumer Credit Card Market, 2019)."""
    minimum_payment_floor: Money = 25.0
    """Smallest minimum payment, currency units (25–35 in card agreements: CFPB, The Consumer
    Credit Card Market, 2019); never more than the balance."""
    segments: dict[Name, Segment]
    """Reason-for-delinquency segments by name, each with its share and latent behaviour."""
    time_zones: list[TimeZone] = Field(default_factory=us_time_zones, min_length=1)
    """Where the cardholders' clocks stand against the agencies' (``offset_hours``, ``share``):
    contact windows and answer chances follow each cardholder's local time. Default: the US
    spread with agencies on Eastern time (2020 Census); one zone ``[{offset_hours = 0,
    share = 1}]`` puts everyone on the agencies' clock."""
    trait_correlations: dict[str, Correlation] = Field(default_factory=default_correlations)
    """Correlations −0.95 to 0.95 between the Beta traits of the accounts of each segment, as a
    table from ``"trait:trait"`` to the correlation of a Gaussian copula (the correlation of
    the underlying normal scores; the rank correlation is (6/π)·asin(ρ/2), slightly less).
    Each trait keeps its Beta distribution; only which accounts get which values changes.
    Pairs not named are uncorrelated, and a table given replaces the default whole, so ``{}``
    makes the traits independent (in distribution, not draw for draw: they are still drawn
    through the copula). The six default pairs are assumptions, each with its reason and a
    plausible range to sweep in docs/sources.md. The traits must exist, a pair may appear once
    (in either order), and the correlations must be positive definite together."""

    @field_validator("segments", mode="before")
    @classmethod
    def _reason_profiles(cls, segments: Any) -> Any:
        if not isinstance(segments, dict):
            return segments
        return {name: with_reason_profile(name, table) for name, table in segments.items()}

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, segments: dict[str, Segment]) -> dict[str, Segment]:
        if not segments:
            raise ValueError("at least one segment is required")
        total = sum(s.share for s in segments.values())
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"segment shares must sum to 1 (got {total:g})")
        return segments

    @field_validator("time_zones")
    @classmethod
    def _zones_sum_to_one(cls, zones: list[TimeZone]) -> list[TimeZone]:
        total = sum(z.share for z in zones)
        if abs(total - 1.0) > SHARE_TOLERANCE:
            raise ValueError(f"shares must sum to 1 (got {total:g})")
        offsets = [z.offset_hours for z in zones]
        if len(set(offsets)) != len(offsets):
            raise ValueError(f"offset_hours must not repeat (got {offsets})")
        return zones

    @field_validator("trait_correlations")
    @classmethod
    def _correlations_possible(cls, pairs: dict[str, float]) -> dict[str, float]:
        raise_problems(correlation_problems(pairs))
        return pairs
