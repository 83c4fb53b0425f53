"""Balanced scorecards move share on conduct; agencies respond to their standing.

Two agencies of the baseline, in monthly vintages reviewed every 30 days. Beta collects better
(more skilled collectors) but its controls stop few slips (compliance 0.2 against alpha's 1.0),
so it breaches the reference standard far more often. A scorecard that weights conduct moves
share away from beta; one on netback alone does not — on the same seed (a paired comparison).
Agencies that respond to their standing (``[agencies.response]``) behave exactly as before
until the first review, then the agency ranked last cuts corners and the one ranked first
coasts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import call, png_size

from sim.model.replication import run_replication
from sim.model.results import Results
from sim.report.folder import read_csv
from sim.report.style import WIDTH_PX

COMPETITION = Path(__file__).resolve().parents[2] / "scenarios" / "competition.toml"

FLOW = ('bank.placement="flow"', "bank.vintage_every_days=30",
        'bank.allocation.method="performance"', "bank.allocation.review_every_days=30",
        "bank.allocation.step=0.2", "bank.allocation.floor=0.1", "bank.allocation.cap=0.9")
CONDUCT_GAP = ("agencies.alpha.compliance=1.0", "agencies.beta.compliance=0.2",
               "agencies.beta.skill=0.8")
NETBACK_ONLY = "{netback_rate=1.0}"
WITH_CONDUCT = "{netback_rate=1.0, conduct_breaches=1.0}"
Z = 4.0  # tolerance in standard errors for counts (Poisson)


def _run(small_scenario, *overrides: str, seed: int = 3, vintages: int = 4,
         per_vintage: int = 300) -> Results:
    scenario = small_scenario(*FLOW, f"bank.vintages={vintages}", *overrides,
                              accounts=per_vintage * vintages, collectors=2, horizon=60)
    return run_replication(scenario, seed=seed)


def _reviews(results: Results) -> pd.DataFrame:
    return results.allocation[results.allocation.event == "review"]


def _final_share(results: Results, agency: str) -> float:
    reviews = _reviews(results)
    last = reviews[reviews.day == reviews.day.max()]
    return float(last[last.agency == agency].share.item())


@pytest.mark.slow
def test_conduct_weighted_scorecard_moves_share_away_from_a_breaching_agency(small_scenario):
    scorecard = 'bank.allocation.metric="scorecard"'
    netback = _run(small_scenario, *CONDUCT_GAP, scorecard,
                   f"bank.allocation.scorecard={NETBACK_ONLY}")
    conduct = _run(small_scenario, *CONDUCT_GAP, scorecard,
                   f"bank.allocation.scorecard={WITH_CONDUCT}")
    # the same seed and the same placements up to the first review: a paired comparison
    first = _reviews(conduct).day.min()
    pd.testing.assert_frame_equal(netback.daily[netback.daily.day < first],
                                  conduct.daily[conduct.daily.day < first])
    # beta breaches more per 1,000 accounts at every review (alpha's controls stop every slip)
    reviews = _reviews(conduct).pivot(index="day", columns="agency",
                                      values="conduct_breaches_per_1000")
    assert (reviews.beta > reviews.alpha).all(), reviews
    # weighted on conduct, beta loses a step at every review down to the floor
    shares = _reviews(conduct).pivot(index="day", columns="agency", values="share")
    np.testing.assert_allclose(shares.beta, [0.3, 0.1, 0.1, 0.1][:len(shares)])
    # on netback alone beta, the better collector, is not moved away: it ends above its start
    assert _final_share(netback, "beta") > 0.5
    assert _final_share(conduct, "beta") < _final_share(netback, "beta")


def test_netback_only_scorecard_moves_share_as_the_netback_metric(small_scenario):
    """A scorecard of netback alone ranks agencies as the netback metric does."""
    by_metric = _run(small_scenario, *CONDUCT_GAP, vintages=3, per_vintage=150)
    by_card = _run(small_scenario, *CONDUCT_GAP, 'bank.allocation.metric="scorecard"',
                   f"bank.allocation.scorecard={NETBACK_ONLY}", vintages=3, per_vintage=150)
    a, b = _reviews(by_metric), _reviews(by_card)
    np.testing.assert_array_equal(a.share.to_numpy(), b.share.to_numpy())
    np.testing.assert_allclose(a.metric.to_numpy(), b.netback_rate.to_numpy())


@pytest.mark.slow
def test_agencies_respond_to_their_standing_after_the_first_review(small_scenario):
    respond = ("agencies.alpha.response={corner_cutting=2.0, coasting=0.5}",
               "agencies.beta.response={corner_cutting=2.0, coasting=0.5}")
    plain = _run(small_scenario, *CONDUCT_GAP[2:], vintages=3, per_vintage=600)
    moved = _run(small_scenario, *CONDUCT_GAP[2:], *respond, vintages=3, per_vintage=600)
    first, second = sorted(_reviews(plain).day.unique())[:2]
    # nothing to respond to before the first review: the same run to the day
    pd.testing.assert_frame_equal(plain.daily[plain.daily.day < first],
                                  moved.daily[moved.daily.day < first])
    at_first = _reviews(plain)[_reviews(plain).day == first].set_index("agency").metric
    last, leader = at_first.idxmin(), at_first.idxmax()
    window = (plain.daily.day >= first) & (plain.daily.day < second)

    def total(results: Results, agency: str, column: str) -> int:
        daily = results.daily
        return int(daily[window & (daily.agency == agency)][column].sum())

    # the agency ranked last cuts corners: its controls catch fewer slips
    before, after = total(plain, last, "breaches"), total(moved, last, "breaches")
    assert after - before > Z * np.sqrt(before + after), (last, before, after)
    # the agency ranked first coasts: half its collectors work elsewhere
    before, after = total(plain, leader, "calls"), total(moved, leader, "calls")
    assert before - after > Z * np.sqrt(before + after), (leader, before, after)


@pytest.mark.slow
def test_run_shows_standings_and_exports_the_scorecard(tmp_path):
    """A run under a scorecard draws the standings figure and its workbook carries every
    review's score, components and component scores."""
    out = tmp_path / "run"
    status, _, err = call(["run", COMPETITION, "--reps", "2", "--out", out, "--set",
                           "portfolio.accounts=600", "--scale-collectors"])
    assert status == 0, err
    assert png_size((out / "standings.png").read_bytes())[0] == WIDTH_PX
    status, _, err = call(["export", out])
    assert (status, err) == (0, "")
    sheet = pd.read_excel(out / "results.xlsx", sheet_name="scorecard", engine="openpyxl")
    history = read_csv(out / "allocation.csv")
    reviews = history[history.event == "review"].reset_index(drop=True)
    assert len(sheet) == len(reviews) == 2 * 2 * 7  # replications × agencies × reviews
    for name in ("netback_rate", "conduct_breaches_per_1000", "complaints_per_1000",
                 "netback_rate_score", "conduct_breaches_score", "complaints_per_1000_score"):
        np.testing.assert_allclose(sheet[name], reviews[name])
    assert set(sheet.measure) == {"scorecard"}
    # two agencies scored against their mean: the scores are opposite
    by_review = sheet.groupby(["replication", "day"]).metric.sum()
    np.testing.assert_allclose(by_review, 0.0, atol=1e-12)


@pytest.mark.slow
def test_a_team_staffed_to_its_book_grows_and_shrinks_with_it(small_scenario):
    """Over three vintages the accounts an agency holds rise as vintages arrive and fall as
    they are recalled; a team staffed to its book (six collectors planned for its half of all
    three) works the client with collectors in proportion, so its collector-hours follow the
    book and its cost falls below a fixed team's, whose hours stay flat."""
    teams = ("agencies.alpha.collectors=6", "agencies.beta.collectors=6")
    staffed = ("agencies.alpha.response={staff_to_book=true}",
               "agencies.beta.response={staff_to_book=true}")
    fixed = _run(small_scenario, *teams, vintages=3, per_vintage=600)
    booked = _run(small_scenario, *teams, *staffed, vintages=3, per_vintage=600)
    for results in (fixed, booked):
        assert results.kpi("accounts") > 1500
    daily = booked.daily[booked.daily.agency == "alpha"].set_index("day")
    paid = daily.staffed_hours[daily.staffed_hours > 0]
    # one vintage of three held at first, more later, then fewer as they are recalled: the
    # team working the client grows by half or more, then shrinks
    assert paid.max() >= 1.5 * paid.iloc[0]
    assert paid.iloc[-1] < paid.max()
    flat = fixed.daily[fixed.daily.agency == "alpha"].set_index("day").staffed_hours
    assert flat[flat > 0].nunique() == 1
    assert booked.kpi("agency_cost", "alpha") < fixed.kpi("agency_cost", "alpha")
