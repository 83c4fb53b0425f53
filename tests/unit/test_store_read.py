"""Reading a sweep's store without writing to it (sim.experiment.store.read_store)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sim.experiment.store import STORE_FILE, RunStore, StoreError, read_key, read_store
from sim.experiment.tasks import FAILED, OK, RunOutcome


def test_read_store_returns_points_and_runs_in_order(tmp_path: Path) -> None:
    with RunStore(tmp_path) as store:
        store.initialise("key", "fees", [{"fee": 0.15}, {"fee": 0.25}])
        store.record(RunOutcome(point=1, replication=0, seed=7, status=OK,
                                kpis={"total": {"collected": 12.5, "cx_index": math.nan}},
                                seconds=0.5, worker="here:1"))
        store.record(RunOutcome(point=0, replication=0, seed=7, status=FAILED,
                                error="ValueError: no", worker="here:1"))
    before = (tmp_path / STORE_FILE).read_bytes()
    stored = read_store(tmp_path)
    assert (tmp_path / STORE_FILE).read_bytes() == before
    assert stored.points == {0: {"fee": 0.15}, 1: {"fee": 0.25}}
    assert [(r.point, r.status) for r in stored.runs] == [(0, FAILED), (1, OK)]
    assert stored.runs[0].kpis == {} and stored.runs[0].error == "ValueError: no"
    assert stored.runs[1].kpis["total"]["collected"] == 12.5
    assert math.isnan(stored.runs[1].kpis["total"]["cx_index"])
    assert read_key(tmp_path) == ("key", "fees")


def test_an_unreadable_store_raises_store_error(tmp_path: Path) -> None:
    (tmp_path / STORE_FILE).write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        read_store(tmp_path)
