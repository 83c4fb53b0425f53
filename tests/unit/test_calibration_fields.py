"""Calibration parameters: one field by path, or a common factor on every field a pattern
matches (``scale:portfolio.segments.*.answer_rate``), which keeps the fields' ratios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import BASELINE, write

from sim.config.loading import ScenarioError, load_scenario
from sim.experiment.calibrate import Calibration, Prior, ScenarioSimulator, check_priors
from sim.experiment.calibrated import calibrated_toml, calibration_badge
from sim.experiment.fields import assignments, matching_fields, overrides_for

ANSWERS = "scale:portfolio.segments.*.answer_rate"
SEGMENTS = ("money_management", "income_shock", "misunderstanding")


def test_a_wildcard_matches_every_segment_and_every_agency_by_name():
    scenario = load_scenario(BASELINE)
    answers = matching_fields(scenario, "portfolio.segments.*.answer_rate")
    assert set(answers) == {f"portfolio.segments.{s}.answer_rate" for s in SEGMENTS}
    for name, value in answers.items():
        assert value == scenario.portfolio.segments[name.split(".")[2]].answer_rate
    collectors = matching_fields(scenario, "agencies.*.collectors")
    assert collectors == {f"agencies.{a.name}.collectors": a.collectors
                          for a in scenario.agencies}
    assert matching_fields(scenario, "portfolio.segments.*.no_such_field") == {}
    assert matching_fields(scenario, "portfolio.segments.*") == {}  # tables, not numbers


def test_a_factor_multiplies_each_field_and_keeps_their_ratios():
    scenario = load_scenario(BASELINE)
    base = matching_fields(scenario, "portfolio.segments.*.answer_rate")
    scaled = assignments(scenario, ANSWERS, 1.25)
    assert scaled == pytest.approx({k: 1.25 * v for k, v in base.items()})
    mm, shock = (f"portfolio.segments.{s}.answer_rate" for s in SEGMENTS[:2])
    assert scaled[mm] / scaled[shock] == pytest.approx(base[mm] / base[shock])
    # an integer field is rounded; a plain path sets its own value
    assert assignments(scenario, "scale:agencies.*.collectors", 1.5) == {
        f"agencies.{a.name}.collectors": round(1.5 * a.collectors) for a in scenario.agencies}
    assert assignments(scenario, "portfolio.apr", 0.2) == {"portfolio.apr": 0.2}
    moved = load_scenario(BASELINE, overrides_for(scenario, {ANSWERS: 1.25}))
    for segment in SEGMENTS:
        assert moved.portfolio.segments[segment].answer_rate == pytest.approx(
            1.25 * scenario.portfolio.segments[segment].answer_rate)


def test_factor_priors_are_checked_in_one_line():
    with pytest.raises(ScenarioError, match="matches no numeric field"):
        check_priors(BASELINE, (), [Prior("scale:portfolio.segments.*.nothing", 0.5, 2.0)])
    # the upper end would put an answer rate above 1
    with pytest.raises(ScenarioError, match="answer_rate"):
        check_priors(BASELINE, (), [Prior(ANSWERS, 0.5, 4.0)])
    overlap = [Prior(ANSWERS, 0.5, 1.5),
               Prior("portfolio.segments.income_shock.answer_rate", 0.1, 0.5)]
    with pytest.raises(ScenarioError, match="sets a field another parameter sets"):
        check_priors(BASELINE, (), overlap)
    check_priors(BASELINE, (), [Prior(ANSWERS, 0.5, 1.8)])


def test_a_factor_moves_what_the_simulation_measures():
    simulate = ScenarioSimulator(BASELINE, ("portfolio.accounts=300", "scenario.horizon_days=20"),
                                 ("rpc_rate",), seed=5, scale_collectors=True)
    low = simulate({ANSWERS: 0.5}, 1)["rpc_rate"]
    high = simulate({ANSWERS: 1.8}, 1)["rpc_rate"]
    assert high > 1.5 * low


def test_calibrated_scenario_sets_each_matched_field_at_the_median_factor(tmp_path: Path):
    draws = pd.DataFrame({ANSWERS: np.linspace(1.1, 1.3, 21)})
    draws["weight"] = 1 / 21
    result = Calibration([Prior(ANSWERS, 0.8, 2.0)], draws, 100)
    out = tmp_path / "cal"
    out.mkdir()
    targets = write(tmp_path, "[targets]\n", "targets.toml")
    text = calibrated_toml(result, load_scenario(BASELINE), BASELINE, targets, "a survey", out)
    calibrated = load_scenario(write(out, text, "calibrated.toml"))
    base = load_scenario(BASELINE)
    badge = calibration_badge(calibrated)
    for segment in SEGMENTS:
        path = f"portfolio.segments.{segment}.answer_rate"
        expected = 1.2 * base.portfolio.segments[segment].answer_rate
        assert calibrated.portfolio.segments[segment].answer_rate == pytest.approx(expected)
        assert badge[path]["uses_calibrated_value"] is True
        assert badge[path]["q05"] < expected < badge[path]["q95"]
