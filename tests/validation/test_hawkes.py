"""The Hawkes repayment behaviour against Chehrazi & Weber's closed form.

The simulation runs the full model (no collectors, no messages) so the code under test is the
behaviour every scenario uses. Tolerances are three standard errors of the simulated mean.
"""

from __future__ import annotations

import math

import pytest

from sim.validation.hawkes import analytic_share, check_hawkes

PARAMETER_SETS = [
    # lambda0, lambda_inf, kappa, delta10, delta11, r_min, r_max, horizon
    (0.03, 0.002, 0.05, 0.01, 0.02, 0.1, 1.0, 90),
    (0.2, 0.01, 0.5, 0.3, 0.5, 0.05, 0.5, 60),
    (0.05, 0.05, 0.0, 0.0, 0.0, 0.2, 0.2, 30),
    (0.1, 0.02, 0.2, 0.15, 0.1, 0.3, 0.9, 120),
    (0.02, 0.0, 0.1, 0.05, 0.0, 0.5, 0.5, 90),
]


@pytest.mark.parametrize("params", PARAMETER_SETS)
def test_simulated_share_matches_closed_form(params):
    *rates, horizon = params
    report = check_hawkes(*rates, horizon=horizon, accounts=12_000, seed=2026)
    simulated, analytic = report["simulated"], report["analytic"]
    deviation = (simulated["collected_share"] - analytic["collected_share"]) / simulated["se"]
    assert abs(deviation) < 3.0, (params, simulated, analytic, deviation)


def test_closed_form_without_self_excitation_is_poisson():
    """With no jumps, E[remaining] = exp(−E[R]·Λ(T)) for the deterministic intensity Λ."""
    lambda0, lambda_inf, kappa, r_min, r_max, horizon = 0.08, 0.01, 0.1, 0.2, 0.6, 45.0
    mean_share = (r_min + r_max) / 2
    cumulative = lambda_inf * horizon + (lambda0 - lambda_inf) * (1 - math.exp(-kappa * horizon)) \
        / kappa
    expected = 1 - math.exp(-mean_share * cumulative)
    got = analytic_share(lambda0, lambda_inf, kappa, 0.0, 0.0, r_min, r_max, horizon)
    assert got == pytest.approx(expected, rel=1e-8)


def test_self_excitation_raises_collections():
    quiet = analytic_share(0.05, 0.01, 0.1, 0.0, 0.0, 0.2, 0.6, 60.0)
    excited = analytic_share(0.05, 0.01, 0.1, 0.05, 0.05, 0.2, 0.6, 60.0)
    assert excited > quiet


def test_more_contacts_collect_more(small_scenario):
    """With actions (delta2 > 0), more collectors reach more cardholders and collect more."""
    from sim.model.replication import run_replication

    hawkes = ('behaviour.model="hawkes"', "behaviour.hawkes.delta2=0.05")
    few = run_replication(small_scenario(*hawkes, accounts=3000, collectors=1, horizon=60))
    many = run_replication(small_scenario(*hawkes, accounts=3000, collectors=8, horizon=60))
    assert many.kpi("conversations") > few.kpi("conversations")
    difference = many.kpi("collected") - few.kpi("collected")
    assert difference > 0


def test_no_contact_effect_without_delta2(small_scenario):
    """With delta2 = 0 contacts do not touch repayments: the same portfolio repays exactly the
    same whether collectors call or not (repayment draws have their own stream)."""
    import numpy as np

    from sim.model.replication import run_replication

    base = ('behaviour.model="hawkes"', "behaviour.hawkes.delta2=0.0", "portfolio.apr=0.0",
            "behaviour.hawkes.lambda0=0.02")
    idle = run_replication(small_scenario(*base, accounts=2000, collectors=0, horizon=40),
                           keep_accounts=True)
    busy = run_replication(small_scenario(*base, accounts=2000, collectors=6, horizon=40),
                           keep_accounts=True)
    assert idle.kpi("call_attempts") == 0 < busy.kpi("call_attempts")
    assert idle.accounts is not None and busy.accounts is not None
    np.testing.assert_array_equal(idle.accounts["collected"], busy.accounts["collected"])
    assert idle.kpi("collected") > 0
