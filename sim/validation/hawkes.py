"""The Hawkes repayment behaviour held against Chehrazi & Weber's closed form.

With no collection actions, the expected share of the balance collected by time T is

    1 − exp(−λ0·α(T) − κ·β(T)),
    α′ = −κ·α + E[1 − (1 − R)·exp(−(δ10 + δ11·R)·α)],   β′ = λ∞·α,   α(0) = β(0) = 0,

with R ~ U(r_min, r_max) the share of the balance each repayment pays (Chehrazi & Weber,
Management Science 2015). :func:`analytic_share` solves the ODE with scipy;
:func:`simulate_share` runs the *full model* (:func:`sim.model.run_replication`) on a portfolio
with no collectors and no messages, so the behaviour code under test is exactly the one every
scenario uses; :func:`check_hawkes` puts both side by side.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

from sim.config.loading import validate
from sim.model.replication import run_replication

QUADRATURE_NODES = 32


def analytic_share(lambda0: float, lambda_inf: float, kappa: float, delta10: float,
                   delta11: float, r_min: float, r_max: float, horizon: float) -> float:
    """Expected share collected by ``horizon`` with no collection actions (closed form)."""
    nodes, weights = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
    shares = 0.5 * (r_max - r_min) * nodes + 0.5 * (r_max + r_min)
    weights = 0.5 * weights  # expectation over U(r_min, r_max)
    if r_max == r_min:
        shares, weights = np.array([r_min]), np.array([1.0])

    def rhs(_t: float, y: np.ndarray) -> list[float]:
        alpha = y[0]
        expected = float(np.sum(weights * (1.0 - (1.0 - shares)
                                           * np.exp(-(delta10 + delta11 * shares) * alpha))))
        return [-kappa * alpha + expected, lambda_inf * alpha]

    solution = solve_ivp(rhs, (0.0, horizon), [0.0, 0.0], method="LSODA", rtol=1e-10,
                         atol=1e-12)
    alpha, beta = solution.y[:, -1]
    return 1.0 - math.exp(-lambda0 * alpha - kappa * beta)


def no_action_scenario(lambda0: float, lambda_inf: float, kappa: float, delta10: float,
                       delta11: float, r_min: float, r_max: float, horizon: int,
                       accounts: int, seed: int) -> dict[str, Any]:
    """A scenario (as data) with the Hawkes behaviour and no collection action at all, on
    charged-off accounts (the setting of Chehrazi & Weber: repayments are shares of the whole
    balance, with no statement cycle)."""
    return {
        "scenario": {"name": "hawkes_check", "horizon_days": horizon, "seed": seed},
        "portfolio": {"accounts": accounts, "apr": 0.0, "late_fee": 0.0,
                      "days_past_due": {"low": 180, "high": 180},
                      "segments": {"all": {"share": 1.0, "self_cure_rate": 0.0}}},
        "bank": {"transfer_delay_days": 0, "stage": "post_charge_off"},
        "agencies": [{"name": "none", "share": 1.0, "collectors": 0, "commission": 0.0}],
        "behaviour": {"model": "hawkes", "hawkes": {
            "lambda0": lambda0, "lambda_inf": lambda_inf, "kappa": kappa, "delta10": delta10,
            "delta11": delta11, "delta2": 0.0, "r_min": r_min, "r_max": r_max}},
    }


def simulate_share(lambda0: float, lambda_inf: float, kappa: float, delta10: float,
                   delta11: float, r_min: float, r_max: float, horizon: int, accounts: int,
                   seed: int = 0) -> tuple[float, float]:
    """Mean share of each account's balance collected by ``horizon``, and its standard error."""
    data = no_action_scenario(lambda0, lambda_inf, kappa, delta10, delta11, r_min, r_max,
                              horizon, accounts, seed)
    result = run_replication(validate(data, "<hawkes check>"), keep_accounts=True)
    table = result.accounts
    assert table is not None
    share = (table["collected"] / table["balance_placed"]).to_numpy()
    return float(share.mean()), float(share.std(ddof=1) / math.sqrt(len(share)))


def check_hawkes(lambda0: float, lambda_inf: float, kappa: float, delta10: float,
                 delta11: float, r_min: float, r_max: float, horizon: int, accounts: int,
                 seed: int = 0) -> dict[str, dict[str, float]]:
    """Simulated and analytic share collected by ``horizon`` with no collection actions."""
    mean, se = simulate_share(lambda0, lambda_inf, kappa, delta10, delta11, r_min, r_max,
                              horizon, accounts, seed)
    exact = analytic_share(lambda0, lambda_inf, kappa, delta10, delta11, r_min, r_max,
                           float(horizon))
    return {"simulated": {"collected_share": mean, "se": se},
            "analytic": {"collected_share": exact}}
