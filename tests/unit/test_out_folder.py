"""No command may replace a folder that collectsim did not write for the same kind of command.

A results folder is recognised by the content of its ``collectsim.json`` marker, never by the
names of the files in it; anything else in the folder means refusal. Symbolic links are
followed (the link is kept), dangling ones refused; staging folders of killed writers are
cleaned; written files follow the umask.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from sim.config.loading import ScenarioError
from sim.experiment.files import (
    atomic_folder,
    atomic_write_text,
    check_out_folder,
    remove_stale_staging,
)
from sim.experiment.marker import MARKER_FILE, FolderKind, marker_text, read_marker

RUN, COMPARE, SWEEP, SENSITIVITY = (FolderKind.RUN, FolderKind.COMPARE, FolderKind.SWEEP,
                                    FolderKind.SENSITIVITY)


def results_folder(path: Path, kind: FolderKind, *files: str) -> Path:
    path.mkdir(parents=True)
    (path / MARKER_FILE).write_text(marker_text(kind))
    for name in files:
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text("data")
    return path


def dead_pid() -> int:
    """A process id that no process can have (above the kernel's maximum)."""
    limit = Path("/proc/sys/kernel/pid_max")
    return int(limit.read_text()) + 1 if limit.is_file() else 2**22 + 1


def test_a_folder_of_user_files_is_refused(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ScenarioError, match="not a collectsim results folder"):
        check_out_folder(precious, RUN)


@pytest.mark.parametrize("name", ["manifest.json", "runs.sqlite", MARKER_FILE])
@pytest.mark.parametrize("kind", list(FolderKind))
def test_a_file_name_alone_does_not_make_a_results_folder(tmp_path, name, kind):
    folder = tmp_path / "webapp"
    folder.mkdir()
    (folder / name).write_text('{"name": "my-web-app", "version": "1.0.0"}')
    with pytest.raises(ScenarioError, match="not a collectsim results folder") as caught:
        check_out_folder(folder, kind)
    assert caught.value.field == "--out"
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("content", [
    {"format": "collectsim-results", "version": 99, "kind": "run"},
    {"format": "something-else", "version": 1, "kind": "run"},
    {"format": "collectsim-results", "version": 1, "kind": "webapp"},
    ["collectsim-results", 1, "run"],
])
def test_a_marker_is_read_by_content(tmp_path, content):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / MARKER_FILE).write_text(json.dumps(content))
    assert read_marker(folder) is None
    with pytest.raises(ScenarioError, match="not a collectsim results folder"):
        check_out_folder(folder, RUN)


@pytest.mark.parametrize(("kind", "files"), [
    (RUN, ["manifest.json", "kpis.csv", "daily.parquet", "summary.csv", "scorecard.png",
           "report.html", ".kpis.csv.abc123.tmp"]),
    (COMPARE, ["manifest.json", "comparison.csv", "runs.csv", "differences.png"]),
    (SWEEP, ["runs.sqlite", "runs.sqlite-wal", "daily/p000001_r00002.parquet",
             "daily/.p000001_r00003.parquet.x1.tmp", "runs.csv", "manifest.json",
             "sweep_lines.png"]),
    (SENSITIVITY, ["runs.sqlite", "indices.csv", "sensitivity_indices.png"]),
])
def test_a_marked_folder_holding_only_its_own_files_may_be_replaced(tmp_path, kind, files):
    folder = results_folder(tmp_path / "out", kind, *files)
    assert check_out_folder(folder, kind) == folder


@pytest.mark.parametrize(("found", "wanted"), [(SWEEP, RUN), (RUN, SWEEP), (RUN, COMPARE),
                                               (COMPARE, RUN), (SENSITIVITY, RUN),
                                               (COMPARE, SWEEP)])
def test_a_run_never_replaces_a_sweep_nor_the_reverse(tmp_path, found, wanted):
    folder = results_folder(tmp_path / "out", found, "manifest.json")
    with pytest.raises(ScenarioError, match=f"results of a collectsim {found}"):
        check_out_folder(folder, wanted)


def test_a_sweep_and_a_sensitivity_analysis_share_a_store(tmp_path):
    folder = results_folder(tmp_path / "out", SWEEP, "runs.sqlite")
    check_out_folder(folder, SENSITIVITY)


@pytest.mark.parametrize(("kind", "extra"), [
    (RUN, "index.html"), (RUN, "src/app.js"), (RUN, "chart.png"), (RUN, "runs.sqlite"),
    (COMPARE, "kpis.csv"), (SWEEP, "kpis.csv"), (SWEEP, "daily/notes.txt"),
    (SWEEP, "figures/a.png"),
])
def test_anything_else_in_a_marked_folder_is_refused_by_name(tmp_path, kind, extra):
    folder = results_folder(tmp_path / "out", kind, "manifest.json", extra)
    with pytest.raises(ScenarioError) as caught:
        check_out_folder(folder, kind)
    message = str(caught.value)
    assert message.startswith(f"{folder}: --out: holds '{extra.split('/')[0]}")
    assert "\n" not in message


def test_a_symbolic_link_inside_a_results_folder_is_refused(tmp_path):
    folder = results_folder(tmp_path / "out", RUN, "manifest.json")
    (tmp_path / "secret").write_text("secret")
    (folder / "kpis.csv").symlink_to(tmp_path / "secret")
    with pytest.raises(ScenarioError, match=r"holds 'kpis\.csv'"):
        check_out_folder(folder, RUN)


def test_the_current_folder_and_its_parents_are_refused(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    for target in (work, work.parent):
        with pytest.raises(ScenarioError, match="current folder"):
            check_out_folder(target, RUN)


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_folder_that_cannot_be_created_is_refused_on_one_line():
    with pytest.raises(ScenarioError, match="cannot write here") as caught:
        check_out_folder(Path("/proc/collectsim-results"), RUN)
    assert caught.value.field == "--out"
    assert "\n" not in str(caught.value)


def test_new_and_empty_folders_are_fine(tmp_path):
    check_out_folder(tmp_path / "new" / "deeper", SWEEP)
    empty = tmp_path / "empty"
    empty.mkdir()
    check_out_folder(empty, RUN)


def test_a_dangling_symbolic_link_is_refused_on_one_line(tmp_path):
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(ScenarioError, match="symbolic link to something that does not exist"):
        check_out_folder(link, RUN)
    assert link.is_symlink() and not (tmp_path / "gone").exists()


def test_a_symbolic_link_is_followed_and_kept(tmp_path):
    target = results_folder(tmp_path / "disk" / "results", RUN, "kpis.csv")
    link = tmp_path / "results"
    link.symlink_to(target)
    assert check_out_folder(link, RUN) == target.resolve()
    with atomic_folder(link, RUN) as staging:
        (staging / "manifest.json").write_text("{}")
    assert link.is_symlink()
    assert sorted(p.name for p in target.iterdir()) == [MARKER_FILE, "manifest.json"]


def test_a_folder_that_gains_user_files_during_the_work_is_kept(tmp_path):
    out = results_folder(tmp_path / "out", RUN, "kpis.csv")
    check_out_folder(out, RUN)
    with pytest.raises(ScenarioError, match=r"holds 'notes\.txt'"), \
            atomic_folder(out, RUN) as staging:
        (staging / "kpis.csv").write_text("new")
        (out / "notes.txt").write_text("written meanwhile")
    assert (out / "notes.txt").read_text() == "written meanwhile"
    assert (out / "kpis.csv").read_text() == "data"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_new_folder_carries_the_marker(tmp_path):
    with atomic_folder(tmp_path / "out", COMPARE) as staging:
        assert read_marker(staging) is COMPARE
    assert read_marker(tmp_path / "out") is COMPARE


def test_staging_folders_of_killed_writers_are_removed(tmp_path):
    pid = dead_pid()
    stale = results_folder(tmp_path / f".old-results.{pid}.a1b2c3d4.partial", RUN, "kpis.csv")
    retired = results_folder(tmp_path / f".old-results.{pid}.z9y8x7w6.old", RUN)
    empty = tmp_path / f".other.{pid}.q1w2e3r4.partial"
    empty.mkdir()
    live = results_folder(tmp_path / f".busy.{os.getpid()}.a1b2c3d4.partial", RUN)
    unmarked = tmp_path / f".mine.{pid}.a1b2c3d4.partial"
    unmarked.mkdir()
    (unmarked / "thesis.tex").write_text("keep me")
    user = tmp_path / ".drafts.partial"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    with atomic_folder(tmp_path / "new", RUN):
        pass
    left = sorted(p.name for p in tmp_path.iterdir())
    assert stale.name not in left and retired.name not in left and empty.name not in left
    assert {live.name, unmarked.name, user.name, "new"} == set(left)
    assert (unmarked / "thesis.tex").read_text() == "keep me"
    assert remove_stale_staging(tmp_path) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        written = atomic_write_text(tmp_path / "summary.csv", "a,b\n")
        with atomic_folder(tmp_path / "out", RUN) as staging:
            atomic_write_text(staging / "kpis.csv", "a\n")
    finally:
        os.umask(old)
    assert written.stat().st_mode & 0o777 == mode
    assert (tmp_path / "out" / "kpis.csv").stat().st_mode & 0o777 == mode
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~umask
