"""Unit tests of the ``collectsim`` command line: input checking, usage errors and the schema.

Bad input: exit status 2, exactly one line on stderr (``error: <file>: <field>: ...``), nothing
on stdout, no traceback and nothing written. No test here runs a replication; runs are in
``tests/functional/test_cli_run.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from support import (
    BASELINE,
    TINY,
    assert_bad_input,
    bad_scenario_files,
    call,
    entries,
)

from sim.cli.main import parser

# --------------------------------------------------------------------------- validate


def test_validate_baseline() -> None:
    status, stdout, stderr = call(["validate", BASELINE])
    assert status == 0
    assert stderr == ""
    assert len(stdout.splitlines()) == 1
    assert "baseline" in stdout


def test_validate_with_valid_override() -> None:
    status, stdout, stderr = call(["validate", BASELINE, "--set", "portfolio.accounts=123"])
    assert (status, stderr) == (0, "")
    assert "123" in stdout




CASES = ["missing", "folder", "syntax", "garbage", "wrong_type", "negative", "nan",
         "agency_typo", "shares", "window", "cycle", "orphan"]


@pytest.mark.parametrize("case", CASES)
def test_validate_bad_file(tmp_path: Path, case: str) -> None:
    path, field = bad_scenario_files(tmp_path)[case]
    status, stdout, stderr = call(["validate", path])
    line = assert_bad_input(status, stdout, stderr, path.name)
    if field is not None:
        assert f": {field}: " in line


@pytest.mark.parametrize(("override", "file", "field"), [
    ("portfolio.accounts", "--set", None),
    ("=3", "--set", None),
    ("agencies.gamma.collectors=3", str(BASELINE), "agencies.gamma"),
    ("portfolio.accounts.x=1", str(BASELINE), "portfolio.accounts"),
    ("portfolio.accounts=0", str(BASELINE), "portfolio.accounts"),
    ("agencies.beta.tone=2", str(BASELINE), "agencies.beta.tone"),
])
def test_validate_bad_override(override: str, file: str, field: str | None) -> None:
    status, stdout, stderr = call(["validate", BASELINE, "--set", override])
    line = assert_bad_input(status, stdout, stderr, f"error: {file}: ")
    if field is not None:
        assert line.startswith(f"error: {file}: {field}: ")


def test_error_stays_on_one_line_with_newline_in_file_name(tmp_path: Path) -> None:
    """Bad input gives *one* line on stderr, whatever the file is called."""
    status, stdout, stderr = call(["validate", tmp_path / "newline\nin-name.toml"])
    assert_bad_input(status, stdout, stderr)


def test_error_stays_on_one_line_with_newline_in_override_key() -> None:
    status, stdout, stderr = call(["validate", BASELINE, "--set", "colour\nshade=1"])
    assert_bad_input(status, stdout, stderr)


# --------------------------------------------------------------------------- schema


def test_schema_is_json_with_the_top_level_tables() -> None:
    status, stdout, stderr = call(["schema"])
    assert (status, stderr) == (0, "")
    schema = json.loads(stdout)
    assert set(schema["properties"]) == {"scenario", "portfolio", "bank", "rules", "agencies",
                                         "behaviour", "calibration"}
    assert {"scenario", "portfolio", "agencies"} <= set(schema["required"])
    assert schema["additionalProperties"] is False
    for name, definition in schema["$defs"].items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name


def test_schema_names_every_agency_field() -> None:
    from sim.config.schema import Agency

    schema = json.loads(call(["schema"])[1])
    assert set(schema["$defs"]["Agency"]["properties"]) == set(Agency.model_fields)


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize("argv", [
    [],
    ["frobnicate"],
    ["run"],
    ["validate"],
    ["run", str(BASELINE), "--reps", "abc"],
    ["run", str(BASELINE), "--seed", "1.5"],
    ["run", str(BASELINE), "--bogus"],
    ["run", str(BASELINE), "--format", "xml"],
    ["validate", str(BASELINE), "--bogus"],
    ["schema", "extra"],
    ["check"],
    ["check", "queue", "--servers", "2"],
])
def test_usage_errors_are_one_line_and_exit_2(argv: list[str]) -> None:
    status, stdout, stderr = call(argv)
    assert_bad_input(status, stdout, stderr)


@pytest.mark.parametrize(("argv", "fragment"), [
    (["check", "queue", "--servers", "0", "--arrival-rate", "1", "--service-rate", "1"],
     "--servers"),
    (["check", "queue", "--servers", "2", "--arrival-rate", "nan", "--service-rate", "1"],
     "--arrival-rate"),
    (["check", "queue", "--servers", "1", "--arrival-rate", "2", "--service-rate", "1"],
     "--arrival-rate"),
])
def test_check_bad_options_are_one_line_and_exit_2(argv: list[str], fragment: str) -> None:
    status, stdout, stderr = call(argv)
    assert_bad_input(status, stdout, stderr, f"error: {fragment}: ")


# --------------------------------------------------------------------------- run: bad input


def _run_bad(tmp_path: Path, args: list[str | Path]) -> tuple[Path, tuple[int, str, str]]:
    parent = tmp_path / "parent"
    parent.mkdir()
    out = parent / "res"
    return out, call(["run", *args, "--out", out, "--quiet"])


@pytest.mark.parametrize("case", ["missing", "syntax", "garbage", "agency_typo", "cycle"])
def test_run_bad_file_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     case: str) -> None:
    path, field = bad_scenario_files(tmp_path)[case]
    monkeypatch.chdir(tmp_path)
    before = entries(tmp_path)
    out, (status, stdout, stderr) = _run_bad(tmp_path, [path])
    line = assert_bad_input(status, stdout, stderr, path.name)
    if field is not None:
        assert f": {field}: " in line
    assert entries(out.parent) == []
    assert entries(tmp_path) == sorted([*before, "parent"])     # no results/ in cwd either


@pytest.mark.parametrize(("extra", "fragment"), [
    (["--set", "agencies.gamma.collectors=2"], "agencies.gamma"),
    (["--set", "no-equals-sign"], "--set"),
    (["--set", "portfolio.accounts=-5"], "portfolio.accounts"),
    (["--reps", "0"], "--reps"),
    (["--reps", "-3"], "--reps"),
    (["--seed", "-1"], "--seed"),
])
def test_run_bad_options_write_nothing(tmp_path: Path, extra: list[str], fragment: str) -> None:
    out, (status, stdout, stderr) = _run_bad(tmp_path, [BASELINE, *TINY, *extra])
    assert_bad_input(status, stdout, stderr, fragment)
    assert entries(out.parent) == []


def test_run_out_is_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("keep me\n")
    status, stdout, stderr = call(["run", BASELINE, *TINY, "--out", target, "--quiet"])
    assert_bad_input(status, stdout, stderr, str(target), "--out")
    assert target.read_text() == "keep me\n"
    assert entries(tmp_path) == ["taken.txt"]


def test_run_out_below_an_existing_file(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    status, stdout, stderr = call(["run", BASELINE, *TINY, "--out", blocker / "sub" / "res",
                                   "--quiet"])
    assert_bad_input(status, stdout, stderr, "--out")
    assert entries(tmp_path) == ["blocker"]


def test_run_bad_input_leaves_an_existing_results_folder_alone(tmp_path: Path) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "old.txt").write_text("previous results")
    status, stdout, stderr = call(["run", BASELINE, *TINY, "--set", "portfolio.accounts=0",
                                   "--out", out])
    assert_bad_input(status, stdout, stderr, "portfolio.accounts")
    assert entries(out) == ["old.txt"]
    assert entries(tmp_path) == ["res"]


# --------------------------------------------------------------------------- help


def _arguments(parser: argparse.ArgumentParser, command: str = "collectsim"
               ) -> list[tuple[str, argparse.Action]]:
    """Every argument of every command and sub-command, with the command it belongs to."""
    found: list[tuple[str, argparse.Action]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _arguments(sub, f"{command} {name}")
        elif not isinstance(action, argparse._HelpAction):
            found.append((command, action))
    return found


def test_every_option_and_argument_of_every_command_has_help() -> None:
    arguments = _arguments(parser())
    assert len({command for command, _ in arguments}) >= 20  # run ... check lifecycle
    missing = [(command, action.option_strings or action.dest) for command, action in arguments
               if not (action.help or "").strip()]
    assert missing == []


@pytest.mark.parametrize("command", ["run", "compare", "sweep", "check queue", "check hawkes",
                                     "table", "export"])
def test_help_shows_every_option_with_its_meaning(command: str) -> None:
    status, out, err = call([*command.split(), "--help"])
    assert (status, err) == (0, "")
    text = " ".join(out.split())  # argparse wraps the help text
    for owner, action in _arguments(parser()):
        if owner == f"collectsim {command}":
            assert " ".join(action.help.split()[:4]) in text, action  # type: ignore[union-attr]
