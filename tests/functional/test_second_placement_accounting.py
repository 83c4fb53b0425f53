"""Second placement (scenarios/second_placement.toml): the program's figures add up across the
two placements, and the second agency is credited with its own placement only.

A small program of 60-day placements, every agency paid a $30 cure bonus. Each charge-off of
the program happened in exactly one placement, so the agencies' charge-offs add up to the
program's; an account reached in either placement was reached by the program; delta is paid a
cure bonus for an account it brought current itself, not for one its first agency cured; its
first call of each account is recorded; and the daily series credit every dollar to the agency
that collected it, against the balance it was placed with.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.config.loading import load_scenario
from sim.model.replication import run_replication
from sim.model.results import Results

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "second_placement.toml"
SMALL = ["portfolio.accounts=1500", "agencies.alpha.collectors=2", "agencies.beta.collectors=2",
         "agencies.delta.collectors=3", "scenario.horizon_days=60",
         *(f"agencies.{name}.cure_bonus=30" for name in ("alpha", "beta", "delta"))]
# placed 120-150 days past due: charged off at 180, in the first placement or the second
LATE = ["portfolio.days_past_due.low=120", "portfolio.days_past_due.high=150"]
AGENCIES = ["alpha", "beta", "delta"]
FIRST = ["alpha", "beta"]


@pytest.fixture(scope="module")
def result() -> Results:
    return run_replication(load_scenario(SCENARIO, SMALL), keep_accounts=True,
                           record_events=True)


@pytest.fixture(scope="module")
def late() -> Results:
    return run_replication(load_scenario(SCENARIO, [*SMALL, *LATE]), keep_accounts=True)


def _counts(results: Results, share: str) -> pd.Series:
    """Accounts behind a share KPI, per row."""
    kpis = results.kpis
    return (kpis[share] * kpis["accounts"]).round(6)


def test_charge_offs_add_up_across_placements(late):
    charged = _counts(late, "charged_off_share")
    assert charged[FIRST].sum() > 0 and charged["delta"] > 0
    assert charged["total"] == charged[AGENCIES].sum()
    kpis = late.kpis
    assert kpis.loc["total", "charged_off_balance"] == pytest.approx(
        kpis.loc[AGENCIES, "charged_off_balance"].sum())
    segments = late.segments
    assert (segments["charged_off_share"] * segments["accounts"]).sum() == pytest.approx(
        charged["total"])


def test_the_program_cures_from_where_its_accounts_started(late):
    """Placed 120-150 days past due, every account was placed before charge-off: the
    program's cure rate is the share of all of them current at their last recall, however
    their first placement ended."""
    table = late.accounts
    assert table is not None
    placed = table[~table["control"]]
    current = placed["state_at_recall"].astype(str) == "current"
    assert late.kpi("cure_rate") == pytest.approx(float(current.mean()))


def test_an_account_reached_in_either_placement_was_reached_by_the_program(result):
    reached = _counts(result, "contact_rate")
    assert reached[FIRST].sum() <= reached["total"] <= reached[AGENCIES].sum()
    assert result.kpi("contact_rate") >= result.kpis.loc[FIRST, "contact_rate"].max()


def test_the_second_agency_is_paid_for_its_own_cures_only(result):
    table = result.accounts
    assert table is not None
    delta = table[table["agency"].astype(str) == "delta"]
    bonus = load_scenario(SCENARIO, SMALL).agency("delta").cure_bonus
    rate = load_scenario(SCENARIO, SMALL).agency("delta").commission
    bonuses = (result.kpi("commission", "delta") - rate * result.kpi("collected", "delta")) \
        / bonus
    before_charge_off = delta["state_at_placement"].astype(str) != "charged off"
    paid_up = (delta["status"].astype(str) == "paid") & ~delta["charged_off"]
    own = before_charge_off & ((delta["cured_day"] >= delta["placed_day"]) | paid_up)
    assert own.sum() > 0
    assert bonuses == pytest.approx(own.sum())
    assert not (delta["cured_day"] < delta["placed_day"]).any()


def test_the_second_agency_records_its_own_first_calls(result):
    table, events = result.accounts, result.events
    assert table is not None and events is not None
    delta = table[table["agency"].astype(str) == "delta"].set_index("account")
    calls = events[(events["kind"] == "call") & (events["agency"] == 2)]
    first = calls.groupby("account")["time"].min()
    assert len(first) > 0
    recorded = delta["first_attempt"]
    np.testing.assert_array_equal(recorded.loc[first.index].to_numpy(), first.to_numpy())
    assert recorded.drop(first.index).isna().all()
    assert result.kpi("mean_days_to_first_attempt", "delta") == pytest.approx(
        float((first - delta.loc[first.index, "placed_day"]).mean()))


def test_daily_money_stays_with_the_agency_that_collected_it(result):
    daily = result.daily
    last = daily[daily["day"] == daily["day"].max()].set_index("agency")
    for agency in [*AGENCIES, "total"]:
        assert last.loc[agency, "collected_to_date"] == pytest.approx(
            result.kpi("collected", agency)), agency
    for agency in [*AGENCIES, "total"]:
        assert last.loc[agency, "recovery_to_date"] == pytest.approx(
            result.kpi("recovery_rate", agency)), agency
        collected = daily.loc[daily["agency"] == agency, "collected_to_date"].to_numpy()
        assert (np.diff(collected) >= 0).all(), agency
    on_the_eve = daily[(daily["agency"] == "delta") & (daily["day"] == 59)]
    assert on_the_eve["collected_to_date"].item() == 0.0
    reports = result.reports
    assert (reports.loc[reports["agency"] != "total", "collected"] >= 0).all()
