"""``[bank]`` table: placement of vintages, allocation to agencies, hand-over, feedback."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sim.config.schema.common import (
    Money,
    Name,
    NonNegative,
    Probability,
    Strict,
    check_finite,
    raise_problems,
)


class Route(Strict):
    """One segment-routing rule: accounts matching every given condition go to ``agency``.

    Bands are inclusive at the bottom and exclusive at the top (a ``score_max`` of 1 includes
    the best account); ``score`` is the percentile (0 = worst, 1 = best) of the bank's own
    score of the account.
    """

    agency: Name
    """Agency that receives the accounts this route matches."""
    segment: Name | None = None
    """Segment name to match; unset = any segment."""
    balance_min: Money | None = None
    """Lowest placed balance matched (inclusive), currency units (at most 1e9); unset = no
    lower bound."""
    balance_max: Money | None = None
    """Placed balance must be below this (exclusive), currency units (at most 1e9); unset = no
    upper bound."""
    days_past_due_min: int | None = Field(default=None, ge=0)
    """Fewest days past due at placement matched (inclusive); unset = no lower bound."""
    days_past_due_max: int | None = Field(default=None, ge=0)
    """Days past due at placement must be below this (exclusive); unset = no upper bound."""
    score_min: Probability | None = None
    """Lowest percentile 0–1 of the bank's score matched (inclusive; 0 = worst account)."""
    score_max: Probability | None = None
    """Bank-score percentile 0–1 must be below this (exclusive; 1 includes the best account)."""


class Scorecard(Strict):
    """Weights of a balanced scorecard (``metric = "scorecard"``), one per KPI it reads.

    Each component is measured like for like on the vintages every agency holds, scored relative
    to the agencies' mean (``(x - mean) / |mean|``, sign turned so that better is positive, by
    the KPI's direction in the KPI registry), and the score is the weighted mean of the
    component scores: 0 is an average agency, +0.1 one 10% better than average on the weighted
    components. Weights are non-negative and at least one is positive; only relative weights
    matter.
    """

    netback_rate: NonNegative = 0.0
    """Weight of netback (collected after fees, or after an in-house team's costs, over
    balance placed)."""
    cure_rate: NonNegative = 0.0
    """Weight of the cure rate (accounts placed before charge-off that are current)."""
    complaints_per_1000: NonNegative = 0.0
    """Weight of complaints per 1,000 accounts (lower is better)."""
    conduct_breaches: NonNegative = 0.0
    """Weight of conduct breaches, measured per 1,000 accounts (lower is better)."""
    first_attempt_sla_share: NonNegative = 0.0
    """Weight of first-attempt service: accounts first called within the agency's
    ``first_attempt_sla_days`` of hand-over, of those whose deadline has passed."""
    contact_rate: NonNegative = 0.0
    """Weight of penetration: the share of accounts reached (a conversation, outbound or
    inbound)."""

    def weights(self) -> dict[str, float]:
        """The positive weights, by KPI name, in the table's order."""
        return {name: float(weight) for name, weight in self.model_dump().items() if weight > 0}

    @model_validator(mode="after")
    def _some_weight(self) -> Scorecard:
        if not self.weights():
            raise ValueError("a scorecard needs at least one positive weight (got all 0)")
        return self


class Allocation(Strict):
    """How placed accounts are split across agencies.

    * ``fixed`` — each agency receives its ``share`` of every vintage;
    * ``champion_challenger`` — the ``challenger`` receives ``challenger_share`` of like
      accounts (the same vintage, segment and balance band) and the ``champion`` the rest;
    * ``segment_rules`` — the first matching ``routes`` entry decides, and accounts no route
      matches are split by the agencies' shares;
    * ``performance`` — vintages start from the agencies' shares; at every review the share of
      future vintages moves by ``step`` from the agency with the worst ``metric`` on the
      vintages placed so far to the one with the best, within ``floor`` and ``cap``.
    """

    method: Literal["fixed", "champion_challenger", "segment_rules", "performance"] = "fixed"
    """How accounts are split: ``fixed``, ``champion_challenger``, ``segment_rules`` or
    ``performance`` (see this table's description)."""
    champion: Name | None = None
    """Agency that receives the rest of each stratum under ``champion_challenger`` (agencies
    other than champion and challenger receive nothing)."""
    challenger: Name | None = None
    """Agency that receives ``challenger_share`` of each stratum under ``champion_challenger``."""
    challenger_share: Probability = 0.2
    """Share 0–1 of each stratum of like accounts (vintage, segment, balance quintile) given to
    the challenger, rounded to whole accounts."""
    routes: list[Route] = Field(default_factory=list)
    """Routing rules for ``segment_rules``, tried in order; the first match decides."""
    review_every_days: int = Field(default=30, ge=1, le=365)
    """Days between share reviews under ``performance`` (on days that are multiples of it)."""
    metric: Literal["netback_rate", "recovery_rate", "scorecard"] = "netback_rate"
    """What reviews compare under ``performance``: ``netback_rate`` (after fees or in-house costs),
    ``recovery_rate`` or the weighted ``scorecard``, like for like on the vintages every agency
    holds."""
    scorecard: Scorecard | None = None
    """Weights of the balanced scorecard reviews compare when ``metric = "scorecard"``."""
    step: Probability = 0.1
    """Share 0–1 of future vintages moved from the worst to the best agency at each review."""
    floor: Probability = 0.1
    """Smallest share 0–1 an agency can fall to under ``performance``."""
    cap: Probability = 0.9
    """Largest share 0–1 an agency can rise to under ``performance``."""

    @model_validator(mode="after")
    def _consistent(self) -> Allocation:
        problems = []
        if self.method == "champion_challenger":
            if not self.champion or not self.challenger:
                problems.append("method: champion_challenger needs both champion and "
                                "challenger")
            elif self.champion == self.challenger:
                problems.append(f"challenger: must differ from champion "
                                f"(got {self.challenger})")
        if self.method == "segment_rules" and not self.routes:
            problems.append("routes: segment_rules needs at least one entry in routes")
        if self.metric == "scorecard" and self.scorecard is None:
            problems.append("scorecard: metric = \"scorecard\" needs a [bank.allocation.scorecard]"
                            " table of weights")
        if self.scorecard is not None and self.metric != "scorecard":
            problems.append(f"scorecard: weights are read only with metric = \"scorecard\" "
                            f"(got metric = {self.metric})")
        if self.floor > self.cap:
            problems.append(f"floor: must not exceed cap (got {self.floor} > {self.cap})")
        raise_problems(problems)
        return self


class Bank(Strict):
    """``[bank]``: placement, hand-over to agencies, feedback and recall.

    ``placement = "batch"`` places every account at day 0; ``"flow"`` places them in
    ``vintages`` equal vintages, one every ``vintage_every_days`` days. Each account is recalled
    ``horizon_days`` (the placement length) after its own placement. ``analytics_auc`` is the
    ranking quality of the bank's own score, used by score-band routing. ``follow_up_days``
    (0 = none) follows cured accounts after recall to see whether they re-default.
    ``second_placement`` names an agency that receives, for another placement, the accounts
    that come back from their first placement still owing (see
    :mod:`sim.model.bank.second_placement`).
    """

    stage: Literal["pre_charge_off", "post_charge_off"] = "pre_charge_off"
    """Stage of the placement: ``"pre_charge_off"`` places delinquent accounts (days past due
    below ``portfolio.charge_off_days``) whose success is a cure — paying the past-due amount —
    and which charge off if they reach ``charge_off_days`` during the placement;
    ``"post_charge_off"`` places accounts already charged off (days past due at least
    ``charge_off_days``) for recovery of the whole balance."""
    control_share: Annotated[float, Field(ge=0.0, le=0.5), AfterValidator(check_finite)] = 0.0
    """Share 0–0.5 of each vintage the bank holds out as a control group, drawn at random: it
    keeps them (statements only, no collection contact), so every KPI has a counterfactual on
    the same cardholders' kind (``delinquency_change``, ``recovery_uplift``). 0 = none."""
    placement: Literal["batch", "flow"] = "batch"
    """``"batch"`` places every account on day 0; ``"flow"`` places ``vintages`` equal vintages."""
    vintages: int = Field(default=1, ge=1, le=120)
    """Number of vintages placed (``flow`` only; a batch is one vintage)."""
    vintage_every_days: int = Field(default=30, ge=1, le=365)
    """Days between two vintage placements (``flow``)."""
    allocation: Allocation = Allocation()
    """How each vintage is split across agencies."""
    transfer_delay_days: int = Field(default=2, ge=0, le=60)
    """Days from placement until the agency can work an account (file hand-over); meanwhile it
    accrues interest and may self-cure."""
    posting_lag_days: NonNegative = 1.0
    """Days before a payment the cardholder made of their own accord reaches the agency's
    system; until then the agency may call a cardholder who has already paid (assumption,
    0–3: payments are passed on in daily files)."""
    wrong_party_share: Probability = 0.1
    """Share 0–1 of calls picked up at a valid number by someone other than the cardholder (a
    relative, a new owner of the number): the collector verifies, finds out and wraps up, with
    no conversation (assumption, 0.05–0.2)."""
    phone_valid: Probability = 0.85
    """Share 0–1 of accounts whose phone number on file is valid (drawn per account), in every
    segment that does not state its own; calls to the others are wrong numbers and their SMS
    are not delivered."""
    email_valid: Probability = 0.7
    """Share 0–1 of accounts whose e-mail address is valid, in every segment that does not
    state its own; e-mails to the others are not delivered (but still cost)."""
    report_every_days: int = Field(default=7, ge=1, le=365)
    """Period of the agencies' reports to the bank, days (rows of ``reports.csv``); it does
    not change the simulation."""
    analytics_auc: Annotated[float, Field(ge=0.5, le=0.999), AfterValidator(check_finite)] = 0.7
    """Ranking quality (AUC 0.5–0.999) of the bank's own score of the latent payer type; used only
    by the score bands of ``routes``."""
    follow_up_days: int = Field(default=0, ge=0, le=3650)
    """Days each cured account is followed after its recall to see whether it re-defaults;
    0 = no follow-up."""
    second_placement: Name | None = None
    """Agency that takes, for another ``horizon_days``, the accounts that return still owing (not
    paid, settled or on a plan); it has no share or role in the first allocation. Unset = none."""

    @model_validator(mode="after")
    def _flow(self) -> Bank:
        if self.placement == "batch" and self.vintages != 1:
            raise ValueError(f"a batch placement has one vintage; use placement = \"flow\" "
                             f"for {self.vintages}")
        return self
