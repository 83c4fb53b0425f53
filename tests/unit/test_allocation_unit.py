"""Unit tests of allocation and agency scores, without running the simulation.

* agency scores: the AUC each agency's noisy score achieves against the latent payer type is its
  ``analytics_auc`` within sampling error (Mann–Whitney U, Hanley–McNeil standard error), and
  :func:`sim.model.bank.allocation.separation_for_auc` inverts ``AUC = Φ(d/√2)``;
* the bank's score percentile used by score-band routes ranks payers with ``bank.analytics_auc``;
* :class:`sim.model.bank.allocation.Allocator` on large portfolios: fixed shares within binomial
standard
  errors, exact champion/challenger strata, route bands (bottom inclusive, top exclusive), and
  stability (adding or removing an agency only moves accounts to or from it, a larger challenger
  share only moves accounts from the champion);
* the practitioner's netback example (docs/sources.md) through the KPI code: a 50% fee at 30%
  liquidation nets 15%, a 25% fee at 18% nets 13.5%;
* scenario validation of the allocation table.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import Scenario
from sim.model.agency.desk import AgencyDesk
from sim.model.bank.allocation import Allocator, noisy_score, separation_for_auc
from sim.model.bank.placement import agency_scores, place
from sim.model.behaviour import make_behaviour
from sim.model.portfolio.accounts import draw_portfolio
from sim.model.results import build_results
from sim.model.rng import Streams
from sim.model.rules.book import RuleBooks
from sim.model.world import CountingEnvironment, World

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"
Z = 4.0  # tolerance in standard errors
SEED = 20260105
AUCS = {"alpha": 0.6, "beta": 0.7, "gamma": 0.8, "delta": 0.9}
_FILES = itertools.count()


def _extending(tmp_path: Path, body: str, name: str = "child.toml") -> Path:
    path = tmp_path / name
    path.write_text(f'extends = "{os.path.relpath(BASELINE, tmp_path)}"\n\n{body}')
    return path


def _agencies_toml(shares: dict[str, float], **extra: dict[str, object]) -> str:
    lines = []
    for name, share in shares.items():
        lines += ["[[agencies]]", f'name = "{name}"', f"share = {share}"]
        lines += [f"{k} = {v}" for k, v in extra.get(name, {}).items()]
        lines.append("")
    return "\n".join(lines)


def _scenario(tmp_path: Path, shares: dict[str, float], *overrides: str,
              accounts: int = 20_000, **extra: dict[str, object]) -> Scenario:
    path = _extending(tmp_path, _agencies_toml(shares, **extra),
                      f"scenario{next(_FILES)}.toml")
    return load_scenario(path, [f"portfolio.accounts={accounts}", *overrides])


def _allocator(scenario: Scenario, seed: int = SEED) -> Allocator:
    streams = Streams(seed, 0)
    accounts = draw_portfolio(scenario.portfolio, scenario.bank, streams)
    return Allocator(scenario, accounts, streams)


def _auc_and_se(score: np.ndarray, positive: np.ndarray) -> tuple[float, float]:
    """AUC by the Mann–Whitney U statistic, with the Hanley–McNeil (1982) standard error."""
    pos, neg = score[positive], score[~positive]
    n1, n0 = len(pos), len(neg)
    auc = stats.mannwhitneyu(pos, neg).statistic / (n1 * n0)
    q1, q2 = auc / (2.0 - auc), 2.0 * auc * auc / (1.0 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n0 - 1) * (q2 - auc * auc)) \
        / (n1 * n0)
    return float(auc), float(np.sqrt(var))


# --------------------------------------------------------------------------- separation


@pytest.mark.parametrize("auc", [0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95, 0.999])
def test_separation_for_auc_inverts_binormal_auc(auc):
    d = separation_for_auc(auc)
    assert stats.norm.cdf(d / np.sqrt(2.0)) == pytest.approx(auc, abs=1e-12)


def test_separation_is_zero_at_chance_and_increasing():
    assert separation_for_auc(0.5) == pytest.approx(0.0, abs=1e-15)
    grid = np.linspace(0.5, 0.999, 50)
    d = np.array([separation_for_auc(a) for a in grid])
    assert (np.diff(d) > 0).all()


def test_noisy_score_shifts_payers_by_the_separation():
    rng = np.random.default_rng(1)
    payer = np.zeros(200_000, dtype=np.bool_)
    payer[::2] = True
    score = noisy_score(payer, 0.8, rng)
    n = payer.sum()
    diff = score[payer].mean() - score[~payer].mean()
    assert diff == pytest.approx(separation_for_auc(0.8), abs=Z * np.sqrt(2.0 / n))
    assert score[~payer].std() == pytest.approx(1.0, abs=Z / np.sqrt(2 * n))


# --------------------------------------------------------------------------- agency scores


@pytest.fixture(scope="module")
def four_agencies(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("scores")
    shares = dict.fromkeys(AUCS, 0.25)
    extra = {name: {"analytics_auc": auc} for name, auc in AUCS.items()}
    scenario = _scenario(tmp_path, shares, accounts=20_000, **extra)
    accounts = draw_portfolio(scenario.portfolio, scenario.bank, Streams(SEED, 0))
    scores = agency_scores(scenario, accounts, Streams(SEED, 0))
    return scenario, accounts, scores


@pytest.mark.parametrize("name", list(AUCS))
def test_agency_score_auc_matches_analytics_auc(four_agencies, name):
    scenario, accounts, scores = four_agencies
    index = [a.name for a in scenario.agencies].index(name)
    assert scenario.agencies[index].analytics_auc == AUCS[name]
    payer = accounts.payer
    assert 0.1 < payer.mean() < 0.9  # both classes well represented
    auc, se = _auc_and_se(scores[index], payer)
    assert abs(auc - AUCS[name]) <= Z * se, (auc, AUCS[name], se)


def test_agency_scores_are_ordered_by_quality(four_agencies):
    scenario, accounts, scores = four_agencies
    aucs = [_auc_and_se(scores[i], accounts.payer)[0] for i in range(len(scenario.agencies))]
    assert aucs == sorted(aucs)


def test_agency_scores_reproducible_and_keyed_by_agency_name(four_agencies, tmp_path):
    scenario, accounts, scores = four_agencies
    again = agency_scores(scenario, accounts, Streams(SEED, 0))
    assert np.array_equal(scores, again)
    other_rep = agency_scores(scenario, accounts, Streams(SEED, 1))
    assert not np.array_equal(scores, other_rep)
    # agencies' noise is independent: two agencies of equal quality rank differently
    twins = _scenario(tmp_path, {"alpha": 0.5, "beta": 0.5}, accounts=accounts.n,
                      alpha={"analytics_auc": 0.7}, beta={"analytics_auc": 0.7})
    pair = agency_scores(twins, accounts, Streams(SEED, 0))
    assert not np.array_equal(pair[0], pair[1])
    noise = pair - separation_for_auc(0.7) * accounts.payer
    assert abs(np.corrcoef(noise)[0, 1]) < Z / np.sqrt(accounts.n)
    # an agency's score does not depend on which other agencies take part
    path = _extending(tmp_path, '[[agencies]]\nname = "alpha"\ndrop = true\n\n'
                      '[[agencies]]\nname = "beta"\nshare = 1.0\nanalytics_auc = 0.7\n',
                      "alone.toml")
    alone = load_scenario(path, [f"portfolio.accounts={accounts.n}"])
    assert [a.name for a in alone.agencies] == ["beta"]
    assert np.array_equal(agency_scores(alone, accounts, Streams(SEED, 0))[0], pair[1])


@pytest.mark.parametrize("bank_auc", [0.7, 0.85])
def test_bank_score_percentile_ranks_payers(tmp_path, bank_auc):
    scenario = _scenario(tmp_path, {"alpha": 0.5, "beta": 0.5},
                         f"bank.analytics_auc={bank_auc}")
    allocator = _allocator(scenario)
    pct = allocator.score_percentile
    n = allocator.accounts.n
    # a percentile: 0 for the worst account, 1 for the best, evenly spaced
    assert np.allclose(np.sort(pct), np.arange(n) / (n - 1))
    auc, se = _auc_and_se(pct, allocator.accounts.payer)
    assert abs(auc - bank_auc) <= Z * se, (auc, se)


# --------------------------------------------------------------------------- fixed split


@pytest.mark.parametrize("shares", [
    {"alpha": 0.5, "beta": 0.5},
    {"alpha": 0.8, "beta": 0.2},
    {"alpha": 0.5, "beta": 0.3, "gamma": 0.2},
    {"alpha": 0.1, "beta": 0.6, "gamma": 0.25, "delta": 0.05},
])
def test_fixed_split_shares_within_binomial_error(tmp_path, shares):
    allocator = _allocator(_scenario(tmp_path, shares))
    n = allocator.accounts.n
    choice = allocator.allocate(np.arange(n))
    assert [a.name for a in allocator.scenario.agencies][: len(shares)] == list(shares)
    counts = np.bincount(choice, minlength=len(allocator.names))
    for index, name in enumerate(allocator.names):
        p = shares.get(name, 0.0)
        se = np.sqrt(n * p * (1 - p))
        assert abs(counts[index] - n * p) <= Z * se + 1e-9, (name, counts[index], n * p)
    # deterministic
    assert np.array_equal(choice, allocator.allocate(np.arange(n)))


def test_fixed_split_of_part_of_the_portfolio_is_the_same_account_by_account(tmp_path):
    allocator = _allocator(_scenario(tmp_path, {"alpha": 0.7, "beta": 0.3}))
    n = allocator.accounts.n
    whole = allocator.allocate(np.arange(n))
    part = np.arange(n // 3, n // 2)
    assert np.array_equal(allocator.allocate(part), whole[part])


@pytest.mark.parametrize(("old", "new"), [
    ({"alpha": 0.5, "beta": 0.5}, {"alpha": 0.4, "beta": 0.4, "gamma": 0.2}),
    ({"alpha": 0.8, "beta": 0.2}, {"alpha": 0.4, "beta": 0.1, "gamma": 0.5}),
    ({"alpha": 0.5, "beta": 0.3, "gamma": 0.2},
     {"alpha": 0.45, "beta": 0.27, "gamma": 0.18, "delta": 0.1}),
])
def test_adding_an_agency_only_moves_accounts_to_it(tmp_path, old, new):
    before = _allocator(_scenario(tmp_path, old))
    after = _allocator(_scenario(tmp_path, new))
    n = before.accounts.n
    assert np.array_equal(before.accounts.balance, after.accounts.balance)
    a = np.array(before.names)[before.allocate(np.arange(n))]
    b = np.array(after.names)[after.allocate(np.arange(n))]
    added = (set(new) - set(old)).pop()
    moved = a != b
    assert (b[moved] == added).all()
    p = new[added]
    assert abs(moved.sum() - n * p) <= Z * np.sqrt(n * p * (1 - p))
    # and, read backwards, removing it only moves its own accounts
    assert (a[b != added] == b[b != added]).all()


# --------------------------------------------------------------------------- champion/challenger

CC = ('bank.allocation.method="champion_challenger"', 'bank.allocation.champion="alpha"',
      'bank.allocation.challenger="beta"')


def _cc(tmp_path: Path, share: float, shares: dict[str, float] | None = None) -> Allocator:
    scenario = _scenario(tmp_path, shares or {"alpha": 0.5, "beta": 0.5}, *CC,
                         f"bank.allocation.challenger_share={share}")
    return _allocator(scenario)


def _quintiles(balance: np.ndarray) -> np.ndarray:
    """Balance quintile bands 0-4; a balance equal to an edge (two accounts can owe the same
    cents) belongs to the band above it."""
    edges = np.quantile(balance, [0.2, 0.4, 0.6, 0.8])
    return (balance[:, None] >= edges[None, :]).sum(axis=1)


@pytest.mark.parametrize("share", [0.1, 0.2, 0.5])
def test_challenger_takes_rounded_share_of_every_stratum(tmp_path, share):
    allocator = _cc(tmp_path, share)
    acc = allocator.accounts
    n = acc.n  # 20,000 accounts
    choice = allocator.allocate(np.arange(n))
    beta = choice == allocator.names.index("beta")
    assert set(np.unique(choice)) == {0, 1}
    stratum = acc.segment.astype(np.int64) * 5 + _quintiles(acc.balance)
    expected = 0
    for value in np.unique(stratum):
        members = stratum == value
        assert beta[members].sum() == round(share * members.sum()), value
        expected += round(share * members.sum())
    assert beta.sum() == expected


def test_larger_challenger_share_only_moves_accounts_from_champion(tmp_path):
    small = _cc(tmp_path, 0.2)
    large = _cc(tmp_path, 0.3)
    n = small.accounts.n
    a, b = small.allocate(np.arange(n)), large.allocate(np.arange(n))
    beta = small.names.index("beta")
    assert ((a == beta) <= (b == beta)).all()  # the 20% sample is inside the 30% sample
    assert (b == beta).sum() > (a == beta).sum()


def test_third_agency_gets_nothing_under_champion_challenger(tmp_path):
    allocator = _cc(tmp_path, 0.2, {"alpha": 0.4, "beta": 0.4, "gamma": 0.2})
    choice = allocator.allocate(np.arange(allocator.accounts.n))
    assert (choice != allocator.names.index("gamma")).all()


# --------------------------------------------------------------------------- routes

RULES = 'bank.allocation.method="segment_rules"'


def _routed(tmp_path: Path, routes: str, shares: dict[str, float] | None = None) -> Allocator:
    scenario = _scenario(tmp_path, shares or {"alpha": 1.0, "beta": 0.0}, RULES,
                         f"bank.allocation.routes=[{routes}]")
    return _allocator(scenario)


def test_score_band_routes_by_bank_score_percentile(tmp_path):
    allocator = _routed(tmp_path, '{agency="beta", score_min=0.25, score_max=0.6}')
    acc = allocator.accounts
    n = acc.n
    # the percentile of the bank's own score, recomputed from its stream
    bank_score = noisy_score(acc.payer, allocator.scenario.bank.analytics_auc,
                             Streams(SEED, 0).get("scores", 0))
    pct = (stats.rankdata(bank_score, method="ordinal") - 1) / (n - 1)
    assert np.allclose(pct, allocator.score_percentile, atol=1e-12)
    beta = allocator.allocate(np.arange(n)) == allocator.names.index("beta")
    assert np.array_equal(beta, (pct >= 0.25) & (pct < 0.6))


def test_top_score_band_holds_the_payers(tmp_path):
    allocator = _routed(tmp_path, '{agency="beta", score_min=0.8}')
    acc = allocator.accounts
    beta = allocator.allocate(np.arange(acc.n)) == allocator.names.index("beta")
    assert abs(beta.sum() - 0.2 * acc.n) <= 1
    top, rest = acc.payer[beta], acc.payer[~beta]
    se = np.sqrt(top.var() / len(top) + rest.var() / len(rest))
    assert top.mean() - rest.mean() > Z * se


def test_balance_and_days_past_due_bands_are_half_open(tmp_path):
    allocator = _routed(tmp_path, '{agency="beta", balance_min=1000.0, balance_max=3000.0}, '
                                  '{agency="beta", days_past_due_min=85}, '
                                  '{agency="beta", days_past_due_max=31}')
    acc = allocator.accounts
    dollars = acc.balance / 100.0
    beta = allocator.allocate(np.arange(acc.n)) == allocator.names.index("beta")
    expected = (((dollars >= 1000.0) & (dollars < 3000.0)) | (acc.days_past_due >= 85)
                | (acc.days_past_due < 31))
    assert np.array_equal(beta, expected)
    assert (acc.days_past_due == 30).any() and (acc.days_past_due == 31).any()


def test_unmatched_accounts_split_as_the_fixed_split(tmp_path):
    shares = {"alpha": 0.6, "beta": 0.4}
    routed = _routed(tmp_path, '{agency="alpha", segment="misunderstanding"}', shares)
    fixed = _allocator(_scenario(tmp_path, shares))
    n = routed.accounts.n
    a, b = routed.allocate(np.arange(n)), fixed.allocate(np.arange(n))
    segment = routed.accounts.segment == routed.accounts.segment_names.index("misunderstanding")
    assert (a[segment] == 0).all()
    assert np.array_equal(a[~segment], b[~segment])


def test_first_matching_route_wins(tmp_path):
    allocator = _routed(tmp_path, '{agency="alpha", segment="income_shock"}, '
                                  '{agency="beta", balance_min=0.0}',
                        {"alpha": 0.5, "beta": 0.5})
    acc = allocator.accounts
    a = allocator.allocate(np.arange(acc.n))
    shock = acc.segment == acc.segment_names.index("income_shock")
    assert (a[shock] == 0).all()
    assert (a[~shock] == 1).all()  # the catch-all second route takes everyone else


# --------------------------------------------------------------------------- netback


def test_practitioner_netback_example_through_kpi_code():
    """The practitioner example: a 50% fee at 30% liquidation nets 15%, a 25% fee at 18% nets
    13.5% — so the agency with the higher fee can be the better one: rank on netback, not fee."""
    scenario = load_scenario(BASELINE, ["portfolio.accounts=1000",
                                        "agencies.alpha.commission=0.5",
                                        "agencies.beta.commission=0.25"])
    streams = Streams(1, 0)
    acc = draw_portfolio(scenario.portfolio, scenario.bank, streams)
    # every account placed with $1,000 so that 30% and 18% are whole cents
    acc.balance[:] = acc.placed[:] = acc.outstanding[:] = 100_000
    world = World(env=CountingEnvironment(), scenario=scenario, accounts=acc,
                  books=RuleBooks(scenario.rules, acc.local_offset, acc.placed_day),
                  streams=streams, horizon=90,
                  start_weekday=0)
    behaviour = make_behaviour(scenario.behaviour, acc, streams)
    scores = agency_scores(scenario, acc, streams)
    desks = [AgencyDesk(i, p, world, behaviour, streams, scores[i])
             for i, p in enumerate(scenario.agencies)]
    half = acc.n // 2
    for desk, idx, paid in ((desks[0], np.arange(half), 30_000),
                            (desks[1], np.arange(half, acc.n), 18_000)):
        place(scenario, acc, idx, np.full(len(idx), desk.index, dtype=np.int16), 0)
        desk.add_members(idx)
        acc.pay(idx, np.full(len(idx), paid, dtype=np.int64))
    acc.check_ledger()
    results = build_results(world, desks, pd.DataFrame(), seed=1, replication=0,
                            wall_seconds=0.0, keep_accounts=False)
    assert results.kpi("recovery_rate", "alpha") == pytest.approx(0.30, abs=1e-12)
    assert results.kpi("recovery_rate", "beta") == pytest.approx(0.18, abs=1e-12)
    assert results.kpi("netback_rate", "alpha") == pytest.approx(0.15, abs=1e-12)
    assert results.kpi("netback_rate", "beta") == pytest.approx(0.135, abs=1e-12)
    assert results.kpi("netback_rate") == pytest.approx((0.15 + 0.135) / 2, abs=1e-12)
    assert results.kpi("commission") == pytest.approx(0.5 * 150_000 + 0.25 * 90_000, abs=1e-6)
    assert results.kpi("netback_rate", "alpha") > results.kpi("netback_rate", "beta")


# --------------------------------------------------------------------------- validation

MINIMAL = """\
[scenario]
name = "mini"

[portfolio]
accounts = 100

[portfolio.segments.a]
share = 1.0

[bank.allocation]
method = "{method}"
{allocation}

[[agencies]]
name = "alpha"
{alpha}

[[agencies]]
name = "beta"
{beta}
"""


def _minimal(tmp_path: Path, method: str, allocation: str = "", alpha: str = "",
             beta: str = "") -> Scenario:
    path = tmp_path / f"{method}.toml"
    path.write_text(MINIMAL.format(method=method, allocation=allocation, alpha=alpha,
                                   beta=beta))
    return load_scenario(path)


def test_shares_optional_under_champion_challenger(tmp_path):
    scenario = _minimal(tmp_path, "champion_challenger",
                        'champion = "alpha"\nchallenger = "beta"')
    assert [a.share for a in scenario.agencies] == [None, None]
    allocator = _allocator(scenario, seed=3)
    assert set(allocator.allocate(np.arange(100))) == {0, 1}


@pytest.mark.parametrize(("method", "allocation"), [
    ("fixed", ""),
    ("segment_rules", 'routes = [{agency = "beta", segment = "a"}]'),
    ("performance", ""),
])
def test_shares_required_otherwise(tmp_path, method, allocation):
    with pytest.raises(ScenarioError) as info:
        _minimal(tmp_path, method, allocation)
    assert info.value.field == "agencies.alpha.share"


@pytest.mark.parametrize(("allocation", "field"), [
    ('champion = "alpha"\nchallenger = "gamma"', "bank.allocation.challenger"),
    ('champion = "gamma"\nchallenger = "beta"', "bank.allocation.champion"),
])
def test_unknown_champion_or_challenger(tmp_path, allocation, field):
    with pytest.raises(ScenarioError) as info:
        _minimal(tmp_path, "champion_challenger", allocation)
    assert info.value.field == field


def test_champion_challenger_needs_two_different_agencies(tmp_path):
    with pytest.raises(ScenarioError, match="differ"):
        _minimal(tmp_path, "champion_challenger", 'champion = "alpha"\nchallenger = "alpha"')
    with pytest.raises(ScenarioError, match="champion and challenger"):
        _minimal(tmp_path, "champion_challenger", 'champion = "alpha"')


@pytest.mark.parametrize(("routes", "field"), [
    ('[{agency = "gamma"}]', "bank.allocation.routes.0.agency"),
    ('[{agency = "beta", segment = "b"}]', "bank.allocation.routes.0.segment"),
    ('[{agency = "beta"}, {agency = "alpha", segment = "zz"}]',
     "bank.allocation.routes.1.segment"),
])
def test_bad_routes_name_their_field(tmp_path, routes, field):
    with pytest.raises(ScenarioError) as info:
        _minimal(tmp_path, "segment_rules", f"routes = {routes}", "share = 0.5", "share = 0.5")
    assert info.value.field == field
    assert f": {field}: " in str(info.value)


def test_segment_rules_need_a_route_and_floor_below_cap(tmp_path):
    with pytest.raises(ScenarioError, match="routes"):
        _minimal(tmp_path, "segment_rules", "", "share = 0.5", "share = 0.5")
    with pytest.raises(ScenarioError, match="floor"):
        _minimal(tmp_path, "performance", "floor = 0.6\ncap = 0.5", "share = 0.5",
                 "share = 0.5")
