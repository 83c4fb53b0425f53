"""``extends`` and what error lines show: values are echoed only from the file the user named.

A shared scenario may ``extends`` a file anywhere (``/home/me/.env``, ``../../secrets.toml``).
It still works, but a ``note:`` line names the file read when it lies outside the folder of the
file that starts the chain; and an error about a key or value set by an inherited file names
that file and the dotted field, never the value (which could be a secret).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import MINIMAL, call

from sim.config.loading import ScenarioError, load_scenario

SECRET = "sk-live-0123456789"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _error(path: Path, overrides: list[str] | None = None) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [])
    return info.value


# --------------------------------------------------------------------------- no echo


def test_unknown_key_in_an_inherited_file_is_named_without_its_value(tmp_path: Path) -> None:
    parent = _write(tmp_path / "shared" / "secrets.toml", f'api_key = "{SECRET}"\n' + MINIMAL)
    child = _write(tmp_path / "mine" / "child.toml", "extends = '../shared/secrets.toml'\n")
    error = _error(child)
    assert Path(error.file) == parent.resolve()
    assert (error.field, error.problem) == ("api_key", "unknown key")
    assert SECRET not in str(error) and "(got" not in str(error)


def test_unknown_key_of_an_inherited_agency_is_named_without_its_value(tmp_path: Path) -> None:
    parent = _write(tmp_path / "parent.toml", MINIMAL + f'token = "{SECRET}"\n')
    child = _write(tmp_path / "child.toml", "extends = 'parent.toml'\n[[agencies]]\n"
                                             "name = 'alpha'\ntone = 0.3\n")
    error = _error(child)
    assert Path(error.file) == parent.resolve()
    assert error.field == "agencies.alpha.token"
    assert SECRET not in str(error)


def test_bad_value_in_an_inherited_file_names_that_file_without_the_value(
        tmp_path: Path) -> None:
    parent = _write(tmp_path / "parent.toml",
                    MINIMAL.replace('name = "alpha"', f'name = "alpha"\ntone = "{SECRET}"'))
    child = _write(tmp_path / "child.toml", "extends = 'parent.toml'\n")
    error = _error(child)
    assert Path(error.file) == parent.resolve()
    assert error.field == "agencies.alpha.tone"
    assert SECRET not in str(error) and "(got" not in str(error)


def test_check_across_fields_in_an_inherited_file_shows_no_values(tmp_path: Path) -> None:
    parent = _write(tmp_path / "parent.toml",
                    MINIMAL + '[rules]\nwindow_start = "20:00"\nwindow_end = "09:00"\n')
    child = _write(tmp_path / "child.toml", "extends = 'parent.toml'\n")
    error = _error(child)
    assert Path(error.file) == parent.resolve()
    assert error.field == "rules.window_start"
    assert "20:00" not in str(error)


def test_bad_agency_entry_in_a_middle_file_shows_no_value(tmp_path: Path) -> None:
    _write(tmp_path / "grand.toml", MINIMAL)
    middle = _write(tmp_path / "middle.toml", "extends = 'grand.toml'\n[[agencies]]\n"
                                               f"name = 'alpha'\ndrop = '{SECRET}'\n")
    child = _write(tmp_path / "child.toml", "extends = 'middle.toml'\n")
    error = _error(child)
    assert Path(error.file) == middle.resolve()
    assert error.field == "agencies.alpha.drop"
    assert SECRET not in str(error)


def test_values_from_the_named_file_and_set_are_still_shown(tmp_path: Path) -> None:
    _write(tmp_path / "parent.toml", MINIMAL)
    child = _write(tmp_path / "child.toml",
                   "extends = 'parent.toml'\n[[agencies]]\nname = 'alpha'\ntone = 7\n")
    error = _error(child)
    assert (error.file, error.field, error.got) == (str(child), "agencies.alpha.tone", 7)
    plain = _write(tmp_path / "plain.toml", "extends = 'parent.toml'\n")
    error = _error(plain, ["agencies.alpha.tone=9"])
    assert (error.file, error.field, error.got) == (str(plain), "agencies.alpha.tone", 9)


def test_inherited_secret_never_reaches_the_error_line(tmp_path: Path) -> None:
    _write(tmp_path / "shared" / "env.toml", f'API_KEY = "{SECRET}"\n' + MINIMAL)
    child = _write(tmp_path / "mine" / "child.toml", "extends = '../shared/env.toml'\n")
    status, out, err = call(["validate", child])
    assert (status, out) == (2, "")
    lines = err.splitlines()
    shared = (tmp_path / "shared" / "env.toml").resolve()
    assert lines[-1] == f"error: {shared}: API_KEY: unknown key"
    assert SECRET not in err


# --------------------------------------------------------------------------- the note


@pytest.mark.parametrize("spelling", ["relative", "absolute"])
def test_extends_outside_the_folder_tree_works_with_a_note(tmp_path: Path, spelling: str,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    parent = _write(tmp_path / "shared" / "base.toml", MINIMAL)
    name = "../shared/base.toml" if spelling == "relative" else str(parent)
    child = _write(tmp_path / "mine" / "child.toml", f"extends = '{name}'\n")
    assert load_scenario(child).scenario.name == "mini"
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 1
    assert notes[0].startswith("note: ") and str(parent.resolve()) in notes[0]


def test_extends_outside_the_tree_deeper_in_the_chain_is_noted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = _write(tmp_path / "elsewhere" / "base.toml", MINIMAL)
    _write(tmp_path / "mine" / "sub" / "middle.toml", "extends = '../../elsewhere/base.toml'\n")
    child = _write(tmp_path / "mine" / "child.toml", "extends = 'sub/middle.toml'\n")
    load_scenario(child)
    notes = capsys.readouterr().err.splitlines()
    assert len(notes) == 1 and str(outside.resolve()) in notes[0]


@pytest.mark.parametrize("name", ["base.toml", "sub/base.toml", "sub/../base.toml"])
def test_extends_inside_the_folder_tree_is_silent(tmp_path: Path, name: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "base.toml", MINIMAL)
    _write(tmp_path / "sub" / "base.toml", MINIMAL)
    child = _write(tmp_path / "child.toml", f"extends = '{name}'\n")
    load_scenario(child)
    assert capsys.readouterr().err == ""


def test_shipped_scenarios_extend_inside_their_folder(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    root = Path(__file__).resolve().parents[2] / "scenarios"
    for path in sorted(root.glob("*.toml")):
        load_scenario(path)
    assert capsys.readouterr().err == ""
