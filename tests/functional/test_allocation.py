"""Outsourcing strategies and policy levers: how accounts are allocated to agencies, end to end.

Each lever of ``[bank.allocation]`` and ``[bank]`` placement is run through
:func:`sim.model.run_replication` on small portfolios and checked against what it promises:

* **fixed split** — each agency's share of accounts is within binomial standard errors of its
  ``share`` (two and three agencies; the third added by a scenario file that ``extends`` the
  baseline), in every segment;
* **champion/challenger** — the challenger takes exactly ``round(challenger_share · n)`` of each
  stratum (vintage × segment × balance quintile), so both samples have the same mix; agencies
  need no ``share`` in this mode;
* **segment rules** — every account matching a route goes to its agency, the first matching
  route wins, the rest follow the shares; bad routes are reported by dotted field;
* **performance** — at each review ``step`` of share moves to the better agency, within
  ``floor`` and ``cap``; the review metric compares agencies vintage by vintage;
* **flow placement** — vintages placed on their days, each account recalled ``horizon_days``
  after its own placement, per-vintage liquidation curves, money conserved;
* **netback** — ``netback_rate = recovery_rate · (1 − commission)`` for contingency agencies;
* **stability** — a vintage's allocation does not depend on parameters that only act later,
  and adding an agency under a fixed split only moves accounts *to* it.

Tolerances are derived from standard errors (4 SE for binomial counts) or are exact.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from support import review_snapshot

from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import Scenario
from sim.model.replication import run_replication
from sim.model.results import TOTAL

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
Z = 4.0  # tolerance in standard errors for binomial counts
CENT = 0.005  # half a cent: tables are in dollars, the ledger is in integer cents
OFF = ("agencies.beta.sms={every_days=0}", "agencies.beta.email={every_days=0}",
       "agencies.beta.letter={every_days=0}")


def _child(tmp_path: Path, body: str, name: str = "child.toml") -> Path:
    """Write a scenario file that extends the baseline (by a path relative to itself)."""
    parent = os.path.relpath(BASELINE, tmp_path)
    path = tmp_path / name
    path.write_text(f'extends = "{parent}"\n\n{body}')
    return path


def _load(path: Path, *overrides: str, accounts: int, horizon: int,
          collectors: dict[str, int]) -> Scenario:
    """``path`` made small, with every account placed (no control group)."""
    sets = [f"portfolio.accounts={accounts}", f"scenario.horizon_days={horizon}",
            "bank.control_share=0.0"]
    sets += [f"agencies.{name}.collectors={n}" for name, n in collectors.items()]
    return load_scenario(path, [*sets, *overrides])


def _within_binomial(count: int, n: int, p: float, label: str = "") -> None:
    se = np.sqrt(n * p * (1.0 - p))
    assert abs(count - n * p) <= Z * se + 1e-9, (label, count, n * p, se)


def _codes(accounts: pd.DataFrame) -> np.ndarray:
    return accounts.agency.cat.codes.to_numpy()


# --------------------------------------------------------------------------- fixed split


@pytest.mark.parametrize(("alpha", "beta"), [(0.5, 0.5), (0.8, 0.2), (0.3, 0.7)])
def test_fixed_split_gives_each_agency_its_share(small_scenario, alpha, beta):
    scenario = small_scenario(f"agencies.alpha.share={alpha}", f"agencies.beta.share={beta}",
                              accounts=5000, collectors=1, horizon=7)
    results = run_replication(scenario, seed=11, keep_accounts=True)
    acc = results.accounts
    n = len(acc)
    assert acc.agency.notna().all()
    for name, share in (("alpha", alpha), ("beta", beta)):
        count = int((acc.agency == name).sum())
        _within_binomial(count, n, share, name)
        assert results.kpi("accounts", name) == count
    # the split does not depend on the kind of account: within each segment too
    for segment, group in acc.groupby("segment", observed=True):
        _within_binomial(int((group.agency == "alpha").sum()), len(group), alpha, segment)


def test_fixed_split_three_agencies_from_extending_file(tmp_path):
    path = _child(tmp_path, """
[scenario]
name = "three_agencies"

[[agencies]]
name = "alpha"
share = 0.5

[[agencies]]
name = "beta"
share = 0.3

[[agencies]]
name = "gamma"
share = 0.2
analytics_auc = 0.6
""")
    scenario = _load(path, accounts=5000, horizon=7,
                     collectors={"alpha": 1, "beta": 1, "gamma": 1})
    assert [a.name for a in scenario.agencies] == ["alpha", "beta", "gamma"]
    results = run_replication(scenario, seed=12, keep_accounts=True)
    acc = results.accounts
    for name, share in (("alpha", 0.5), ("beta", 0.3), ("gamma", 0.2)):
        _within_binomial(int((acc.agency == name).sum()), len(acc), share, name)
    assert results.kpis.loc[["alpha", "beta", "gamma"], "accounts"].sum() == len(acc)


def test_fixed_split_zero_share_gets_no_account(small_scenario):
    scenario = small_scenario("agencies.alpha.share=1.0", "agencies.beta.share=0.0",
                              accounts=2000, collectors=1, horizon=7)
    results = run_replication(scenario, seed=13, keep_accounts=True)
    assert (results.accounts.agency == "alpha").all()
    assert results.kpi("accounts", "beta") == 0


def test_fixed_split_is_reproducible_and_replication_specific(small_scenario):
    scenario = small_scenario(accounts=2000, collectors=1, horizon=7)
    first = run_replication(scenario, seed=14, keep_accounts=True).accounts.agency
    again = run_replication(scenario, seed=14, keep_accounts=True).accounts.agency
    other = run_replication(scenario, 1, seed=14, keep_accounts=True).accounts.agency
    assert (first == again).all()
    assert (first != other).any()


# --------------------------------------------------------------------------- champion/challenger

CC = ('bank.allocation.method="champion_challenger"', 'bank.allocation.champion="alpha"',
      'bank.allocation.challenger="beta"', "bank.allocation.challenger_share=0.2")
CC_FLOW = ('bank.placement="flow"', "bank.vintages=2", "bank.vintage_every_days=10")


@pytest.fixture(scope="module")
def challenger_run(small_scenario):
    # two vintages of 2,000 accounts: (n - 1) / 5 is never an integer, so quintile edges fall
    # strictly between balances and every reasonable quintile definition gives the same bands
    scenario = small_scenario(*CC, *CC_FLOW, accounts=4000, collectors=1, horizon=10)
    results = run_replication(scenario, seed=21, keep_accounts=True)
    return scenario, results


def _strata(acc: pd.DataFrame) -> pd.Series:
    """Stratum label of each account: vintage × segment × balance quintile within the vintage."""
    cents = np.rint(acc.balance_placed.to_numpy() * 100).astype(np.int64)
    band = np.empty(len(acc), dtype=np.int64)
    for _, rows in acc.groupby("vintage").indices.items():
        band[rows] = pd.qcut(cents[rows], 5, labels=False)
    return (acc.vintage.astype(str) + "/" + acc.segment.astype(str) + "/"
            + pd.Series(band, index=acc.index).astype(str))


def test_challenger_count_is_sum_of_rounded_strata(challenger_run):
    _, results = challenger_run
    acc = results.accounts
    assert set(acc.agency.unique()) == {"alpha", "beta"}
    strata = _strata(acc)
    sizes = strata.value_counts()
    assert len(sizes) == 2 * 3 * 5  # vintages × segments × quintiles, none empty
    expected = sum(round(0.2 * int(size)) for size in sizes)
    assert int((acc.agency == "beta").sum()) == expected
    # stratum by stratum too
    challenger = (acc.agency == "beta").groupby(strata).sum()
    for label, size in sizes.items():
        assert challenger[label] == round(0.2 * int(size)), label
    assert results.kpi("accounts", "beta") == expected
    assert results.kpi("accounts", "alpha") == len(acc) - expected


def test_challenger_share_per_segment_within_rounding(challenger_run):
    _, results = challenger_run
    acc = results.accounts
    strata = _strata(acc)
    for segment, group in acc.groupby("segment", observed=True):
        n = len(group)
        n_strata = strata[group.index].nunique()
        challenger = int((group.agency == "beta").sum())
        # each stratum rounds by at most half an account
        assert abs(challenger - 0.2 * n) <= 0.5 * n_strata, segment
    for vintage, group in acc.groupby("vintage"):
        assert abs((group.agency == "beta").sum() - 0.2 * len(group)) <= 0.5 * 15, vintage


def test_champion_and_challenger_balances_alike(challenger_run):
    _, results = challenger_run
    acc = results.accounts
    champion = acc.balance_placed[acc.agency == "alpha"].to_numpy()
    challenger = acc.balance_placed[acc.agency == "beta"].to_numpy()
    assert stats.ks_2samp(champion, challenger).pvalue > 1e-3
    se = np.sqrt(champion.var(ddof=1) / len(champion) + challenger.var(ddof=1) / len(challenger))
    assert abs(champion.mean() - challenger.mean()) <= 3 * se
    # the same days-past-due mix as well (not stratified on, so only statistically alike)
    assert stats.ks_2samp(acc.days_past_due[acc.agency == "alpha"],
                          acc.days_past_due[acc.agency == "beta"]).pvalue > 1e-3


def test_champion_challenger_needs_no_shares(tmp_path):
    # drop the inherited agencies and re-add them without a share
    agencies = """
[[agencies]]
name = "alpha"
drop = true

[[agencies]]
name = "beta"
drop = true

[[agencies]]
name = "alpha"
collectors = 1

[[agencies]]
name = "beta"
collectors = 1
"""
    cc = _child(tmp_path, """
[bank.allocation]
method = "champion_challenger"
champion = "alpha"
challenger = "beta"
challenger_share = 0.2
""" + agencies, "cc.toml")
    scenario = _load(cc, accounts=2000, horizon=7, collectors={})
    assert all(a.share is None for a in scenario.agencies)
    results = run_replication(scenario, seed=22, keep_accounts=True)
    beta = int((results.accounts.agency == "beta").sum())
    assert abs(beta - 0.2 * 2000) <= 0.5 * 15  # 3 segments × 5 quintiles, one vintage
    # under a fixed split the same agencies are incomplete
    fixed = _child(tmp_path, agencies, "fixed.toml")
    with pytest.raises(ScenarioError) as info:
        _load(fixed, accounts=2000, horizon=7, collectors={})
    assert info.value.field == "agencies.alpha.share"


# --------------------------------------------------------------------------- segment rules

RULES = 'bank.allocation.method="segment_rules"'


def test_segment_route_takes_every_matching_account(small_scenario):
    route = 'bank.allocation.routes=[{agency="beta", segment="income_shock"}]'
    routed = small_scenario(RULES, route, "agencies.alpha.share=0.8", "agencies.beta.share=0.2",
                            accounts=5000, collectors=1, horizon=7)
    fixed = small_scenario("agencies.alpha.share=0.8", "agencies.beta.share=0.2",
                           accounts=5000, collectors=1, horizon=7)
    acc = run_replication(routed, seed=31, keep_accounts=True).accounts
    plain = run_replication(fixed, seed=31, keep_accounts=True).accounts
    shock = acc.segment == "income_shock"
    assert shock.sum() > 1000
    assert (acc.agency[shock] == "beta").all()
    # unmatched accounts follow the shares ...
    rest = acc[~shock]
    _within_binomial(int((rest.agency == "alpha").sum()), len(rest), 0.8, "unmatched")
    # ... and go exactly where the fixed split would have sent them
    assert (rest.agency == plain.agency[~shock]).all()


def test_first_matching_route_wins(small_scenario):
    routes = ('bank.allocation.routes=[{agency="alpha", segment="income_shock", '
              'balance_min=5000.0}, {agency="beta", segment="income_shock"}, '
              '{agency="alpha", days_past_due_max=45}]')
    scenario = small_scenario(RULES, routes, accounts=5000, collectors=1, horizon=7)
    acc = run_replication(scenario, seed=32, keep_accounts=True).accounts
    shock = acc.segment == "income_shock"
    rich = shock & (acc.balance_placed >= 5000.0)
    early = ~shock & (acc.days_past_due < 45)
    assert rich.sum() > 100 and (shock & ~rich).sum() > 100 and early.sum() > 100
    assert (acc.agency[rich] == "alpha").all()  # first route, although the second matches too
    assert (acc.agency[shock & ~rich] == "beta").all()
    assert (acc.agency[early] == "alpha").all()
    rest = acc[~shock & ~early]
    _within_binomial(int((rest.agency == "alpha").sum()), len(rest), 0.5, "unmatched")


def test_balance_and_days_past_due_bands(small_scenario):
    routes = ('bank.allocation.routes=[{agency="beta", balance_min=2000.0, balance_max=4000.0,'
              ' days_past_due_min=40, days_past_due_max=60}]')
    scenario = small_scenario(RULES, routes, "agencies.alpha.share=1.0",
                              "agencies.beta.share=0.0", accounts=4000, collectors=1, horizon=7)
    acc = run_replication(scenario, seed=33, keep_accounts=True).accounts
    inside = ((acc.balance_placed >= 2000.0) & (acc.balance_placed < 4000.0)
              & (acc.days_past_due >= 40) & (acc.days_past_due < 60))
    assert inside.sum() > 200
    # bottom inclusive, top exclusive: beta has exactly the band, alpha (share 1) the rest
    assert ((acc.agency == "beta") == inside).all()
    assert (acc.days_past_due[acc.agency == "beta"] >= 40).all()
    assert ((acc.days_past_due == 60) & (acc.agency == "beta")).sum() == 0
    assert ((acc.days_past_due == 40) & inside).sum() > 0


@pytest.mark.parametrize(("route", "field"), [
    ('{agency="gamma", segment="income_shock"}', "bank.allocation.routes.0.agency"),
    ('{agency="beta", segment="job_loss"}', "bank.allocation.routes.0.segment"),
])
def test_bad_route_is_a_scenario_error(small_scenario, route, field):
    with pytest.raises(ScenarioError) as info:
        small_scenario(RULES, f"bank.allocation.routes=[{route}]")
    assert info.value.field == field
    assert field in str(info.value)


def test_bad_second_route_names_its_index(small_scenario):
    with pytest.raises(ScenarioError) as info:
        small_scenario(RULES, 'bank.allocation.routes=[{agency="beta"}, {agency="delta"}]')
    assert info.value.field == "bank.allocation.routes.1.agency"


# --------------------------------------------------------------------------- performance

PERFORMANCE = ('bank.placement="flow"', "bank.vintages=4", "bank.vintage_every_days=30",
               'bank.allocation.method="performance"', "bank.allocation.review_every_days=30")
VINTAGE_SIZE = 1000
HORIZON = 60


def _performance(small_scenario, *overrides: str, beta_collectors: int = 0):
    """Beta has no collectors and sends nothing: it can only collect self-cures."""
    return small_scenario(*PERFORMANCE, *OFF, f"agencies.beta.collectors={beta_collectors}",
                          *overrides, accounts=4 * VINTAGE_SIZE, collectors=2, horizon=HORIZON)


def _alpha_path(step: float, floor: float, cap: float, reviews: int) -> list[float]:
    """Alpha's share after each review when it always wins (two agencies, 50/50 start)."""
    return [min(0.5 + k * step, cap, 1.0 - floor) for k in range(reviews + 1)]


@pytest.mark.parametrize(("step", "floor", "cap"), [
    (0.1, 0.1, 0.9),    # the defaults: 0.5 -> 0.6 -> 0.7 -> 0.8 -> 0.9
    pytest.param(0.15, 0.1, 0.75, marks=pytest.mark.slow),  # the cap binds on review 2
    pytest.param(0.15, 0.3, 0.9, marks=pytest.mark.slow),   # beta's floor binds on review 2
])
def test_better_agency_gains_step_until_cap(small_scenario, step, floor, cap):
    scenario = _performance(small_scenario, f"bank.allocation.step={step}",
                            f"bank.allocation.floor={floor}", f"bank.allocation.cap={cap}")
    results = run_replication(scenario, seed=41, keep_accounts=True)
    history = results.allocation
    assert list(history.columns) == ["day", "event", "agency", "measure", "share", "metric"]
    reviews = history[history.event == "review"]
    days = sorted(reviews.day.unique())
    assert days == [30, 60, 90, 120]  # every 30 days until the last recall (day 150)
    alpha = history[history.agency == "alpha"].sort_values("day")
    assert alpha.share.tolist() == pytest.approx(_alpha_path(step, floor, cap, 4), abs=1e-9)
    # beta is clearly worse at every review
    metric = reviews.pivot(index="day", columns="agency", values="metric")
    assert (metric.alpha > metric.beta).all()
    # vintage v is placed with the shares after the review of day 30·v
    acc = results.accounts
    path = _alpha_path(step, floor, cap, 4)
    for vintage, group in acc.groupby("vintage"):
        assert len(group) == VINTAGE_SIZE
        _within_binomial(int((group.agency == "alpha").sum()), len(group), path[vintage],
                         f"vintage {vintage}")


def test_shares_sum_to_one_within_floor_and_cap(small_scenario):
    scenario = _performance(small_scenario, "bank.allocation.step=0.25",
                            "bank.allocation.floor=0.2", "bank.allocation.cap=0.7")
    history = run_replication(scenario, seed=42).allocation
    sums = history.groupby(["day", "event"]).share.sum()
    assert np.allclose(sums, 1.0, atol=1e-12)
    reviewed = history[history.event == "review"]
    assert (reviewed.share <= 0.7 + 1e-12).all()
    assert (reviewed.share >= 0.2 - 1e-12).all()
    assert history.share.max() == pytest.approx(0.7, abs=1e-12)  # the cap is reached


def test_later_vintages_give_better_agency_more_accounts(small_scenario):
    results = run_replication(_performance(small_scenario), seed=43, keep_accounts=True)
    acc = results.accounts
    alpha = (acc.agency == "alpha").groupby(acc.vintage).mean()
    n = VINTAGE_SIZE
    # the first and last vintages: shares 0.5 and 0.8, far more than sampling noise apart
    se = np.sqrt(0.5 * 0.5 / n + 0.8 * 0.2 / n)
    assert alpha[3] - alpha[0] > Z * se
    assert alpha[2] > alpha[0] and alpha[3] > alpha[1]
    assert results.kpi("accounts", "alpha") > results.kpi("accounts", "beta")


@pytest.mark.parametrize("metric", ["recovery_rate",
                                    pytest.param("netback_rate", marks=pytest.mark.slow)])
def test_review_metric_compares_vintages_like_for_like(small_scenario, metric):
    """The metric at a review is each agency's rate on the vintages every agency holds,
    averaged with weights common to all agencies (each vintage's placed balance).

    For a contingency agency the netback of a vintage is ``(1 − commission) · collected /
    placed`` of that vintage: its commission is a share of what that vintage paid.
    """
    scenario = _performance(small_scenario, f'bank.allocation.metric="{metric}"')
    results = run_replication(scenario, seed=44)
    curves = results.vintages[results.vintages.agency != TOTAL]
    reviews = results.allocation[results.allocation.event == "review"]
    commission = {a.name: a.commission for a in scenario.agencies}
    for day in sorted(reviews.day.unique()):
        # the review at the start of `day` sees the state closed at the end of `day - 1`
        collected, placed, held, weights = review_snapshot(curves, day)
        for name in ("alpha", "beta"):
            rate = collected.loc[name, held] / placed.loc[name, held]
            expected = float((rate * weights).sum() / weights.sum())
            if metric == "netback_rate":
                expected *= 1.0 - commission[name]
            got = reviews[(reviews.day == day) & (reviews.agency == name)].metric.item()
            assert got == pytest.approx(expected, rel=1e-9, abs=1e-12), (day, name)


# --------------------------------------------------------------------------- flow placement

FLOW_VINTAGES, FLOW_EVERY, FLOW_HORIZON = 3, 20, 40


@pytest.fixture(scope="module")
def flow_run(small_scenario):
    scenario = small_scenario('bank.placement="flow"', f"bank.vintages={FLOW_VINTAGES}",
                              f"bank.vintage_every_days={FLOW_EVERY}", accounts=3000,
                              collectors=2, horizon=FLOW_HORIZON)
    # audit=True checks every account's ledger at every daily step inside the model
    results = run_replication(scenario, seed=51, record_events=True, keep_accounts=True,
                              audit=True)
    return scenario, results


def test_vintages_placed_on_their_days(flow_run):
    _, results = flow_run
    acc = results.accounts
    days = acc.groupby("vintage").placed_day.agg(["min", "max", "size"])
    assert list(days.index) == list(range(FLOW_VINTAGES))
    for vintage, row in days.iterrows():
        assert row["min"] == row["max"] == vintage * FLOW_EVERY
        assert row["size"] == 3000 // FLOW_VINTAGES
    # each vintage is split between both agencies
    assert (acc.groupby(["vintage", "agency"], observed=True).size() > 300).all()


def test_program_lasts_until_last_recall(flow_run):
    _, results = flow_run
    last = (FLOW_VINTAGES - 1) * FLOW_EVERY + FLOW_HORIZON
    assert results.meta["horizon_days"] == last
    assert results.daily.day.max() == last - 1


def test_no_event_after_own_recall(flow_run):
    scenario, results = flow_run
    acc = results.accounts.set_index("account")
    events = results.events
    assert len(events) > 0
    placed = acc.placed_day.to_numpy()[events.account.to_numpy()]
    recall = placed + FLOW_HORIZON
    assert (events.time < recall).all()
    assert (events.time >= placed + scenario.bank.transfer_delay_days).all()
    # events are logged by the account's own agency
    assert (events.agency.to_numpy() == _codes(acc)[events.account.to_numpy()]).all()
    # recalled exactly then, not earlier: every vintage is still worked on its last day (a
    # weekday for each of these vintages) and calls on it stop while later vintages go on
    vintage = acc.vintage.to_numpy()[events.account.to_numpy()]
    for v in range(FLOW_VINTAGES):
        mine = events.time[vintage == v]
        own_recall = v * FLOW_EVERY + FLOW_HORIZON
        assert ((mine >= own_recall - 1) & (mine < own_recall)).any(), v
        later = events.time[vintage > v]
        if v < FLOW_VINTAGES - 1:  # the program goes on for later vintages
            assert later.max() > own_recall


def test_vintage_curves_end_at_collected_over_placed(flow_run):
    _, results = flow_run
    acc = results.accounts
    curves = results.vintages
    assert set(curves.vintage) == set(range(FLOW_VINTAGES))
    for (vintage, agency), curve in curves.groupby(["vintage", "agency"]):
        curve = curve.sort_values("age")
        assert curve.age.tolist() == list(range(len(curve)))
        assert curve.age.max() == results.meta["horizon_days"] - 1 - vintage * FLOW_EVERY
        members = acc[acc.vintage == vintage]
        if agency != TOTAL:
            members = members[members.agency == agency]
        last = curve.iloc[-1]
        assert last.placed == pytest.approx(members.balance_placed.sum(), abs=CENT)
        assert last.collected_to_date == pytest.approx(members.collected.sum(), abs=CENT)
        assert last.recovery_to_date == pytest.approx(
            members.collected.sum() / members.balance_placed.sum(), rel=1e-9)
        # cumulative, and flat from the recall on (the snapshot of age H-1 is taken at recall)
        assert curve.collected_to_date.is_monotonic_increasing
        after = curve[curve.age >= FLOW_HORIZON - 1].collected_to_date
        assert after.nunique() == 1
        if agency == TOTAL:  # still collecting in the last fortnight of its own placement
            at = curve.set_index("age").collected_to_date
            assert at[FLOW_HORIZON - 1] > at[FLOW_HORIZON - 15]


def test_flow_conserves_money(flow_run):
    _, results = flow_run
    acc = results.accounts
    gap = (acc.balance_placed + acc.accrued) - (acc.collected + acc.waived + acc.outstanding)
    assert np.abs(gap).max() < CENT
    assert (acc.outstanding >= 0).all()
    assert results.kpi("collected") == pytest.approx(acc.collected.sum(), abs=0.01)
    assert results.kpi("balance_placed") == pytest.approx(acc.balance_placed.sum(), abs=0.01)
    assert results.kpi("outstanding_at_recall") == pytest.approx(acc.outstanding.sum(),
                                                                 abs=0.01)
    assert results.kpi("accounts") == len(acc)
    parts = results.kpis.loc[["alpha", "beta"]]
    assert parts.collected.sum() == pytest.approx(results.kpi("collected"), abs=0.01)


# --------------------------------------------------------------------------- netback


def test_netback_is_recovery_net_of_commission(small_scenario):
    scenario = small_scenario("agencies.alpha.commission=0.5", "agencies.beta.commission=0.25",
                              accounts=1500, collectors=2, horizon=30)
    results = run_replication(scenario, seed=61)
    fees = {"alpha": 0.5, "beta": 0.25}
    for name, fee in fees.items():
        recovery = results.kpi("recovery_rate", name)
        assert recovery > 0.01
        assert results.kpi("contact_cost", name) == 0.0  # contingency: the agency pays its way
        assert results.kpi("commission", name) == pytest.approx(
            fee * results.kpi("collected", name), rel=1e-12)
        assert results.kpi("netback_rate", name) == pytest.approx(recovery * (1.0 - fee),
                                                                  rel=1e-12, abs=1e-15)
    kept = sum(results.kpi("collected", name) * (1.0 - fee) for name, fee in fees.items())
    assert results.kpi("netback_rate") == pytest.approx(kept / results.kpi("balance_placed"),
                                                        rel=1e-12)


# --------------------------------------------------------------------------- stability


def _by_vintage(results) -> dict[int, np.ndarray]:
    acc = results.accounts
    return {int(v): _codes(group) for v, group in acc.groupby("vintage")}


@pytest.mark.slow
def test_vintage_allocation_ignores_parameters_that_act_later(small_scenario):
    base = _by_vintage(run_replication(_performance(small_scenario), seed=71,
                                       keep_accounts=True))
    # the cap only binds from the fourth vintage on (shares 0.5, 0.6, 0.7, then 0.7 not 0.8)
    capped = _by_vintage(run_replication(_performance(small_scenario, "bank.allocation.cap=0.7"),
                                         seed=71, keep_accounts=True))
    for v in (0, 1, 2):
        assert (capped[v] == base[v]).all(), v
    assert (capped[3] != base[3]).any()
    # a larger step changes every vintage after the first review, never the first
    bigger = _by_vintage(run_replication(_performance(small_scenario, "bank.allocation.step=0.2"),
                                         seed=71, keep_accounts=True))
    assert (bigger[0] == base[0]).all()
    assert all((bigger[v] != base[v]).any() for v in (1, 2, 3))
    # how well beta works only shows at reviews: the first vintage is untouched
    staffed = _by_vintage(run_replication(_performance(small_scenario, beta_collectors=1),
                                          seed=71, keep_accounts=True))
    assert (staffed[0] == base[0]).all()


def test_fixed_flow_allocation_ignores_placement_dates(small_scenario):
    def run(every: int) -> pd.Series:
        scenario = small_scenario('bank.placement="flow"', "bank.vintages=3",
                                  f"bank.vintage_every_days={every}", accounts=1500,
                                  collectors=1, horizon=7)
        return run_replication(scenario, seed=72, keep_accounts=True).accounts.agency

    assert (run(10) == run(25)).all()


def test_adding_an_agency_only_moves_accounts_to_it(small_scenario, tmp_path):
    n = 5000
    two = small_scenario(accounts=n, collectors=1, horizon=7)
    path = _child(tmp_path, """
[[agencies]]
name = "alpha"
share = 0.4

[[agencies]]
name = "beta"
share = 0.4

[[agencies]]
name = "gamma"
share = 0.2
""")
    three = _load(path, accounts=n, horizon=7, collectors={"alpha": 1, "beta": 1, "gamma": 1})
    before = run_replication(two, seed=73, keep_accounts=True).accounts
    after = run_replication(three, seed=73, keep_accounts=True).accounts
    # the same cardholders (common random numbers: the portfolio table is unchanged)
    assert (before.balance_placed == after.balance_placed).all()
    moved = before.agency.astype(str) != after.agency.astype(str)
    assert (after.agency[moved] == "gamma").all()
    assert (after.agency[~moved].astype(str) == before.agency[~moved].astype(str)).all()
    _within_binomial(int(moved.sum()), n, 0.2, "moved to gamma")
