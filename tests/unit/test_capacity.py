"""``--scale-collectors``: each agency's collectors follow ``portfolio.accounts`` from the
file's value to the one given with ``--set`` (rounded, at least 1), in scenarios and in the
base scenario of an experiment."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import BASELINE, GOOD_EXPERIMENT, MINIMAL, write

from sim.config.capacity import scaled_collectors
from sim.config.loading import ScenarioError, load_scenario
from sim.config.schema import Agency
from sim.experiment.experiment_file import CommandLine, load_experiment

FILE = load_scenario(BASELINE)


def _collectors(overrides: list[str], scale: bool = True) -> dict[str, int]:
    scenario = load_scenario(BASELINE, overrides, scale_collectors=scale)
    return {a.name: a.collectors for a in scenario.agencies}


@pytest.mark.parametrize(("collectors", "ratio", "expected"), [
    (20, 0.1, 2), (20, 5.0, 100), (5, 0.5, 3), (5, 0.3, 2), (3, 0.1, 1), (1, 0.001, 1),
    (0, 10.0, 0)])
def test_scaled_collectors_round_half_up_and_keep_at_least_one(collectors: int, ratio: float,
                                                               expected: int) -> None:
    assert scaled_collectors(collectors, ratio) == expected


@pytest.mark.parametrize("accounts", [2_000, 5_000, 50_000, 100])
def test_collectors_follow_accounts_relative_to_the_file(accounts: int) -> None:
    ratio = accounts / FILE.portfolio.accounts
    assert _collectors([f"portfolio.accounts={accounts}"]) == {
        a.name: max(1, int(a.collectors * ratio + 0.5)) for a in FILE.agencies}


def test_without_the_option_collectors_stay_as_written() -> None:
    assert _collectors(["portfolio.accounts=2000"], scale=False) == {
        a.name: a.collectors for a in FILE.agencies}


def test_a_head_count_given_with_set_is_kept_whatever_the_order() -> None:
    other = FILE.agencies[1]
    for overrides in (["portfolio.accounts=2000", "agencies.alpha.collectors=7"],
                      ["agencies.alpha.collectors=7", "portfolio.accounts=2000"]):
        found = _collectors(overrides)
        assert found["alpha"] == 7
        assert found[other.name] == scaled_collectors(other.collectors, 0.1)


def test_the_files_own_accounts_are_the_reference(tmp_path: Path) -> None:
    """A file that extends another and states its own accounts is not scaled: the option
    follows what the command line changes."""
    child = write(tmp_path, f"extends = '{BASELINE}'\n[portfolio]\naccounts = 2000\n",
                  "child.toml")
    scenario = load_scenario(child, [], scale_collectors=True)
    assert [a.collectors for a in scenario.agencies] == [a.collectors for a in FILE.agencies]
    doubled = load_scenario(child, ["portfolio.accounts=4000"], scale_collectors=True)
    assert [a.collectors for a in doubled.agencies] == [
        scaled_collectors(a.collectors, 2.0) for a in FILE.agencies]


def test_default_collectors_are_scaled_and_a_bad_accounts_value_is_reported(
        tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL, "mini.toml")  # 100 accounts, collectors left at default
    scenario = load_scenario(path, ["portfolio.accounts=1000"], scale_collectors=True)
    assert scenario.agencies[0].collectors == 10 * Agency.model_fields["collectors"].default
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, ["portfolio.accounts=-1"], scale_collectors=True)
    assert info.value.field == "portfolio.accounts"


NO_HEAD_COUNTS = GOOD_EXPERIMENT.replace("agencies.alpha.collectors = 1\n", "").replace(
    "agencies.beta.collectors = 1\n", "")


def test_experiment_takes_set_reps_and_scaled_collectors(tmp_path: Path) -> None:
    path = write(tmp_path, NO_HEAD_COUNTS)
    plain = load_experiment(path)
    assert [a.collectors for a in plain.base.agencies] == [a.collectors for a in FILE.agencies]
    changed = load_experiment(path, CommandLine(("portfolio.accounts=2000",
                                                 "agencies.beta.tone=0.5"), 3, True))
    assert changed.spec.experiment.replications == 3
    assert changed.base.portfolio.accounts == 2000
    assert changed.base.agency("beta").tone == 0.5
    assert [a.collectors for a in changed.base.agencies] == [
        scaled_collectors(a.collectors, 0.1) for a in FILE.agencies]
    assert changed.key == load_experiment(path, CommandLine(
        ("portfolio.accounts=2000", "agencies.beta.tone=0.5"), 5, True)).key
    assert changed.key != plain.key


def test_experiment_head_counts_in_overrides_are_kept(tmp_path: Path) -> None:
    experiment = load_experiment(write(tmp_path, GOOD_EXPERIMENT),
                                 CommandLine(("portfolio.accounts=20000",), None, True))
    assert [a.collectors for a in experiment.base.agencies] == [1, 1]


def test_experiment_set_errors_name_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_EXPERIMENT)
    for overrides, field in ((("portfolio.accounts=-3",), "portfolio.accounts"),
                             (("agencies.gamma.tone=1",), "agencies.gamma")):
        with pytest.raises(ScenarioError) as info:
            load_experiment(path, CommandLine(overrides))
        assert (info.value.file, info.value.field) == ("--set", field)
