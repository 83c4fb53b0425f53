"""The results folder of ``collectsim run``, written atomically.

:func:`write_results_folder` builds everything in a hidden temporary folder beside the target
and renames it into place only when complete, so an interrupted run never leaves a half-written
folder, and an earlier folder of the same name is replaced only by a complete one. Nothing is
written outside the folder the user named (and its parent, for the temporary sibling).
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.loading import scenario_hash
from sim.config.notes import scenario_notes
from sim.config.schema import Scenario
from sim.experiment.calibrated import calibration_badge
from sim.experiment.files import atomic_folder
from sim.experiment.kpi_rows import kpi_rows, split_rows
from sim.experiment.marker import FolderKind
from sim.experiment.replicate import control_table
from sim.model.results import Results
from sim.model.rng import STREAM_IDS

PACKAGES = ("collectsim", "simpy", "numpy", "scipy", "pandas", "pyarrow", "matplotlib",
            "pydantic")


def package_versions(extra: Sequence[str] = ()) -> dict[str, str]:
    """Installed versions of Python and of the packages that shape the results (``PACKAGES``,
    then ``extra``)."""
    versions = {"python": platform.python_version()}
    for name in (*PACKAGES, *extra):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def manifest(scenario: Scenario, source: str, overrides: Sequence[str],
             results: Sequence[Results], seed: int, wall_seconds: float) -> dict[str, Any]:
    """What made these results: the resolved scenario, its hash, which of its values were
    calibrated and to which targets (empty when none), seeds, versions, timings."""
    return {
        "scenario_name": scenario.scenario.name,
        "scenario_file": source,
        "overrides": list(overrides),
        "scenario_hash": scenario_hash(scenario),
        "scenario": scenario.model_dump(mode="json"),
        "calibration": calibration_badge(scenario),
        "notes": scenario_notes(scenario),
        "seed": seed,
        "replications": [r.replication for r in results],
        "random_streams": {"seeding": "SeedSequence(entropy=seed, spawn_key=(replication, "
                                      "stream_id, ...)) with PCG64",
                           "streams": STREAM_IDS},
        "horizon_days": scenario.scenario.horizon_days,
        "versions": package_versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "timings": {"total_seconds": wall_seconds,
                    "replication_seconds": [r.meta.get("wall_seconds") for r in results]},
        "events_scheduled": [r.meta.get("events_scheduled") for r in results],
    }


def write_results_folder(out: Path, scenario: Scenario, source: str, overrides: Sequence[str],
                         results: Sequence[Results], seed: int, wall_seconds: float,
                         figures: Callable[[Path, Sequence[Results]], None] | None = None
                         ) -> Path:
    """Write ``kpis.csv`` (per agency, per segment and in total:
    :mod:`sim.experiment.kpi_rows`), ``segments.csv`` (its segment rows alone),
    ``control.csv`` (with a control group), ``roll_rates.csv``, ``daily.parquet``,
    ``reports.csv``, ``accounts.parquet`` (when kept), ``manifest.json``, the folder's marker
    and figures into ``out``, atomically (an existing ``out`` must have passed
    :func:`~sim.experiment.files.check_out_folder`)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_folder(out, FolderKind.RUN) as staging:
        rows = kpi_rows(results)
        rows.to_csv(staging / "kpis.csv", index=False)
        control = control_table(results)
        if not control.empty:
            control.to_csv(staging / "control.csv", index=False)
        _, segments = split_rows(rows)
        if segments is not None and not segments.empty:
            segments.to_csv(staging / "segments.csv", index=False)
        pd.concat([r.roll_rates.assign(replication=r.replication) for r in results],
                  ignore_index=True).to_csv(staging / "roll_rates.csv", index=False)
        daily = pd.concat([r.daily.assign(replication=r.replication) for r in results],
                          ignore_index=True)
        daily.to_parquet(staging / "daily.parquet", index=False)
        pd.concat([r.reports.assign(replication=r.replication) for r in results],
                  ignore_index=True).to_csv(staging / "reports.csv", index=False)
        if any(not r.vintages.empty for r in results):
            pd.concat([r.vintages.assign(replication=r.replication) for r in results],
                      ignore_index=True).to_parquet(staging / "vintages.parquet", index=False)
        pd.concat([r.allocation.assign(replication=r.replication) for r in results],
                  ignore_index=True).to_csv(staging / "allocation.csv", index=False)
        if any(not r.follow_up.empty for r in results):
            pd.concat([r.follow_up.assign(replication=r.replication) for r in results],
                      ignore_index=True).to_csv(staging / "follow_up.csv", index=False)
        tables = [r.accounts.assign(replication=r.replication) for r in results
                  if r.accounts is not None]
        if tables:
            pd.concat(tables, ignore_index=True).to_parquet(staging / "accounts.parquet",
                                                            index=False)
        if figures is not None:
            figures(staging, results)
        info = manifest(scenario, source, overrides, results, seed, wall_seconds)
        (staging / "manifest.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    return out
