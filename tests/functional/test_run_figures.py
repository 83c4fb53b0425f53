"""Run figures drawn from the tables of real replications, each to a valid PNG.

Three tiny replications of the baseline (and two of a flow placement) are run once for the
module; each run figure drawn from their tables must be a PNG of the house width
(:data:`sim.report.style.WIDTH_PX`) and of the height its figure size gives, the run's figure
plan must name every run figure, and the numbers the figures show (funnel stages, cost to
collect, mean and interval) must follow from the KPIs.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import png_size, px

from sim.config.loading import load_scenario
from sim.experiment.replicate import summarise
from sim.model.replication import run_replication
from sim.report import figures_kpi as fk
from sim.report import figures_run as fr
from sim.report.figures import run_figures
from sim.report.folder import RunData
from sim.report.style import WIDTH_PX

REPO = Path(__file__).resolve().parents[2]
TINY = ["portfolio.accounts=300", "agencies.alpha.collectors=2", "agencies.beta.collectors=2",
        "scenario.horizon_days=20"]




@pytest.fixture(scope="module")
def tiny() -> RunData:
    scenario = load_scenario(REPO / "scenarios" / "baseline.toml", TINY)
    return RunData.from_results([run_replication(scenario, r) for r in range(3)])


@pytest.fixture(scope="module")
def flows() -> RunData:
    scenario = load_scenario(REPO / "scenarios" / "baseline.toml",
                             [*TINY, 'bank.placement="flow"', "bank.vintages=3",
                              "bank.vintage_every_days=10"])
    return RunData.from_results([run_replication(scenario, r) for r in range(2)])


def draw(function: Callable[..., None], data: Any, *args: Any, **kwargs: Any
         ) -> tuple[int, int]:
    """Draw ``function(data, buffer, *args, **kwargs)``; the PNG's (width, height)."""
    buffer = io.BytesIO()
    function(data, buffer, *args, **kwargs)
    png = buffer.getvalue()
    assert len(png) > 5000
    return png_size(png)


# --------------------------------------------------------------------------- run figures


def test_liquidation_curve_has_fixed_size(tiny: RunData) -> None:
    assert tiny.daily is not None
    assert draw(fr.liquidation_curve, tiny.daily, "tiny") == (WIDTH_PX, px(4.8))


def test_liquidation_curve_of_one_replication(tiny: RunData) -> None:
    assert tiny.daily is not None
    one = tiny.daily[tiny.daily["replication"] == 0]
    assert draw(fr.liquidation_curve, one)[0] == WIDTH_PX


def test_daily_operations_has_five_panels(tiny: RunData) -> None:
    assert tiny.daily is not None
    size = draw(fr.daily_operations, tiny.daily, kpis=tiny.kpis)
    assert size == (WIDTH_PX, px(1.1 + 2.2 * 5))


def test_daily_operations_draws_what_the_table_has(tiny: RunData) -> None:
    assert tiny.daily is not None
    older = tiny.daily.drop(columns=["busy_hours", "staffed_hours", "collector_utilization"])
    assert draw(fr.daily_operations, older)[1] == px(1.1 + 2.2 * 4)
    calls_only = tiny.daily[["day", "agency", "replication", "calls"]]
    assert draw(fr.daily_operations, calls_only)[1] == px(1.1 + 2.2 * 1)


@pytest.mark.parametrize("function", [fk.contact_funnel, fk.scorecard])
def test_kpi_figures(tiny: RunData, function: Callable[..., None]) -> None:
    width, height = draw(function, tiny.kpis)
    assert width == WIDTH_PX and 400 < height < 2000


def test_tradeoff(tiny: RunData) -> None:
    assert tiny.summary is not None
    assert draw(fk.tradeoff, tiny.summary) == (WIDTH_PX, px(4.6 + 0.25))


def test_vintage_curves(flows: RunData) -> None:
    assert flows.flows and flows.vintages is not None
    width, height = draw(fr.vintage_curves, flows.vintages)
    assert width == WIDTH_PX and height == px(1.5 + 3.0 + 0.6)


def test_run_plan_covers_every_run_figure(tiny: RunData, flows: RunData) -> None:
    names = [spec.name for spec in run_figures(tiny)]
    assert names == ["liquidation_curve.png", "contact_funnel.png", "scorecard.png",
                     "tradeoff.png", "daily_operations.png"]
    assert "vintage_curves.png" in [spec.name for spec in run_figures(flows)]


def test_funnel_stages_follow_the_kpis(tiny: RunData) -> None:
    assert tiny.kpis is not None
    table = fk.funnel_table(tiny.kpis)
    row = tiny.kpis.iloc[0]
    stages = table[(table["agency"] == row["agency"])
                   & (table["replication"] == row["replication"])].set_index("stage")["value"]
    per = 100.0 / row["accounts"]
    assert stages["called at least once"] == pytest.approx(
        100 * (1 - row["never_attempted_share"]))
    assert stages["promises to pay made"] == pytest.approx(per * row["promises"])
    assert stages["on a payment plan at recall"] == pytest.approx(
        per * row["on_plan_at_recall"])


def test_the_scorecard_shows_the_cost_per_dollar_collected(tiny: RunData) -> None:
    assert tiny.kpis is not None
    assert "cost_per_dollar_collected" in [name for name, _ in fk.SCORECARD]
    row = fk.scorecard_values(tiny.kpis).iloc[0]
    assert row["cost_per_dollar_collected"] == pytest.approx(
        (row["commission"] + row["contact_cost"]) / row["collected"])


def test_mean_ci_matches_summarise(tiny: RunData) -> None:
    assert tiny.kpis is not None
    ours = fr.mean_ci(tiny.kpis, ["agency"], "recovery_rate").set_index("agency")
    theirs = summarise(tiny.kpis, ["recovery_rate"]).set_index("agency")
    for agency in theirs.index:
        assert ours.loc[agency, "mean"] == pytest.approx(theirs.loc[agency, "mean"])
        assert ours.loc[agency, "ci95"] == pytest.approx(theirs.loc[agency, "ci95"])
