"""``collectsim calibrate`` end to end on a small baseline: JSON, the results folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from support import BASELINE, PNG_MAGIC, TINY, call, write

from sim.config.loading import load_scenario
from sim.experiment.calibrated import calibration_badge
from sim.experiment.marker import FolderKind, read_marker

pytest.importorskip("pyabc")

PATH = "portfolio.segments.money_management.answer_rate"
TARGETS = """[targets]
accounts = 20000
source = "a test figure"
[targets.kpis]
rpc_rate = 0.2
[targets.curve]
days = [10, 30]
values = [0.01, 0.03]
"""


@pytest.mark.slow
def test_calibrate_writes_posterior_and_folder(tmp_path: Path) -> None:
    targets = write(tmp_path, TARGETS, "targets.toml")
    out = tmp_path / "cal"
    status, stdout, stderr = call([
        "calibrate", BASELINE, "--set", "portfolio.accounts=300", "--scale-collectors",
        "--set", "scenario.horizon_days=30",
        "--targets", targets, "--param", f"{PATH}=0.05:0.6", "--budget", "60",
        "--predictive", "4", "--holdout-budget", "30", "--format", "json", "--out", out,
        "--quiet", "--seed", "5", "--workers", "1"])
    assert status == 0, stderr
    result = json.loads(stdout)
    post = result["posterior"][PATH]
    assert 0.05 <= post["q05"] <= post["median"] <= post["q95"] <= 0.6
    assert post["sd"] > 0
    # generations stop once the next is expected to carry the total past the budget
    assert 30 <= result["simulations"] <= 90
    assert set(result["identifiable"]) == {PATH}
    assert result["correlations"] == {} and result["ridges"] == []
    assert read_marker(out) is FolderKind.CALIBRATE
    assert json.loads((out / "summary.json").read_text()) == result
    draws = pd.read_parquet(out / "posterior.parquet")
    assert list(draws.columns) == [PATH, "weight"]
    assert draws["weight"].sum() == pytest.approx(1.0)
    assert (out / "abc.db").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["simulations"] == result["simulations"]
    assert manifest["targets"]["observed"]["recovery_to_date_day_10"] == 0.01
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["generation"]) == list(range(len(generations)))
    assert (generations["accepted"] / generations["simulations"]).tolist() == pytest.approx(
        generations["acceptance_rate"].tolist())
    # the posterior predictive: 4 draws on fresh replications, every target simulated
    predictive = pd.read_csv(out / "predictive.csv")
    fit = predictive[predictive["fit"] == "all"]
    assert len(fit) == 4 and fit["replication"].min() >= 1_000_000
    assert set(result["predictive"]) == {"rpc_rate", "recovery_to_date_day_10",
                                         "recovery_to_date_day_30"}
    band = result["predictive"]["rpc_rate"]
    assert band["inside"] == (band["q05"] <= 0.2 <= band["q95"])
    # the holdout check: fitted without day 30, which is then predicted
    holdout = result["holdout"]
    assert holdout["target"] == "recovery_to_date_day_30" and holdout["observed"] == 0.03
    assert holdout["q05"] <= holdout["median"] <= holdout["q95"]
    assert len(predictive[predictive["fit"] == "holdout"]) == 4
    # calibrated.toml extends the scenario by relative path and sets the median
    text = (out / "calibrated.toml").read_text()
    assert f'extends = "{os.path.relpath(BASELINE, out)}"' in text
    calibrated = load_scenario(out / "calibrated.toml")
    assert calibrated.portfolio.segments["money_management"].answer_rate == post["median"]
    assert calibrated.portfolio.accounts == load_scenario(BASELINE).portfolio.accounts
    badge = calibration_badge(calibrated)
    assert badge[PATH]["uses_calibrated_value"] is True
    assert badge[PATH]["source"] == "a test figure"
    assert (out / badge[PATH]["targets"]).resolve() == targets.resolve()
    # the report: the answer, the checks and three figures, all from the folder
    page = (out / "report.html").read_text()
    for fragment in ("Calibration report", PATH, "posterior predictive", "Holdout",
                     "calibrated.toml", "Generations"):
        assert fragment in page, fragment
    for name in ("calibration_targets.png", "calibration_posterior.png",
                 "calibration_traces.png"):
        assert (out / name).read_bytes().startswith(PNG_MAGIC)
    assert page.count("data:image/png;base64,") == 3
    (out / "report.html").unlink()
    assert call(["report", out])[0] == 0 and (out / "report.html").is_file()


@pytest.mark.slow
def test_a_run_of_a_calibrated_scenario_carries_the_badge(tmp_path: Path) -> None:
    """A scenario extending calibrated.toml: the run's manifest and report name the calibrated
    values and their targets; a value changed with --set is marked as overridden."""
    import numpy as np

    from sim.experiment.calibrate import Calibration, Prior
    from sim.experiment.calibrated import calibrated_toml

    folder = tmp_path / "cal"
    folder.mkdir()
    targets = write(tmp_path, TARGETS, "bank.toml")
    draws = pd.DataFrame({PATH: np.linspace(0.30, 0.34, 20), "weight": np.full(20, 0.05)})
    text = calibrated_toml(Calibration([Prior(PATH, 0.05, 0.6)], draws, 100),
                           load_scenario(BASELINE), BASELINE, targets, "a test figure", folder)
    write(folder, text, "calibrated.toml")
    mine = write(tmp_path, 'extends = "cal/calibrated.toml"\n[scenario]\nname = "mine"\n',
                 "mine.toml")
    out = tmp_path / "run"
    status, _, stderr = call(["run", mine, *TINY, "--reps", "1", "--no-figures", "--quiet",
                              "--out", out])
    assert status == 0, stderr
    badge = json.loads((out / "manifest.json").read_text())["calibration"]
    assert badge[PATH]["targets"] == "../bank.toml"
    assert badge[PATH]["median"] == pytest.approx(0.32)
    assert badge[PATH]["uses_calibrated_value"] is True
    assert call(["report", out])[0] == 0
    page = (out / "report.html").read_text()
    assert "class='calibrated'>calibrated</span>" in page and PATH in page
    assert "a test figure" in page and "overridden" not in page

    status, _, stderr = call(["run", mine, *TINY, "--reps", "1", "--no-figures", "--quiet",
                              "--set", f"{PATH}=0.5", "--out", tmp_path / "run2"])
    assert status == 0, stderr
    badge = json.loads((tmp_path / "run2" / "manifest.json").read_text())["calibration"]
    assert badge[PATH]["uses_calibrated_value"] is False and badge[PATH]["value"] == 0.5
    assert call(["report", tmp_path / "run2"])[0] == 0
    assert "overridden" in (tmp_path / "run2" / "report.html").read_text()
