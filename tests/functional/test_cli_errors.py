"""The command line reports every problem of its scenario files at once: one ``error:`` line
each, exit status 2, nothing written — for ``validate`` (several files), ``run`` and
``compare``."""

from __future__ import annotations

from pathlib import Path

from support import MINIMAL, TINY, bad_input_lines, call, write

# Three mistakes a first scenario often has: a percentage for a share, a misspelt key and a
# table written as text.
THREE_MISTAKES = MINIMAL.replace(
    'name = "alpha"\nshare = 1.0',
    'name = "alpha"\nshare = 1.0\ncommission = 25\ncolectors = 4\nshift = "9 to 5"')


def _fields(lines: list[str], path: Path) -> list[str]:
    prefix = f"{path}: "
    assert all(line.startswith(prefix) for line in lines), lines
    return [line.removeprefix(prefix).split(": ")[0] for line in lines]


def test_validate_prints_every_problem_of_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, THREE_MISTAKES, "first.toml")
    lines = bad_input_lines(*call(["validate", path]))
    assert sorted(_fields(lines, path)) == ["agencies.alpha.colectors",
                                            "agencies.alpha.commission", "agencies.alpha.shift"]
    assert any("write 0.25 for 25% (got 25)" in line for line in lines)
    assert any("did you mean 'collectors'?" in line for line in lines)
    assert any('must be a table like { start = "09:00", end = "17:00" }' in line
               for line in lines)


def test_validate_checks_several_files_and_reports_each(tmp_path: Path) -> None:
    good = write(tmp_path, MINIMAL, "good.toml")
    bad = write(tmp_path, THREE_MISTAKES, "bad.toml")
    worse = write(tmp_path, MINIMAL.replace("accounts = 100", "accounts = 0")
                  .replace('name = "mini"', 'name = "mini mini"'), "worse.toml")
    status, out, err = call(["validate", good, bad, worse])
    assert status == 2
    assert out == f"{good}: valid scenario 'mini' (100 accounts, 1 agencies)\n"
    lines = bad_input_lines(status, "", err)
    assert len(lines) == 5
    assert len(_fields(lines[:3], bad)) == 3
    assert _fields(lines[3:], worse) == ["scenario.name", "portfolio.accounts"]
    status, out, err = call(["validate", good, good])
    assert (status, err) == (0, "")
    assert out.count("valid scenario") == 2


def test_validate_applies_set_to_every_file(tmp_path: Path) -> None:
    first = write(tmp_path, MINIMAL, "a.toml")
    second = write(tmp_path, MINIMAL, "b.toml")
    lines = bad_input_lines(*call(["validate", first, second, "--set", "agencies.alfa.tone=1"]))
    assert lines == [f"{path}: agencies.alfa: no agency named 'alfa'; did you mean 'alpha'? "
                     f"(agencies: alpha)" for path in (first, second)]


def test_run_reports_every_problem_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, THREE_MISTAKES, "first.toml")
    out = tmp_path / "out"
    lines = bad_input_lines(*call(["run", path, "--out", out, "--set", "portfolio.acounts=5"]))
    assert sorted(_fields(lines, path)) == ["agencies.alpha.colectors",
                                            "agencies.alpha.commission", "agencies.alpha.shift",
                                            "portfolio.acounts"]
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.toml"]


def test_compare_reports_the_problems_of_every_file(tmp_path: Path) -> None:
    good = write(tmp_path, MINIMAL, "good.toml")
    bad = write(tmp_path, THREE_MISTAKES, "bad.toml")
    worse = write(tmp_path, MINIMAL.replace("accounts = 100", "accounts = -1"), "worse.toml")
    lines = bad_input_lines(*call(["compare", good, bad, worse, "--reps", "2",
                                   "--out", tmp_path / "cmp", *TINY[2:4]]))
    assert len(lines) == 4
    assert lines[-1] == f"{worse}: portfolio.accounts: must be at least 1 (got -1)"
    assert not (tmp_path / "cmp").exists()
