"""``calibrated.toml``: a scenario that extends the calibrated one at the posterior medians,
and the badge a scenario that inherits its ``[calibration]`` table carries."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import BASELINE, write

from sim.config.loading import ScenarioError, load_scenario, scenario_hash
from sim.experiment.calibrate import Calibration, Prior
from sim.experiment.calibrated import calibrated_toml, calibration_badge

ANSWER = "portfolio.segments.money_management.answer_rate"
COLLECTORS = "agencies.alpha.collectors"
TONE = "behaviour.stage.tone_keep"


def _calibration() -> Calibration:
    rng = np.random.default_rng(1)
    draws = pd.DataFrame({ANSWER: rng.uniform(0.30, 0.34, 40),
                          COLLECTORS: rng.uniform(30.0, 33.0, 40),
                          TONE: rng.uniform(-1.0, 0.0, 40)})
    draws["weight"] = 1 / 40
    return Calibration([Prior(ANSWER, 0.1, 0.6), Prior(COLLECTORS, 10, 60),
                        Prior(TONE, -1.2, 0.0)], draws, 400)


def _write(tmp_path: Path) -> tuple[Path, Calibration]:
    out = tmp_path / "results" / "cal"
    out.mkdir(parents=True)
    targets = write(tmp_path, "[targets]\n", "targets.toml")
    result = _calibration()
    text = calibrated_toml(result, load_scenario(BASELINE), BASELINE, targets, "a survey", out,
                           ["portfolio.accounts=300"])
    return write(out, text, "calibrated.toml"), result


def test_calibrated_scenario_sets_the_medians_and_extends_by_relative_path(tmp_path):
    path, result = _write(tmp_path)
    text = path.read_text()
    relative = os.path.relpath(BASELINE, path.parent)
    assert f'extends = "{relative}"' in text and relative.startswith("../")
    assert "--set portfolio.accounts=300" in text
    scenario = load_scenario(path)
    base = load_scenario(BASELINE)
    post = result.posterior()
    assert scenario.portfolio.segments["money_management"].answer_rate == post[ANSWER]["median"]
    alpha = next(a for a in scenario.agencies if a.name == "alpha")
    assert alpha.collectors == round(post[COLLECTORS]["median"])  # an integer field
    assert scenario.behaviour.stage.tone_keep == post[TONE]["median"]
    assert scenario.portfolio.accounts == base.portfolio.accounts  # --set not applied
    assert [a.name for a in scenario.agencies] == [a.name for a in base.agencies]
    # provenance changes nothing the model runs, so the hash is that of the same values
    assert scenario.calibration is not None
    same = scenario.model_copy(update={"calibration": None})
    assert scenario_hash(scenario) == scenario_hash(same)


def test_badge_names_targets_and_notices_an_override(tmp_path):
    path, _ = _write(tmp_path)
    badge = calibration_badge(load_scenario(path))
    shipped = set(calibration_badge(load_scenario(BASELINE)))  # the baseline's own calibration
    assert set(badge) == {ANSWER, COLLECTORS, TONE} | shipped
    assert all(entry["uses_calibrated_value"] for entry in badge.values())
    assert badge[ANSWER]["targets"] == "../../targets.toml"
    assert badge[ANSWER]["source"] == "a survey"
    assert badge[TONE]["identified"] is False and badge[ANSWER]["identified"] is True
    child = write(tmp_path, 'extends = "results/cal/calibrated.toml"\n'
                  "[portfolio.segments.money_management]\nanswer_rate = 0.5\n", "child.toml")
    inherited = calibration_badge(load_scenario(child))
    assert inherited[ANSWER]["uses_calibrated_value"] is False
    assert inherited[ANSWER]["value"] == 0.5
    assert inherited[TONE]["uses_calibrated_value"] is True
    # the shipped baseline records its calibrated reason-profile values, all in use
    own = calibration_badge(load_scenario(BASELINE))
    assert {p.rsplit(".", 1)[1] for p in own} == {"answer_rate", "complaint_sensitivity"}
    assert all(entry["uses_calibrated_value"] for entry in own.values())
    assert all(entry["targets"] == "../experiments/targets/industry.toml"
               for entry in own.values())


def test_calibration_table_is_checked(tmp_path):
    path = write(tmp_path, f'extends = "{BASELINE}"\n'
                 '[calibration.parameters."portfolio.apr"]\ntargets = "t.toml"\n'
                 "median = 0.2\nq05 = 0.1\n", "bad.toml")
    with pytest.raises(ScenarioError, match=r"calibration\.parameters\.portfolio\.apr\.q95"):
        load_scenario(path)
