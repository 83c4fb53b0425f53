"""``[bank]`` table: placement of vintages, allocation to agencies, hand-over, feedback."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from sim.schema.common import (
    Name,
    NonNegative,
    Probability,
    Strict,
    check_finite,
)


class Route(Strict):
    """One segment-routing rule: accounts matching every given condition go to ``agency``.

    Bands are inclusive at the bottom and exclusive at the top (a ``score_max`` of 1 includes
    the best account); ``score`` is the percentile (0 = worst, 1 = best) of the bank's own
    score of the account.
    """

    agency: Name
    segment: Name | None = None
    balance_min: NonNegative | None = None
    balance_max: NonNegative | None = None
    days_past_due_min: int | None = Field(default=None, ge=0)
    days_past_due_max: int | None = Field(default=None, ge=0)
    score_min: Probability | None = None
    score_max: Probability | None = None


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
    champion: Name | None = None
    challenger: Name | None = None
    challenger_share: Probability = 0.2
    routes: list[Route] = Field(default_factory=list)
    review_every_days: int = Field(default=30, ge=1, le=365)
    metric: Literal["netback_rate", "recovery_rate"] = "netback_rate"
    step: Probability = 0.1
    floor: Probability = 0.1
    cap: Probability = 0.9

    @model_validator(mode="after")
    def _consistent(self) -> Allocation:
        if self.method == "champion_challenger":
            if not self.champion or not self.challenger:
                raise ValueError("champion_challenger needs both champion and challenger")
            if self.champion == self.challenger:
                raise ValueError(f"champion and challenger must differ (got {self.champion})")
        if self.method == "segment_rules" and not self.routes:
            raise ValueError("segment_rules needs at least one entry in routes")
        if self.floor > self.cap:
            raise ValueError(f"floor must not exceed cap (got {self.floor} > {self.cap})")
        return self


class Bank(Strict):
    """``[bank]``: placement, hand-over to agencies, feedback and recall.

    ``placement = "batch"`` places every account at day 0; ``"flow"`` places them in
    ``vintages`` equal vintages, one every ``vintage_every_days`` days. Each account is recalled
    ``horizon_days`` (the placement length) after its own placement. ``analytics_auc`` is the
    ranking quality of the bank's own score, used by score-band routing. ``follow_up_days``
    (0 = none) follows cured accounts after recall to see whether they re-default.
    """

    placement: Literal["batch", "flow"] = "batch"
    vintages: int = Field(default=1, ge=1, le=120)
    vintage_every_days: int = Field(default=30, ge=1, le=365)
    allocation: Allocation = Allocation()
    transfer_delay_days: int = Field(default=2, ge=0, le=60)
    phone_valid: Probability = 0.85
    email_valid: Probability = 0.7
    report_every_days: int = Field(default=7, ge=1, le=365)
    analytics_auc: Annotated[float, Field(ge=0.5, le=0.999), AfterValidator(check_finite)] = 0.7
    follow_up_days: int = Field(default=0, ge=0, le=3650)

    @model_validator(mode="after")
    def _flow(self) -> Bank:
        if self.placement == "batch" and self.vintages != 1:
            raise ValueError(f"a batch placement has one vintage; use placement = \"flow\" "
                             f"for {self.vintages}")
        return self
