"""Placement stages in the shipped scenarios: late placements reach charge-off during the
placement, early ones do not; a recovery placement starts charged off."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.loading import load_scenario
from sim.model.replication import run_replication

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def small(name: str):
    full = load_scenario(SCENARIOS / f"{name}.toml")
    return load_scenario(SCENARIOS / f"{name}.toml",
                         ["portfolio.accounts=2000"]
                         + [f"agencies.{a.name}.collectors={max(1, a.collectors // 10)}"
                            for a in full.agencies])


@pytest.fixture(scope="module")
def runs():
    return {name: run_replication(small(name), keep_accounts=True)
            for name in ("early_placement", "late_placement", "recovery_placement")}


def test_late_placements_charge_off_more_than_early_ones(runs):
    early, late = runs["early_placement"], runs["late_placement"]
    # placed at 30-45 days past due for 90 days, no account can reach 180
    assert early.kpi("charged_off_share") == 0.0
    assert late.kpi("charged_off_share") > 0.3
    assert late.kpi("charged_off_balance") > 0.0
    assert late.kpi("roll_forward_rate") > early.kpi("roll_forward_rate")
    assert late.kpi("cure_rate") < early.kpi("cure_rate")
    # those charged off had not cured: they were at least 180 days past due at charge-off
    accounts = late.accounts
    charged = accounts[accounts.charged_off]
    assert (charged.days_past_due + 90 >= 180).all()


def test_a_recovery_placement_starts_charged_off_and_has_no_cure_rate(runs):
    recovery = runs["recovery_placement"]
    accounts = recovery.accounts
    assert (accounts.state_at_placement.astype(str) == "charged_off").all()
    assert recovery.kpi("charged_off_share") == 0.0  # charged off before, not during
    assert recovery.kpi("cure_rate") != recovery.kpi("cure_rate")  # NaN: nothing to cure
    assert (accounts.accrued == 0).all()  # non-accrual after charge-off
