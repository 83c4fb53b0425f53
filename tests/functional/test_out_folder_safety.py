"""Commands never delete or overwrite a user's files through ``--out``.

Each case is a folder a careless ``--out`` could name: a web project with its own
``manifest.json``, a sweep's folder given to ``run``, a sweep folder where the user saved a
chart, a symbolic link, a link to nothing, the hidden staging folder of a killed run. Every
written file follows the umask, whichever command wrote it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from support import BASELINE, GOOD_EXPERIMENT, PYTHON, ROOT, TINY, assert_bad_input, call, write

SINGLE = ROOT / "scenarios" / "single_agency.toml"
COMPARE_TINY = ["--set", "portfolio.accounts=60", "--set", "scenario.horizon_days=5"]


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` with its content (``None`` for folders)."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def web_project(path: Path) -> Path:
    path.mkdir()
    (path / "manifest.json").write_text(json.dumps({"name": "My app", "start_url": "/"}))
    (path / "index.html").write_text("<h1>home</h1>")
    (path / "src").mkdir()
    (path / "src" / "app.js").write_text("console.log('hi')")
    return path


def run_tiny(out: Path, *extra: str) -> tuple[int, str, str]:
    return call(["run", BASELINE, *TINY, "--out", out, "--quiet", *extra])


def sweep_tiny(tmp_path: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    experiment = write(tmp_path, GOOD_EXPERIMENT)
    return call(["sweep", experiment, "--backend", "serial", "--out", out, "--quiet", *extra])


def test_run_refuses_a_web_project_and_deletes_nothing(tmp_path):
    webapp = web_project(tmp_path / "webapp")
    before = snapshot(webapp)
    assert_bad_input(*run_tiny(webapp, "--no-figures"), str(webapp), "--out",
                     "not a collectsim results folder")
    assert snapshot(webapp) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["webapp"]


def test_compare_refuses_a_web_project_and_deletes_nothing(tmp_path):
    webapp = web_project(tmp_path / "webapp")
    before = snapshot(webapp)
    assert_bad_input(*call(["compare", BASELINE, SINGLE, "--reps", "2", *COMPARE_TINY,
                            "--backend", "serial", "--out", webapp, "--quiet"]),
                     str(webapp), "not a collectsim results folder")
    assert snapshot(webapp) == before


def test_sweep_refuses_a_folder_with_a_foreign_manifest(tmp_path):
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "My app"}')
    before = snapshot(folder)
    for extra in ((), ("--resume",), ("--fresh",)):
        assert_bad_input(*sweep_tiny(tmp_path, folder, *extra), str(folder),
                         "not a collectsim results folder")
        assert snapshot(folder) == before


@pytest.mark.slow
def test_sweep_fresh_never_deletes_a_users_picture(tmp_path):
    out = tmp_path / "out"
    assert sweep_tiny(tmp_path, out)[0] == 0
    (out / "my_chart.png").write_bytes(b"\x89PNG\r\n\x1a\nmine")
    before = snapshot(out)
    assert_bad_input(*sweep_tiny(tmp_path, out, "--fresh"), "holds 'my_chart.png'")
    assert snapshot(out) == before
    (out / "my_chart.png").unlink()
    status, _, _ = sweep_tiny(tmp_path, out, "--fresh")
    assert status == 0
    assert "sweep_lines.png" in os.listdir(out)


def test_run_never_replaces_a_sweeps_folder(tmp_path):
    out = tmp_path / "sweep"
    assert sweep_tiny(tmp_path, out)[0] == 0
    before = snapshot(out)
    assert (out / "runs.sqlite").is_file() and any((out / "daily").iterdir())
    assert_bad_input(*run_tiny(out, "--no-figures"), str(out), "results of a collectsim sweep")
    assert snapshot(out) == before
    assert_bad_input(*call(["compare", BASELINE, SINGLE, "--reps", "2", *COMPARE_TINY,
                            "--backend", "serial", "--out", out, "--quiet"]),
                     "results of a collectsim sweep")
    assert snapshot(out) == before


def test_a_sweep_never_replaces_a_runs_folder(tmp_path):
    out = tmp_path / "run"
    assert run_tiny(out, "--no-figures")[0] == 0
    before = snapshot(out)
    assert_bad_input(*sweep_tiny(tmp_path, out, "--fresh"), "results of a collectsim run")
    assert snapshot(out) == before


def test_a_run_replaces_its_own_earlier_folder(tmp_path):
    out = tmp_path / "run"
    assert run_tiny(out, "--no-figures")[0] == 0
    assert run_tiny(out, "--no-figures", "--seed", "9")[0] == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 9
    assert json.loads((out / "collectsim.json").read_text())["kind"] == "run"


def test_out_through_a_symbolic_link_writes_into_its_target(tmp_path):
    target = tmp_path / "disk" / "results"
    target.mkdir(parents=True)
    link = tmp_path / "results"
    link.symlink_to(target)
    assert run_tiny(link, "--no-figures")[0] == 0
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert (target / "kpis.csv").is_file()
    assert run_tiny(link, "--no-figures")[0] == 0  # and again, replacing the target
    assert link.is_symlink() and (target / "kpis.csv").is_file()


def test_out_to_a_dangling_link_fails_before_any_work(tmp_path):
    link = tmp_path / "results"
    link.symlink_to(tmp_path / "gone")
    status, out, err = run_tiny(link)
    assert_bad_input(status, out, err, str(link), "does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


KILLED_WRITER = """
import os, signal, sys
from sim.experiment.files import atomic_folder
from sim.experiment.marker import FolderKind
with atomic_folder(sys.argv[1], FolderKind.RUN) as staging:
    (staging / "kpis.csv").write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow
def test_the_staging_folder_of_a_killed_run_is_cleaned_by_the_next(tmp_path):
    user = tmp_path / ".my.partial"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    killed = subprocess.run([PYTHON, "-c", KILLED_WRITER, str(tmp_path / "first")],
                            cwd=ROOT, check=False, timeout=60)
    assert killed.returncode == -signal.SIGKILL
    left = [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial") and p != user]
    assert len(left) == 1
    assert run_tiny(tmp_path / "second", "--no-figures")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".my.partial", "second"]
    assert (user / "notes.txt").read_text() == "keep me"


@pytest.mark.slow
def test_every_file_written_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        assert run_tiny(tmp_path / "run")[0] == 0
        assert call(["compare", BASELINE, SINGLE, "--reps", "2", *COMPARE_TINY,
                     "--backend", "serial", "--out", tmp_path / "compare", "--quiet"])[0] == 0
        assert sweep_tiny(tmp_path, tmp_path / "sweep")[0] == 0
        assert call(["report", tmp_path / "sweep"])[0] == 0
    finally:
        os.umask(old)
    for name in ("run", "compare", "sweep"):
        folder = tmp_path / name
        modes = {str(p.relative_to(tmp_path)): oct(p.stat().st_mode & 0o777)
                 for p in (folder, *folder.rglob("*"))}
        assert any(p.endswith(".png") for p in modes), modes
        wrong = {p: m for p, m in modes.items()
                 if m != (oct(0o755) if (tmp_path / p).is_dir() else oct(0o644))}
        assert wrong == {}


def test_a_folder_written_before_the_marker_is_read_but_never_replaced(tmp_path):
    out = tmp_path / "older"
    assert run_tiny(out, "--no-figures")[0] == 0
    (out / "collectsim.json").unlink()
    before = snapshot(out)
    status, _, stderr = call(["report", out])
    assert status == 0, stderr
    assert set(snapshot(out)) == {*before, "report.html"}
    (out / "report.html").unlink()
    assert_bad_input(*run_tiny(out, "--no-figures"), "no valid collectsim.json")
    assert snapshot(out) == before
