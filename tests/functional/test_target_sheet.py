"""``collectsim check targets``: a scenario's simulated figures beside a targets file's, each
with the interval its sampling error allows, and whether the scenario reproduces it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import BASELINE, assert_bad_input, call, write

from sim.config.loading import ScenarioError, load_scenario
from sim.experiment.target_sheet import Z95, target_sheet
from sim.experiment.targets import load_targets, sampling_sd
from sim.model.kpis import Unit

SMALL = ["--set", "portfolio.accounts=400", "--set", "scenario.horizon_days=30",
         "--scale-collectors"]
SMALL_OVERRIDES = ["portfolio.accounts=400", "scenario.horizon_days=30"]


def _targets(tmp_path: Path, rpc: float, complaints: float, accounts: int = 20_000) -> Path:
    return write(tmp_path, f"""[targets]
accounts = {accounts}
source = "a bank's MI"
[targets.kpis]
rpc_rate = {rpc}
complaints_per_1000 = {complaints}
[targets.curve]
days = [10, 30]
values = [0.01, 0.03]
[targets.sources]
rpc_rate = "dialler reports"
""", "bank.toml")


def _measured(tmp_path: Path) -> dict[str, float]:
    """The small baseline's own means over two replications, by figure."""
    scenario = load_scenario(BASELINE, SMALL_OVERRIDES, scale_collectors=True)
    rows = target_sheet(scenario, load_targets(_targets(tmp_path, 0.2, 5.0)), 2, None)
    return {row.name: row.simulated for row in rows}


def test_a_scenario_reproduces_its_own_figures_and_not_distant_ones(tmp_path: Path) -> None:
    measured = _measured(tmp_path)
    own = _targets(tmp_path, round(measured["rpc_rate"], 4),
                   round(measured["complaints_per_1000"], 3) or 0.5, accounts=400)
    status, out, _ = call(["check", "targets", BASELINE, "--targets", own, "--reps", "2",
                           "--workers", "1", "--format", "json", *SMALL])
    assert status == 0
    report = json.loads(out)
    rows = {row["name"]: row for row in report["rows"]}
    assert list(rows) == ["rpc_rate", "complaints_per_1000", "recovery_to_date_day_10",
                          "recovery_to_date_day_30"]
    assert rows["rpc_rate"]["reproduced"] is True
    assert rows["rpc_rate"]["simulated"]["mean"] == pytest.approx(measured["rpc_rate"])
    assert rows["rpc_rate"]["source"] == "dialler reports"
    assert rows["complaints_per_1000"]["source"] == "a bank's MI"  # the file's, by default
    sd = sampling_sd(Unit.SHARE, rows["rpc_rate"]["observed"], 400)
    low, high = rows["rpc_rate"]["interval"]
    assert (low, high) == pytest.approx((rows["rpc_rate"]["observed"] - Z95 * sd,
                                         rows["rpc_rate"]["observed"] + Z95 * sd))
    assert "day 30 of the placement" in rows["recovery_to_date_day_30"]["definition"]
    # a contact rate twice the model's, measured on 20,000 accounts, is not reproduced
    far = _targets(tmp_path, min(0.95, 2 * measured["rpc_rate"]), 5.0)
    status, out, _ = call(["check", "targets", BASELINE, "--targets", far, "--reps", "2",
                           "--workers", "1", *SMALL])
    assert status == 0
    rpc_line = next(line for line in out.splitlines() if line.startswith("| `rpc_rate` |"))
    assert rpc_line.endswith("| no |")
    assert out.strip().splitlines()[-1].startswith("reproduced ")


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    good = _targets(tmp_path, 0.2, 5.0)
    assert_bad_input(*call(["check", "targets", BASELINE, "--targets", good, "--reps", "0"]),
                     "--reps", "1 to 1000")
    stray = write(tmp_path, good.read_text() + 'ptp_rate = "no such figure"\n', "stray.toml")
    assert_bad_input(*call(["check", "targets", BASELINE, "--targets", stray]),
                     "stray.toml: targets.sources.ptp_rate: names no figure")
    with pytest.raises(ScenarioError, match=r"targets\.sources\.ptp_rate"):
        load_targets(stray)
