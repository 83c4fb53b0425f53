"""Monotone responses and the no-contact limit.

* more collectors → no fewer call attempts or conversations;
* a higher contingency fee → lower netback at equal recovery;
* with no collectors and no messages nothing is contacted, every payment is a self-cure, and the
  self-cured share matches the closed form ``1 − exp(−h·T)`` (within binomial standard errors).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.replication import run_replication
from sim.model.results import TOTAL

SEGMENTS = ("money_management", "income_shock", "misunderstanding")


@pytest.mark.parametrize("seed", [1, 2])
def test_more_collectors_no_fewer_contacts(small_scenario, seed):
    few = run_replication(small_scenario(accounts=1500, collectors=2, horizon=45), seed=seed)
    many = run_replication(small_scenario(accounts=1500, collectors=8, horizon=45), seed=seed)
    for row in ("alpha", "beta", TOTAL):
        assert many.kpi("call_attempts", row) >= few.kpi("call_attempts", row), row
        assert many.kpi("conversations", row) >= few.kpi("conversations", row), row
    assert many.kpi("call_attempts") > few.kpi("call_attempts")


def test_higher_fee_lower_netback_at_equal_recovery(small_scenario):
    cheap = small_scenario(accounts=1500, collectors=3, horizon=45, each={"commission": 0.2})
    dear = small_scenario(accounts=1500, collectors=3, horizon=45, each={"commission": 0.3})
    a = run_replication(cheap, seed=8)
    b = run_replication(dear, seed=8)
    # the fee does not change what is collected ...
    assert a.kpi("collected") == b.kpi("collected")
    assert a.kpi("recovery_rate") == b.kpi("recovery_rate")
    # ... only what the bank keeps
    for row in ("alpha", "beta", TOTAL):
        assert b.kpi("netback_rate", row) < a.kpi("netback_rate", row)
        assert a.kpi("net_recovery", row) - b.kpi("net_recovery", row) == pytest.approx(
            0.1 * a.kpi("collected", row), rel=1e-9)


def _silent(small_scenario, no_messages, *overrides, accounts=3000, horizon=60):
    each = {"collectors": 0, **no_messages}
    return small_scenario(*overrides, accounts=accounts, horizon=horizon, each=each)


@pytest.fixture(scope="module")
def uncontacted(small_scenario, no_messages):
    scenario = _silent(small_scenario, no_messages, "behaviour.stage.cure_decay_per_week=0.0",
                       accounts=3000, horizon=90)
    return scenario, run_replication(scenario, seed=13, keep_accounts=True, audit=True,
                                     record_events=True)


def test_no_collectors_no_messages_no_contact(uncontacted):
    _, results = uncontacted
    assert len(results.events) == 0
    for name in ("call_attempts", "conversations", "promises", "inbound_calls",
                 "rule_violations", "complaints_per_1000", "contact_rate"):
        assert results.kpi(name) == 0, name
    assert results.kpi("settled_share") == 0
    assert results.kpi("on_plan_at_recall") == 0
    daily = results.daily
    for column in ("calls", "rpcs", "conversations", "promises", "messages", "inbound",
                   "complaints", "violations"):
        assert (daily[column] == 0).all(), column
    acc = results.accounts
    assert (acc.attempts == 0).all()
    assert (acc.promises == 0).all()


def test_without_contact_every_payment_is_a_self_cure(uncontacted):
    """With nobody contacted, the only payments are self-cures (of the past-due amount: these
    accounts are placed before charge-off) and, once current, the minimums that follow."""
    _, results = uncontacted
    acc = results.accounts
    cured = acc.status == "cured"
    assert cured.any()
    # paid in full only where the past-due amount was the whole (small) balance
    assert set(acc.status.astype(str)) <= {"cured", "paid", "active"}
    assert acc.self_cured[cured | (acc.status == "paid")].all()
    # an active account that paid had self-cured and then missed a minimum
    assert (acc.collected[~acc.self_cured] == 0).all()
    for row in ("alpha", "beta", TOTAL):
        assert results.kpi("promises", row) == 0
        # current at recall only by curing itself (some cured fell behind again)
        assert 0 < results.kpi("cure_rate", row) <= results.kpi("self_cure_share", row)
    # a self-cure pays the past-due amount, not the balance: the cured still owe
    assert (acc.outstanding[cured] > 0).all()
    assert acc.collected.sum() < 0.5 * (acc.balance_placed + acc.accrued).sum()


def _within(observed: int, n: int, p: float, k: float) -> tuple[bool, str]:
    se = np.sqrt(p * (1 - p) / n)
    share = observed / n
    return abs(share - p) <= k * se, f"share {share:.4f} vs {p:.4f} ± {k}·{se:.4f} (n={n})"


def test_self_cure_share_matches_closed_form_single_segment(small_scenario, no_messages):
    """One segment, hazard h per day, T days: P(cured) = 1 − exp(−h·T), PENDING days included."""
    hazard, horizon = 0.01, 60
    overrides = ["portfolio.segments.money_management.share=1.0",
                 "portfolio.segments.income_shock.share=0.0",
                 "portfolio.segments.misunderstanding.share=0.0",
                 f"portfolio.segments.money_management.self_cure_rate={hazard}",
                 "behaviour.stage.cure_decay_per_week=0.0"]
    scenario = _silent(small_scenario, no_messages, *overrides, accounts=3000, horizon=horizon)
    results = run_replication(scenario, seed=21, keep_accounts=True)
    acc = results.accounts
    assert set(acc.segment.astype(str)) == {"money_management"}
    expected = 1.0 - np.exp(-hazard * horizon)
    ok, text = _within(int(acc.self_cured.sum()), len(acc), expected, 3.0)
    assert ok, text
    assert results.kpi("self_cure_share") == acc.self_cured.mean()


def test_self_cure_share_matches_closed_form_per_segment(uncontacted):
    """Each baseline segment cures at its own rate; 4 standard errors per segment."""
    scenario, results = uncontacted
    acc = results.accounts
    horizon = scenario.scenario.horizon_days
    for name in SEGMENTS:
        members = acc[acc.segment == name]
        rate = scenario.portfolio.segments[name].self_cure_rate
        ok, text = _within(int(members.self_cured.sum()), len(members),
                           1.0 - np.exp(-rate * horizon), 4.0)
        assert ok, f"{name}: {text}"


def test_self_cure_share_grows_with_the_horizon(small_scenario, no_messages):
    short = run_replication(_silent(small_scenario, no_messages, accounts=2000, horizon=30),
                            seed=5, keep_accounts=True)
    long = run_replication(_silent(small_scenario, no_messages, accounts=2000, horizon=90),
                           seed=5, keep_accounts=True)
    # same cardholders, same Exp(1) budgets: everyone cured by day 30 is cured by day 90
    cured_short = short.accounts.self_cured.to_numpy()
    cured_long = long.accounts.self_cured.to_numpy()
    assert (cured_long[cured_short]).all()
    assert cured_long.sum() > cured_short.sum()
