"""Notes on settings that do nothing reach the results: ``run`` prints them and keeps them in
the manifest, ``compare`` prints those of each scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.config.loading import load_scenario
from sim.config.notes import scenario_notes

REPO = Path(__file__).resolve().parents[2]


def test_run_keeps_the_notes_in_the_manifest(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    baseline = REPO / "scenarios" / "baseline.toml"
    code = main(["run", str(baseline), "--out", str(out), "--quiet", "--no-figures",
                 "--set", 'behaviour.model="hawkes"', "--set", "portfolio.accounts=300",
                 "--set", "agencies.alpha.collectors=1", "--set", "agencies.beta.collectors=1",
                 "--set", "scenario.horizon_days=10"])
    assert code == 0
    assert "note: " in capsys.readouterr().err
    notes = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["notes"]
    assert len(notes) == 1 and "hawkes" in notes[0]


def test_compare_prints_the_notes_of_each_scenario(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    baseline = REPO / "scenarios" / "baseline.toml"
    hawkes = tmp_path / "hawkes.toml"
    hawkes.write_text(f'extends = "{baseline.as_posix()}"\n[scenario]\nname = "hawkes"\n'
                      '[behaviour]\nmodel = "hawkes"\n', encoding="utf-8")
    code = main(["compare", str(baseline), str(hawkes), "--reps", "2", "--backend", "serial",
                 "--quiet", "--set", "portfolio.accounts=200", "--set", "scenario.horizon_days=5",
                 "--set", "agencies.alpha.collectors=1", "--set", "agencies.beta.collectors=1"])
    assert code == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    outside = [line for line in notes if "extends reads" in line]  # the baseline is elsewhere
    assert len(outside) == 1 and str(baseline) in outside[0]
    assert [line for line in notes if line not in outside] \
        == [f"note: {hawkes}: " + scenario_notes(load_scenario(hawkes))[0]]
