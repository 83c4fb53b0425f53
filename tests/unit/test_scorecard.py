"""The balanced scorecard's arithmetic and validation, and how agencies respond to standing.

A review compares agencies like for like (vintage by vintage, on the vintages every agency
holds, with weights common to all), scores each component relative to the agencies' mean with
the sign of the KPI's direction, and takes the weighted mean. An agency reads its standing at
the last review and responds along the straight lines of ``[agencies.response]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import BASELINE

from sim.config.errors import ScenarioError
from sim.config.loading import load_scenario
from sim.config.schema import Agency, Scorecard
from sim.model.agency.response import Standing, respond
from sim.model.bank.scorecard import (
    COMPONENTS,
    MEASURES,
    like_for_like,
    relative_scores,
    score_scorecard,
    weighted_score,
)
from sim.model.kpis import BY_NAME, Direction

PERFORMANCE = ['bank.placement="flow"', "bank.vintages=3", 'bank.allocation.method="performance"']


def test_like_for_like_weights_only_vintages_every_agency_holds() -> None:
    # agency 0 holds vintages 0-2, agency 1 only 0 and 1: vintage 2 is left out, and the
    # vintages are weighted by their total denominator (10 + 30 and 20 + 20), common to both
    numerator = np.array([[5.0, 2.0, 9.0], [3.0, 10.0, 0.0]])
    denominator = np.array([[10.0, 20.0, 30.0], [30.0, 20.0, 0.0]])
    got = like_for_like(numerator, denominator)
    want = [(0.5 * 40 + 0.1 * 40) / 80, (0.1 * 40 + 0.5 * 40) / 80]
    np.testing.assert_allclose(got, want)


def test_like_for_like_is_missing_without_a_shared_vintage() -> None:
    got = like_for_like(np.ones((2, 2)), np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert np.isnan(got).all()


def test_relative_scores_turn_with_the_direction() -> None:
    values = np.array([0.10, 0.20, 0.30])
    np.testing.assert_allclose(relative_scores(values, Direction.HIGHER), [-0.5, 0.0, 0.5],
                               atol=1e-12)
    np.testing.assert_allclose(relative_scores(values, Direction.LOWER), [0.5, 0.0, -0.5],
                               atol=1e-12)


def test_relative_scores_of_a_zero_mean_and_of_a_missing_value() -> None:
    np.testing.assert_array_equal(relative_scores(np.zeros(2), Direction.LOWER), [0.0, 0.0])
    assert np.isnan(relative_scores(np.array([1.0, np.nan]), Direction.HIGHER)).all()


def test_weighted_score_renormalises_over_measured_components() -> None:
    scaled = {"a": np.array([0.2, -0.2]), "b": np.array([-0.1, 0.1]),
              "c": np.array([np.nan, np.nan])}
    got = weighted_score(scaled, {"a": 1.0, "b": 3.0, "c": 5.0})
    np.testing.assert_allclose(got, [(0.2 - 0.3) / 4, (-0.2 + 0.3) / 4])
    assert np.isnan(weighted_score({"c": scaled["c"]}, {"c": 1.0})).all()


def test_conduct_weight_can_reverse_a_netback_ranking() -> None:
    # agency 0 nets 10% more but breaches twice as often as agency 1
    components = {"netback_rate": np.array([0.11, 0.10]),
                  "conduct_breaches": np.array([20.0, 10.0])}
    netback_only = score_scorecard(components, Scorecard(netback_rate=1.0))
    assert netback_only.score[0] > netback_only.score[1]
    balanced = score_scorecard(components, Scorecard(netback_rate=1.0, conduct_breaches=1.0))
    np.testing.assert_allclose(balanced.scaled["conduct_breaches"], [-1 / 3, 1 / 3])
    np.testing.assert_allclose(balanced.score, [(0.1 / 2.1 - 1 / 3) / 2,
                                                (-0.1 / 2.1 + 1 / 3) / 2])
    assert balanced.score[1] > balanced.score[0]


def test_every_component_is_a_kpi_with_a_direction_and_a_measure() -> None:
    for name in COMPONENTS:
        assert BY_NAME[name].direction is not Direction.NEITHER, name
        assert name in MEASURES, name


@pytest.mark.parametrize(("sets", "field", "words"), [
    (['bank.allocation.metric="scorecard"'], "bank.allocation.scorecard", "needs"),
    (["bank.allocation.scorecard={netback_rate=1.0}"], "bank.allocation.scorecard",
     "only with metric"),
    (['bank.allocation.metric="scorecard"', "bank.allocation.scorecard={netback_rate=0.0}"],
     "bank.allocation.scorecard", "at least one positive"),
    (['bank.allocation.metric="scorecard"', "bank.allocation.scorecard={netback_rate=-1.0}"],
     "bank.allocation.scorecard.netback_rate", "-1"),
    (['bank.allocation.metric="scorecard"', "bank.allocation.scorecard={netbak_rate=1.0}"],
     "bank.allocation.scorecard", "netbak_rate"),
])
def test_bad_scorecard_is_one_plain_error(sets: list[str], field: str, words: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(Path(BASELINE), [*PERFORMANCE, *sets])
    lines = info.value.lines()
    assert len(lines) == 1, lines
    assert field in lines[0] and words in lines[0], lines[0]


def test_scorecard_weights_load_and_keep_their_order() -> None:
    scenario = load_scenario(Path(BASELINE), [
        *PERFORMANCE, 'bank.allocation.metric="scorecard"',
        "bank.allocation.scorecard={conduct_breaches=2.0, netback_rate=1.0}"])
    scorecard = scenario.bank.allocation.scorecard
    assert scorecard is not None
    assert scorecard.weights() == {"netback_rate": 1.0, "conduct_breaches": 2.0}


# --------------------------------------------------------------------------- responses

RESPONDS = Agency(name="a", collectors=20, compliance=0.9, max_attempts_per_day=2,
                  response={"corner_cutting": 1.5, "extra_attempts": 4.0, "coasting": 0.25})


def test_standing_reads_rank_and_share_at_stake() -> None:
    last = Standing(rank=0.0, share=0.4, step=0.1)
    assert (last.behind, last.lead, last.at_stake) == (1.0, 0.0, 0.25)
    assert last.pressure == 0.25
    middle = Standing(rank=0.5, share=0.4, step=0.1)
    assert middle.pressure == middle.lead == 0.0
    assert Standing(rank=0.0, share=0.05, step=0.1).at_stake == 1.0
    assert Standing(rank=1.0, share=0.6, step=0.1).lead == 1.0


def test_agency_behind_cuts_corners_and_dials_harder() -> None:
    effort = respond(RESPONDS, 0.9, Standing(rank=0.0, share=0.5, step=0.1))
    # pressure = 1 behind × 0.1 / 0.5 at stake = 0.2
    assert effort.compliance == pytest.approx(0.9 - 1.5 * 0.2)
    assert effort.attempts == 2 + round(4.0 * 0.2)
    assert effort.collectors == 20


def test_agency_ahead_coasts() -> None:
    effort = respond(RESPONDS, 0.9, Standing(rank=1.0, share=0.5, step=0.1))
    assert (effort.compliance, effort.attempts) == (0.9, 2)
    assert effort.collectors == round(20 * (1 - 0.25))


def test_compliance_stops_at_zero_and_starts_from_the_days_own() -> None:
    hard = RESPONDS.model_copy(update={"response": RESPONDS.response.model_copy(
        update={"corner_cutting": 5.0})})
    assert respond(hard, 0.9, Standing(rank=0.0, share=0.1, step=0.1)).compliance == 0.0
    # the compliance of an agency behind its own target falls from there
    effort = respond(RESPONDS, 0.6, Standing(rank=0.0, share=0.5, step=0.1))
    assert effort.compliance == pytest.approx(0.6 - 0.3)


@pytest.mark.parametrize("standing", [None, Standing(rank=0.0, share=0.2, step=0.1),
                                      Standing(rank=1.0, share=0.8, step=0.1)])
def test_no_response_table_keeps_the_profile(standing: Standing | None) -> None:
    plain = Agency(name="b", collectors=7, compliance=0.8, max_attempts_per_day=3)
    effort = respond(plain, 0.8, standing)
    assert (effort.compliance, effort.attempts, effort.collectors) == (0.8, 3, 7)
    assert respond(RESPONDS, 0.9, None).collectors == 20


def test_a_team_staffed_to_its_book_follows_the_accounts_it_holds() -> None:
    """``collectors`` are planned for the agency's starting share of every account placed: the
    team working the client is that times the accounts held over those planned, at least one
    while it holds any, none with an empty book; coasting applies on top."""
    booked = Agency(name="a", share=0.5, collectors=20,
                    response={"staff_to_book": True, "coasting": 0.5})
    assert respond(booked, 0.9, None, book=0.5).collectors == 10
    assert respond(booked, 0.9, None, book=1.6).collectors == 32
    assert respond(booked, 0.9, None, book=0.01).collectors == 1
    assert respond(booked, 0.9, None, book=0.0).collectors == 0
    assert respond(booked, 0.9, None, book=None).collectors == 20  # not measured: as planned
    leading = Standing(rank=1.0, share=0.7, step=0.1)
    assert respond(booked, 0.9, leading, book=1.4).collectors == 14
    fixed = Agency(name="b", share=0.5, collectors=20)
    assert respond(fixed, 0.9, None, book=0.5).collectors == 20
