"""A sweep split into shards (the jobs of a job array) and merged again is the unsharded sweep:
the same runs, summary and store, byte for byte on the data columns; shards that do not make
one sweep are refused with one line before anything is written."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from support import GOOD_EXPERIMENT, assert_bad_input, call, write

from sim.config.loading import ScenarioError
from sim.experiment.experiment_file import load_experiment
from sim.experiment.merge import merge_shards
from sim.experiment.store import read_store
from sim.experiment.sweep import Shard, parse_shard, prepare_out, sweep

THREE_REPS = GOOD_EXPERIMENT.replace("replications = 2", "replications = 3")
TIMING = ["seconds", "worker"]


def _shards(tmp_path: Path, text: str = THREE_REPS, count: int = 3) -> list[Path]:
    tmp_path.mkdir(exist_ok=True)
    experiment = load_experiment(write(tmp_path, text))
    folders = []
    for index in range(1, count + 1):
        folder = tmp_path / f"shard{index}"
        sweep(experiment, folder, backend="serial", shard=Shard(index, count))
        folders.append(folder)
    return folders


def _store_rows(folder: Path) -> list[tuple]:
    stored = read_store(folder)
    return [(r.point, r.replication, r.seed, r.status, r.kpis, r.error) for r in stored.runs]


def _raw_kpis(folder: Path) -> list[tuple]:
    with sqlite3.connect(folder / "runs.sqlite") as db:
        return db.execute("SELECT point, replication, kpis FROM runs "
                          "ORDER BY point, replication").fetchall()


def test_shards_merged_equal_the_unsharded_sweep(tmp_path: Path) -> None:
    experiment = load_experiment(write(tmp_path, THREE_REPS))
    whole = tmp_path / "whole"
    sweep(experiment, whole, backend="serial")
    folders = _shards(tmp_path)
    sizes = [len(read_store(f).runs) for f in folders]
    assert sizes == [2, 2, 2] and sum(sizes) == 2 * 3
    merged = tmp_path / "merged"
    merge_shards(folders, merged)

    for name in ("runs.csv", "summary.csv"):
        a = pd.read_csv(whole / name, dtype=str, keep_default_na=False)
        b = pd.read_csv(merged / name, dtype=str, keep_default_na=False)
        data = [c for c in a.columns if c not in TIMING]
        assert list(a.columns) == list(b.columns)
        assert a[data].to_csv(index=False) == b[data].to_csv(index=False)
    assert (whole / "summary.csv").read_bytes() == (merged / "summary.csv").read_bytes()
    assert _store_rows(whole) == _store_rows(merged)
    assert _raw_kpis(whole) == _raw_kpis(merged)
    assert read_store(whole).points == read_store(merged).points
    daily = sorted(p.name for p in (whole / "daily").iterdir())
    assert daily == sorted(p.name for p in (merged / "daily").iterdir())
    for name in daily:
        assert (whole / "daily" / name).read_bytes() == (merged / "daily" / name).read_bytes()
    # the merged folder is an ordinary sweep folder: resuming it finds nothing to do
    again = sweep(experiment, merged, backend="serial", resume=True)
    assert (again.ran, again.resumed) == (0, 6)


def test_every_slice_is_the_same_whatever_the_replications() -> None:
    shard = Shard(2, 3)
    two = {(p, r) for r in range(2) for p in range(4) if shard.holds(p, r, 4)}
    five = {(p, r) for r in range(5) for p in range(4) if shard.holds(p, r, 4)}
    assert two <= five
    assert all(sum(Shard(i, 3).holds(p, r, 4) for i in (1, 2, 3)) == 1
               for r in range(5) for p in range(4))


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2"])
def test_bad_shard_is_refused(text: str) -> None:
    with pytest.raises(ScenarioError, match="--shard"):
        parse_shard(text)


def test_a_shard_folder_is_resumed_only_as_the_same_shard(tmp_path: Path) -> None:
    experiment = load_experiment(write(tmp_path, GOOD_EXPERIMENT))
    folder = tmp_path / "s1"
    sweep(experiment, folder, backend="serial", shard=Shard(1, 2))
    prepare_out(folder, experiment, resume=True, fresh=False, shard=Shard(1, 2))
    with pytest.raises(ScenarioError, match="holds shard 1/2"):
        prepare_out(folder, experiment, resume=True, fresh=False, shard=Shard(2, 2))
    with pytest.raises(ScenarioError, match="holds shard 1/2"):
        prepare_out(folder, experiment, resume=True, fresh=False)


def test_merge_refuses_shards_that_do_not_make_one_sweep(tmp_path: Path) -> None:
    one, two, three = _shards(tmp_path)
    out = tmp_path / "merged"

    def refused(*folders: Path, fragments: tuple[str, ...]) -> None:
        status, stdout, stderr = call(["merge", *folders, "--out", out])
        assert_bad_input(status, stdout, stderr, *fragments)
        assert not out.exists()

    refused(one, two, fragments=("missing shards 3/3",))
    refused(one, two, three, one, fragments=("overlapping", "shard 1/3"))
    copy = tmp_path / "copy"
    shutil.copytree(one, copy)
    refused(one, two, three, copy, fragments=("overlapping",))
    other = _shards(tmp_path / "other", THREE_REPS.replace("[0.2, 0.8]", "[0.3, 0.7]"))
    refused(one, two, other[2], fragments=("mismatched",))
    halves = _shards(tmp_path / "halves", count=2)
    refused(one, two, halves[1], fragments=("mismatched", "different numbers of shards"))
    (three / "manifest.json").unlink()
    refused(one, two, three, fragments=("manifest.json", "has not finished"))
    refused(one, two, one, fragments=("overlapping",))
    status, stdout, stderr = call(["merge", one, two, tmp_path / "nothing", "--out", out])
    assert_bad_input(status, stdout, stderr, "nothing", "no such folder")
    status, stdout, stderr = call(["merge", one, two, "--out", one])
    assert_bad_input(status, stdout, stderr, "is one of the shard folders")


def test_sweep_with_a_bad_shard_is_one_line(tmp_path: Path) -> None:
    experiment = write(tmp_path, GOOD_EXPERIMENT)
    status, stdout, stderr = call(["sweep", experiment, "--shard", "4/3", "--backend", "serial",
                                   "--out", tmp_path / "out"])
    assert_bad_input(status, stdout, stderr, "--shard", "i/N")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_sweep_shards_and_merge_on_the_command_line(tmp_path: Path) -> None:
    experiment = write(tmp_path, GOOD_EXPERIMENT)
    for index in (1, 2):
        status, stdout, stderr = call(["sweep", experiment, "--shard", f"{index}/2",
                                       "--backend", "serial", "--quiet",
                                       "--out", tmp_path / f"s{index}"])
        assert status == 0, stderr
        assert f"shard {index}/2: 2 of them" in stdout
    status, stdout, stderr = call(["merge", tmp_path / "s1", tmp_path / "s2",
                                   "--out", tmp_path / "merged"])
    assert status == 0, stderr
    assert "2 points × 2 replications = 4 runs" in stdout
    runs = pd.read_csv(tmp_path / "merged" / "runs.csv")
    assert sorted(zip(runs["point"], runs["replication"], strict=True)) == [
        (0, 0), (0, 1), (1, 0), (1, 1)]
