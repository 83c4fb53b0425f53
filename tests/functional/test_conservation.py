"""Conservation of money: every cent placed or accrued is collected, waived or
still outstanding, for every account, and the KPI arithmetic (totals, recovery, netback,
commission) follows from the per-account ledger.

Each scenario runs once with ``audit=True``, which checks the ledger of every account at every
daily step inside the model; the tests then re-check it from the returned tables.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sim.model.replication import run_replication
from sim.model.results import TOTAL

CENT = 0.005  # half a cent: tables are in dollars, the ledger is in integer cents

SCENARIOS = {
    "baseline": ((), {}),
    "in_house": (('agencies.alpha.kind="in_house"',), {}),
    "aggressive": ((), {"tone": 1.0, "compliance": 0.5}),
    "no_rules": (("rules.max_calls_per_7_days=0", "rules.quiet_days_after_conversation=0"), {}),
    "high_apr_fees": (("portfolio.apr=0.9", "portfolio.late_fee=35"), {}),
    "no_interest": (("portfolio.apr=0.0", "portfolio.late_fee=0"), {}),
    "deep_settlements": ((), {"settlement_max_discount": 0.6}),
    "no_plans": ((), {"plan_max_months": 0}),
    "no_plans_no_settlements": ((), {"plan_max_months": 0, "settlement_max_discount": 0.0}),
    # placed at 150-170 days past due: most charge off during the placement, having accrued
    # interest since placement that a payment in full may have waived
    "interest_waiver": (("portfolio.apr=0.9", "portfolio.days_past_due.low=150",
                         "portfolio.days_past_due.high=170"), {"waive_interest": True}),
    "hawkes": (('behaviour.model="hawkes"',), {}),
}


@functools.cache
def _run(name: str, small_scenario):
    overrides, each = SCENARIOS[name]
    scenario = small_scenario(*overrides, accounts=1200, collectors=3, horizon=65, each=each)
    # audit=True raises AssertionError inside the model if any ledger breaks on any day.
    results = run_replication(scenario, seed=7, keep_accounts=True, audit=True)
    return name, scenario, results


# The variants that only move amounts around (tone, discounts, plans, no interest) run in the
# full suite; the fast loop keeps one scenario of each kind of ledger entry.
SLOW = {"aggressive", "deep_settlements", "no_plans", "no_plans_no_settlements", "no_interest"}


@pytest.fixture(scope="module", params=[
    pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
    for name in sorted(SCENARIOS)])
def run(request, small_scenario):
    return _run(request.param, small_scenario)


def test_per_account_ledger_identity(run):
    _, _, results = run
    acc = results.accounts
    gap = (acc.balance_placed + acc.accrued) - (acc.collected + acc.waived + acc.outstanding)
    assert np.abs(gap).max() < CENT
    assert (acc.collected >= 0).all()
    assert (acc.waived >= 0).all()
    assert (acc.outstanding >= 0).all()
    assert (acc.accrued >= 0).all()


def test_closed_accounts_owe_nothing_and_only_settlements_or_waivers_waive(run):
    _, scenario, results = run
    acc = results.accounts
    closed = acc.status.isin(["paid", "settled"])
    assert (acc.outstanding[closed].abs() < CENT).all()
    assert (acc.outstanding[~closed] > 0).all()
    # nothing is forgiven on an account that is still open
    assert (acc.waived[~closed].abs() < CENT).all()
    # a settlement forgives part of the balance; paying in full forgives nothing unless the
    # agency waives the interest accrued during placement
    assert (acc.waived[acc.status == "settled"] > 0).all()
    waivers = [a.name for a in scenario.agencies if a.waive_interest]
    strict = (acc.status == "paid") & ~acc.agency.isin(waivers)
    assert (acc.waived[strict].abs() < CENT).all()
    # ... and then never more than that interest
    assert (acc.waived[acc.status == "paid"] <= acc.accrued[acc.status == "paid"] + CENT).all()


def test_interest_and_fees_accrue_only_when_charged(run):
    name, _, results = run
    accrued = results.accounts.accrued
    if name == "no_interest":
        assert (accrued == 0).all()
    else:
        assert accrued.sum() > 0


def test_late_fees_are_charged_monthly(small_scenario):
    _, scenario, results = _run("high_apr_fees", small_scenario)
    acc = results.accounts
    # An account never paid, settled or put on a plan was open on day 30 and owes the fee on
    # top of at least a day's interest on what it owed.
    never_worked = (acc.status == "active") & (acc.promises == 0)
    assert never_worked.any()
    fee = scenario.portfolio.late_fee
    assert (acc.accrued[never_worked] >= fee).all()


def test_totals_are_sums_of_agencies(run):
    _, scenario, results = run
    kpis, acc = results.kpis, results.accounts
    agencies = [a.name for a in scenario.agencies]
    assert set(kpis.index) == {*agencies, TOTAL}
    for column in ("accounts", "balance_placed", "collected", "commission", "contact_cost",
                   "net_recovery", "waived", "outstanding_at_recall", "on_plan_at_recall",
                   "rule_violations", "call_attempts", "conversations", "promises"):
        assert kpis.loc[TOTAL, column] == pytest.approx(kpis.loc[agencies, column].sum(),
                                                        rel=1e-12, abs=1e-6), column
    assert kpis.loc[TOTAL, "accounts"] == len(acc) == scenario.portfolio.accounts
    assert kpis.loc[TOTAL, "collected"] == pytest.approx(acc.collected.sum(), abs=CENT)
    assert kpis.loc[TOTAL, "balance_placed"] == pytest.approx(acc.balance_placed.sum(), abs=CENT)
    assert kpis.loc[TOTAL, "waived"] == pytest.approx(acc.waived.sum(), abs=CENT)
    assert kpis.loc[TOTAL, "outstanding_at_recall"] == pytest.approx(acc.outstanding.sum(),
                                                                     abs=CENT)
    for name in agencies:
        mine = acc[acc.agency == name]
        assert kpis.loc[name, "accounts"] == len(mine)
        assert kpis.loc[name, "collected"] == pytest.approx(mine.collected.sum(), abs=CENT)


def test_daily_collected_ends_at_kpi_collected(run):
    _, scenario, results = run
    daily, kpis = results.daily, results.kpis
    last = daily[daily.day == daily.day.max()].set_index("agency")
    for name in [*[a.name for a in scenario.agencies], TOTAL]:
        assert last.loc[name, "collected_to_date"] == pytest.approx(kpis.loc[name, "collected"],
                                                                    abs=CENT)
    # collected to date never decreases
    for _, series in daily.groupby("agency"):
        assert (np.diff(series.sort_values("day").collected_to_date.to_numpy()) >= -1e-9).all()


def test_recovery_and_netback_arithmetic(run):
    _, _, results = run
    kpis = results.kpis
    for name, row in kpis.iterrows():
        assert row.recovery_rate == pytest.approx(row.collected / row.balance_placed,
                                                  rel=1e-12), name
        assert row.net_recovery == pytest.approx(
            row.collected - row.commission - row.contact_cost, rel=1e-12, abs=1e-6), name
        assert row.netback_rate == pytest.approx(row.net_recovery / row.balance_placed,
                                                 rel=1e-12, abs=1e-12), name


def test_commission_follows_agency_kind(run):
    _, scenario, results = run
    kpis = results.kpis
    for agency in scenario.agencies:
        row = kpis.loc[agency.name]
        if agency.kind == "contingency":
            assert row.commission == pytest.approx(agency.commission * row.collected, rel=1e-12)
            assert row.contact_cost == 0.0
        else:
            assert row.commission == 0.0
            # the bank bears the in-house team's whole operating cost
            assert row.contact_cost == pytest.approx(row.agency_cost, rel=1e-12)
            assert row.contact_cost > 0.0


def test_interest_waiver_forgives_interest_on_paid_accounts(small_scenario):
    _, _, results = _run("interest_waiver", small_scenario)
    acc = results.accounts
    paid = acc[acc.status == "paid"]
    assert (paid.waived > 0).any()
    assert results.kpi("waived") == pytest.approx(acc.waived.sum(), abs=CENT)


def test_hawkes_partial_repayments_leave_the_rest_outstanding(small_scenario):
    """Under Hawkes repayments accounts pay in parts; each part comes off what is owed: a
    partly repaid account is still open, nothing of it was forgiven, and what it still owes is
    exactly what was placed and accrued less what it paid."""
    _, _, results = _run("hawkes", small_scenario)
    acc = results.accounts
    partly = acc[(acc.collected > 0) & (acc.outstanding > 0)]
    assert len(partly) > 0.05 * len(acc)  # partial repayment is common, not a corner case
    assert (partly.status == "active").all()
    assert (partly.waived.abs() < CENT).all()
    owed = partly.balance_placed + partly.accrued - partly.collected
    assert np.abs(owed - partly.outstanding).max() < CENT
    assert (partly.collected < partly.balance_placed + partly.accrued).all()


def test_daily_series_and_feedback_reports_add_up_to_kpis(run):
    _, scenario, results = run
    kpis, daily, reports = results.kpis, results.daily, results.reports
    for name in [*[a.name for a in scenario.agencies], TOTAL]:
        row = kpis.loc[name]
        mine = daily[daily.agency == name]
        assert mine.calls.sum() == row.call_attempts, name
        assert mine.conversations.sum() == row.conversations, name
        assert mine.promises.sum() == row.promises, name
        assert mine.violations.sum() == row.rule_violations, name
        assert mine.inbound.sum() == row.inbound_calls, name
        assert mine.rpcs.sum() == pytest.approx(row.rpc_rate * row.call_attempts, abs=1e-6)
        assert mine.complaints.sum() == pytest.approx(row.complaints_per_1000 * row.accounts
                                                      / 1000, abs=1e-6)
        periods = reports[reports.agency == name]
        assert periods.collected.sum() == pytest.approx(row.collected, abs=0.01), name
        for flow in ("calls", "rpcs", "conversations", "promises", "complaints", "violations",
                     "messages", "inbound"):
            assert periods[flow].sum() == mine[flow].sum(), (name, flow)
        # daily busy and paid hours add up to the placement's utilisation, in the reports too
        busy, staffed = mine.busy_hours.sum(), mine.staffed_hours.sum()
        assert busy / staffed == pytest.approx(row.collector_utilization, rel=1e-9), name
        assert periods.busy_hours.sum() == pytest.approx(busy, rel=1e-12), name
        assert periods.staffed_hours.sum() == pytest.approx(staffed, rel=1e-12), name
        closed = mine.staffed_hours == 0
        assert mine.collector_utilization[closed].isna().all(), name
        assert (mine.busy_hours[closed] == 0).all(), name
        open_days = mine.collector_utilization[~closed]
        assert ((open_days >= 0) & (open_days < 1.2)).all(), name
        # reporting periods tile the placement
        every = scenario.bank.report_every_days
        assert list(periods.start_day) == list(range(0, scenario.scenario.horizon_days, every))
