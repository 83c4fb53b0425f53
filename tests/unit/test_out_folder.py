"""No command may replace a folder that is not a collectsim results folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.main import main
from sim.config.loading import ScenarioError
from sim.experiment.files import check_out_folder

REPO = Path(__file__).resolve().parents[2]


def test_a_folder_of_user_files_is_refused(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ScenarioError, match="not a collectsim results folder"):
        check_out_folder(precious)


@pytest.mark.parametrize("marker", ["manifest.json", "runs.sqlite"])
def test_a_results_folder_may_be_replaced_or_resumed(tmp_path, marker):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / marker).write_text("{}")
    check_out_folder(folder)


def test_the_current_folder_and_its_parents_are_refused(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for target in (work, work.parent):
        with pytest.raises(ScenarioError, match="current folder"):
            check_out_folder(target)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_that_cannot_be_created_is_refused_on_one_line():
    with pytest.raises(ScenarioError, match="cannot write here") as caught:
        check_out_folder(Path("/proc/collectsim-results"))
    assert caught.value.field == "--out"
    assert "\n" not in str(caught.value)


def test_new_and_empty_folders_are_fine(tmp_path):
    check_out_folder(tmp_path / "new" / "deeper")
    empty = tmp_path / "empty"
    empty.mkdir()
    check_out_folder(empty)


def test_compare_refuses_to_overwrite_user_files(tmp_path, capsys):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    status = main(["compare", str(REPO / "scenarios" / "baseline.toml"),
                   str(REPO / "scenarios" / "single_agency.toml"), "--reps", "2",
                   "--out", str(precious), "--set", "portfolio.accounts=100"])
    assert status == 2
    assert (precious / "notes.txt").read_text() == "keep me"
    assert capsys.readouterr().err.count("\n") == 1
