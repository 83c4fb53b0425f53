"""``collectsim init FILE``: a commented starter scenario that validates, whose segments state
only shares and take their behaviour from their reasons' sourced profiles; it never
overwrites a file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from support import assert_bad_input, call

from sim.config.loading import load_scenario
from sim.config.schema.reasons import PROFILES
from sim.config.starter import scenario_name


def test_init_writes_a_starter_scenario_that_validates(tmp_path: Path) -> None:
    path = tmp_path / "my first.toml"
    status, out, err = call(["init", path])
    assert status == 0 and err == ""
    assert out.startswith(f"starter scenario written to {path}")
    status, out, err = call(["validate", path])
    assert status == 0, err
    assert "valid scenario 'my_first'" in out
    text = path.read_text(encoding="utf-8")
    assert "docs/scenario-reference.md" in text
    for table in ("[scenario]", "[portfolio]", "[bank]", "[rules]", "[[agencies]]"):
        comment = f"# {table}:" if table != "[portfolio]" else "# [portfolio]:"
        assert comment in text, table  # each table says what it is


def test_starter_segments_state_only_shares_and_bring_their_reason_profile(
        tmp_path: Path) -> None:
    path = tmp_path / "starter.toml"
    assert call(["init", path])[0] == 0
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    segments = raw["portfolio"]["segments"]
    assert set(segments) == set(PROFILES) - {"other"}
    assert all(set(table) == {"share"} for table in segments.values())
    assert sum(table["share"] for table in segments.values()) == pytest.approx(1.0)
    assert 1 <= len(raw["agencies"]) <= 2
    scenario = load_scenario(path)
    for name, segment in scenario.portfolio.segments.items():
        assert segment.reason == name
        for key, value in PROFILES[name].items():
            assert getattr(segment, key) == pytest.approx(value), (name, key)


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("# my own work\n")
    line = assert_bad_input(*call(["init", path]), str(path), "already exists")
    assert line.startswith(f"error: {path}: ")
    assert path.read_text() == "# my own work\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.toml"]  # no temporary left


def test_init_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "x.toml"
    assert_bad_input(*call(["init", path]), str(path), "no such folder")
    assert not path.parent.exists()


@pytest.mark.parametrize(("stem", "name"), [("my first", "my_first"), ("a.b", "a_b"),
                                            ("---", "---"), ("%%%", "my_scenario")])
def test_scenario_name_from_a_file_name(stem: str, name: str) -> None:
    assert scenario_name(stem) == name
