"""Reading a results folder back: what made it, its tables, and what is missing.

:func:`open_folder` recognises the folders that ``collectsim run``, ``compare``, ``sweep`` and
``sensitivity`` write (by the kind in their ``collectsim.json`` marker, or for folders
written before the marker existed by their ``manifest.json``) and loads their tables into
:class:`RunData`, :class:`CompareData` or :class:`SweepData` — the inputs of the figures
(:mod:`sim.report.figures`) and of the HTML report (:mod:`sim.report.html`). It never writes.

Folders are often incomplete: a sweep with failed runs, one interrupted before its tables were
written (then only ``runs.sqlite`` is there, read-only), an older ``run`` folder without
``summary.csv``. Whatever is missing is described in :attr:`ResultsFolder.notes`, in words a
reader can act on, and what can be rebuilt from what is there (a summary from ``kpis.csv`` or
``runs.csv``) is rebuilt. A folder that is none of these raises
:class:`~sim.config.loading.ScenarioError`: ``<dir>: not a collectsim results folder (no
manifest.json)``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.config.loading import ScenarioError
from sim.config.reading import UnreadableFile, read_capped
from sim.experiment.intervals import t_half_width
from sim.experiment.kpi_rows import SEGMENT, split_rows
from sim.experiment.marker import FolderKind, read_marker
from sim.experiment.replicate import kpi_columns, kpi_table, run_summary
from sim.experiment.store import STORE_FILE, StoreError, daily_name, read_key, read_store
from sim.model.kpis import KPI_NAMES
from sim.model.results import TOTAL, Results

NOT_RESULTS = "not a collectsim results folder (no manifest.json)"
_SWEEPS = (FolderKind.SWEEP, FolderKind.SENSITIVITY)
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
OK = "ok"


# pandas 3 parses floats exactly by default (and deprecates the option); pandas 2 needs it.
_EXACT: dict[str, Any] = {} if int(pd.__version__.split(".")[0]) >= 3 \
    else {"float_precision": "round_trip"}


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV written by collectsim, with floats read back exactly (round trip)."""
    return pd.read_csv(path, **_EXACT)


# --------------------------------------------------------------------------- data


@dataclass
class RunData:
    """One scenario's replications: per-replication KPIs, daily series, vintages, summary."""

    scenario: str
    kpis: pd.DataFrame | None
    daily: pd.DataFrame | None
    vintages: pd.DataFrame | None
    summary: pd.DataFrame | None
    segments: pd.DataFrame | None = None  # kpis.csv's segment rows: replication × segment
    segment_summary: pd.DataFrame | None = None  # summary.csv's segment rows
    control: pd.DataFrame | None = None  # control.csv: the bank's control group's KPIs
    roll_rates: pd.DataFrame | None = None  # roll_rates.csv: delinquency transitions
    allocation: pd.DataFrame | None = None  # allocation.csv: shares and scores at reviews

    @classmethod
    def from_results(cls, results: Sequence[Results]) -> RunData:
        """From the replications in memory (what ``run`` writes)."""
        kpis = kpi_table(results)
        daily = pd.concat([r.daily.assign(replication=r.replication) for r in results],
                          ignore_index=True)
        frames = [r.vintages.assign(replication=r.replication) for r in results
                  if not r.vintages.empty]
        vintages = pd.concat(frames, ignore_index=True) if frames else None
        allocation = pd.concat([r.allocation.assign(replication=r.replication)
                                for r in results], ignore_index=True)
        return cls(scenario=results[0].scenario, kpis=kpis, daily=daily, vintages=vintages,
                   summary=run_summary(kpis), allocation=allocation)

    @property
    def flows(self) -> bool:
        """Whether accounts were placed in more than one vintage."""
        return self.vintages is not None and not self.vintages.empty \
            and self.vintages["vintage"].nunique() > 1


@dataclass
class CompareData:
    """A paired comparison: differences to the reference, per-scenario summaries and runs."""

    base: str
    labels: list[str]
    agency: str
    differences: pd.DataFrame | None
    summary: pd.DataFrame | None
    runs: pd.DataFrame | None


@dataclass
class SweepData:
    """A sweep (or sensitivity analysis): runs, per-point summary and indices."""

    name: str
    design: str
    factors: list[str]
    metrics: list[str]
    agencies: list[str]
    runs: pd.DataFrame | None
    summary: pd.DataFrame | None
    indices: pd.DataFrame | None = None
    total_runs: int | None = None

    @property
    def failed(self) -> pd.DataFrame:
        """One row per failed (point, replication), with its factor values and error."""
        if self.runs is None or self.runs.empty:
            return pd.DataFrame(columns=["point", "replication", "error"])
        bad = self.runs[self.runs["status"] != OK]
        return bad.drop_duplicates(["point", "replication"])[
            ["point", "replication", *[f for f in self.factors if f in bad.columns],
             "error"]].reset_index(drop=True)

    @property
    def done(self) -> int:
        """Runs recorded (successful or failed)."""
        if self.runs is None or self.runs.empty:
            return 0
        return len(self.runs.drop_duplicates(["point", "replication"]))


def summary_from_runs(runs: pd.DataFrame, factors: Sequence[str], metrics: Sequence[str]
                      ) -> pd.DataFrame:
    """A sweep's ``summary.csv`` rebuilt from ``runs.csv``: per point × agency × metric."""
    rows: list[dict[str, Any]] = []
    for (point, agency), group in runs.groupby(["point", "agency"], sort=True):
        ok = group[group["status"] == OK]
        factor_values = {f: group[f].iloc[0] for f in factors if f in group.columns}
        failed = int((group["status"] != OK).sum())
        for metric in metrics:
            values = ok[metric].to_numpy(dtype=float) if metric in ok.columns \
                else np.array([], dtype=float)
            finite = values[np.isfinite(values)]
            rows.append({"point": point, **factor_values, "agency": agency, "metric": metric,
                         "mean": float(finite.mean()) if len(finite) else float("nan"),
                         "sd": float(finite.std(ddof=1)) if len(finite) > 1 else float("nan"),
                         "ci95": t_half_width(values), "n": len(finite), "failed": failed})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- folders


@dataclass
class ResultsFolder:
    """A results folder as read back: its kind, manifest, tables and what is missing."""

    path: Path
    kind: str  # run | compare | sweep | sensitivity
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    run: RunData | None = None
    compare: CompareData | None = None
    sweep: SweepData | None = None

    @property
    def title(self) -> str:
        """The scenario's or experiment's name."""
        if self.run is not None:
            return self.run.scenario
        if self.compare is not None:
            return " vs ".join(self.compare.labels)
        if self.sweep is not None:
            return self.sweep.name
        return self.path.name


def open_folder(path: str | Path) -> ResultsFolder:
    """Read the results folder at ``path``; :class:`ScenarioError` if it is not one."""
    folder = Path(path)
    label = str(path)
    if not folder.is_dir():
        raise ScenarioError(label, None, "no such folder" if not folder.exists()
                            else "not a folder")
    kind = read_marker(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        if (folder / STORE_FILE).is_file() and kind in (None, *_SWEEPS):
            return _interrupted_sweep(folder)
        raise ScenarioError(label, None, NOT_RESULTS)
    try:
        manifest = json.loads(read_capped(manifest_path, MAX_MANIFEST_BYTES,
                                          follow_symlinks=False).decode("utf-8"))
    except UnreadableFile as exc:
        raise ScenarioError(label, "manifest.json", f"cannot be read: {exc.problem}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ScenarioError(label, "manifest.json", f"cannot be read: {exc}") from None
    if not isinstance(manifest, dict):
        raise ScenarioError(label, "manifest.json", "is not a JSON object")
    if kind in _SWEEPS or (kind is None and "experiment" in manifest):
        return _sweep_folder(folder, manifest)
    if kind is FolderKind.COMPARE or (kind is None and "scenarios" in manifest
                                      and "base" in manifest):
        return _compare_folder(folder, manifest)
    if kind is FolderKind.RUN or (kind is None and "scenario" in manifest
                                  and "scenario_hash" in manifest):
        return _run_folder(folder, manifest)
    raise ScenarioError(label, "manifest.json",
                        "not written by collectsim run, compare, sweep or sensitivity")


def _optional(folder: Path, name: str, notes: list[str], why: str) -> pd.DataFrame | None:
    path = folder / name
    if path.is_symlink():
        notes.append(f"{name} is not read (a symbolic link: a report reads only the folder's "
                     f"own files): {why}.")
        return None
    if not path.is_file():
        notes.append(f"{name} is missing: {why}.")
        return None
    try:
        return read_csv(path) if name.endswith(".csv") else pd.read_parquet(path)
    except Exception as exc:
        notes.append(f"{name} could not be read ({type(exc).__name__}: {exc}): {why}.")
        return None


def _run_folder(folder: Path, manifest: dict[str, Any]) -> ResultsFolder:
    notes: list[str] = []
    kpis, segments = _split(_optional(folder, "kpis.csv", notes,
                                      "no KPI table or KPI figures"))
    daily = _optional(folder, "daily.parquet", notes,
                      "no liquidation curve or daily operations figure")
    vintages = None
    if (folder / "vintages.parquet").is_file():
        vintages = _optional(folder, "vintages.parquet", notes, "no per-vintage curves")
    elif manifest.get("scenario", {}).get("bank", {}).get("placement") == "flow":
        notes.append("vintages.parquet is missing: no per-vintage liquidation curves.")
    summary = segment_summary = None
    if (folder / "summary.csv").is_file():
        summary, segment_summary = _split(_optional(
            folder, "summary.csv", notes, "the KPI table is rebuilt from kpis.csv"))
    if summary is None and kpis is not None:
        if not (folder / "summary.csv").is_file():
            notes.append("summary.csv is missing (a folder from an older collectsim): the KPI "
                         "table below is computed from kpis.csv.")
        summary = run_summary(kpis)
    name = str(manifest.get("scenario_name") or manifest.get("scenario", {})
               .get("scenario", {}).get("name") or folder.name)
    expected = manifest.get("replications")
    if kpis is not None and isinstance(expected, list):
        have = set(kpis["replication"].unique()) if "replication" in kpis else set()
        lost = [r for r in expected if r not in have]
        if lost:
            notes.append(f"kpis.csv lacks replication(s) {', '.join(map(str, lost))} listed "
                         "in manifest.json.")
    tables = _lifecycle_tables(folder, notes, segments is None)
    if segments is not None:
        tables["segments"] = segments
    segments = tables["segments"]
    if segment_summary is None and segments is not None and SEGMENT in segments:
        segment_summary = run_summary(segments.rename(columns={SEGMENT: "agency"})).rename(
            columns={"agency": SEGMENT})
    allocation = None
    if (folder / "allocation.csv").is_file():
        allocation = _optional(folder, "allocation.csv", notes,
                               "no standings figure or scorecard table")
    data = RunData(scenario=name, kpis=kpis, daily=daily, vintages=vintages, summary=summary,
                   segment_summary=segment_summary, allocation=allocation, **tables)
    return ResultsFolder(path=folder, kind="run", manifest=manifest, notes=notes, run=data)


def _split(table: pd.DataFrame | None) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The agency rows and the segment rows of ``kpis.csv`` or ``summary.csv``
    (:func:`~sim.experiment.kpi_rows.split_rows`); no segment rows in a file written before
    they existed."""
    return split_rows(table) if table is not None else (None, None)


def _lifecycle_tables(folder: Path, notes: list[str], segments: bool
                      ) -> dict[str, pd.DataFrame | None]:
    """``control.csv``, ``roll_rates.csv`` and (with ``segments``: for a folder whose
    ``kpis.csv`` has no segment rows) ``segments.csv``, where the folder has them (a folder
    written before they existed, or a run without a control group, lacks them)."""
    why = {"segments": "no per-segment table", "control": "no control-group figures",
           "roll_rates": "no roll-rate table"}
    if not segments:
        del why["segments"]
    return {key: _optional(folder, f"{key}.csv", notes, reason)
            if (folder / f"{key}.csv").is_file() or (folder / f"{key}.csv").is_symlink()
            else None for key, reason in why.items()}


def _compare_folder(folder: Path, manifest: dict[str, Any]) -> ResultsFolder:
    notes: list[str] = []
    differences = _optional(folder, "comparison.csv", notes,
                            "no table or figure of the paired differences")
    summary = _optional(folder, "summary.csv", notes, "no per-scenario KPI table")
    runs = _optional(folder, "runs.csv", notes, "no scorecard or funnel per scenario")
    labels = [str(s.get("label")) for s in manifest.get("scenarios", [])]
    data = CompareData(base=str(manifest.get("base", labels[0] if labels else "")),
                       labels=labels, agency=str(manifest.get("agency", TOTAL)),
                       differences=differences, summary=summary, runs=runs)
    return ResultsFolder(path=folder, kind="compare", manifest=manifest, notes=notes,
                         compare=data)


def _experiment_parts(manifest: dict[str, Any]) -> tuple[str, str, list[str], list[str],
                                                          list[str]]:
    resolved = manifest.get("experiment", {})
    spec = resolved.get("experiment", {}) if isinstance(resolved, dict) else {}
    info = spec.get("experiment", {})
    factors = [str(f.get("name") or f.get("path")) for f in spec.get("factors", [])]
    agency = info.get("agency", TOTAL)
    agencies = [agency] if isinstance(agency, str) else [str(a) for a in agency]
    metrics = [str(m) for m in info.get("metrics", [])]
    return (str(info.get("name", "experiment")), str(spec.get("design", {}).get("kind", "")),
            factors, metrics, agencies)


def _sweep_folder(folder: Path, manifest: dict[str, Any]) -> ResultsFolder:
    notes: list[str] = []
    name, design, factors, metrics, agencies = _experiment_parts(manifest)
    command = str(manifest.get("command", ""))
    has_indices = (folder / "indices.csv").is_file()
    sensitive = design in ("sobol", "morris") and (has_indices or " sensitivity " in
                                                   f" {command} ")
    runs = _optional(folder, "runs.csv", notes, "no per-run table; results are read from "
                     "runs.sqlite if it is there")
    if runs is None and (folder / STORE_FILE).is_file():
        runs = _store_runs(folder, notes)
    summary = None
    if (folder / "summary.csv").is_file():
        summary = _optional(folder, "summary.csv", notes, "the summary is rebuilt from runs")
    if summary is None:
        if not (folder / "summary.csv").is_file():
            notes.append("summary.csv is missing" + (": the summary below is computed from "
                                                     "the runs that finished."
                                                     if runs is not None else "."))
        if runs is not None and not runs.empty:
            summary = summary_from_runs(runs, factors, metrics or kpi_columns(runs))
    indices = None
    if sensitive:
        indices = _optional(folder, "indices.csv", notes,
                            "the sensitivity indices could not be computed (every design "
                            "point needs a successful run); rerun with --resume")
    total = manifest.get("runs", {}).get("total")
    data = SweepData(name=name, design=design, factors=factors, metrics=metrics,
                     agencies=agencies, runs=runs, summary=summary, indices=indices,
                     total_runs=int(total) if isinstance(total, int) else None)
    _sweep_gaps(data, notes)
    if not sensitive:  # a sensitivity analysis keeps no daily series
        _missing_daily(folder, runs, notes)
    return ResultsFolder(path=folder, kind="sensitivity" if sensitive else "sweep",
                         manifest=manifest, notes=notes, sweep=data)


def _sweep_gaps(data: SweepData, notes: list[str]) -> None:
    failed = data.failed
    if len(failed):
        points = sorted(set(failed["point"]))
        notes.append(f"{len(failed)} run(s) failed, at design point(s) "
                     f"{_few(points)}: their KPIs are missing and the summary of those points "
                     "has fewer replications (n) or none. The errors are listed under "
                     "'Failed runs'; `collectsim sweep EXPERIMENT --out DIR --resume` retries "
                     "them.")
    if data.total_runs is not None and data.done < data.total_runs:
        notes.append(f"{data.total_runs - data.done} of {data.total_runs} runs never ran "
                     "(the sweep was interrupted); `--resume` runs them.")
    if data.summary is not None and "n" in data.summary.columns:
        empty = data.summary[data.summary["n"] == 0]
        if len(empty):
            notes.append(f"{empty['point'].nunique()} design point(s) have no successful run "
                         f"(point(s) {_few(sorted(set(empty['point'])))}): shown as 'no run'.")


def _missing_daily(folder: Path, runs: pd.DataFrame | None, notes: list[str]) -> None:
    """Name the daily files of successful runs that are not in ``daily/``."""
    if runs is None or runs.empty or not {"point", "replication", "status"} <= set(runs):
        return
    ok = runs[runs["status"] == OK].drop_duplicates(["point", "replication"])
    missing = [name for name in (daily_name(int(p), int(r)) for p, r in
                                 zip(ok["point"], ok["replication"], strict=True))
               if not (folder / name).is_file()]
    if missing:
        notes.append(f"{len(missing)} daily file(s) of finished runs are missing "
                     f"({_few(missing)}): their daily series are not shown; "
                     "`collectsim sweep EXPERIMENT --out DIR --resume` runs them again.")


def _few(values: Sequence[Any], limit: int = 12) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _store_runs(folder: Path, notes: list[str]) -> pd.DataFrame | None:
    """``runs.csv`` rebuilt from ``runs.sqlite``, opened read-only."""
    try:
        stored = read_store(folder)
    except StoreError as exc:
        notes.append(f"runs.sqlite could not be read ({exc}).")
        return None
    records: list[dict[str, Any]] = []
    for run in stored.runs:
        for agency in list(run.kpis) or [TOTAL]:
            records.append({"point": run.point, "replication": run.replication,
                            "seed": run.seed, "status": run.status,
                            **stored.points.get(run.point, {}), "agency": agency,
                            **run.kpis.get(agency, {}), "error": run.error,
                            "seconds": run.seconds, "worker": run.worker})
    notes.append(f"runs.csv is missing: {len(stored.runs)} run(s) were read from runs.sqlite.")
    return pd.DataFrame(records)


def _interrupted_sweep(folder: Path) -> ResultsFolder:
    notes = ["manifest.json is missing: this sweep was interrupted before it finished, so "
             "the experiment's description, versions and timings are unknown. "
             "`collectsim sweep EXPERIMENT --out DIR --resume` (or `sensitivity`) completes "
             "it and writes every file."]
    try:
        name = read_key(folder)[1] or folder.name
    except StoreError:
        name = folder.name  # _store_runs notes why the store cannot be read
    runs = _store_runs(folder, notes)
    factors: list[str] = []
    if runs is not None and not runs.empty:
        start = list(runs.columns).index("status") + 1
        stop = list(runs.columns).index("agency")
        factors = list(runs.columns[start:stop])
    metrics = kpi_columns(runs) if runs is not None else []
    metrics = [m for m in metrics if m in KPI_NAMES]
    summary = summary_from_runs(runs, factors, metrics) \
        if runs is not None and not runs.empty else None
    data = SweepData(name=name, design="", factors=factors, metrics=metrics,
                     agencies=sorted(set(runs["agency"])) if runs is not None
                     and not runs.empty else [TOTAL],
                     runs=runs, summary=summary)
    _sweep_gaps(data, notes)
    if any((folder / "daily").glob("*.parquet")):  # else perhaps a sensitivity analysis
        _missing_daily(folder, runs, notes)
    return ResultsFolder(path=folder, kind="sweep", manifest={}, notes=notes, sweep=data)
