"""The marker that makes a folder a collectsim results folder, and what each kind may hold.

Every results folder carries ``collectsim.json``: ``{"format": "collectsim-results",
"version": 1, "kind": ...}`` with ``kind`` one of :class:`FolderKind`. A command replaces or
resumes an existing folder only when that file says, by its content, that collectsim wrote the
folder for a compatible kind of command, and every other entry is a file that kind of folder
holds (:data:`FOLDER_FILES`, figures, hidden temporaries of an interrupted write). A file that
merely happens to be called ``manifest.json`` or ``runs.sqlite`` proves nothing.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from pathlib import Path

MARKER_FILE = "collectsim.json"
MARKER_FORMAT = "collectsim-results"
MARKER_VERSION = 1
MARKER_MAX_BYTES = 4096


class FolderKind(StrEnum):
    """The command that wrote a results folder."""

    RUN = "run"
    COMPARE = "compare"
    SWEEP = "sweep"
    SENSITIVITY = "sensitivity"
    SELECT = "select"
    OPTIMISE = "optimise"
    CALIBRATE = "calibrate"
    ROBUST = "robust"


# Every figure file name collectsim writes (drawn by sim.report.figures).
FIGURE_FILES = frozenset({
    "liquidation_curve.png", "vintage_curves.png", "contact_funnel.png", "scorecard.png",
    "tradeoff.png", "daily_operations.png", "differences.png", "sweep_heatmap.png",
    "sweep_lines.png", "sweep_points.png", "sensitivity_indices.png", "optimisation.png",
    "robustness.png", "calibration_targets.png", "calibration_posterior.png",
    "calibration_traces.png", "standings.png"})

# Written into any results folder by `collectsim report`.
REPORT_FILE = "report.html"
# Written into any results folder by `collectsim export` (unless told another place).
EXPORT_FILE = "results.xlsx"

SWEEP_STORE = ("runs.sqlite", "runs.sqlite-wal", "runs.sqlite-shm", "runs.sqlite-journal")
SWEEP_DAILY = "daily"
# The Optuna study of `collectsim optimise`, kept so that --resume continues it.
OPTIMISE_STUDY = ("study.sqlite", "study.sqlite-wal", "study.sqlite-shm", "study.sqlite-journal")

# The data files each kind of folder holds besides the marker, figures and the report.
FOLDER_FILES: dict[FolderKind, frozenset[str]] = {
    FolderKind.RUN: frozenset({
        "manifest.json", "kpis.csv", "daily.parquet", "reports.csv", "vintages.parquet",
        "allocation.csv", "follow_up.csv", "accounts.parquet", "summary.csv", "control.csv",
        "roll_rates.csv", "segments.csv",
        "daily_bands.parquet"}),
    FolderKind.COMPARE: frozenset({"manifest.json", "comparison.csv", "summary.csv",
                                   "runs.csv"}),
    FolderKind.SWEEP: frozenset({"manifest.json", "runs.csv", "summary.csv", "indices.csv",
                                 *SWEEP_STORE}),
}
FOLDER_FILES[FolderKind.SENSITIVITY] = FOLDER_FILES[FolderKind.SWEEP]
FOLDER_FILES[FolderKind.SELECT] = frozenset({"manifest.json", "runs.csv", "summary.csv"})
FOLDER_FILES[FolderKind.OPTIMISE] = frozenset({"manifest.json", "runs.csv", "trials.csv",
                                                *OPTIMISE_STUDY})
# pyabc's SQLite records of the fit and of the holdout fit, with their journals.
CALIBRATE_DATABASES = tuple(f"{name}.db{suffix}" for name in ("abc", "holdout")
                            for suffix in ("", "-journal", "-wal", "-shm"))
FOLDER_FILES[FolderKind.CALIBRATE] = frozenset({
    "manifest.json", "summary.json", "posterior.parquet", "generations.csv", "predictive.csv",
    "calibrated.toml", *CALIBRATE_DATABASES,
    "posterior.csv"})  # posterior.csv: written by earlier versions
FOLDER_FILES[FolderKind.ROBUST] = frozenset({"manifest.json", "robustness.json",
                                             "points.parquet", *SWEEP_STORE})

# A sensitivity analysis is a sweep plus its indices: either may continue the other's store
# (the store's experiment key still has to match).
_FAMILY = {FolderKind.RUN: FolderKind.RUN, FolderKind.COMPARE: FolderKind.COMPARE,
           FolderKind.SWEEP: FolderKind.SWEEP, FolderKind.SENSITIVITY: FolderKind.SWEEP,
           FolderKind.SELECT: FolderKind.SELECT, FolderKind.OPTIMISE: FolderKind.OPTIMISE,
           FolderKind.CALIBRATE: FolderKind.CALIBRATE, FolderKind.ROBUST: FolderKind.ROBUST}
# Kinds written in place around a run store (sim.experiment.store), which keeps a ``daily/``
# folder beside it.
STORE_KINDS = frozenset({FolderKind.SWEEP, FolderKind.ROBUST})

TEMPORARY = re.compile(r"^\..+\.tmp$")  # an atomic write interrupted before its rename
DAILY_FILE = re.compile(r"^p\d+_r\d+\.parquet$")


def marker_text(kind: FolderKind) -> str:
    """The content of ``collectsim.json`` for a folder of ``kind``."""
    return json.dumps({"format": MARKER_FORMAT, "version": MARKER_VERSION,
                       "kind": str(kind)}, indent=2) + "\n"


def write_marker(folder: Path, kind: FolderKind) -> None:
    """Write the marker into ``folder`` (a folder being built, not yet visible)."""
    (Path(folder) / MARKER_FILE).write_text(marker_text(kind), encoding="utf-8")


def read_marker(folder: Path) -> FolderKind | None:
    """The kind recorded in ``folder``'s marker, or ``None`` if there is no valid marker.

    The marker must be a small regular file (not a symbolic link) holding the format name, a
    version this collectsim reads, and a known kind.
    """
    path = Path(folder) / MARKER_FILE
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MARKER_MAX_BYTES:
            return None
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("format") != MARKER_FORMAT \
            or info.get("version") != MARKER_VERSION:
        return None
    try:
        return FolderKind(str(info.get("kind")))
    except ValueError:
        return None


def compatible(found: FolderKind, wanted: FolderKind) -> bool:
    """Whether a folder of kind ``found`` may be replaced or resumed by a ``wanted`` command."""
    return _FAMILY[found] is _FAMILY[wanted]


def unexpected_entry(folder: Path, kind: FolderKind) -> str | None:
    """The first entry of ``folder`` (relative name) that a ``kind`` folder never holds.

    Allowed: the marker, the kind's data files, figures, the report, the workbook export and
    hidden temporaries, all as regular files; for sweeps and robustness studies also
    ``daily/`` holding only per-run series and temporaries.
    Symbolic links are never allowed, whatever their name.
    """
    allowed = FOLDER_FILES[kind] | FIGURE_FILES | {MARKER_FILE, REPORT_FILE, EXPORT_FILE}
    sweep = _FAMILY[kind] in STORE_KINDS
    for entry in sorted(Path(folder).iterdir()):
        name = entry.name
        if entry.is_symlink():
            return name
        if sweep and name == SWEEP_DAILY and entry.is_dir():
            for inner in sorted(entry.iterdir()):
                if inner.is_symlink() or not inner.is_file() \
                        or not (DAILY_FILE.match(inner.name) or TEMPORARY.match(inner.name)):
                    return f"{SWEEP_DAILY}/{inner.name}"
            continue
        if not entry.is_file() or not (name in allowed or TEMPORARY.match(name)):
            return name
    return None
