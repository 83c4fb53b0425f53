"""Every problem of a scenario file at once, each in plain words.

A file with several mistakes raises one :class:`ScenarioError` whose ``problems`` hold every
one (the command line prints one ``error:`` line each); each names its file and dotted field,
says what is wrong in the terms of the file (no regular expression, no model class, no pydantic
phrase), offers the closest valid key or name, lists the valid names, and spots a percentage
written where a share 0–1 is expected.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import BASELINE, MINIMAL, write

from sim.config.errors import ScenarioError
from sim.config.loading import load_scenario
from sim.config.names import closest, unknown_name
from sim.config.schema import Agency, DaysPastDueDistribution, Shift
from sim.config.wording import plain_number, table_example

JARGON = ("should be", "Input", "pattern", "^[", "dictionary", "instance of", "Extra inputs",
          "valid list", "valid integer")

# Two agencies and two segments routed by segment: every kind of name a file refers to.
ROUTED = """\
[scenario]
name = "routed"

[portfolio]
accounts = 100

[portfolio.segments.income_shock]
share = 0.6

[portfolio.segments.money_management]
share = 0.4

[bank.allocation]
method = "segment_rules"
routes = [{ agency = "beta", segment = "income_shock" }]

[[agencies]]
name = "alpha"
share = 0.5

[[agencies]]
name = "beta"
share = 0.5
"""


def problems(path: Path, overrides: list[str] | None = None) -> dict[str | None, str]:
    """Every problem of loading ``path``, as {dotted field: its line}; each line names ``path``
    (or ``--set``), is one line and free of schema jargon."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [])
    lines: dict[str | None, str] = {}
    for problem in info.value.problems:
        text = str(problem)
        assert "\n" not in text
        assert problem.file in (str(path), "--set"), text
        assert not any(word in text for word in JARGON), text
        assert problem.field not in lines, text
        lines[problem.field] = text
    assert info.value.lines() == list(lines.values())
    return lines


def edit(tmp_path: Path, text: str, *changes: tuple[str, str], name: str = "bad.toml") -> Path:
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    return write(tmp_path, text, name)


# --------------------------------------------------------------------------- all at once


def test_every_problem_of_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = edit(tmp_path, ROUTED,
                ('name = "routed"', 'name = "my routed"\nhorizon_days = 0'),
                ("accounts = 100", 'accounts = "100"'),
                ("share = 0.4", "share = 0.4\nwillingnes = 0.5"),
                ('name = "beta"\nshare = 0.5', 'name = "beta"\nshare = 0.5\ntone = 3'))
    found = problems(path)
    assert set(found) == {"scenario.name", "scenario.horizon_days", "portfolio.accounts",
                          "portfolio.segments.money_management.willingnes",
                          "agencies.beta.tone"}


def test_wrong_names_are_reported_with_wrong_values_elsewhere(tmp_path: Path) -> None:
    """The names the allocation uses are checked even when other fields are wrong."""
    path = edit(tmp_path, ROUTED,
                ('agency = "beta", segment = "income_shock"',
                 'agency = "betta", segment = "income_shok"'),
                ("accounts = 100", "accounts = -1"))
    found = problems(path)
    assert set(found) == {"portfolio.accounts", "bank.allocation.routes.0.agency",
                          "bank.allocation.routes.0.segment"}
    assert found["bank.allocation.routes.0.agency"].endswith(
        "no agency of that name; did you mean 'beta'? (agencies: alpha, beta) (got 'betta')")
    assert ("no segment of that name; did you mean 'income_shock'? "
            "(segments: income_shock, money_management)") in found[
        "bank.allocation.routes.0.segment"]


def test_checks_across_fields_report_every_problem(tmp_path: Path) -> None:
    text = MINIMAL + ('[[agencies]]\nname = "beta"\nshare = 0.5\n[bank.allocation]\n'
                      'method = "champion_challenger"\nchampion = "alfa"\nchallenger = "bet"\n')
    found = problems(write(tmp_path, text, "cc.toml"))
    assert set(found) == {"bank.allocation.champion", "bank.allocation.challenger"}
    assert "did you mean 'alpha'? (agencies: alpha, beta) (got 'alfa')" in found[
        "bank.allocation.champion"]
    assert "(agencies: alpha, beta) (got 'bet')" in found["bank.allocation.challenger"]


def test_every_bad_override_is_reported_with_the_file_problems(tmp_path: Path) -> None:
    path = edit(tmp_path, ROUTED, ("accounts = 100", "accounts = 0"))
    found = problems(path, ["agencies.gamma.tone=0.5", "portfolio.acounts=3", "nonsense",
                            "agencies.alpha.commission=0.1"])
    assert set(found) == {"agencies.gamma", "portfolio.acounts", None, "portfolio.accounts"}
    assert "no agency named 'gamma' (agencies: alpha, beta)" in found["agencies.gamma"]
    assert "did you mean 'accounts'?" in found["portfolio.acounts"]
    assert "KEY=VALUE" in found[None]


def test_a_valid_override_still_applies_when_another_is_bad() -> None:
    found = problems(BASELINE, ["portfolio.accounts=5", "agencies.alpha.collectors=-1"])
    assert set(found) == {"agencies.alpha.collectors"}


def test_a_file_with_one_problem_raises_just_that_one(tmp_path: Path) -> None:
    path = edit(tmp_path, MINIMAL, ("accounts = 100", "accounts = -5"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0] is info.value
    assert str(info.value).endswith("portfolio.accounts: must be at least 1 (got -5)")


def test_several_keeps_order_and_drops_repeated_lines() -> None:
    a = ScenarioError("f.toml", "a", "bad", 1)
    b = ScenarioError("f.toml", "b", "bad", 2)
    again = ScenarioError("f.toml", "a", "bad", 1)
    combined = ScenarioError.several([a, b, again])
    assert combined is a
    assert combined.lines() == ["f.toml: a: bad (got 1)", "f.toml: b: bad (got 2)"]
    assert ScenarioError.several([ScenarioError("g.toml", None, "x"), combined]).lines() == [
        "g.toml: x", "f.toml: a: bad (got 1)", "f.toml: b: bad (got 2)"]


# --------------------------------------------------------------------------- plain words


@pytest.mark.parametrize(("change", "field", "expected"), [
    (('name = "mini"', 'name = "my scenario"'), "scenario.name",
     "may contain only letters, digits, '_' and '-' (got 'my scenario')"),
    (("[portfolio.segments.a]", '[portfolio.segments."a b"]'), "portfolio.segments.a b",
     "a name may contain only letters, digits, '_' and '-' (got 'a b')"),
    (("accounts = 100", 'accounts = 100\ndays_past_due = "30-90"'), "portfolio.days_past_due",
     "must be a table like { low = 30, high = 90 } (got '30-90')"),
    (("accounts = 100", 'accounts = "100"'), "portfolio.accounts",
     "must be a whole number, without quotes (got '100')"),
    (("accounts = 100", "accounts = 100.5"), "portfolio.accounts",
     "must be a whole number (got 100.5)"),
    (("accounts = 100", "accounts = 100\napr = true"), "portfolio.apr",
     "must be a number, not true or false (got True)"),
    (('name = "mini"', 'name = "mini"\nstart_date = "2026-01-05"'), "scenario.start_date",
     "must be a date written without quotes, like 2026-01-05 (got '2026-01-05')"),
    (('name = "mini"', "name = 5"), "scenario.name",
     'must be text in quotes, like "alpha" (got 5)'),
    (("share = 1.0\n\n[[", "share = 1.0\n\n[rules]\nhonour_cease_requests = 'yes'\n\n[["),
     "rules.honour_cease_requests", "must be true or false, without quotes (got 'yes')"),
    (('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\npriority = "scor"'),
     "agencies.alpha.priority",
     "must be 'score', 'balance', 'days_past_due' or 'random'; did you mean 'score'? "
     "(got 'scor')"),
    (('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nshift = "9 to 5"'),
     "agencies.alpha.shift", 'must be a table like { start = "09:00", end = "17:00" }'),
    (('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nshift = { days = "mon" }'),
     "agencies.alpha.shift.days",
     'must be an array like ["mon", "tue", "wed", "thu", "fri"] (got \'mon\')'),
    (('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\ncomission = 0.2'),
     "agencies.alpha.comission", "unknown key; did you mean 'commission'? (got 0.2)"),
    (('name = "alpha"\nshare = 1.0', 'name = "alpha"\nshare = 1.0\nmin_expected_fee = 2e9'),
     "agencies.alpha.min_expected_fee", "must be at most 1000000000 (got 2000000000.0)"),
    (('name = "mini"', 'name = ""'), "scenario.name", "must not be empty"),
])
def test_problems_are_worded_in_the_terms_of_the_file(tmp_path: Path, change: tuple[str, str],
                                                      field: str, expected: str) -> None:
    found = problems(edit(tmp_path, MINIMAL, change))
    assert field in found, found
    assert expected in found[field]


@pytest.mark.parametrize(("key", "value", "hint"), [
    ("commission", "25", "write 0.25 for 25%"),
    ("share", "50", "write 0.5 for 50%"),
    ("compliance", "98", "write 0.98 for 98%"),
    ("commission", "100", "write 1 for 100%"),
])
def test_a_percentage_where_a_share_belongs_says_how_to_write_it(tmp_path: Path, key: str,
                                                                  value: str,
                                                                  hint: str) -> None:
    old = 'name = "alpha"\nshare = 1.0'
    new = f'name = "alpha"\nshare = {value}' if key == "share" else f"{old}\n{key} = {value}"
    found = problems(edit(tmp_path, MINIMAL, (old, new)))
    line = found[f"agencies.alpha.{key}"]
    assert f"must be at most 1; a share is written as a fraction: {hint} (got {value})" in line


@pytest.mark.parametrize(("key", "value"), [("tone", "2"), ("skill", "50"),
                                            ("commission", "250"), ("commission", "1e300")])
def test_no_percentage_hint_for_scales_or_values_beyond_100(tmp_path: Path, key: str,
                                                            value: str) -> None:
    old = 'name = "alpha"\nshare = 1.0'
    found = problems(edit(tmp_path, MINIMAL, (old, f"{old}\n{key} = {value}")))
    line = found[f"agencies.alpha.{key}"]
    assert "must be at most 1" in line and "%" not in line


def test_agencies_written_as_named_tables_say_how_to_write_them(tmp_path: Path) -> None:
    text = MINIMAL.replace('[[agencies]]\nname = "alpha"\n', "[agencies.alpha]\n")
    found = problems(write(tmp_path, text, "named.toml"))
    assert ('agencies: must be an array of tables: write [[agencies]] with name = "alpha" for '
            "each agency, not [agencies.alpha]") in found["agencies"]


def test_agencies_as_named_tables_over_an_inherited_list(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "parent.toml")
    child = write(tmp_path, "extends = 'parent.toml'\n[agencies.alpha]\ncollectors = 3\n",
                  "child.toml")
    found = problems(child)
    assert "write [[agencies]] with name = \"alpha\"" in found["agencies"]


def test_missing_extends_shows_the_path_it_tried(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    child = write(tmp_path / "sub", "extends = '../base/parent.toml'\n", "child.toml")
    found = problems(child)
    tried = (tmp_path / "base" / "parent.toml").resolve()
    assert found["extends"].endswith(
        f"extends: file not found (looked for {tried}) (got '../base/parent.toml')")


def test_a_wrong_name_from_an_inherited_file_is_named_without_its_value(
        tmp_path: Path) -> None:
    parent = write(tmp_path, ROUTED.replace('agency = "beta"', 'agency = "s3cr3t"'),
                   "parent.toml")
    child = write(tmp_path, "extends = 'parent.toml'\n[portfolio]\naccounts = 0\n",
                  "child.toml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    by_field = {p.field: p for p in info.value.problems}
    route = by_field["bank.allocation.routes.0.agency"]
    assert Path(route.file) == parent.resolve()
    assert "s3cr3t" not in str(route) and "(got" not in str(route)
    assert by_field["portfolio.accounts"].file == str(child)


# --------------------------------------------------------------------------- the helpers


def test_closest_name_and_the_list_of_valid_names() -> None:
    assert closest("comission", ["commission", "collectors"]) == "commission"
    assert closest("zzz", ["commission"]) is None
    assert unknown_name("segment", "segments", "x", []) == "no segment named 'x' (segments: none)"
    assert unknown_name("agency", "agencies", "alfa", ["alpha"], echo=False) == (
        "no agency of that name; did you mean 'alpha'? (agencies: alpha)")


def test_table_examples_and_bounds_read_as_written() -> None:
    assert table_example(DaysPastDueDistribution) == "{ low = 30, high = 90 }"
    assert table_example(Shift) == '{ start = "09:00", end = "17:00" }'
    assert table_example(Agency).startswith('{ name = "alpha", ')
    assert [plain_number(v) for v in (1e9, 0.5, 1, 2**63, 1e300)] == [
        "1000000000", "0.5", "1", "9223372036854775808", "1e+300"]


def test_checks_within_a_table_report_every_problem(tmp_path: Path) -> None:
    text = MINIMAL + ('shift = { start = "18:00", end = "09:00", days = ["mon", "mon"] }\n'
                      '[bank.allocation]\nmethod = "champion_challenger"\nfloor = 0.9\n'
                      "cap = 0.1\n")
    found = problems(write(tmp_path, text, "within.toml"))
    assert set(found) == {"agencies.alpha.shift.start", "agencies.alpha.shift.days",
                          "bank.allocation.method", "bank.allocation.floor"}
    assert found["bank.allocation.floor"].endswith("must not exceed cap (got 0.9 > 0.1)")


def test_names_of_result_rows_are_refused_for_agencies_and_segments(tmp_path: Path) -> None:
    """``total`` and ``control`` name rows of every results table (the whole program, the
    bank's control group): an agency or segment of that name would be mistaken for them."""
    path = edit(tmp_path, ROUTED,
                ("[portfolio.segments.money_management]", "[portfolio.segments.total]"),
                ('name = "alpha"', 'name = "control"'))
    found = problems(path)
    assert found == {
        "agencies.control.name": f"{path}: agencies.control.name: 'control' names the bank's "
                                 "control group in the results; choose another name (got "
                                 "'control')",
        "portfolio.segments.total": f"{path}: portfolio.segments.total: 'total' names the "
                                    "whole program in the results; choose another name (got "
                                    "'total')"}
    with_other_problems = edit(tmp_path, path.read_text(), ("accounts = 100", "accounts = -1"),
                               name="worse.toml")  # reported with the file's other problems
    assert set(problems(with_other_problems)) == {"portfolio.accounts", *found}
