"""``[behaviour]`` table: which borrower-response model and its parameters."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, model_validator

from sim.config.schema.common import Finite, NonNegative, Probability, Strict, check_finite


class StageParameters(Strict):
    """Effects in the stage model. See :mod:`sim.model.behaviour.stage` for where each one enters.

    Effects on probabilities are logit shifts (``*_promise``, ``*_keep``) or log-multipliers
    (``*_answer``, ``*_complaint``, ``*_cease``); pressure is calls in the last 7 days, skill
    and tone are the agency's, centred at 0.5 for skill and 0 (soft) for tone.
    """

    skill_promise: Finite = 1.0
    """Logit shift of the promise probability per unit of agency skill − 0.5."""
    tone_promise: Finite = 0.6
    """Logit shift of the promise probability per unit of agency tone."""
    tone_keep: Finite = -0.8
    """Logit shift of the chance a promise is kept per unit of agency tone (negative: promises
    made under a harsh tone are broken more)."""
    tone_complaint: Finite = 1.5
    """Log-multiplier of the complaint probability per unit of agency tone."""
    tone_cease: Finite = 1.0
    """Log-multiplier of the cease-request probability per unit of agency tone."""
    pressure_answer: Finite = -0.08
    """Log-multiplier of the answer probability per call in the last 7 days (negative: called
    often, the cardholder picks up less)."""
    pressure_complaint: Finite = 0.25
    """Log-multiplier of the complaint probability per call in the last 7 days."""
    pressure_cease: Finite = 0.1
    """Log-multiplier of the cease-request probability per call in the last 7 days."""
    violation_complaint: Finite = 1.5
    """Log-multiplier of the complaint probability when the call broke a rule."""
    paid_call_complaint: Finite = 2.0
    """Log-multiplier of the complaint probability in a call to a cardholder who has already
    paid, before the payment reached the agency (assumption, 1–3)."""
    burden_promise: Finite = -1.0
    """Logit shift of the promise probability per unit of excess burden (payment asked /
    affordable − 1, when positive)."""
    burden_keep: Finite = -1.5
    """Logit shift of the chance a promise is kept per unit of excess burden."""
    settlement_promise: Finite = 2.0
    """Logit shift of the promise probability per unit of discount offered (share 0–1; an
    interest waiver's share counts too)."""
    willingness_keep: Finite = 1.0
    """Logit shift of the chance a promise is kept per unit of willingness − 0.5."""
    payer_effect: Finite = 1.0
    """Logit shift added for latent payers and subtracted for non-payers, on promise and keep."""
    instalment_persistence: Probability = 0.5
    """Multiplier 0–1 on the chance of missing an instalment once one has been paid (also in
    the follow-up); 1 = as likely to miss as the first."""
    clear_misunderstanding: Probability = 0.5
    """Chance 0–1 that a conversation clears a misunderstanding of card terms at skill 0.5
    (otherwise it becomes a dispute)."""
    clear_skill: Finite = 0.4
    """Added to that chance per unit of agency skill − 0.5 (a probability shift, not a logit)."""
    dpd_answer: Finite = 0.0
    """Log-multiplier on the answer rate per 30 days past due beyond 30 at placement (e.g.
    −0.2: an account 90 days past due answers exp(−0.4) as often); 0 = no effect."""
    dpd_promise: Finite = 0.0
    """Logit shift of the promise probability per 30 days past due beyond 30; 0 = no effect."""
    dpd_cure: Finite = 0.0
    """Log-multiplier on the self-cure hazard per 30 days past due beyond 30 at placement;
    0 = no effect."""
    cure_decay_per_week: Annotated[float, Field(ge=0.0, le=0.5), AfterValidator(check_finite)] \
        = 0.01
    """Share 0–0.5 by which the self-cure hazard falls with each week an account has been past
    due (beyond 30 days), as it ages during the program: collectability falls about 1% a week
    of delinquency (practitioner sources; plausible range 0.005–0.03)."""


class HawkesParameters(Strict):
    """Self-exciting repayment process (Chehrazi & Weber 2015), rates per day.

    Intensity starts at ``lambda0`` and decays toward ``lambda_inf`` at rate ``kappa``; each
    repayment (a share R ~ U(r_min, r_max) of the balance) raises it by ``delta10 + delta11·R``
    and each right-party contact by ``delta2``. Defaults are illustrative, not estimates.
    """

    lambda0: NonNegative = 0.004
    """Repayment intensity at placement, repayments per day (the same for every account)."""
    lambda_inf: NonNegative = 0.0005
    """Base intensity the process decays toward, per day (at most ``lambda0``)."""
    kappa: NonNegative = 0.03
    """Decay rate of the intensity toward ``lambda_inf``, per day; 0 = no decay."""
    delta10: NonNegative = 0.005
    """Jump in intensity after each repayment, per day."""
    delta11: NonNegative = 0.01
    """Further jump per unit of the share R repaid (jump = delta10 + delta11·R), per day."""
    delta2: NonNegative = 0.003
    """Jump in intensity after each right-party conversation (outbound or inbound), per day."""
    r_min: Probability = 0.1
    """Smallest share 0–1 of the outstanding balance one repayment pays (R ~ U(r_min, r_max))."""
    r_max: Probability = 1.0
    """Largest share 0–1 of the outstanding balance one repayment pays (> 0; 1 pays in full)."""

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


BehaviourModelName = Literal["stage", "hawkes"]
BEHAVIOUR_MODELS: tuple[str, ...] = get_args(BehaviourModelName)
"""The names ``[behaviour] model`` accepts; each is a model in ``sim.model.behaviour.MODELS``."""


class Behaviour(Strict):
    """``[behaviour]``: which borrower-response model and its parameters."""

    model: BehaviourModelName = "stage"
    """``"stage"`` (promises, plans, self-cure) or ``"hawkes"`` (self-exciting repayments, no
    promises; answers, complaints and objections still follow the stage model)."""
    stage: StageParameters = StageParameters()
    """Effects of the stage model (also used by ``hawkes`` for answers, complaints and
    objections)."""
    hawkes: HawkesParameters = HawkesParameters()
    """Parameters of the ``hawkes`` model (ignored under ``stage``)."""
