"""Shipped scenarios' output falls in the published ranges their files cite.

Each scenario, at its own size, runs three replications; for each figure the 95% Student-t
interval of the mean over those replications must lie inside the published range, so a model
whose average drifts out of the range fails, and so does one too noisy to say.

* recovery (liquidation) about 11-21% of placed balance over a 90-day placement of charged-off
  card accounts (``recovery_placement``) — vendor figures, and the ACA International survey's
  credit-card primary placements (median 14.7%, mean 20.0%). A placement before charge-off
  (the baseline) collects past-due amounts, not balances: its yardstick is the cure rate;
* right-party contact on 15-30% of outbound dials — practitioner sources;
* 70-200 dials per collector per working day — practitioner sources;
* 5-25 complaints to the agency or bank per 1,000 accounts in 90 days — the CFPB's
  debt-collection complaints over the consumers in collections (0.8 per 1,000 in 90 days; FDCPA
  Annual Report 2025, Urban Institute 2021) over the share of complaints to firms that reach a
  regulator (7.6%; FCA and Financial Ombudsman Service, 2024), about 11.

The figures are outputs of the simulation (contacts, conversations and payments as they
happened), never values read from the scenario file.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config.loading import load_scenario
from sim.config.schema import Scenario
from sim.experiment.intervals import t_half_width
from sim.model.replication import run_replication
from sim.model.results import Results

pytestmark = pytest.mark.slow

REPLICATIONS = 3


@pytest.fixture(scope="module")
def baseline(baseline_path) -> tuple[Scenario, list[Results]]:
    scenario = load_scenario(baseline_path)
    return scenario, [run_replication(scenario, r) for r in range(REPLICATIONS)]


def assert_interval_within(values: list[float], low: float, high: float) -> None:
    """The 95% interval of the mean of ``values`` lies inside ``[low, high]``."""
    sample = np.asarray(values, dtype=float)
    mean, half = float(sample.mean()), t_half_width(sample)
    assert np.isfinite(half), values
    assert low <= mean - half and mean + half <= high, (
        f"{mean:.4f} ± {half:.4f} not within [{low}, {high}] (replications: {values})")


@pytest.fixture(scope="module")
def recovery(baseline_path) -> list[Results]:
    scenario = load_scenario(baseline_path.parent / "recovery_placement.toml")
    return [run_replication(scenario, r) for r in range(REPLICATIONS)]


def test_recovery_rate_in_vendor_range(recovery):
    """Liquidation of charged-off placements about 11-21% of placed balance (vendor figures,
    ACA International survey)."""
    assert_interval_within([r.kpi("recovery_rate") for r in recovery], 0.11, 0.21)


def test_right_party_contact_rate_in_practitioner_range(baseline):
    """Right-party contact on 15-30% of dials (practitioner sources)."""
    _, runs = baseline
    assert_interval_within([r.kpi("rpc_rate") for r in runs], 0.15, 0.30)


def test_calls_per_collector_day_in_practitioner_range(baseline):
    """70-200 dials per collector per working day (practitioner sources)."""
    scenario, runs = baseline
    for agency in scenario.agencies:
        per_collector_day = []
        for result in runs:
            daily = result.daily
            worked = daily[(daily.agency == agency.name) & (daily.calls > 0)]
            per_collector_day.append(float(worked.calls.mean()) / agency.collectors)
        assert_interval_within(per_collector_day, 70, 200)


FROM_SCRATCH = """\
[scenario]
name = "from_scratch"

[portfolio]
days_past_due = { low = 180, high = 360 }

[portfolio.segments.money_management]
share = 0.45
[portfolio.segments.income_shock]
share = 0.35
[portfolio.segments.misunderstanding]
share = 0.20

[bank]
stage = "post_charge_off"

[[agencies]]
name = "acme"
share = 1.0
collectors = 40
"""


def test_a_scenario_with_only_shares_and_reasons_lands_in_the_published_range(tmp_path):
    """Written from scratch — segment shares and reasons, one agency on the schema's defaults
    but its head-count (the baseline's 40 collectors), a recovery placement — the reasons'
    sourced profiles give a liquidation inside 11-21% and complaints inside the sourced 5-25 per
    1,000."""
    path = tmp_path / "scratch.toml"
    path.write_text(FROM_SCRATCH)
    scenario = load_scenario(path)
    runs = [run_replication(scenario, r) for r in range(REPLICATIONS)]
    assert_interval_within([r.kpi("recovery_rate") for r in runs], 0.11, 0.21)
    assert_interval_within([r.kpi("rpc_rate") for r in runs], 0.15, 0.30)
    assert_interval_within([r.kpi("complaints_per_1000") for r in runs], 5.0, 25.0)
