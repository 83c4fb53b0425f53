"""Money is conserved in every valid scenario: a property test over random scenarios.

Hypothesis draws small but varied scenarios — behaviour model, regime, placement flow,
allocation, fees, offers, interest and fees, compliance — and each runs with ``audit=True``,
which checks ``placed + accrued = collected + waived + outstanding`` for every account at every
daily step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.loading import load_scenario
from sim.model.replication import run_replication

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"

probabilities = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def scenarios(draw):
    sets = [
        f"portfolio.accounts={draw(st.integers(20, 300))}",
        f"scenario.horizon_days={draw(st.integers(3, 40))}",
        f"scenario.seed={draw(st.integers(0, 2**32))}",
        f"portfolio.apr={draw(st.floats(0.0, 1.5))}",
        f"portfolio.late_fee={draw(st.floats(0.0, 60.0))}",
        f'rules.regime="{draw(st.sampled_from(["us_reg_f", "china", "uk", "none"]))}"',
        f'behaviour.model="{draw(st.sampled_from(["stage", "hawkes"]))}"',
        f"bank.transfer_delay_days={draw(st.integers(0, 5))}",
    ]
    if draw(st.booleans()):
        sets += ['bank.placement="flow"', f"bank.vintages={draw(st.integers(2, 3))}",
                 f"bank.vintage_every_days={draw(st.integers(1, 15))}"]
    method = draw(st.sampled_from(["fixed", "champion_challenger", "performance"]))
    sets.append(f'bank.allocation.method="{method}"')
    if method == "champion_challenger":
        sets += ['bank.allocation.champion="alpha"', 'bank.allocation.challenger="beta"',
                 f"bank.allocation.challenger_share={draw(probabilities)}"]
    if method == "performance":
        sets += ["bank.allocation.review_every_days=5", "bank.allocation.floor=0.1"]
    for agency in ("alpha", "beta"):
        sets += [
            f"agencies.{agency}.collectors={draw(st.integers(0, 3))}",
            f'agencies.{agency}.kind="{draw(st.sampled_from(["contingency", "in_house"]))}"',
            f"agencies.{agency}.tone={draw(probabilities)}",
            f"agencies.{agency}.compliance={draw(probabilities)}",
            f"agencies.{agency}.settlement_max_discount={draw(st.floats(0.0, 0.9))}",
            f"agencies.{agency}.plan_max_months={draw(st.integers(0, 12))}",
            f"agencies.{agency}.waive_interest={str(draw(st.booleans())).lower()}",
            f"agencies.{agency}.freeze_interest_on_plan={str(draw(st.booleans())).lower()}",
            f"agencies.{agency}.promise_days={draw(st.integers(1, 10))}",
        ]
    return sets


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sets=scenarios())
def test_money_is_conserved_in_random_scenarios(sets):
    scenario = load_scenario(BASELINE, sets)
    result = run_replication(scenario, audit=True, keep_accounts=True)
    table = result.accounts
    assert table is not None
    gap = (table["balance_placed"] + table["accrued"] - table["collected"] - table["waived"]
           - table["outstanding"])
    assert np.all(np.abs(gap) < 0.005)
    assert (table["outstanding"] >= 0).all()
    total = result.kpis.loc["total"]
    placed = table[~table["control"]]  # the baseline's control group is reported apart
    assert abs(total["collected"] - placed["collected"].sum()) < 0.01 * max(1, len(table))
    if not result.control.empty:
        held = table[table["control"]]
        assert abs(result.control.loc["control", "collected"] - held["collected"].sum()) \
            < 0.01 * max(1, len(table))
