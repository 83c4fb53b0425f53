"""One writer per sweep store: a second sweep on a folder being written is refused, a corrupt
store is named as such, and runs whose daily file or KPIs are missing are noticed and re-run.
"""

from __future__ import annotations

import importlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from support import GOOD_EXPERIMENT, assert_bad_input, call, write

from sim.experiment.backends import open_backend
from sim.experiment.experiment_file import load_experiment
from sim.experiment.store import STORE_FILE
from sim.experiment.sweep import sweep
from sim.report.folder import open_folder

sweep_module = importlib.import_module("sim.experiment.sweep")
ONE_LEVEL = GOOD_EXPERIMENT.replace("[0.2, 0.8]", "[0.2]")


@pytest.fixture
def swept(tmp_path: Path) -> tuple[Path, Path]:
    """A finished sweep of one design point × two replications: (experiment file, folder)."""
    experiment = write(tmp_path, ONE_LEVEL)
    out = tmp_path / "out"
    sweep(load_experiment(experiment), out, backend="serial")
    return experiment, out


def _files(folder: Path) -> list[str]:
    """Files in ``folder`` except SQLite's own journal files (a reader may create them)."""
    return sorted(p.name for p in folder.rglob("*") if not p.name.endswith(("-wal", "-shm")))


def _hold_in_thread(folder: Path) -> tuple[threading.Event, threading.Thread]:
    """Hold ``folder``'s writer lock in another thread until the returned event is set."""
    from sim.experiment.store import writer_lock  # imported here: a lock is what is tested
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_lock(folder):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return release, thread


def test_a_second_sweep_on_a_folder_being_written_is_refused(swept, monkeypatch):
    experiment, out = swept
    ran: list[object] = []
    monkeypatch.setattr(sweep_module, "run_point", lambda task: ran.append(task))
    store_before = (out / STORE_FILE).read_bytes()
    files_before = _files(out)
    release, thread = _hold_in_thread(out)
    try:
        for extra in ([], ["--resume"], ["--fresh"]):
            line = assert_bad_input(*call(["sweep", experiment, "--out", out, "--quiet",
                                           "--backend", "serial", *extra]),
                                    str(out), "another sweep is writing this folder")
            assert "add --resume" not in line
        with pytest.raises(Exception, match="another sweep is writing"):
            sweep(load_experiment(experiment), out, backend="serial", resume=True)
    finally:
        release.set()
        thread.join()
    assert ran == []
    assert (out / STORE_FILE).read_bytes() == store_before
    assert _files(out) == files_before
    again = sweep(load_experiment(experiment), out, backend="serial", resume=True)
    assert (again.ran, again.resumed) == (0, 2)


def test_the_refusal_names_the_writing_process(swept):
    experiment, out = swept
    held = sweep(load_experiment(experiment), out, backend="serial", resume=True)
    assert held.ran == 0  # records this process as the store's writer
    release, thread = _hold_in_thread(out)
    try:
        line = assert_bad_input(*call(["sweep", experiment, "--out", out, "--resume",
                                       "--quiet", "--backend", "serial"]))
    finally:
        release.set()
        thread.join()
    assert f"(pid {os.getpid()} since " in line


@pytest.mark.slow
def test_a_killed_writer_leaves_no_lock(swept):
    experiment, out = swept
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\n"
         "from sim.experiment.store import writer_lock\n"
         f"with writer_lock({str(out)!r}):\n"
         "    print('held', flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert_bad_input(*call(["sweep", experiment, "--out", out, "--resume", "--quiet",
                                "--backend", "serial"]), "another sweep is writing")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    status, _, err = call(["sweep", experiment, "--out", out, "--resume", "--quiet",
                           "--backend", "serial"])
    assert status == 0, err


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _garbage(path: Path) -> None:
    path.write_bytes(b"\x00garbage, not a database" * 300)


def _other_schema(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers VALUES (1, 'someone')")
    db.close()


@pytest.mark.parametrize("damage", [_garbage, _truncated, _other_schema])
def test_a_corrupt_store_is_named_and_fresh_replaces_it(swept, damage):
    experiment, out = swept
    with sqlite3.connect(out / STORE_FILE) as db:  # fold the journal into the file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    damage(out / STORE_FILE)
    damaged = (out / STORE_FILE).read_bytes()
    line = assert_bad_input(*call(["sweep", experiment, "--out", out, "--resume", "--quiet",
                                   "--backend", "serial"]),
                            str(out / STORE_FILE), "is not a collectsim sweep store",
                            "--fresh")
    assert "different experiment" not in line and "None" not in line
    assert (out / STORE_FILE).read_bytes() == damaged
    status, _, err = call(["sweep", experiment, "--out", out, "--fresh", "--quiet",
                           "--backend", "serial"])
    assert status == 0, err
    assert len(pd.read_csv(out / "runs.csv")) == 2


def test_resume_reruns_runs_whose_daily_file_or_kpis_are_missing(swept):
    experiment, out = swept
    runs_before = pd.read_csv(out / "runs.csv")
    daily_before = pd.read_parquet(out / "daily")
    lost = out / "daily" / "p000000_r00001.parquet"
    lost.unlink()
    notes = open_folder(out).notes
    assert any("daily/p000000_r00001.parquet" in note and "--resume" in note
               for note in notes), notes
    assert not any("p000000_r00000" in note for note in notes)
    with sqlite3.connect(out / STORE_FILE) as db:
        db.execute("UPDATE runs SET kpis = NULL WHERE replication = 0")
    db.close()
    again = sweep(load_experiment(experiment), out, backend="serial", resume=True)
    assert (again.ran, again.resumed) == (2, 0)
    assert lost.is_file()
    assert_frame_equal(pd.read_csv(out / "runs.csv").drop(columns=["seconds", "worker"]),
                       runs_before.drop(columns=["seconds", "worker"]))
    assert_frame_equal(pd.read_parquet(out / "daily"), daily_before)
    assert not any("daily" in note for note in open_folder(out).notes)


@pytest.mark.slow
def test_dask_starts_workers_only_for_the_work_there_is(tmp_path):
    experiment = load_experiment(write(tmp_path, GOOD_EXPERIMENT.replace(
        "replications = 2", "replications = 1")))
    assert len(experiment.assignments) == 2
    with open_backend("dask", 8) as engine:
        assert engine.started_workers == 0
        one = list(engine.map(abs, [-3]))
        assert one == [(0, 3)] and engine.started_workers == 1
        result = sweep(experiment, tmp_path / "out", backend=engine)
        assert result.ran == 2 and result.failed == 0
        assert engine.started_workers <= 2
