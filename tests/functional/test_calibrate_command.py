"""``collectsim calibrate`` end to end on a small baseline: JSON, the results folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import BASELINE, ROOT, call, write

from sim.experiment.marker import FolderKind, read_marker

pytest.importorskip("pyabc")

PATH = "portfolio.segments.money_management.answer_rate"
TARGETS = """[targets]
accounts = 20000
source = "a test figure"
[targets.kpis]
rpc_rate = 0.2
[targets.curve]
days = [30, 90]
values = [0.05, 0.12]
"""


@pytest.mark.slow
def test_calibrate_writes_posterior_and_folder(tmp_path: Path) -> None:
    targets = write(tmp_path, TARGETS, "targets.toml")
    out = tmp_path / "cal"
    status, stdout, stderr = call([
        "calibrate", BASELINE, "--set", "portfolio.accounts=300", "--scale-collectors",
        "--targets", targets, "--param", f"{PATH}=0.05:0.6", "--budget", "60",
        "--format", "json", "--out", out, "--quiet", "--seed", "5"])
    assert status == 0, stderr
    result = json.loads(stdout)
    post = result["posterior"][PATH]
    assert 0.05 <= post["q05"] <= post["median"] <= post["q95"] <= 0.6
    assert post["sd"] > 0
    assert 60 <= result["simulations"] <= 120
    assert set(result["identifiable"]) == {PATH}
    assert result["correlations"] == {}
    assert read_marker(out) is FolderKind.CALIBRATE
    draws = pd.read_csv(out / "posterior.csv")
    assert list(draws.columns) == [PATH, "weight"]
    assert draws["weight"].sum() == pytest.approx(1.0)
    assert (out / "abc.db").stat().st_size > 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["simulations"] == result["simulations"]
    assert manifest["targets"]["observed"]["recovery_to_date_day_30"] == 0.05


def test_shipped_targets_are_valid() -> None:
    from sim.experiment.targets import load_targets
    for path in sorted((ROOT / "experiments" / "targets").glob("*.toml")):
        assert load_targets(path).names
