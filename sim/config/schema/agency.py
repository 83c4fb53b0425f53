"""``[[agencies]]`` table: one collection agency's profile, shifts and message cadences."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    model_validator,
)

from sim.config.schema.common import (
    WORKWEEK,
    Clock,
    Money,
    Name,
    NonNegative,
    Positive,
    Probability,
    Strict,
    Weekday,
    check_finite,
    clock_to_day_fraction,
    raise_problems,
)
from sim.config.schema.conduct import Conduct
from sim.config.schema.response import Response


class FeeTier(Strict):
    """A contingency-fee tier: ``rate`` applies to all collections once the agency's recovery
    rate on its placed balance reaches ``recovery_at_least``."""

    recovery_at_least: Probability
    """Recovery rate 0–1 (collected / balance placed with the agency) from which the tier
    applies."""
    rate: Probability
    """Contingency fee 0–1 on all collections once the tier is reached."""


class Channel(Strict):
    """A message cadence: sent every ``every_days`` from ``first_day`` after hand-over."""

    every_days: int = Field(default=0, ge=0, le=365)
    """Days between two messages on this channel; 0 = channel off."""
    first_day: int = Field(default=1, ge=0, le=365)
    """Days after hand-over of the first message (0 = the hand-over day)."""
    cost: Money = 0.0
    """Cost per message sent, currency units (at most 1e9), whether or not it is delivered."""
    payment_link: bool = False
    """Messages carry a link to pay online (self-service): a cardholder they reach may pay that
    day without talking to anyone (the segment's ``payment_link_lift``). SMS and e-mail only:
    a letter cannot carry one."""

    @property
    def enabled(self) -> bool:
        return self.every_days > 0


class Shift(Strict):
    """Collector working hours and days."""

    start: Clock = "09:00"
    """Start of the collectors' shift, ``"HH:MM"``."""
    end: Clock = "17:00"
    """End of the shift, ``"HH:MM"`` (after ``start``)."""
    days: list[Weekday] = Field(default_factory=lambda: list(WORKWEEK))
    """Weekdays worked (``"mon"`` to ``"sun"``, no repeats)."""

    @model_validator(mode="after")
    def _ordered(self) -> Shift:
        problems = []
        if clock_to_day_fraction(self.start) >= clock_to_day_fraction(self.end):
            problems.append(f"start: must be before end (got {self.start}-{self.end})")
        if len(set(self.days)) != len(self.days):
            problems.append(f"days: must not repeat (got {self.days})")
        raise_problems(problems)
        return self


class Agency(Strict):
    """One collection agency (or the bank's own team when ``kind = "in_house"``).

    Incentives: a contingency agency earns ``commission`` on everything collected, or the rate
    of the highest ``commission_tiers`` entry its recovery reaches, and any ``fee_per_account``
    placed and ``cure_bonus`` per account cured (:mod:`sim.model.agency.fees`); beyond the first
    call the placement contract asks for, it works only accounts whose expected fee (what its
    fee structure pays on the account, the success fees weighted by its own estimate of the
    chance the account pays) is at least ``min_expected_fee``
    ("cherry-picking"; 0 works every account); and while its recovery runs
    behind the pace of ``target_recovery`` its rule discipline falls to
    ``compliance_when_behind`` (cutting corners).
    """

    name: Name
    """Unique agency name (letters, digits, ``_``, ``-``), used by allocation and in outputs."""
    kind: Literal["contingency", "in_house"] = "contingency"
    """``"contingency"`` (paid fees — on collections, per account, per cure — and bears its own
    costs) or ``"in_house"`` (the bank's own team: no fee; the bank bears its fully loaded cost:
    staff with benefits and overheads, calls, messages, traces and the fixed monthly cost)."""
    share: Probability | None = None
    """Share 0–1 of each vintage (``fixed``; unrouted accounts under ``segment_rules``; the
    starting share under ``performance``); shares sum to 1. Unused by ``champion_challenger``."""
    collectors: int = Field(default=20, ge=0, le=100_000)
    """Number of collectors working the shift; 0 = no calls and no inbound callbacks."""
    shift: Shift = Shift()
    """Collectors' working hours and days."""
    skill: Probability = 0.5
    """Collector skill 0–1, centred at 0.5: raises the promise logit (``skill_promise``) and the
    chance of clearing a misunderstanding (``clear_skill``)."""
    tone: Probability = 0.3
    """Firmness of tone, 0 (soft) to 1 (harsh): shifts promise and keep logits and scales
    complaints and cease requests (the ``tone_*`` effects)."""
    analytics_auc: Annotated[float, Field(ge=0.5, le=0.999), AfterValidator(check_finite)] = 0.65
    """Ranking quality (AUC 0.5–0.999) of the agency's own score of the latent payer type: orders
    calls under ``priority = "score"`` and estimates the pay chance in the expected-fee screen."""
    priority: Literal["score", "balance", "days_past_due", "random"] = "score"
    """Call-list order: ``score`` (best first), ``balance`` (largest first), ``days_past_due``
    (fewest first) or ``random``."""
    max_attempts_per_day: int = Field(default=2, ge=1, le=50)
    """The agency's own cap on call attempts per account per day (not a rule)."""
    retry_hours: NonNegative = 3.0
    """Least time between two call attempts to the same account, hours."""
    dialler: Literal["preview", "progressive", "predictive"] = "progressive"
    """How calls are placed. ``preview``: the collector reads the account for
    ``preview_seconds``, dials and listens to every ring, and logs each unanswered dial (the
    collector's time goes into every dial). ``progressive``: the dialler dials one line for
    each free collector and logs unanswered dials itself; the collector waits through the ring
    but no call is ever abandoned. ``predictive``: the dialler dials ahead of free collectors,
    at a ratio it adapts each pacing interval to hold ``abandon_target``; unanswered dials cost
    collectors nothing, and an answered call with no collector free is abandoned."""
    abandon_target: Probability = 0.03
    """Predictive dialler: the largest share 0–1 of answered calls it lets go with no
    collector free (3%: the ceiling of the US Telemarketing Sales Rule, 16 CFR
    310.4(b)(4)(i), and of Ofcom's persistent-misuse policy in the UK)."""
    preview_seconds: NonNegative = 20.0
    """Preview dialler: seconds a collector spends reading the account before each dial
    (assumption, 10–60)."""
    pacing_minutes: int = Field(default=60, ge=5, le=240)
    """Length of the dialler's pacing interval, minutes: it plans each interval's dials from
    the call list at its start (so an account is dialled at most once per interval)."""
    strategy: Literal["adaptive", "static"] = "adaptive"
    """Call strategy. ``adaptive``: accounts not yet attempted come first (oldest hand-over
    first, to meet ``first_attempt_sla_days``); the rest by the agency's ``priority``, each
    unanswered attempt since the last conversation multiplying it by ``attempt_decay``, an
    account that answered before at this time of the week first among equals, and nobody
    called during a cool-off after a refusal or a broken promise. ``static``: the priority
    order computed once at hand-over, from the top every interval."""
    first_attempt_sla_days: NonNegative = 3.0
    """Days from hand-over within which the agency means to attempt every account
    (adaptive strategy; reported as ``first_attempt_sla_share``; assumption: placement
    contracts ask for first contact within days)."""
    attempt_decay: Annotated[float, Field(gt=0.0, le=1.0), AfterValidator(check_finite)] = 0.85
    """Adaptive strategy: factor 0–1 on an account's priority per unanswered attempt since its
    last conversation (1 = no decay; assumption, 0.7–0.95)."""
    cool_off_days_after_refusal: NonNegative = 3.0
    """Adaptive strategy: days an account is not called after refusing an offer (assumption,
    1–7)."""
    cool_off_days_after_broken_promise: NonNegative = 1.0
    """Adaptive strategy: days an account is not called after a promise or instalment is
    missed (assumption, 0–3)."""
    compliance: Probability = 0.9
    """Chance 0–1 that the agency's controls stop each slip that would break a contact rule
    before it reaches the cardholder (the slips and their rates: ``conduct``); 1 = no rule is
    ever broken (assumption, 0.5–1)."""
    conduct: Conduct = Conduct()
    """The slips by which the agency's work would break contact rules, and their rates."""
    settlement_max_discount: Probability = 0.45
    """Largest settlement discount, share 0–1 of the outstanding balance (offered in 5-point
    steps: the smallest that brings the balance within reach); 0 = no settlements. Settlements
    are offered only on charged-off accounts; 0.45 is the low end of the 45–75% seen for
    accounts four or more payments behind (CFPB consent order, Synchrony)."""
    plan_max_months: int = Field(default=6, ge=0, le=120)
    """Longest instalment plan, months of 30 days: instalments are at least outstanding / months
    and at least the cardholder's monthly capacity; 0 = no plans."""
    hardship_months: int = Field(default=0, ge=0, le=60)
    """Months of the agency's hardship programme for cardholders who cannot afford the minimum
    payment (before charge-off): a reduced payment (``hardship_payment_share`` of the minimum)
    with interest frozen, re-aged to current after three of them, then the full minimum again
    (the step-up); 0 = no programme (assumption: programmes of 6–12 months are common)."""
    hardship_payment_share: Probability = 0.5
    """Share 0–1 of the minimum payment asked during the hardship programme (assumption,
    0.3–0.7)."""
    freeze_interest_on_plan: bool = True
    """Freeze interest while an account is on a plan (hardship terms, to which
    ``hardship_response`` applies); interest resumes if the plan breaks."""
    waive_interest: bool = False
    """Offer cardholders asked to pay in full the waiver of interest accrued during placement; the
    waived share counts as a discount (``settlement_promise``)."""
    offers_per_conversation: int = Field(default=2, ge=1, le=3)
    """Offers a collector makes in one conversation, stepping down the ladder (pay in full →
    settlement → plan; before charge-off cure → re-age plan → hardship programme) when the
    cardholder refuses; after charge-off the next conversation starts below the last offer
    refused (assumption, 1–3)."""
    discovery_error: NonNegative = 0.4
    """How far off a collector of skill 0.5 is in learning what the cardholder can pay (income
    and expenditure) in a first conversation: the log-standard deviation of the estimate,
    scaled by 2 × (1 − skill) and falling with the square root of the conversations held with
    the cardholder (assumption, 0.1–0.8). Offers follow the estimate; the cardholder responds
    to what they really can pay."""
    promise_days: int = Field(default=7, ge=1, le=60)
    """Days from a promise to its due date (rounded up to midnight); for a plan, to its first
    instalment, then one every 30 days."""
    commission: Probability = 0.2
    """Contingency fee 0–1 on everything collected (unless a tier applies); 0 = none (an agency
    paid only ``fee_per_account`` or ``cure_bonus``). Fees combine: a contract may pay any of
    ``commission`` (or ``commission_tiers``), ``fee_per_account`` and ``cure_bonus`` at once.
    In-house teams are paid no fee of any kind."""
    commission_post_charge_off: Probability | None = None
    """Fee 0–1 on what is collected from accounts after they are charged off (recovery work
    pays more: 25–40% at 6–12 months, 40–50% for old debt: NCLC); unset = ``commission``."""
    commission_tiers: list[FeeTier] = Field(default_factory=list)
    """Fee tiers, in rising ``recovery_at_least``, replacing ``commission`` once the agency's
    recovery rate reaches them; empty = flat ``commission``."""
    fee_per_account: Money = 0.0
    """Fee per account placed, currency units (at most 1e9), paid whatever the account yields
    (the usual basis of early-stage, pre-charge-off work, alone or beside a lower
    ``commission``: a hybrid); 0 = none."""
    cure_bonus: Money = 0.0
    """Bonus per account brought current during its placement (past-due amount paid, or paid in
    full, before charge-off), currency units (at most 1e9); pre-charge-off work only (accounts
    placed after charge-off cannot cure); 0 = none."""
    min_expected_fee: Money = 0.0
    """Accounts whose expected fee (what the agency expects to earn on the account under its fee
    structure: per-account fee, plus the commission and cure bonus weighted by its estimate of
    the chance the account pays) is below this, currency units (at most 1e9), get the one call
    the placement contract asks for and no more (contingency only); 0 = work every account."""
    target_recovery: Probability = 0.0
    """Recovery rate 0–1 the agency aims for by recall; it is behind while its recovery trails
    this pro rata to the accounts' age. 0 = no target."""
    compliance_when_behind: Probability | None = None
    """Compliance 0–1 while behind the ``target_recovery`` pace (controls relaxed to catch up:
    cutting corners); unset = the usual ``compliance``."""
    response: Response = Response()
    """How the agency's compliance, dialler intensity and effort respond to its standing at the
    bank's performance reviews (all 0 = not at all)."""
    collector_hourly_wage: Money = 16.5
    """Pay per collector per hour of shift, currency units (at most 1e9), for every working day
    of the program; what a collector-hour costs is this × ``benefits_multiplier`` ×
    ``overhead_multiplier`` (the loaded cost)."""
    benefits_multiplier: Annotated[float, Field(ge=1.0, le=3.0),
                                   AfterValidator(check_finite)] = 1.45
    """Employer cost of a collector-hour over the wage: benefits, paid leave and payroll taxes,
    1–3. Wages and salaries are 68–70% of employer compensation costs (US Bureau of Labor
    Statistics, Employer Costs for Employee Compensation, 2015–2018 releases), so 1/0.69 ≈ 1.45
    (range 1.3–1.5)."""
    overhead_multiplier: Annotated[float, Field(ge=1.0, le=5.0),
                                   AfterValidator(check_finite)] = 1.5
    """Cost of running the floor over its front-line labour: supervision and management,
    facilities, technology (dialler, CRM, workforce management), recruiting and training,
    quality and compliance, 1–5. Front-line labour is about two-thirds to three-quarters of a
    contact centre's operating cost (Contact Center Pipeline, 2018; NICE inContact: 75%), so
    1.33–1.5; with benefits, a collector-hour costs about twice the wage (1.45 × 1.5 ≈ 2.2), as
    contact-centre cost guides find (RDI Connect: more than double the wage; Iterum, 2025:
    about $40 a productive hour)."""
    fixed_monthly_cost: Money = 10_000.0
    """Cost of serving the client each 30 days the desk holds its accounts, currency units (at
    most 1e9): client account management, licences and bonds, reporting, client and
    compliance audits (assumption, 3,000–25,000); the bank's own team carries the same
    (programme management, audit). ``--scale-collectors`` scales it with the accounts."""
    cost_per_call: Money = 0.05
    """Cost per outbound call attempt, currency units (at most 1e9)."""
    ring_minutes: Positive = 0.6
    """Minutes a dial rings, on answered and unanswered calls alike."""
    wrong_number_minutes: Positive = 1.0
    """Minutes a call to a wrong number takes (instead of ``ring_minutes``)."""
    talk_minutes: Positive = 6.0
    """Mean conversation length, minutes (exponential), outbound and inbound."""
    wrap_minutes: NonNegative = 1.0
    """Minutes of wrap-up after every call."""
    inbound_patience_minutes: Positive = 3.0
    """Mean time an inbound caller waits in the queue before hanging up, minutes (exponential)."""
    skip_trace_success: Probability = 0.4
    """Chance 0–1 that tracing a number found wrong turns up a working one (assumption,
    0.2–0.6: skip-tracing hit rates); 0 = numbers found wrong stay wrong."""
    skip_trace_days: NonNegative = 5.0
    """Days from finding a number wrong to the trace's answer (assumption, 1–10)."""
    skip_trace_cost: Money = 1.5
    """Cost of one trace, currency units (at most 1e9; assumption, 0.5–5 a search)."""
    sms: Channel = Channel()
    """SMS cadence; delivered only to a valid phone number."""
    email: Channel = Channel()
    """E-mail cadence; delivered only to a valid e-mail address."""
    letter: Channel = Channel()
    """Letter cadence; letters always arrive."""

    @model_validator(mode="after")
    def _fees_consistent(self) -> Agency:
        problems = []
        thresholds = [t.recovery_at_least for t in self.commission_tiers]
        if thresholds != sorted(set(thresholds)):
            problems.append(f"commission_tiers: must rise strictly in recovery_at_least "
                            f"(got {thresholds})")
        if self.letter.payment_link:
            problems.append("letter.payment_link: a letter cannot carry a payment link "
                            "(got true)")
        if self.kind == "in_house":
            for name in ("fee_per_account", "cure_bonus"):
                value = getattr(self, name)
                if value > 0:
                    problems.append(f"{name}: an in-house team is paid no fees; must be 0 "
                                    f"(got {value:g})")
        raise_problems(problems)
        return self
