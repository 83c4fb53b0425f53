"""Unit tests of scenario loading: schema validation, ``extends``, ``--set`` overrides, hashing.

Every bad input must raise :class:`sim.config.loading.ScenarioError` naming the file and the dotted
field: ``<file>: <dotted.field>: <problem> (got <value>)``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import MINIMAL

from sim.config.loading import (
    MAX_EXTENDS_DEPTH,
    MAX_FILE_BYTES,
    ScenarioError,
    load_scenario,
    merge,
    parse_override,
    scenario_hash,
)
from sim.config.schema import SHARE_TOLERANCE, Bank, Behaviour, Rules, Scenario

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "baseline.toml"


# Two agencies and two segments, with non-default values to prove inheritance.
PARENT = """\
[scenario]
name = "parent"
seed = 99
horizon_days = 30

[portfolio]
accounts = 500
balance = { median = 2000.0, sigma = 0.5 }

[portfolio.segments.a]
share = 0.6
willingness = 0.7

[portfolio.segments.b]
share = 0.4

[rules]
max_calls_per_7_days = 5

[[agencies]]
name = "alpha"
share = 0.5
collectors = 11
skill = 0.9
sms = { every_days = 7, first_day = 2, cost = 0.02 }

[[agencies]]
name = "beta"
share = 0.5
collectors = 13
tone = 0.1
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def same_file(a: str | Path, b: str | Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


def load_error(path: Path, overrides: tuple[str, ...] | list[str] = ()) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides)
    return info.value


def assert_names(err: ScenarioError, file: str | Path, field: str | None) -> None:
    """The error names ``file`` and ``field`` both as attributes and in its one-line text."""
    assert same_file(err.file, file), str(err)
    assert err.field == field, str(err)
    text = str(err)
    assert "\n" not in text
    assert text.startswith(f"{err.file}: ")
    if field is None:
        assert text == f"{err.file}: {text[len(err.file) + 2:]}"
    else:
        assert text.startswith(f"{err.file}: {field}: "), text


# --------------------------------------------------------------------------- the baseline


def test_baseline_loads_and_is_consistent() -> None:
    scenario = load_scenario(BASELINE)
    assert isinstance(scenario, Scenario)
    assert scenario.scenario.name == "baseline"
    assert [a.name for a in scenario.agencies] == ["alpha", "beta"]
    assert math.isclose(sum(a.share for a in scenario.agencies), 1.0, abs_tol=SHARE_TOLERANCE)
    segments = scenario.portfolio.segments
    assert len(segments) >= 1
    assert math.isclose(sum(s.share for s in segments.values()), 1.0, abs_tol=SHARE_TOLERANCE)
    assert scenario.portfolio.accounts >= 1
    assert scenario.agency("beta").name == "beta"
    with pytest.raises(KeyError):
        scenario.agency("nobody")


def test_load_accepts_str_path_and_relative_path(monkeypatch: pytest.MonkeyPatch) -> None:
    by_path = load_scenario(BASELINE)
    by_str = load_scenario(str(BASELINE))
    monkeypatch.chdir(ROOT)
    by_relative = load_scenario("scenarios/baseline.toml")
    assert by_path == by_str == by_relative


def test_minimal_file_gets_schema_defaults(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, "mini.toml", MINIMAL))
    assert scenario.scenario.name == "mini"
    assert scenario.portfolio.accounts == 100
    assert scenario.rules == Rules()
    assert scenario.bank == Bank()
    assert scenario.behaviour == Behaviour()
    assert scenario.scenario.horizon_days == 90  # a ninety-day placement by default


# --------------------------------------------------------------------------- the error text


def test_error_text_format() -> None:
    err = ScenarioError("f.toml", "portfolio.accounts", "must be positive", -3)
    assert str(err) == "f.toml: portfolio.accounts: must be positive (got -3)"
    assert (err.file, err.field, err.problem, err.got) == ("f.toml", "portfolio.accounts",
                                                          "must be positive", -3)
    assert isinstance(err, ValueError)
    assert str(ScenarioError("f.toml", None, "file not found")) == "f.toml: file not found"
    shown = ScenarioError("f.toml", "a", "bad", None, show_got=True)
    assert str(shown) == "f.toml: a: bad (got None)"
    assert str(ScenarioError("f.toml", "a", "bad", "x")) == "f.toml: a: bad (got 'x')"


def test_error_text_shortens_long_values_and_escapes_newlines() -> None:
    text = str(ScenarioError("f.toml", "a", "bad", "line1\nline2" + "x" * 500))
    assert "\n" not in text
    got = text.split("(got ", 1)[1].rstrip(")")
    assert len(got) <= 60
    assert got.endswith("...")


# --------------------------------------------------------------------------- reading files


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    err = load_error(path)
    assert_names(err, path, None)
    assert "not found" in err.problem


def test_directory_instead_of_file(tmp_path: Path) -> None:
    err = load_error(tmp_path)
    assert_names(err, tmp_path, None)
    assert "directory" in err.problem


def test_toml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.toml", "[scenario\nname = 'x'\n")
    err = load_error(path)
    assert_names(err, path, None)
    assert err.problem.startswith("invalid TOML")
    assert "line 1" in err.problem


def test_duplicate_key_is_a_toml_error(tmp_path: Path) -> None:
    path = write(tmp_path, "dup.toml", MINIMAL.replace("accounts = 100",
                                                       "accounts = 100\naccounts = 200"))
    err = load_error(path)
    assert_names(err, path, None)
    assert "invalid TOML" in err.problem


@pytest.mark.parametrize("seed", range(5))
def test_random_binary_garbage(tmp_path: Path, seed: int) -> None:
    data = b"\xff\xfe" + random.Random(seed).randbytes(2048)
    path = tmp_path / "garbage.toml"
    path.write_bytes(data)
    err = load_error(path)
    assert_names(err, path, None)
    assert "UTF-8" in err.problem


def test_invalid_utf8_inside_a_string(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(MINIMAL.replace('"mini"', '"caf\xe9"').encode("latin-1"))
    err = load_error(path)
    assert_names(err, path, None)
    assert "UTF-8" in err.problem


def test_nul_bytes_are_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "nul.toml"
    path.write_bytes(b"\x00\x01\x02" + MINIMAL.encode())
    err = load_error(path)
    assert_names(err, path, None)


def test_deeply_nested_toml_is_rejected_cleanly(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n" + MINIMAL)
    err = load_error(path)
    assert_names(err, path, None)


def test_oversized_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.write(MINIMAL.encode())
        handle.write(b"# " + b"x" * (MAX_FILE_BYTES + 10) + b"\n")
    err = load_error(path)
    assert_names(err, path, None)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_never_escape_as_other_exceptions(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data)
    try:
        load_scenario(path)
    except ScenarioError as err:
        assert same_file(err.file, path)
        assert "\n" not in str(err)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(
    st.sampled_from(["[scenario]", "[portfolio]", "[rules]", "[bank]", "[[agencies]]",
                     "[portfolio.segments.b]", "[behaviour.stage]", "[x]"]),
    st.tuples(st.sampled_from(["name", "share", "drop", "accounts", "window_start", "days",
                               "shift", "model", "skill", "extends", "x"]),
              st.sampled_from(["1", "-1", "1.5", "nan", "-inf", "true", "[1]", "{a=1}", "[]",
                               "'x'", "'alpha'", "2026-01-01", "'08:00'", "{name='q'}"]))
    .map(lambda kv: f"{kv[0]} = {kv[1]}")), max_size=6))
def test_arbitrary_toml_edits_raise_only_scenario_errors(tmp_path: Path,
                                                         lines: list[str]) -> None:
    write(tmp_path, "parent.toml", PARENT)
    path = write(tmp_path, "child.toml", "extends = 'parent.toml'\n" + "\n".join(lines) + "\n")
    try:
        load_scenario(path)
    except ScenarioError as err:
        assert "\n" not in str(err)


# --------------------------------------------------------------------------- wrong values


@pytest.mark.parametrize(("old", "new", "field", "got"), [
    ("accounts = 100", 'accounts = "many"', "portfolio.accounts", "'many'"),
    ("accounts = 100", "accounts = 12.5", "portfolio.accounts", "12.5"),
    ("accounts = 100", "accounts = [100]", "portfolio.accounts", "[100]"),
    ("accounts = 100", "accounts = -5", "portfolio.accounts", "-5"),
    ("accounts = 100", "accounts = 0", "portfolio.accounts", "0"),
    ('name = "mini"', "name = 7", "scenario.name", "7"),
    ('name = "mini"', 'name = "has space"', "scenario.name", "'has space'"),
    ('name = "mini"', 'name = ""', "scenario.name", "''"),
    ('name = "mini"', 'name = "mini"\nhorizon_days = 0', "scenario.horizon_days", "0"),
    ('name = "mini"', 'name = "mini"\nseed = -1', "scenario.seed", "-1"),
    ('name = "mini"', 'name = "mini"\nstart_date = "soon"', "scenario.start_date", "'soon'"),
    ("accounts = 100", "accounts = 100\napr = nan", "portfolio.apr", "nan"),
    ("accounts = 100", "accounts = 100\napr = inf", "portfolio.apr", "inf"),
    ("accounts = 100", "accounts = 100\nlate_fee = inf", "portfolio.late_fee", "inf"),
    ("accounts = 100", "accounts = 100\nbalance = { median = nan }",
     "portfolio.balance.median", "nan"),
    ("accounts = 100", "accounts = 100\nbalance = { median = -inf }",
     "portfolio.balance.median", "-inf"),
    ("share = 1.0\n\n[[", "share = 1.0\nwillingness = 1.5\n\n[[",
     "portfolio.segments.a.willingness", "1.5"),
    ("share = 1.0\n\n[[", "share = 1.0\nself_cure_rate = nan\n\n[[",
     "portfolio.segments.a.self_cure_rate", "nan"),
    ("share = 1.0\n\n[[", "share = 1.0\nhardship_response = inf\n\n[[",
     "portfolio.segments.a.hardship_response", "inf"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nskill = 1.5',
     "agencies.alpha.skill", "1.5"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\ncollectors = -1',
     "agencies.alpha.collectors", "-1"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\ncommission = nan',
     "agencies.alpha.commission", "nan"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\npriority = "loudest"',
     "agencies.alpha.priority", "'loudest'"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nkind = "outsourced"',
     "agencies.alpha.kind", "'outsourced'"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nsms = { every_days = -7 }',
     "agencies.alpha.sms.every_days", "-7"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nshift = { days = ["funday"] }',
     "agencies.alpha.shift.days.0", "'funday'"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nanalytics_auc = 0.4',
     "agencies.alpha.analytics_auc", "0.4"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\n[behaviour.stage]\n'
     "skill_promise = nan", "behaviour.stage.skill_promise", "nan"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\n[behaviour.stage]\n'
     "tone_keep = -inf", "behaviour.stage.tone_keep", "-inf"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\n[behaviour]\n'
     'model = "magic"', "behaviour.model", "'magic'"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\n[behaviour.hawkes]\n'
     "kappa = -0.1", "behaviour.hawkes.kappa", "-0.1"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\n[bank]\n'
     "phone_valid = 1.5", "bank.phone_valid", "1.5"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\n[rules]\n'
     'honour_cease_requests = "perhaps"', "rules.honour_cease_requests", "'perhaps'"),
    ('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\n[rules]\n'
     "dispute_hold_days = inf", "rules.dispute_hold_days", "inf"),
])
def test_bad_value_names_file_and_field(tmp_path: Path, old: str, new: str, field: str,
                                        got: str) -> None:
    assert old in MINIMAL
    path = write(tmp_path, "bad.toml", MINIMAL.replace(old, new, 1))
    err = load_error(path)
    assert_names(err, path, field)
    assert str(err).endswith(f"(got {got})"), str(err)


@pytest.mark.parametrize("value", ['"100"', "true"])
def test_non_numeric_toml_types_are_not_silently_coerced_to_integers(tmp_path: Path,
                                                                     value: str) -> None:
    """A TOML string or boolean where a count is expected is a wrong type, not a number.

    ``accounts = "100"`` (a quoted number) and ``accounts = true`` are type errors in a typed
    format; accepting them as 100 accounts or 1 account silently turns a mistake into a
    setting, which the schema promises not to do ("a typo in a scenario file is an error").
    """
    path = write(tmp_path, "bad.toml", MINIMAL.replace("accounts = 100", f"accounts = {value}"))
    err = load_error(path)
    assert_names(err, path, "portfolio.accounts")


def test_range_boundaries_are_inclusive(tmp_path: Path) -> None:
    text = MINIMAL.replace('share = 1.0\n\n[[', "share = 1.0\nwillingness = 1.0\n"
                           "answer_rate = 0.0\n\n[[")
    scenario = load_scenario(write(tmp_path, "edge.toml", text))
    assert scenario.portfolio.segments["a"].willingness == 1.0
    assert scenario.portfolio.segments["a"].answer_rate == 0.0


@pytest.mark.parametrize(("extra", "field"), [
    ("balance = { min = 500.0, max = 100.0 }", "portfolio.balance"),
    ("days_past_due = { low = 90, high = 30 }", "portfolio.days_past_due"),
])
def test_cross_field_checks_name_their_table(tmp_path: Path, extra: str, field: str) -> None:
    path = write(tmp_path, "bad.toml", MINIMAL.replace("accounts = 100",
                                                       f"accounts = 100\n{extra}"))
    err = load_error(path)
    assert_names(err, path, field)
    assert "(got " in str(err)


def test_behaviour_model_choice_and_its_parameters(tmp_path: Path) -> None:
    hawkes = load_scenario(write(tmp_path, "h.toml", MINIMAL + "[behaviour]\nmodel = 'hawkes'\n"))
    assert hawkes.behaviour.model == "hawkes"
    path = write(tmp_path, "bad.toml", MINIMAL + "[behaviour.hawkes]\nr_min = 0.9\nr_max = 0.5\n")
    err = load_error(path)
    assert_names(err, path, "behaviour.hawkes")
    assert "r_min" in err.problem


# --------------------------------------------------------------------------- unknown keys


@pytest.mark.parametrize(("text", "field"), [
    ("colour = 'blue'\n" + MINIMAL, "colour"),
    (MINIMAL.replace('name = "mini"', 'name = "mini"\nhorizon = 30'), "scenario.horizon"),
    (MINIMAL + "[bank]\nplacment = 'batch'\n", "bank.placment"),
    (MINIMAL + "[rules]\nmax_calls = 3\n", "rules.max_calls"),
    (MINIMAL.replace("accounts = 100", "accounts = 100\nbalance = { medain = 1.0 }"),
     "portfolio.balance.medain"),
    (MINIMAL.replace("share = 1.0\n\n[[", "share = 1.0\nwillingnes = 0.5\n\n[["),
     "portfolio.segments.a.willingnes"),
    (MINIMAL + "colectors = 4\n", "agencies.alpha.colectors"),
    (MINIMAL + "sms = { every_day = 3 }\n", "agencies.alpha.sms.every_day"),
    (MINIMAL + "[behaviour.stage]\nskil_promise = 1.0\n", "behaviour.stage.skil_promise"),
    (MINIMAL + "[portfolio2]\naccounts = 3\n", "portfolio2"),
])
def test_unknown_key_is_an_error(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, "typo.toml", text)
    err = load_error(path)
    assert_names(err, path, field)
    assert "unknown key" in err.problem


def test_unknown_key_in_second_agency_is_named_by_agency_name(tmp_path: Path) -> None:
    text = PARENT.replace("tone = 0.1", "tone = 0.1\ncolectors = 4")
    path = write(tmp_path, "typo.toml", text)
    err = load_error(path)
    assert_names(err, path, "agencies.beta.colectors")


def test_agency_without_usable_name_is_named_by_index(tmp_path: Path) -> None:
    path = write(tmp_path, "noname.toml", MINIMAL.replace('name = "alpha"\n', ""))
    err = load_error(path)
    assert_names(err, path, "agencies.0.name")
    assert "missing" in err.problem


# --------------------------------------------------------------------------- required / structure


@pytest.mark.parametrize(("text", "field"), [
    (MINIMAL.split("[portfolio]")[0] + '[[agencies]]\nname = "alpha"\nshare = 1.0\n',
     "portfolio"),
    (MINIMAL.split("[portfolio]", 1)[1].join(["[portfolio]", ""]), "scenario"),
    (MINIMAL.split("[[agencies]]")[0], "agencies"),
    (MINIMAL.replace('name = "mini"\n', ""), "scenario.name"),
    (MINIMAL.replace('name = "alpha"\nshare = 1.0', 'name = "alpha"'), "agencies.alpha.share"),
    (MINIMAL.replace("[portfolio.segments.a]\nshare = 1.0\n", "[portfolio.segments.a]\n"),
     "portfolio.segments.a.share"),
    (MINIMAL.replace("[portfolio.segments.a]\nshare = 1.0\n", ""), "portfolio.segments"),
])
def test_missing_required_part(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, "missing.toml", text)
    err = load_error(path)
    assert_names(err, path, field)
    assert "missing" in err.problem


def test_empty_agencies(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.toml", "agencies = []\n" + MINIMAL.split("[[agencies]]")[0])
    err = load_error(path)
    assert_names(err, path, "agencies")
    assert "at least one" in err.problem


def test_empty_segments_table(tmp_path: Path) -> None:
    text = MINIMAL.replace("[portfolio.segments.a]\nshare = 1.0\n", "segments = {}\n")
    path = write(tmp_path, "empty.toml", text)
    err = load_error(path)
    assert_names(err, path, "portfolio.segments")
    assert "at least one" in err.problem


def test_agencies_as_a_table_is_a_type_error(tmp_path: Path) -> None:
    path = write(tmp_path, "table.toml", MINIMAL.split("[[agencies]]")[0] + "[agencies]\nx = 1\n")
    err = load_error(path)
    assert_names(err, path, "agencies")


def test_duplicate_agency_names(tmp_path: Path) -> None:
    text = PARENT.replace('name = "beta"', 'name = "alpha"')
    path = write(tmp_path, "dup.toml", text)
    err = load_error(path)
    assert_names(err, path, "agencies")
    assert "unique" in err.problem
    assert "alpha" in err.problem


def test_agency_shares_must_sum_to_one(tmp_path: Path) -> None:
    path = write(tmp_path, "shares.toml", PARENT.replace("share = 0.5\ncollectors = 13",
                                                         "share = 0.3\ncollectors = 13"))
    err = load_error(path)
    assert_names(err, path, "agencies")
    assert "sum to 1" in err.problem
    assert "0.8" in str(err)


def test_segment_shares_must_sum_to_one(tmp_path: Path) -> None:
    path = write(tmp_path, "shares.toml", PARENT.replace("share = 0.4", "share = 0.5"))
    err = load_error(path)
    assert_names(err, path, "portfolio.segments")
    assert "sum to 1" in err.problem
    assert "1.1" in str(err)


def test_shares_tolerate_rounding_but_not_real_gaps(tmp_path: Path) -> None:
    thirds = PARENT.replace("share = 0.6\n", "share = 0.333333333\n").replace(
        "share = 0.4\n", "share = 0.333333333\n[portfolio.segments.c]\nshare = 0.333333334\n")
    scenario = load_scenario(write(tmp_path, "thirds.toml", thirds))
    assert set(scenario.portfolio.segments) == {"a", "b", "c"}
    gap = PARENT.replace("share = 0.4\n", f"share = {0.4 - 100 * SHARE_TOLERANCE!r}\n")
    err = load_error(write(tmp_path, "gap.toml", gap))
    assert err.field == "portfolio.segments"


# --------------------------------------------------------------------------- times of day


@pytest.mark.parametrize("clock", ["8:00", "08:0", "25:00", "24:30", "08:60", "ab:cd",
                                   "08:00:00", "08-00", "", " 08:00", "-1:00", "0x:10"])
def test_bad_clock_time(tmp_path: Path, clock: str) -> None:
    path = write(tmp_path, "clock.toml", MINIMAL + f'[rules]\nwindow_start = "{clock}"\n')
    err = load_error(path)
    assert_names(err, path, "rules.window_start")
    assert str(err).endswith(f"(got {clock!r})")


def test_bad_clock_time_in_agency_shift(tmp_path: Path) -> None:
    path = write(tmp_path, "shift.toml", MINIMAL + 'shift = { start = "9am" }\n')
    err = load_error(path)
    assert_names(err, path, "agencies.alpha.shift.start")


@pytest.mark.parametrize("clock", ["\u0660\u0668:\u0660\u0660", "\uff10\uff18:\uff10\uff10"])
def test_clock_time_needs_ascii_digits(tmp_path: Path, clock: str) -> None:
    """ "HH:MM" means ASCII digits; Arabic-Indic or full-width digits are not a time of day."""
    path = write(tmp_path, "clock.toml", MINIMAL + f'[rules]\nwindow_start = "{clock}"\n')
    err = load_error(path)
    assert_names(err, path, "rules.window_start")


def test_clock_24_00_is_a_valid_end_of_day(tmp_path: Path) -> None:
    path = write(tmp_path, "late.toml", MINIMAL + '[rules]\nwindow_end = "24:00"\n')
    assert load_scenario(path).rules.window_end == "24:00"


@pytest.mark.parametrize(("start", "end"), [("21:00", "08:00"), ("09:00", "09:00")])
def test_window_start_must_precede_window_end(tmp_path: Path, start: str, end: str) -> None:
    path = write(tmp_path, "window.toml",
                 MINIMAL + f'[rules]\nwindow_start = "{start}"\nwindow_end = "{end}"\n')
    err = load_error(path)
    assert same_file(err.file, path)
    assert err.field is not None and err.field.startswith("rules")
    assert "window_start" in str(err)
    assert f"{start}-{end}" in str(err)


def test_shift_start_must_precede_end(tmp_path: Path) -> None:
    path = write(tmp_path, "shift.toml", MINIMAL + 'shift = { start = "18:00", end = "09:00" }\n')
    err = load_error(path)
    assert_names(err, path, "agencies.alpha.shift.start")


def test_shift_days_must_not_repeat(tmp_path: Path) -> None:
    path = write(tmp_path, "shift.toml", MINIMAL + 'shift = { days = ["mon", "mon"] }\n')
    err = load_error(path)
    assert_names(err, path, "agencies.alpha.shift.days")
    assert "repeat" in err.problem


# --------------------------------------------------------------------------- extends: errors


def test_self_extends_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "self.toml", "extends = 'self.toml'\n" + MINIMAL)
    err = load_error(path)
    assert_names(err, path, "extends")
    assert "cyclic" in err.problem


def test_two_file_cycle(tmp_path: Path) -> None:
    a = write(tmp_path, "a.toml", "extends = 'b.toml'\n" + MINIMAL)
    b = write(tmp_path, "b.toml", "extends = 'a.toml'\n")
    err = load_error(a)
    assert err.field == "extends"
    assert same_file(err.file, a) or same_file(err.file, b)
    assert "cyclic" in err.problem
    assert "a.toml" in err.problem and "b.toml" in err.problem


def test_cycle_through_a_different_spelling_of_the_same_file(tmp_path: Path) -> None:
    a = write(tmp_path, "sub/a.toml", "extends = '../sub/./a.toml'\n" + MINIMAL)
    err = load_error(a)
    assert_names(err, a, "extends")
    assert "cyclic" in err.problem


def test_extends_missing_file_names_the_child_and_the_field(tmp_path: Path) -> None:
    child = write(tmp_path, "child.toml", "extends = 'gone.toml'\n" + MINIMAL)
    err = load_error(child)
    assert_names(err, child, "extends")
    assert "not found" in err.problem
    assert "gone.toml" in str(err)


def test_extends_missing_file_deeper_in_a_chain_names_the_file_that_names_it(
        tmp_path: Path) -> None:
    top = write(tmp_path, "top.toml", "extends = 'middle.toml'\n")
    middle = write(tmp_path, "middle.toml", "extends = 'gone.toml'\n")
    err = load_error(top)
    assert_names(err, middle, "extends")
    assert "not found" in err.problem


@pytest.mark.parametrize("value", ["5", "''", "['a.toml']", "true"])
def test_extends_must_be_a_file_name(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, "child.toml", f"extends = {value}\n" + MINIMAL)
    err = load_error(path)
    assert_names(err, path, "extends")


def test_error_in_parent_file_syntax_names_the_parent(tmp_path: Path) -> None:
    parent = write(tmp_path, "parent.toml", "[scenario\n")
    child = write(tmp_path, "child.toml", "extends = 'parent.toml'\n")
    err = load_error(child)
    assert_names(err, parent, None)
    assert "invalid TOML" in err.problem


def _chain(tmp_path: Path, files: int) -> Path:
    """``f0`` is a full scenario; ``f<k>`` extends ``f<k-1>``; returns the last file."""
    write(tmp_path, "f0.toml", MINIMAL)
    for k in range(1, files):
        write(tmp_path, f"f{k}.toml",
              f"extends = 'f{k - 1}.toml'\n[portfolio]\naccounts = {100 + k}\n")
    return tmp_path / f"f{files - 1}.toml"


def test_extends_chain_at_the_depth_limit_loads(tmp_path: Path) -> None:
    top = _chain(tmp_path, MAX_EXTENDS_DEPTH)
    scenario = load_scenario(top)
    assert scenario.portfolio.accounts == 100 + MAX_EXTENDS_DEPTH - 1


def test_extends_chain_over_the_depth_limit_is_rejected(tmp_path: Path) -> None:
    assert MAX_EXTENDS_DEPTH == 16
    top = _chain(tmp_path, MAX_EXTENDS_DEPTH + 1)
    err = load_error(top)
    assert err.field == "extends"
    assert "deeper" in err.problem
    assert same_file(err.file, tmp_path / "f1.toml")


def test_extends_with_a_very_long_file_name_is_a_scenario_error(tmp_path: Path) -> None:
    """An over-long name (ENAMETOOLONG) is bad input like any other missing parent."""
    child = write(tmp_path, "child.toml", f"extends = '{'x' * 300}.toml'\n" + MINIMAL)
    err = load_error(child)
    assert_names(err, child, "extends")


# --------------------------------------------------------------------------- extends: merging


def test_child_scalars_replace_and_tables_merge_recursively(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", """\
extends = "parent.toml"
[scenario]
name = "child"
[portfolio]
balance = { median = 900.0 }
[portfolio.segments.a]
willingness = 0.2
""")
    scenario = load_scenario(child)
    parent = load_scenario(tmp_path / "parent.toml")
    assert scenario.scenario.name == "child"
    assert scenario.scenario.seed == parent.scenario.seed == 99
    assert scenario.scenario.horizon_days == 30
    assert scenario.portfolio.accounts == 500
    assert scenario.portfolio.balance.median == 900.0
    assert scenario.portfolio.balance.sigma == 0.5          # inherited from the parent's table
    assert scenario.portfolio.segments["a"].willingness == 0.2
    assert scenario.portfolio.segments["a"].share == 0.6    # kept beside the changed key
    assert scenario.portfolio.segments["b"] == parent.portfolio.segments["b"]
    assert scenario.rules.max_calls_per_7_days == 5
    assert scenario.agencies == parent.agencies


def test_child_adds_a_segment_table(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", """\
extends = "parent.toml"
[portfolio.segments.b]
share = 0.3
[portfolio.segments.c]
share = 0.1
answer_rate = 0.9
""")
    segments = load_scenario(child).portfolio.segments
    assert list(segments) == ["a", "b", "c"]
    assert segments["c"].answer_rate == 0.9


def test_agency_with_existing_name_updates_only_given_keys(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", """\
extends = "parent.toml"
[[agencies]]
name = "alpha"
collectors = 3
sms = { cost = 0.05 }
""")
    scenario = load_scenario(child)
    parent = load_scenario(tmp_path / "parent.toml")
    assert [a.name for a in scenario.agencies] == ["alpha", "beta"]
    alpha = scenario.agency("alpha")
    assert alpha.collectors == 3
    assert alpha.skill == 0.9 and alpha.share == 0.5
    assert alpha.sms.cost == 0.05
    assert alpha.sms.every_days == 7 and alpha.sms.first_day == 2   # inline table merged
    assert scenario.agency("beta") == parent.agency("beta")


def test_agency_with_new_name_is_appended(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", """\
extends = "parent.toml"
[[agencies]]
name = "gamma"
share = 0.2
collectors = 4
[[agencies]]
name = "beta"
share = 0.3
""")
    scenario = load_scenario(child)
    assert [a.name for a in scenario.agencies] == ["alpha", "beta", "gamma"]
    assert scenario.agency("gamma").collectors == 4
    assert scenario.agency("beta").share == 0.3
    assert scenario.agency("beta").collectors == 13


def test_drop_removes_an_inherited_agency(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", """\
extends = "parent.toml"
[[agencies]]
name = "beta"
drop = true
[[agencies]]
name = "alpha"
share = 1.0
""")
    scenario = load_scenario(child)
    assert [a.name for a in scenario.agencies] == ["alpha"]
    assert scenario.agency("alpha").collectors == 11


def test_dropping_every_agency_leaves_none(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml", "extends = 'parent.toml'\n"
                  "[[agencies]]\nname = 'alpha'\ndrop = true\n"
                  "[[agencies]]\nname = 'beta'\ndrop = true\n")
    err = load_error(child)
    assert_names(err, child, "agencies")


def test_dropping_a_missing_agency_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml",
                  "extends = 'parent.toml'\n[[agencies]]\nname = 'zeta'\ndrop = true\n")
    err = load_error(child)
    assert_names(err, child, "agencies.zeta.drop")


def test_child_agency_without_name_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml",
                  "extends = 'parent.toml'\n[[agencies]]\ncollectors = 2\n")
    err = load_error(child)
    assert_names(err, child, "agencies.0")
    assert "name" in err.problem


def test_lists_other_than_agencies_are_replaced(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT.replace(
        "collectors = 11", "collectors = 11\nshift = { days = ['mon', 'tue', 'wed'] }"))
    child = write(tmp_path, "child.toml", "extends = 'parent.toml'\n"
                  "[[agencies]]\nname = 'alpha'\nshift = { days = ['sat'] }\n")
    assert load_scenario(child).agency("alpha").shift.days == ["sat"]


def test_unknown_key_in_child_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml",
                  "extends = 'parent.toml'\n[[agencies]]\nname = 'beta'\ncolectors = 2\n")
    err = load_error(child)
    assert err.field == "agencies.beta.colectors"
    assert "unknown key" in err.problem


def test_extends_is_relative_to_the_file_naming_it(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "lib/base/grand.toml", PARENT)
    write(tmp_path, "lib/parent.toml",
          "extends = 'base/grand.toml'\n[scenario]\nname = 'parent'\nseed = 7\n")
    child = write(tmp_path, "work/child.toml",
                  "extends = '../lib/parent.toml'\n[scenario]\nname = 'child'\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = load_scenario(child)
    assert scenario.scenario.name == "child"
    assert scenario.scenario.seed == 7
    assert scenario.portfolio.accounts == 500
    monkeypatch.chdir(tmp_path)
    assert load_scenario(Path("work/child.toml")) == scenario


def test_chain_of_three_files_nearest_wins(tmp_path: Path) -> None:
    write(tmp_path, "grand.toml", PARENT)
    write(tmp_path, "parent.toml", """\
extends = "grand.toml"
[scenario]
name = "parent"
horizon_days = 40
seed = 5
[[agencies]]
name = "alpha"
collectors = 21
""")
    child = write(tmp_path, "child.toml", """\
extends = "parent.toml"
[scenario]
name = "child"
horizon_days = 50
[[agencies]]
name = "alpha"
skill = 0.1
""")
    scenario = load_scenario(child)
    assert scenario.scenario.name == "child"
    assert scenario.scenario.horizon_days == 50              # child over parent
    assert scenario.scenario.seed == 5                       # parent over grandparent
    assert scenario.portfolio.accounts == 500                # grandparent only
    alpha = scenario.agency("alpha")
    assert (alpha.collectors, alpha.skill, alpha.share) == (21, 0.1, 0.5)


def test_extending_the_baseline_without_changes_reproduces_it(tmp_path: Path) -> None:
    child = write(tmp_path, "same.toml", f"extends = {str(BASELINE)!r}\n")
    assert load_scenario(child) == load_scenario(BASELINE)


def test_merge_does_not_mutate_its_inputs() -> None:
    parent = {"a": {"b": 1, "c": [1, 2]}, "agencies": [{"name": "x", "share": 1.0,
                                                          "sms": {"cost": 1}}]}
    child = {"a": {"b": 2}, "agencies": [{"name": "x", "sms": {"every_days": 3}},
                                         {"name": "y", "share": 0.0}]}
    parent_before = repr(parent)
    child_before = repr(child)
    merged = merge(parent, child, "label")
    assert repr(parent) == parent_before and repr(child) == child_before
    assert merged == {"a": {"b": 2, "c": [1, 2]},
                      "agencies": [{"name": "x", "share": 1.0,
                                    "sms": {"cost": 1, "every_days": 3}},
                                   {"name": "y", "share": 0.0}]}
    merged["a"]["c"].append(3)
    merged["agencies"][0]["sms"]["cost"] = 9
    assert repr(parent) == parent_before and repr(child) == child_before


# --------------------------------------------------------------------------- --set parsing


@pytest.mark.parametrize(("text", "path", "value"), [
    ("portfolio.accounts=300", ["portfolio", "accounts"], 300),
    ("portfolio.apr=0.125", ["portfolio", "apr"], 0.125),
    ("portfolio.apr=1e-2", ["portfolio", "apr"], 0.01),
    ("rules.honour_cease_requests=false", ["rules", "honour_cease_requests"], False),
    ("a=true", ["a"], True),
    ("scenario.name='quoted'", ["scenario", "name"], "quoted"),
    ('scenario.name="double quoted"', ["scenario", "name"], "double quoted"),
    ("scenario.name=plain", ["scenario", "name"], "plain"),
    ("scenario.description=two words", ["scenario", "description"], "two words"),
    ("rules.window_start=08:30", ["rules", "window_start"], "08:30"),
    ("x=", ["x"], ""),
    ("x=[1, 2, 3]", ["x"], [1, 2, 3]),
    ("x=['mon', 'wed']", ["x"], ["mon", "wed"]),
    ("x={ every_days = 3 }", ["x"], {"every_days": 3}),
    ("scenario.start_date=2026-02-02", ["scenario", "start_date"], dt.date(2026, 2, 2)),
    ("x=1=2", ["x"], "1=2"),
    ("  portfolio.accounts  =  42  ", ["portfolio", "accounts"], 42),
    ("agencies.beta.collectors=7", ["agencies", "beta", "collectors"], 7),
])
def test_parse_override(text: str, path: list[str], value: object) -> None:
    parts, parsed = parse_override(text)
    assert parts == path
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize("text", ["x=nan", "x=inf", "x=-inf"])
def test_parse_override_special_floats(text: str) -> None:
    _, value = parse_override(text)
    assert isinstance(value, float) and not math.isfinite(value)


@pytest.mark.parametrize(("text", "field"), [
    ("portfolio.accounts", None),
    ("", None),
    ("=5", None),
    ("  =5", None),
    ("a..b=1", "a..b"),
    (".a=1", ".a"),
    ("a.=1", "a."),
])
def test_parse_override_errors(text: str, field: str | None) -> None:
    with pytest.raises(ScenarioError) as info:
        parse_override(text)
    err = info.value
    assert err.file == "--set"
    assert err.field == field
    assert str(err).endswith(f"(got {text!r})")
    assert "\n" not in str(err)


# --------------------------------------------------------------------------- --set applied


def test_overrides_of_each_type_are_applied() -> None:
    scenario = load_scenario(BASELINE, [
        "portfolio.accounts=300",
        "portfolio.apr=0.1",
        "rules.honour_cease_requests=false",
        "scenario.name=quick",
        "scenario.description=\"a quick look\"",
        "scenario.start_date=2027-03-01",
        "agencies.alpha.shift.days=['mon', 'wed']",
        "rules.window_end=20:00",
    ])
    assert scenario.portfolio.accounts == 300
    assert scenario.portfolio.apr == 0.1
    assert scenario.rules.honour_cease_requests is False
    assert scenario.scenario.name == "quick"
    assert scenario.scenario.description == "a quick look"
    assert scenario.scenario.start_date == dt.date(2027, 3, 1)
    assert scenario.agency("alpha").shift.days == ["mon", "wed"]
    assert scenario.rules.window_end == "20:00"


def test_override_addresses_agencies_by_name() -> None:
    base = load_scenario(BASELINE)
    scenario = load_scenario(BASELINE, ["agencies.beta.collectors=7"])
    assert scenario.agency("beta").collectors == 7
    assert scenario.agency("alpha") == base.agency("alpha")
    assert scenario.agency("beta").model_copy(update={"collectors": base.agency(
        "beta").collectors}) == base.agency("beta")


def test_override_reaches_into_inline_tables_of_agencies() -> None:
    base = load_scenario(BASELINE)
    scenario = load_scenario(BASELINE, ["agencies.alpha.sms.cost=0.5"])
    assert scenario.agency("alpha").sms.cost == 0.5
    assert scenario.agency("alpha").sms.every_days == base.agency("alpha").sms.every_days


def test_later_override_wins() -> None:
    scenario = load_scenario(BASELINE, ["portfolio.accounts=10", "portfolio.accounts=20"])
    assert scenario.portfolio.accounts == 20


def test_overrides_apply_after_extends(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml",
                  "extends = 'parent.toml'\n[[agencies]]\nname = 'beta'\ncollectors = 2\n")
    scenario = load_scenario(child, ["agencies.beta.collectors=9", "scenario.seed=3"])
    assert scenario.agency("beta").collectors == 9
    assert scenario.scenario.seed == 3


def test_override_creates_a_new_segment_and_validation_checks_shares() -> None:
    err = load_error(BASELINE, ["portfolio.segments.gamblers.share=0.1"])
    assert_names(err, BASELINE, "portfolio.segments")
    assert "sum to 1" in err.problem

    base = load_scenario(BASELINE)
    first = next(iter(base.portfolio.segments))
    share = base.portfolio.segments[first].share
    scenario = load_scenario(BASELINE, [f"portfolio.segments.{first}.share={share - 0.1!r}",
                                        "portfolio.segments.gamblers.share=0.1"])
    assert "gamblers" in scenario.portfolio.segments
    assert scenario.portfolio.segments["gamblers"].share == 0.1


def test_override_creating_a_segment_without_share() -> None:
    err = load_error(BASELINE, ["portfolio.segments.gamblers.willingness=0.5"])
    assert_names(err, BASELINE, "portfolio.segments.gamblers.share")
    assert "missing" in err.problem


@pytest.mark.parametrize(("override", "field", "fragment"), [
    ("agencies.gamma.collectors=3", "agencies.gamma", "alpha, beta"),
    ("agencies.alpha=3", "agencies.alpha", "whole agency"),
    ("portfolio.accounts.x=5", "portfolio.accounts", "not a table"),
    ("scenario.name.first.letter=b", "scenario.name", "not a table"),
    ("agencies.alpha.colectors=3", "agencies.alpha.colectors", "unknown key"),
    ("colour=blue", "colour", "unknown key"),
    ("portfolio.accounts=-1", "portfolio.accounts", "(got -1)"),
    ("portfolio.accounts=many", "portfolio.accounts", "(got 'many')"),
    ("agencies.beta.skill=1.5", "agencies.beta.skill", "(got 1.5)"),
    ("portfolio.apr=nan", "portfolio.apr", "(got nan)"),
    ("behaviour.stage.tone_keep=inf", "behaviour.stage.tone_keep", "(got inf)"),
    ("scenario.name=true", "scenario.name", "(got True)"),
    ("rules.window_start=8am", "rules.window_start", "(got '8am')"),
    ("agencies=5", "agencies", "(got 5)"),
    ("agencies.alpha.share=0.9", "agencies", "sum to 1"),
])
def test_override_errors_name_the_field(override: str, field: str, fragment: str) -> None:
    err = load_error(BASELINE, [override])
    assert_names(err, BASELINE, field)
    assert fragment in str(err)


def test_override_error_in_a_later_override_is_reported() -> None:
    err = load_error(BASELINE, ["portfolio.accounts=10", "nonsense"])
    assert err.file == "--set"
    assert "KEY=VALUE" in err.problem


@settings(max_examples=150, deadline=None)
@given(overrides=st.lists(
    st.tuples(
        st.lists(st.one_of(
            st.sampled_from(["portfolio", "accounts", "agencies", "alpha", "beta", "shift",
                             "days", "segments", "scenario", "name", "rules", "sms", "x"]),
            st.text(max_size=4)), min_size=1, max_size=4).map(".".join),
        st.one_of(st.sampled_from(["1", "-1", "0.5", "nan", "true", "[]", "{}", "[1]",
                                   "{name='alpha'}", "'x'", "2026-01-01"]),
                  st.text(max_size=6)),
    ).map("=".join), min_size=1, max_size=3))
def test_arbitrary_overrides_raise_only_scenario_errors(overrides: list[str]) -> None:
    try:
        load_scenario(BASELINE, overrides)
    except ScenarioError as err:
        assert err.file in (str(BASELINE), "--set")


# --------------------------------------------------------------------------- scenario_hash


def test_hash_is_stable_across_loads() -> None:
    first = scenario_hash(load_scenario(BASELINE))
    second = scenario_hash(load_scenario(BASELINE))
    assert first == second
    assert len(first) == 64 and int(first, 16) >= 0


@pytest.mark.parametrize("override", [
    "portfolio.accounts=20001",
    "agencies.beta.collectors=21",
    "scenario.seed=1",
    "rules.window_end=20:59",
    "behaviour.stage.tone_keep=-0.7",
])
def test_hash_changes_when_a_value_changes(override: str) -> None:
    base = scenario_hash(load_scenario(BASELINE))
    changed = load_scenario(BASELINE, [override])
    assert scenario_hash(changed) != base


def test_hash_ignores_formatting_comments_and_explicit_defaults(tmp_path: Path) -> None:
    plain = load_scenario(write(tmp_path, "plain.toml", MINIMAL))
    dressed = MINIMAL.replace('name = "mini"', '# a comment\nname   =   "mini"   # trailing\n'
                              "horizon_days = 90")
    assert scenario_hash(load_scenario(write(tmp_path, "dressed.toml", dressed))) == \
        scenario_hash(plain)


def test_hash_of_override_equal_to_current_value_is_unchanged() -> None:
    base = load_scenario(BASELINE)
    same = load_scenario(BASELINE, [f"portfolio.accounts={base.portfolio.accounts}"])
    assert scenario_hash(same) == scenario_hash(base)


def test_hash_of_extends_equals_hash_of_the_same_scenario_written_out(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", PARENT)
    child = write(tmp_path, "child.toml",
                  "extends = 'parent.toml'\n[[agencies]]\nname = 'beta'\ncollectors = 2\n")
    flat = write(tmp_path, "flat.toml", PARENT.replace("collectors = 13", "collectors = 2"))
    assert scenario_hash(load_scenario(child)) == scenario_hash(load_scenario(flat))
    assert scenario_hash(load_scenario(child)) != scenario_hash(
        load_scenario(tmp_path / "parent.toml"))
