"""``collectsim select`` refuses bad input with one line and exit status 2, before running
anything and without writing its results folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import BASELINE, TINY, assert_bad_input, call

AGGRESSIVE = BASELINE.parent / "aggressive_tone.toml"
GOOD = ["--kpi", "recovery_rate", "--delta", "0.01", "--pcs", "0.9"]


@pytest.mark.parametrize(("argv", "fragments"), [
    (["--kpi", "recovery_speed", "--delta", "0.01", "--pcs", "0.9"],
     ("--kpi", "unknown KPI", "recovery_speed")),
    (["--kpi", "accounts", "--delta", "0.01", "--pcs", "0.9"],
     ("--kpi", "no better direction")),
    (["--kpi", "recovery_rate", "--delta", "0", "--pcs", "0.9"], ("--delta", "positive")),
    (["--kpi", "recovery_rate", "--delta", "-0.01", "--pcs", "0.9"], ("--delta", "positive")),
    (["--kpi", "recovery_rate", "--delta", "nan", "--pcs", "0.9"], ("--delta",)),
    (["--kpi", "recovery_rate", "--delta", "0.01", "--pcs", "1"], ("--pcs", "between 1/k")),
    (["--kpi", "recovery_rate", "--delta", "0.01", "--pcs", "0.4"], ("--pcs", "between 1/k")),
    (["--kpi", "recovery_rate", "--delta", "0.01"], ("--pcs", "needed")),
    ([*GOOD, "--budget", "100"], ("--budget", "only applies")),
    (["--kpi", "recovery_rate", "--delta", "0.01", "--method", "ocba"], ("--budget", "needed")),
    (["--kpi", "recovery_rate", "--delta", "0.01", "--method", "ocba", "--budget", "5"],
     ("--budget", "at least")),
    ([*GOOD, "--n0", "1"], ("--n0", "at least 2")),
    ([*GOOD, "--max-reps", "5"], ("--max-reps", "at least --n0")),
])
def test_bad_options_are_one_line(tmp_path: Path, argv: list[str],
                                  fragments: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    status, stdout, stderr = call(["select", BASELINE, AGGRESSIVE, *argv, *TINY,
                                   "--out", out])
    assert_bad_input(status, stdout, stderr, *fragments)
    assert not out.exists()


def test_one_scenario_is_refused(tmp_path: Path) -> None:
    status, stdout, stderr = call(["select", BASELINE, *GOOD, *TINY])
    assert_bad_input(status, stdout, stderr, "at least two scenario files")


def test_two_files_with_one_name_are_refused(tmp_path: Path) -> None:
    twin = tmp_path / "twin.toml"
    twin.write_text(BASELINE.read_text())
    status, stdout, stderr = call(["select", BASELINE, twin, *GOOD, *TINY])
    line = assert_bad_input(status, stdout, stderr, "scenario.name", "same name", "baseline")
    assert line.startswith(f"error: {twin}: ")


def test_bad_scenario_file_is_one_line(tmp_path: Path) -> None:
    status, stdout, stderr = call(["select", BASELINE, tmp_path / "missing.toml", *GOOD])
    assert_bad_input(status, stdout, stderr, "missing.toml")


def test_out_that_is_not_a_results_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    status, stdout, stderr = call(["select", BASELINE, AGGRESSIVE, *GOOD, *TINY,
                                   "--out", out])
    assert_bad_input(status, stdout, stderr, "not a collectsim results folder")
    assert (out / "notes.txt").read_text() == "keep"


def test_the_indifference_zone_prints_with_the_digits_it_needs():
    from sim.cli.choose import _difference

    assert _difference("netback_rate", 0.0005, 0.0005) == "+0.050 pp"  # not "0.1 pp"
    assert _difference("netback_rate", 0.01, 0.01) == "+1.0 pp"  # the registry's own format
    assert _difference("complaints_per_1000", 0.25, 0.05) == "+0.250"
