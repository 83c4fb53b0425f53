"""The shipped baseline reproduces the published ranges it cites (DESIGN §5).

The full 20,000-account baseline runs once for the module (about 5 seconds).
"""

from __future__ import annotations

import pytest

from sim.config.loading import load_scenario
from sim.model.replication import run_replication
from sim.model.results import TOTAL


@pytest.fixture(scope="module")
def baseline(baseline_path):
    scenario = load_scenario(baseline_path)
    return scenario, run_replication(scenario)


def test_baseline_is_the_documented_size(baseline):
    scenario, results = baseline
    assert scenario.portfolio.accounts == 20_000
    assert scenario.scenario.horizon_days == 90
    assert results.kpi("accounts") == 20_000


def test_recovery_rate_in_vendor_range(baseline):
    """Liquidation about 11-21% of placed balance (vendor figures)."""
    _, results = baseline
    assert 0.11 <= results.kpi("recovery_rate") <= 0.21


def test_right_party_contact_rate_in_practitioner_range(baseline):
    """Right-party contact on 15-30% of dials (practitioner sources)."""
    _, results = baseline
    assert 0.15 <= results.kpi("rpc_rate") <= 0.30


def test_calls_per_collector_day_in_practitioner_range(baseline):
    """70-200 dials per collector per working day (practitioner sources)."""
    scenario, results = baseline
    daily = results.daily
    for agency in scenario.agencies:
        mine = daily[(daily.agency == agency.name) & (daily.calls > 0)]
        per_collector_day = mine.calls.mean() / agency.collectors
        assert 70 <= per_collector_day <= 200, agency.name


def test_commission_within_contingency_fee_range(baseline):
    """Fees of 15-25% of collections for early placements (NCLC; EY for ACA International)."""
    _, results = baseline
    fee = results.kpi("commission") / results.kpi("collected")
    assert 0.15 <= fee <= 0.25
    assert results.kpi("netback_rate") < results.kpi("recovery_rate")


def test_total_row_is_consistent(baseline):
    _, results = baseline
    assert TOTAL in results.kpis.index
    assert results.kpi("collected") == pytest.approx(
        results.kpis.drop(index=TOTAL).collected.sum(), rel=1e-12)
