"""Every shipped scenario pays its agencies enough, and not too much: operating margins inside
the published range.

A contingency agency's ``agency_margin`` is (fees − its fully loaded cost) / fees. Published
margins of collection agencies run from about 0 to 35% of revenue: the US industry's average
EBITDA was 1.4% of revenue in 2009 and 7.5–9.0% in 2011–2013, net profit 3–9.3% by agency
size (insideARM, *Collection Agency Financial Benchmark Report*, Summer 2014, from BizMiner
filings of 2,446 agencies), the industry's profit margin 5.1–9% in 2008–2013 (IBISWorld,
*Debt Collection Agencies in the US*), and practitioners class 20–34% as a healthy contingency
shop and 35% or more as the exception (Fitzgerald Advisors' benchmarks, quoted by J. Hartman,
*The Profitability Lie*, 2026). An agency making a loss on the program, or keeping most of its
fees, means a scenario's staffing or fees are out of line with the industry.

Each scenario runs once at a quarter of its size with collectors and fixed costs scaled with
the accounts (``--scale-collectors``), its own seed; every fee-paid agency that was paid
anything must fall in the range. The competition scenarios are expected to fall outside it
(strictly: the test fails once they no longer do).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config.loading import load_scenario
from sim.model.replication import run_replication

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.toml"))
MARGIN_RANGE = (0.0, 0.35)
SCALE = 0.25
# Agencies competing for share keep the collectors they started with while the share moves: the
# loser runs at a loss (see the head of scenarios/competition.toml).
OUT_OF_RANGE = {"competition", "competition_netback"}
PARAMS = [pytest.param(path, id=path.stem, marks=pytest.mark.xfail(
    strict=True, reason="staffed as measured; the agency losing share keeps its collectors"))
    if path.stem in OUT_OF_RANGE else pytest.param(path, id=path.stem) for path in SCENARIOS]


@pytest.mark.slow
@pytest.mark.parametrize("path", PARAMS)
def test_every_fee_paid_agency_margin_is_in_the_published_range(path):
    full = load_scenario(path)
    accounts = max(100, round(full.portfolio.accounts * SCALE))
    scenario = load_scenario(path, [f"portfolio.accounts={accounts}"], scale_collectors=True)
    kpis = run_replication(scenario).kpis
    paid = [a.name for a in scenario.agencies
            if a.kind == "contingency" and kpis.loc[a.name, "agency_revenue"] > 0]
    low, high = MARGIN_RANGE
    outside = {name: round(float(kpis.loc[name, "agency_margin"]), 3) for name in paid
               if not low <= kpis.loc[name, "agency_margin"] <= high}
    assert not outside, f"{path.stem}: agency margins outside {MARGIN_RANGE}: {outside}"
