"""Merging the shard folders of a sweep split across jobs into one results folder.

``collectsim sweep EXP --shard i/N`` runs slice *i* of *N* of an experiment's runs into its own
folder (:class:`~sim.experiment.sweep.Shard`). :func:`merge_shards` reads the shard folders —
their stores opened read-only, never changed — and checks, before writing anything, that

- each is a sweep's results folder with a finished ``manifest.json`` and a store;
- all record the same experiment (the same key: base scenario, design points, seed and
  collectsim version) with the same experiment file settings (replications, metrics);
- their shards are ``1/N … N/N`` of one ``N``, each exactly once (no shard twice, none
  missing), and each holds every run of its slice and no other.

It then writes the folder an unsharded sweep would have written — a store holding every run
(rows copied as stored, daily files copied byte for byte), ``runs.csv``, ``summary.csv`` and
``manifest.json`` built by the same functions from the same rows — atomically: built in a hidden
staging folder beside ``out`` and renamed into place. The data columns are therefore identical
to an unsharded sweep's; only timings (``seconds``, ``worker``, the manifest's timings and
command) differ. The merged folder is an ordinary sweep folder: ``--resume`` retries its
failed runs, and ``collectsim report`` reads it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.config.loading import ScenarioError
from sim.experiment.experiment_file import Experiment, experiment_from_manifest
from sim.experiment.files import atomic_folder, check_out_folder
from sim.experiment.marker import FolderKind, read_marker
from sim.experiment.store import (
    RunStore,
    StoredSweep,
    StoreError,
    daily_name,
    read_key,
    read_shard,
    read_store,
)
from sim.experiment.sweep import Shard, SweepResult, run_table, summary_table, write_outputs
from sim.experiment.tasks import OK

MAX_MANIFEST_BYTES = 64 * 2**20


def _shard_of(folder: Path, text: str) -> Shard:
    index, _, count = text.partition("/")
    try:
        return Shard(int(index), int(count))
    except ValueError:
        raise ScenarioError(str(folder), "runs.sqlite", "records no valid shard",
                            text) from None


def _read_folder(folder: Path) -> tuple[dict[str, Any], str, Shard, StoredSweep]:
    label = str(folder)
    if not folder.is_dir():
        raise ScenarioError(label, None, "no such folder" if not folder.exists()
                            else "not a folder")
    if read_marker(folder) not in (FolderKind.SWEEP, FolderKind.SENSITIVITY):
        raise ScenarioError(label, None, "is not the results folder of a collectsim sweep")
    manifest_path = folder / "manifest.json"
    if manifest_path.is_symlink() or not manifest_path.is_file() \
            or manifest_path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ScenarioError(label, "manifest.json", "missing: this shard has not finished; "
                            "finish it with `collectsim sweep … --resume`")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        key, _ = read_key(folder)
        shard = read_shard(folder)
        stored = read_store(folder)
    except StoreError as exc:
        raise ScenarioError(str(exc.path), None, exc.reason) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ScenarioError(label, "manifest.json", f"cannot be read: {exc}") from None
    if key is None or not isinstance(manifest, dict) \
            or not isinstance(manifest.get("experiment"), dict):
        raise ScenarioError(label, None, "holds no sweep store and manifest to merge")
    return manifest, key, _shard_of(folder, shard), stored


def _check_shards(folders: Sequence[Path], shards: Sequence[Shard]) -> None:
    counts = {s.count for s in shards}
    if len(counts) > 1:
        text = ", ".join(f"{f} is {s}" for f, s in zip(folders, shards, strict=True))
        raise ScenarioError(str(folders[0]), "--shard", f"mismatched: the folders split the "
                            f"sweep in different numbers of shards ({text})")
    count = counts.pop()
    seen: dict[int, Path] = {}
    for folder, shard in zip(folders, shards, strict=True):
        if shard.index in seen:
            raise ScenarioError(str(folder), "--shard", f"overlapping: shard {shard} is "
                                f"also in {seen[shard.index]}", str(shard))
        seen[shard.index] = folder
    missing = [f"{i}/{count}" for i in range(1, count + 1) if i not in seen]
    if missing:
        raise ScenarioError(str(folders[0]), "--shard", f"missing shards {', '.join(missing)}"
                            f" of {count}; run them and give every shard's folder")


def _check_runs(folder: Path, shard: Shard, stored: StoredSweep, experiment: Experiment
                ) -> None:
    points = len(experiment.assignments)
    held = {(run.point, run.replication) for run in stored.runs}
    wanted = {(p, r) for r in range(experiment.replications) for p in range(points)
              if shard.holds(p, r, points)}
    foreign = sorted(run for run in held - wanted if run[1] < experiment.replications)
    if foreign:
        point, replication = foreign[0]
        raise ScenarioError(str(folder), "runs.sqlite", f"overlapping: holds run (point "
                            f"{point}, replication {replication}), which belongs to another "
                            "shard", str(shard))
    lacking = wanted - held
    if lacking:
        raise ScenarioError(str(folder), "runs.sqlite", f"shard {shard} lacks {len(lacking)} "
                            f"of its {len(wanted)} runs; finish it with `collectsim sweep … "
                            f"--shard {shard} --resume`")


def merge_shards(folders: Sequence[str | Path], out: str | Path) -> SweepResult:
    """Merge the shard folders of one sweep into ``out`` (see the module docstring); raises
    :class:`ScenarioError` before writing anything when they do not make one sweep."""
    started = time.perf_counter()
    paths = [Path(f) for f in folders]
    if not paths:
        raise ScenarioError("merge", None, "needs the folders of every shard")
    target = Path(out).resolve()
    for folder in paths:
        if folder.resolve() == target:
            raise ScenarioError(str(out), "--out", "is one of the shard folders; name a new "
                                "folder for the merged sweep")
    check_out_folder(Path(out), FolderKind.SWEEP)
    read = [_read_folder(folder) for folder in paths]
    manifests = [m for m, _, _, _ in read]
    keys = [k for _, k, _, _ in read]
    shards = [s for _, _, s, _ in read]
    for folder, manifest, key in zip(paths[1:], manifests[1:], keys[1:], strict=True):
        if key != keys[0] or manifest["experiment"].get("experiment") \
                != manifests[0]["experiment"].get("experiment"):
            raise ScenarioError(str(folder), None, f"mismatched: holds a shard of a different "
                                f"experiment, design, seed or collectsim version than "
                                f"{paths[0]}")
    _check_shards(paths, shards)
    experiment = experiment_from_manifest(manifests[0]["experiment"], str(paths[0]))
    if experiment.key != keys[0]:
        raise ScenarioError(str(paths[0]), None, "mismatched: the store and the manifest "
                            "record different experiments")
    for folder, shard, (_, _, _, stored) in zip(paths, shards, read, strict=True):
        _check_runs(folder, shard, stored, experiment)
    runs = sorted(((run, folder) for folder, (_, _, _, stored) in zip(paths, read, strict=True)
                   for run in stored.runs if run.replication < experiment.replications),
                  key=lambda item: (item[0].point, item[0].replication))
    with atomic_folder(Path(out), FolderKind.SWEEP) as staging:
        store = RunStore(staging)
        try:
            store.initialise(experiment.key, experiment.name,
                             [experiment.point_values(i)
                              for i in range(len(experiment.assignments))])
            for run, folder in runs:
                daily = folder / daily_name(run.point, run.replication)
                store.adopt(run, daily if run.status == OK and daily.is_file() else None)
            table = run_table(experiment, store)
        finally:
            store.close()
        failed = sum(run.status != OK for run, _ in runs)
        result = SweepResult(experiment=experiment, runs=table,
                             summary=summary_table(experiment, table), out=Path(out),
                             ran=0, resumed=len(runs), failed=failed,
                             seconds=time.perf_counter() - started, backend="merged shards")
        write_outputs(staging, result, extra={
            "merged_from": [{"folder": str(folder), "shard": str(shard)}
                            for folder, shard in zip(paths, shards, strict=True)]})
    return result
