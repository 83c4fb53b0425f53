"""Reproducibility and common random numbers.

* the same (scenario, seed, replication) gives identical results, whatever ran before;
* different seeds or replications give different results;
* scenarios sharing a ``[portfolio]`` (and seed) draw the same cardholders in replication r;
* allocation is stable: adding an agency only moves accounts *to* it.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from sim.config.loading import load_scenario
from sim.model.replication import run_replication

PORTFOLIO_COLUMNS = ["balance_placed", "segment", "days_past_due", "propensity"]


@pytest.fixture(scope="module")
def scenario(small_scenario):
    return small_scenario(accounts=1500, collectors=3, horizon=45)


@pytest.mark.parametrize("model", ["stage", "hawkes"])
def test_same_seed_same_results(small_scenario, model):
    scenario = small_scenario(f'behaviour.model="{model}"', accounts=1500, collectors=3,
                              horizon=45)
    first = run_replication(scenario, seed=5, record_events=True, keep_accounts=True)
    second = run_replication(scenario, seed=5, record_events=True, keep_accounts=True)
    assert_frame_equal(first.kpis, second.kpis)
    assert_frame_equal(first.daily, second.daily)
    assert_frame_equal(first.accounts, second.accounts)
    assert_frame_equal(first.events, second.events)


def test_scenario_seed_is_the_default(scenario):
    implicit = run_replication(scenario)
    explicit = run_replication(scenario, seed=scenario.scenario.seed)
    assert implicit.seed == scenario.scenario.seed
    assert_frame_equal(implicit.kpis, explicit.kpis)


def test_different_seeds_differ(scenario):
    one = run_replication(scenario, seed=5)
    other = run_replication(scenario, seed=6)
    assert one.kpi("collected") != other.kpi("collected")
    assert one.kpi("call_attempts") != other.kpi("call_attempts")
    assert not one.daily.equals(other.daily)


def test_replications_differ_and_are_independent_of_order(scenario):
    in_sequence = [run_replication(scenario, replication=r, seed=5) for r in range(3)]
    alone = run_replication(scenario, replication=2, seed=5)
    assert_frame_equal(alone.kpis, in_sequence[2].kpis)
    assert_frame_equal(alone.daily, in_sequence[2].daily)
    assert alone.replication == 2
    collected = {r.kpi("collected") for r in in_sequence}
    assert len(collected) == 3


def _portfolio(results) -> pd.DataFrame:
    accounts = results if isinstance(results, pd.DataFrame) else results.accounts
    return accounts[PORTFOLIO_COLUMNS].astype({"segment": str})


def test_common_random_numbers_across_agency_rule_and_behaviour_changes(small_scenario):
    """Same [portfolio] and seed: the same cardholders whatever the agencies, rules or
    behaviour model."""
    base = small_scenario(accounts=1500, collectors=3, horizon=10)
    changed = small_scenario('agencies.alpha.kind="in_house"', "agencies.beta.share=0.8",
                             "agencies.alpha.share=0.2", "rules.max_calls_per_7_days=0",
                             "rules.quiet_days_after_conversation=0",
                             'behaviour.model="hawkes"', accounts=1500,
                             collectors=6, horizon=20, each={"tone": 0.9, "skill": 0.2})
    for replication in (0, 1):
        a = run_replication(base, replication=replication, seed=9, keep_accounts=True)
        b = run_replication(changed, replication=replication, seed=9, keep_accounts=True)
        assert_frame_equal(_portfolio(a), _portfolio(b))
        assert (a.accounts.agency != b.accounts.agency).any()  # the scenarios do differ
    # ... and a different replication is a different portfolio
    r0 = run_replication(base, replication=0, seed=9, keep_accounts=True)
    r1 = run_replication(base, replication=1, seed=9, keep_accounts=True)
    assert not _portfolio(r0).equals(_portfolio(r1))


def test_portfolio_changes_with_the_portfolio_section(small_scenario):
    a = small_scenario(accounts=1500, collectors=1, horizon=5)
    b = small_scenario("portfolio.balance.median=5000.0", accounts=1500, collectors=1, horizon=5)
    ra = run_replication(a, seed=9, keep_accounts=True)
    rb = run_replication(b, seed=9, keep_accounts=True)
    assert not np.allclose(ra.accounts.balance_placed, rb.accounts.balance_placed)


SMALL = ["portfolio.accounts=3000", "scenario.horizon_days=10",
         "agencies.alpha.collectors=1", "agencies.beta.collectors=1"]


def test_adding_an_agency_only_moves_accounts_to_it(tmp_path, baseline_path):
    """Alpha and beta keep their 1:1 ratio (0.4/0.4) and gamma takes 0.2 of the accounts."""
    parent = os.path.relpath(baseline_path, tmp_path)
    child = tmp_path / "three.toml"
    child.write_text(
        f'extends = "{parent}"\n\n'
        '[scenario]\nname = "three_agencies"\n\n'
        '[[agencies]]\nname = "alpha"\nshare = 0.4\n\n'
        '[[agencies]]\nname = "beta"\nshare = 0.4\n\n'
        '[[agencies]]\nname = "gamma"\nshare = 0.2\ncollectors = 1\n')
    two = load_scenario(baseline_path, SMALL)
    three = load_scenario(child, SMALL)
    assert [a.name for a in three.agencies] == ["alpha", "beta", "gamma"]
    before = run_replication(two, seed=4, keep_accounts=True).accounts
    after = run_replication(three, seed=4, keep_accounts=True).accounts
    assert_frame_equal(_portfolio(before), _portfolio(after))
    old = before.agency.astype(str).to_numpy()
    new = after.agency.astype(str).to_numpy()
    moved = (old != new) & ~after.control.to_numpy()  # the control group has no agency
    assert moved.any()
    assert set(new[moved]) == {"gamma"}
    assert (new == "gamma").sum() == moved.sum()
    # the bank holds out the same control group whatever its agencies
    assert before.control.any() and (before.control == after.control).all()
    # gamma's take of the placed accounts is a Binomial(n, 0.2) draw: within 4 standard errors
    n = int((~after.control).sum())
    share = (new == "gamma").sum() / n
    assert abs(share - 0.2) < 4 * np.sqrt(0.2 * 0.8 / n)


def test_allocation_shares_follow_agency_shares(small_scenario):
    scenario = small_scenario("agencies.alpha.share=0.3", "agencies.beta.share=0.7",
                              accounts=3000, collectors=1, horizon=5)
    accounts = run_replication(scenario, seed=2, keep_accounts=True).accounts
    share = (accounts.agency == "alpha").mean()
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / len(accounts))
