"""Temporary files of atomic writes: named with the writing process, and cleaned up only when
that process is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sim.experiment.files import atomic_write, remove_temporaries
from sim.experiment.store import DAILY_DIR, RunStore


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_temporary_carries_the_writing_process_id(tmp_path: Path) -> None:
    seen: list[str] = []
    atomic_write(tmp_path / "runs.csv", lambda tmp: (seen.append(tmp.name),
                                                     tmp.write_text("x")))
    assert seen[0].startswith(f".runs.csv.{os.getpid()}.") and seen[0].endswith(".tmp")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv"]


def test_clean_up_spares_the_temporaries_of_a_live_writer(tmp_path: Path) -> None:
    daily = tmp_path / DAILY_DIR
    daily.mkdir()
    live = daily / f".p000000_r00000.parquet.{os.getppid()}.k2x9q1ab.tmp"
    mine = tmp_path / f".runs.csv.{os.getpid()}.a1b2c3d4.tmp"
    dead = daily / f".p000001_r00000.parquet.{_dead_pid()}.zz81mm0q.tmp"
    for path in (live, mine, dead):
        path.write_bytes(b"half a file")
    with RunStore(tmp_path):
        pass
    assert live.is_file() and mine.is_file()
    assert not dead.exists()
    remove_temporaries(daily)
    assert live.is_file()
