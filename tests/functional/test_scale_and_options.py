"""``--scale-collectors`` on the commands that take ``--set``, and ``table`` and ``sweep``
taking ``--set`` and ``--reps``, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from support import BASELINE, GOOD_EXPERIMENT, call, write

from sim.config.capacity import scaled_collectors
from sim.config.loading import load_scenario

FILE = load_scenario(BASELINE)
SHORT = ["--set", "scenario.horizon_days=3"]


def test_run_scales_collectors_into_its_results(tmp_path: Path) -> None:
    out = tmp_path / "run"
    status, _, err = call(["run", BASELINE, "--set", "portfolio.accounts=400", *SHORT,
                           "--scale-collectors", "--out", out, "--quiet", "--no-figures",
                           "--format", "json"])
    assert status == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    ratio = 400 / FILE.portfolio.accounts
    assert [a["collectors"] for a in manifest["scenario"]["agencies"]] == [
        scaled_collectors(a.collectors, ratio) for a in FILE.agencies]


@pytest.mark.slow
def test_validate_and_compare_take_the_option(tmp_path: Path) -> None:
    status, out, _ = call(["validate", BASELINE, "--set", "portfolio.accounts=400",
                           "--scale-collectors"])
    assert status == 0 and "valid scenario" in out
    out = tmp_path / "cmp"
    status, _, err = call(["compare", BASELINE, BASELINE.parent / "aggressive_tone.toml",
                           "--reps", "2", "--set", "portfolio.accounts=200", *SHORT,
                           "--scale-collectors", "--backend", "serial", "--quiet",
                           "--out", out])
    assert status == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["scenarios"]:
        file = load_scenario(entry["file"])
        ratio = 200 / file.portfolio.accounts
        assert [a["collectors"] for a in entry["scenario"]["agencies"]] == [
            scaled_collectors(a.collectors, ratio) for a in file.agencies]


def test_table_takes_set_and_reps() -> None:
    status, out, err = call(["table", BASELINE, "--reps", "2", "--workers", "1",
                             "--set", "portfolio.accounts=120",
                             *SHORT, "--scale-collectors", "--metric", "recovery_rate",
                             "--format", "json"])
    assert status == 0, err
    rows = json.loads(out)
    assert [(r["scenario"], r["metric"], r["reps"]) for r in rows] == [
        ("baseline", "recovery_rate", 2)]


def test_sweep_takes_set_and_reps(tmp_path: Path) -> None:
    experiment = write(tmp_path, GOOD_EXPERIMENT)
    out = tmp_path / "sweep"
    status, _, err = call(["sweep", experiment, "--reps", "1", *SHORT, "--backend", "serial",
                           "--quiet", "--out", out])
    assert status == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["experiment"]["experiment"]["experiment"]["replications"] == 1
    assert manifest["experiment"]["base_scenario"]["scenario"]["horizon_days"] == 3
    runs = pd.read_csv(out / "runs.csv")
    assert sorted(set(zip(runs["point"], runs["replication"], strict=True))) == [(0, 0), (1, 0)]


def test_sweep_refuses_bad_reps_and_bad_set(tmp_path: Path) -> None:
    experiment = write(tmp_path, GOOD_EXPERIMENT)
    status, _, err = call(["sweep", experiment, "--reps", "0", "--out", tmp_path / "x"])
    assert status == 2 and err.startswith("error: --reps: must be at least 1")
    status, _, err = call(["sweep", experiment, "--set", "portfolio.accounts=0",
                           "--out", tmp_path / "x"])
    assert status == 2
    assert err == "error: --set: portfolio.accounts: must be at least 1 (got 0)\n"
    assert not (tmp_path / "x").exists()


SCALED_EXPERIMENT = f"""
[experiment]
name = "scaled"
scenario = "{BASELINE}"
replications = 1
metrics = ["recovery_rate"]

[design]
kind = "grid"

[[factors]]
path = "agencies.alpha.tone"
levels = [0.2, 0.8]
"""


def _scaled(accounts: int) -> list[int]:
    ratio = accounts / FILE.portfolio.accounts
    return [scaled_collectors(a.collectors, ratio) for a in FILE.agencies]


@pytest.mark.slow
def test_sweep_and_optimise_take_the_option(tmp_path: Path) -> None:
    assert _scaled(400) != [a.collectors for a in FILE.agencies]  # the option changes them
    size = ["--set", "portfolio.accounts=400", *SHORT, "--scale-collectors"]
    experiment = write(tmp_path, SCALED_EXPERIMENT)
    status, _, err = call(["sweep", experiment, *size, "--backend", "serial", "--quiet",
                           "--out", tmp_path / "sweep"])
    assert status == 0, err
    manifest = json.loads((tmp_path / "sweep" / "manifest.json").read_text())
    base = manifest["experiment"]["base_scenario"]
    assert [a["collectors"] for a in base["agencies"]] == _scaled(400)
    status, _, err = call(["optimise", BASELINE, *size, "--lever", "agencies.alpha.tone=0.2:0.8",
                           "--kpi", "netback_rate", "--budget", "2", "--reps", "2",
                           "--keep", "2", "--workers", "1", "--quiet",
                           "--out", tmp_path / "optimised"])
    assert status == 0, err
    manifest = json.loads((tmp_path / "optimised" / "manifest.json").read_text())
    assert manifest["scale_collectors"] is True
    assert [a["collectors"] for a in manifest["scenario"]["scenario"]["agencies"]] == _scaled(400)
