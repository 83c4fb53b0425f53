"""Notes on settings that do nothing: listed by sim.config.notes and printed by validate;
no shipped scenario has one it does not mean to have. That ``run`` keeps them in the manifest
and ``compare`` prints them is tested in ``tests/functional/test_notes_in_results.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.main import main
from sim.config.loading import load_scenario
from sim.config.notes import scenario_notes

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.toml"))


def test_the_baseline_has_no_notes(small_scenario) -> None:
    assert scenario_notes(small_scenario()) == []


def test_hawkes_names_what_it_ignores(small_scenario) -> None:
    notes = scenario_notes(small_scenario('behaviour.model="hawkes"'))
    assert len(notes) == 1
    for word in ("hawkes", "promises", "settlement", "self_cure_rate", "promise_keep"):
        assert word in notes[0]


def test_champion_challenger_names_the_agency_left_out(tmp_path: Path) -> None:
    path = tmp_path / "three.toml"
    path.write_text(f'extends = "{(REPO / "scenarios" / "champion_challenger.toml").as_posix()}"\n'
                    '[[agencies]]\nname = "gamma"\ncollectors = 4\n', encoding="utf-8")
    notes = scenario_notes(load_scenario(path))
    assert notes == ["bank.allocation: champion_challenger places accounts only with alpha and "
                     "beta; gamma receive none at placement"]
    # an agency kept for the second placement is not left out
    second = load_scenario(path, ['bank.second_placement="gamma"',
                                  "agencies.gamma.commission=0.3"])
    assert not any("champion_challenger" in note for note in scenario_notes(second))


def test_screening_with_tiers_says_which_rate_it_uses(small_scenario) -> None:
    scenario = small_scenario("agencies.alpha.min_expected_fee=5.0",
                              "agencies.alpha.commission_tiers=[{recovery_at_least=0.2, rate=0.3}]")
    notes = scenario_notes(scenario)
    assert len(notes) == 1 and notes[0].startswith("agencies.alpha: expected-fee screening")
    assert "base commission" in notes[0]


def test_cure_bonus_after_charge_off_says_it_pays_nothing(small_scenario) -> None:
    assert scenario_notes(small_scenario("agencies.alpha.cure_bonus=20.0")) == []
    notes = scenario_notes(load_scenario(REPO / "scenarios" / "recovery_placement.toml",
                                         ["agencies.alpha.cure_bonus=20.0"]))
    assert notes == ["agencies.alpha: cure_bonus pays only for accounts placed before "
                     'charge-off; with bank.stage = "post_charge_off" there are none']


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_have_no_notes(path: Path) -> None:
    assert scenario_notes(load_scenario(path)) == []


def test_validate_prints_notes_on_stderr_and_still_succeeds(
        capsys: pytest.CaptureFixture[str]) -> None:
    baseline = REPO / "scenarios" / "baseline.toml"
    assert main(["validate", str(baseline), "--set", 'behaviour.model="hawkes"']) == 0
    captured = capsys.readouterr()
    assert "valid scenario" in captured.out
    assert captured.err.startswith(f"note: {baseline}: behaviour.model = \"hawkes\"")
    assert captured.err.count("\n") == 1


def test_the_report_method_lists_settings_without_effect() -> None:
    from sim.report.method import method_rows

    def rows(manifest: dict) -> dict[str, str]:
        sections = method_rows("run", manifest, "question?", None, [])
        return {name: value for _, table in sections for name, value in table}

    notes = ["behaviour.model = \"hawkes\": <b>promises</b> have no effect"]
    with_notes = rows({"scenario": {}, "notes": notes})
    assert with_notes["Settings without effect"] == (
        "behaviour.model = &quot;hawkes&quot;: &lt;b&gt;promises&lt;/b&gt; have no effect")
    assert "Settings without effect" not in rows({"scenario": {}, "notes": []})
