"""``[behaviour]`` table: which borrower-response model and its parameters."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    model_validator,
)

from sim.schema.common import Finite, NonNegative, Probability, Strict


class StageParameters(Strict):
    """Effects in the stage model. See :mod:`sim.behaviour.stage` for where each one enters.

    Effects on probabilities are logit shifts (``*_promise``, ``*_keep``) or log-multipliers
    (``*_answer``, ``*_complaint``, ``*_cease``); pressure is calls in the last 7 days, skill
    and tone are the agency's, centred at 0.5 for skill and 0 (soft) for tone.
    """

    skill_promise: Finite = 1.0
    tone_promise: Finite = 0.6
    tone_keep: Finite = -0.8
    tone_complaint: Finite = 1.5
    tone_cease: Finite = 1.0
    pressure_answer: Finite = -0.08
    pressure_complaint: Finite = 0.25
    pressure_cease: Finite = 0.1
    violation_complaint: Finite = 1.5
    burden_promise: Finite = -1.0
    burden_keep: Finite = -1.5
    settlement_promise: Finite = 2.0
    willingness_keep: Finite = 1.0
    payer_effect: Finite = 1.0
    instalment_persistence: Probability = 0.5
    clear_misunderstanding: Probability = 0.5
    clear_skill: Finite = 0.4


class HawkesParameters(Strict):
    """Self-exciting repayment process (Chehrazi & Weber 2015), rates per day.

    Intensity starts at ``lambda0`` and decays toward ``lambda_inf`` at rate ``kappa``; each
    repayment (a share R ~ U(r_min, r_max) of the balance) raises it by ``delta10 + delta11·R``
    and each right-party contact by ``delta2``. Defaults are illustrative, not estimates.
    """

    lambda0: NonNegative = 0.004
    lambda_inf: NonNegative = 0.0005
    kappa: NonNegative = 0.03
    delta10: NonNegative = 0.005
    delta11: NonNegative = 0.01
    delta2: NonNegative = 0.003
    r_min: Probability = 0.1
    r_max: Probability = 1.0

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


class Behaviour(Strict):
    """``[behaviour]``: which borrower-response model and its parameters."""

    model: Literal["stage", "hawkes"] = "stage"
    stage: StageParameters = StageParameters()
    hawkes: HawkesParameters = HawkesParameters()
