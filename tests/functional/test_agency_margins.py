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

The figures are the backtests' (``tests/backtest/``): every shipped scenario run once at a
quarter of its size with collectors and fixed costs scaled with the accounts, its own seed,
which ``test_backtest.py`` holds to the model as it is. Every fee-paid agency that was paid
anything must fall in the range. In the competition scenarios only the agency that wins the
share (it ends holding the most accounts) must: the one losing it runs at a loss on the client,
because its team shrinks with its book but the fixed cost of serving the client does not — the
pressure the competition is about — and the test holds it to a margin below the winner's.

A quarter-size desk is only to scale when its collectors nearly divide by four: an agency of 5
collectors becomes 1, not 1.25, and its margin rises with the head-count it lost. A scenario
whose desks round by more than 15% is run again at the smallest size from 30% to half (in
steps of 5%) where every desk rounds by at most 5% (two fifths for desks of 5).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))
EXPECTED = REPO / "tests" / "backtest" / "expected"
MARGIN_RANGE = (0.0, 0.35)
COMPETITION = {"competition", "competition_netback"}
SCALE = 0.25  # the backtests' (tests/backtest/backtest.py)


def _rounding_error(collectors: list[int], scale: float) -> float:
    """The largest relative error of rounding the counts scaled by ``scale`` (at least 1)."""
    return max(abs(max(1, round(c * scale)) - c * scale) / (c * scale) for c in collectors)


def _kpis_at_scale(path: Path) -> dict:
    """The backtest's figures, or the scenario run at a whole-collector scale when the
    quarter-size desks are not to scale."""
    from sim.config.loading import load_scenario
    from sim.model.replication import run_replication

    stored = json.loads((EXPECTED / f"{path.stem}.json").read_text())["kpis"]
    full = load_scenario(path)
    counts = [a.collectors for a in full.agencies]
    if _rounding_error(counts, SCALE) <= 0.15:
        return stored
    scale = next((s / 20 for s in range(6, 11) if _rounding_error(counts, s / 20) <= 0.05), None)
    assert scale is not None, f"{path.stem}: no size at or under half keeps the desks to scale"
    reduced = load_scenario(path, [f"portfolio.accounts={round(full.portfolio.accounts * scale)}"],
                            scale_collectors=True)
    result = run_replication(reduced)
    return {agency: row for agency, row in result.kpis.to_dict(orient="index").items()}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_every_fee_paid_agency_margin_is_in_the_published_range(path):
    from sim.config.loading import load_scenario

    scenario = load_scenario(path)
    kpis = _kpis_at_scale(path)
    paid = [a.name for a in scenario.agencies
            if a.kind == "contingency" and (kpis[a.name]["agency_revenue"] or 0) > 0]
    assert paid or all(a.kind == "in_house" for a in scenario.agencies)
    margins = {name: float(kpis[name]["agency_margin"]) for name in paid}
    if path.stem in COMPETITION:
        winner = max(paid, key=lambda name: kpis[name]["accounts"])
        assert all(margins[name] < margins[winner] for name in paid if name != winner)
        margins = {winner: margins[winner]}
    low, high = MARGIN_RANGE
    outside = {name: round(margin, 3) for name, margin in margins.items()
               if not low <= margin <= high}
    assert not outside, f"{path.stem}: agency margins outside {MARGIN_RANGE}: {outside}"
