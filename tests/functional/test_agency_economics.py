"""Agency economics add up: fees, fully loaded costs, margins and the bank's cost per dollar.

A small run in which alpha is paid a hybrid (a lower contingency rate, a fee per account and a
bonus per cure) and beta a flat contingency, checked against the account table:

* what the bank pays an agency (``commission``) is every fee, recomputed from the accounts, and
  is the agency's ``agency_revenue``; agencies' and segments' rows add up to the total;
* ``net_recovery``, ``cost_per_dollar_collected`` and ``agency_margin`` follow from them;
* an agency's cost is fully loaded: its collectors' paid time at wage × benefits × overhead on
  the days it holds accounts, plus the fixed monthly cost, plus calls, messages and traces;
  costs never change what happens, so raising a multiplier moves cost by exactly the staff
  part;
* the bank's own team bears the same kinds of cost, as the bank's ``contact_cost``;
* the netback review charges an agency's per-account fees against its vintages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import review_snapshot

from sim.model.codes import Delinquency
from sim.model.replication import run_replication
from sim.model.units import DAYS_PER_MONTH

HYBRID = {"commission": 0.1, "fee_per_account": 6.0, "cure_bonus": 25.0}
QUIET = {"sms.every_days": 0, "email.every_days": 0, "letter.every_days": 0,
         "cost_per_call": 0.0, "skip_trace_cost": 0.0}
SEED = 20


def _alpha(**values) -> list[str]:
    return [f"agencies.alpha.{key}={value}" for key, value in values.items()]


@pytest.fixture(scope="module")
def hybrid(small_scenario):
    scenario = small_scenario(*_alpha(**HYBRID), accounts=1200, collectors=2, horizon=45)
    return scenario, run_replication(scenario, seed=SEED, keep_accounts=True)


def _cured(accounts: pd.DataFrame) -> pd.Series:
    before = accounts.state_at_placement != Delinquency.CHARGED_OFF.label
    paid_up = (accounts.status == "paid") & ~accounts.charged_off
    return before & (accounts.cured_day.notna() | paid_up)


def test_fees_recomputed_from_the_accounts(hybrid):
    scenario, results = hybrid
    acc, kpis = results.accounts, results.kpis
    mine = acc[acc.agency == "alpha"]
    want = (HYBRID["commission"] * mine.collected.sum() + HYBRID["fee_per_account"] * len(mine)
            + HYBRID["cure_bonus"] * int(_cured(mine).sum()))
    assert int(_cured(mine).sum()) > 0
    assert kpis.loc["alpha", "commission"] == pytest.approx(want, rel=1e-9)
    beta = scenario.agency("beta")
    assert kpis.loc["beta", "commission"] == pytest.approx(
        beta.commission * acc[acc.agency == "beta"].collected.sum(), rel=1e-9)


def test_revenue_is_what_the_bank_pays_and_rows_add_up(hybrid):
    _, results = hybrid
    kpis, segments = results.kpis, results.segments
    np.testing.assert_allclose(kpis.agency_revenue, kpis.commission, rtol=1e-12)
    for name in ("commission", "agency_revenue", "agency_cost", "contact_cost", "collected"):
        assert kpis.loc["total", name] == pytest.approx(
            kpis.loc[["alpha", "beta"], name].sum(), rel=1e-9), name
        assert segments[name].sum() == pytest.approx(kpis.loc["total", name], rel=1e-9), name


def test_netback_margin_and_cost_per_dollar_follow_from_fees_and_costs(hybrid):
    _, results = hybrid
    for row in list(results.kpis.itertuples()) + list(results.segments.itertuples()):
        assert row.net_recovery == pytest.approx(
            row.collected - row.commission - row.contact_cost, abs=1e-6)
        assert row.cost_per_dollar_collected == pytest.approx(
            (row.commission + row.contact_cost) / row.collected, rel=1e-9)
        assert row.agency_margin == pytest.approx(
            (row.agency_revenue - row.agency_cost) / row.agency_revenue, rel=1e-9)


def _engaged_workdays(results, scenario) -> tuple[int, int]:
    """Days from the first placement to the end of the last, and the weekdays among them."""
    acc = results.accounts
    start = int(acc.placed_day.min())
    end = min(int(acc.placed_day.max()) + scenario.scenario.horizon_days,
              results.meta["horizon_days"])
    weekday = scenario.scenario.start_date.weekday()
    work = sum(1 for day in range(start, end) if (weekday + day) % 7 < 5)
    return end - start, work


def test_cost_is_fully_loaded_staff_and_fixed_cost_on_engaged_days(small_scenario):
    wage, benefits, overhead, fixed = 20.0, 1.4, 1.6, 3000.0
    scenario = small_scenario(*_alpha(collector_hourly_wage=wage, benefits_multiplier=benefits,
                                      overhead_multiplier=overhead, fixed_monthly_cost=fixed),
                              accounts=400, collectors=3, horizon=30, each=QUIET)
    results = run_replication(scenario, seed=SEED, keep_accounts=True)
    days, workdays = _engaged_workdays(results, scenario)
    shift_hours = 8.0  # 09:00-17:00
    want = wage * benefits * overhead * 3 * shift_hours * workdays + fixed * days / DAYS_PER_MONTH
    assert results.kpi("agency_cost", "alpha") == pytest.approx(want, rel=1e-9)


def test_a_multiplier_moves_cost_by_the_staff_part_and_nothing_else(small_scenario):
    base = small_scenario(accounts=400, collectors=2, horizon=30)
    loaded = small_scenario(*_alpha(overhead_multiplier=3.0), accounts=400, collectors=2,
                            horizon=30)
    a, b = (run_replication(s, seed=SEED, keep_accounts=True) for s in (base, loaded))
    for name in ("collected", "call_attempts", "commission", "conversations"):
        assert a.kpi(name) == b.kpi(name), name
    assert a.kpi("agency_cost", "beta") == b.kpi("agency_cost", "beta")
    alpha = base.agency("alpha")
    _, workdays = _engaged_workdays(a, base)
    staff_hours = 2 * 8.0 * workdays
    moved = b.kpi("agency_cost", "alpha") - a.kpi("agency_cost", "alpha")
    assert moved == pytest.approx(alpha.collector_hourly_wage * alpha.benefits_multiplier
                                  * (3.0 - alpha.overhead_multiplier) * staff_hours, rel=1e-9)


def test_in_house_team_bears_its_loaded_cost(small_scenario):
    scenario = small_scenario("agencies.beta.kind=\"in_house\"", "agencies.beta.commission=0.0",
                              accounts=400, collectors=2, horizon=30)
    results = run_replication(scenario, seed=SEED)
    kpis = results.kpis
    assert kpis.loc["beta", "commission"] == 0.0
    assert kpis.loc["beta", "contact_cost"] == pytest.approx(kpis.loc["beta", "agency_cost"],
                                                             rel=1e-12)
    assert np.isnan(kpis.loc["beta", "agency_margin"])
    # the program's margin is that of the fee-paid agency alone
    assert kpis.loc["total", "agency_margin"] == pytest.approx(
        kpis.loc["alpha", "agency_margin"], rel=1e-9)
    assert kpis.loc["total", "cost_per_dollar_collected"] == pytest.approx(
        (kpis.loc["alpha", "commission"] + kpis.loc["beta", "contact_cost"])
        / kpis.loc["total", "collected"], rel=1e-9)


PERFORMANCE = ('bank.placement="flow"', "bank.vintages=3", "bank.vintage_every_days=30",
               'bank.allocation.method="performance"', "bank.allocation.review_every_days=30",
               'bank.allocation.metric="netback_rate"')


def test_netback_review_charges_per_account_fees(small_scenario):
    """At a review, an agency's netback on each vintage is (collected − its fees so far) /
    placed: with a per-account fee and no contingency, (collected − fee × accounts) / placed,
    weighted by each vintage's placed balance."""
    fee = 40.0
    scenario = small_scenario(*PERFORMANCE, *_alpha(commission=0.0, fee_per_account=fee),
                              accounts=1500, collectors=2, horizon=40)
    results = run_replication(scenario, seed=SEED, keep_accounts=True)
    curves = results.vintages[results.vintages.agency != "total"]
    acc = results.accounts
    reviews = results.allocation[results.allocation.event == "review"]
    assert len(reviews)
    beta_rate = scenario.agency("beta").commission
    for day in sorted(reviews.day.unique()):
        collected, placed, held, weights = review_snapshot(curves, day)
        counts = acc[acc.placed_day < day].groupby(["agency", "vintage"],
                                                   observed=True).size()
        for name in ("alpha", "beta"):
            kept = collected.loc[name, held]
            kept = kept - fee * counts.loc[name].reindex(kept.index) if name == "alpha" \
                else kept * (1.0 - beta_rate)
            expected = float((kept / placed.loc[name, held] * weights).sum() / weights.sum())
            got = reviews[(reviews.day == day) & (reviews.agency == name)].metric.item()
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), (day, name)


def test_collector_figures_are_read_against_the_days_a_desk_holds_accounts():
    """With a second placement, the first agencies hold their accounts for the first 90 days
    and the second agency for the next 90: each desk's paid shift hours are those days' only,
    and dials per collector-hour and utilisation are read against them."""
    from sim.config.loading import load_scenario

    path = "scenarios/second_placement.toml"
    scenario = load_scenario(path, ["portfolio.accounts=1500"], scale_collectors=True)
    results = run_replication(scenario, seed=SEED)
    daily, kpis = results.daily, results.kpis
    horizon = scenario.scenario.horizon_days
    for name, engaged in (("alpha", daily.day < horizon), ("delta", daily.day >= horizon)):
        mine = daily[daily.agency == name]
        assert (mine.staffed_hours[~engaged[mine.index]] == 0).all(), name
        paid = mine.staffed_hours.sum()
        assert paid > 0, name
        assert kpis.loc[name, "dials_per_collector_hour"] == pytest.approx(
            kpis.loc[name, "call_attempts"] / paid, rel=1e-9), name
        assert kpis.loc[name, "collector_utilization"] == pytest.approx(
            mine.busy_hours.sum() / paid, rel=1e-9), name
