"""The results store of a sweep: an embedded SQLite database plus one Parquet file per run.

``runs.sqlite`` in the output folder holds

- ``meta``: the experiment key (hash of base scenario, design points and seed), its name and
  the store's format version;
- ``points``: each design point's factor values (JSON);
- ``runs``: one row per (point, replication) — the unique key — with seed, status (``ok`` or
  ``failed``), KPIs of every agency and ``total`` as JSON, the error, seconds, worker and time.

Each finished run is committed in its own transaction (WAL journal, ``synchronous=FULL``) as
soon as it arrives. Its daily series is written first, atomically, to
``daily/p<point>_r<replication>.parquet`` (temporary file + :func:`os.replace`), so a committed
run always has its series, and a series without a committed run is simply rewritten when the
run is redone. A sweep killed at any moment — even with ``kill -9`` — therefore loses nothing
that was committed and, resumed, skips exactly the committed ``ok`` runs; a failed run is run
again on resume and replaces its failure. ``pandas.read_parquet(out / "daily")`` reads all
series at once. JSON keeps floats exactly (shortest round-trip ``repr``), NaN included.

:func:`read_key` and :func:`read_store` open a store read-only (the report reads a sweep's
folder this way, even an interrupted one); :class:`RunStore` is the sweep's own handle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.files import atomic_write, remove_temporaries
from sim.experiment.tasks import OK, RunOutcome

STORE_FILE = "runs.sqlite"
DAILY_DIR = "daily"
FORMAT_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (point INTEGER PRIMARY KEY, factors TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    point INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    kpis TEXT,
    error TEXT,
    seconds REAL,
    worker TEXT,
    finished_at TEXT NOT NULL,
    PRIMARY KEY (point, replication)
);
"""

_UPSERT = """
INSERT INTO runs (point, replication, seed, status, kpis, error, seconds, worker, finished_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (point, replication) DO UPDATE SET
    seed = excluded.seed, status = excluded.status, kpis = excluded.kpis,
    error = excluded.error, seconds = excluded.seconds, worker = excluded.worker,
    finished_at = excluded.finished_at
WHERE runs.status != 'ok'
"""


class StoreError(Exception):
    """A store that cannot be read (corrupt, or not a sweep's store); the message says why."""


@dataclass(frozen=True)
class StoredRun:
    """One run as the store keeps it: KPIs ``{agency: {kpi: value}}`` (empty if it failed)."""

    point: int
    replication: int
    seed: int
    status: str
    kpis: dict[str, dict[str, Any]]
    error: str | None
    seconds: float | None
    worker: str | None


@dataclass(frozen=True)
class StoredSweep:
    """What a store holds, read back: each design point's factor values and every run, in
    (point, replication) order."""

    points: dict[int, dict[str, Any]]
    runs: list[StoredRun]


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def read_store(folder: Path) -> StoredSweep:
    """The points and runs of the store in ``folder``, opened read-only (its contents are never
    changed, even while a sweep is running). Raises :class:`StoreError` when it cannot be
    read."""
    path = Path(folder) / STORE_FILE
    try:
        with contextlib.closing(_read_only(path)) as db:
            points = {int(p): json.loads(f) for p, f in
                      db.execute("SELECT point, factors FROM points").fetchall()}
            rows = db.execute("SELECT point, replication, seed, status, kpis, error, seconds, "
                              "worker FROM runs ORDER BY point, replication").fetchall()
        runs = [StoredRun(int(point), int(replication), seed, status,
                          json.loads(kpis) if kpis else {}, error, seconds, worker)
                for point, replication, seed, status, kpis, error, seconds, worker in rows]
    except (sqlite3.Error, json.JSONDecodeError) as exc:
        raise StoreError(str(exc)) from None
    return StoredSweep(points=points, runs=runs)


def read_key(folder: Path) -> tuple[str | None, str | None]:
    """``(experiment key, experiment name)`` of the store in ``folder``, without writing."""
    path = Path(folder) / STORE_FILE
    if not path.is_file():
        return None, None
    try:
        with contextlib.closing(_read_only(path)) as db:
            if not db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                              "AND name = 'meta'").fetchall():
                return None, None  # killed before its first transaction: an empty store
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.DatabaseError:
        return "unreadable", None
    return rows.get("experiment_key"), rows.get("experiment_name")


class RunStore:
    """One sweep's store; in memory (no files) when ``folder`` is ``None``."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.daily_memory: dict[tuple[int, int], pd.DataFrame] = {}
        if self.folder is None:
            self.db = sqlite3.connect(":memory:", isolation_level=None)
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / DAILY_DIR).mkdir(exist_ok=True)
            remove_temporaries(self.folder / DAILY_DIR)
            remove_temporaries(self.folder)
            self.db = sqlite3.connect(self.folder / STORE_FILE, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def initialise(self, key: str, name: str, points: list[dict[str, Any]]) -> None:
        """Record the experiment key and design points (once; checked on resume)."""
        with self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                           [("experiment_key", key), ("experiment_name", name),
                            ("format", FORMAT_VERSION)])
            db.executemany("INSERT OR IGNORE INTO points (point, factors) VALUES (?, ?)",
                           [(i, json.dumps(p, default=str)) for i, p in enumerate(points)])

    def finished(self) -> set[tuple[int, int]]:
        """(point, replication) of every run finished without error."""
        rows = self.db.execute("SELECT point, replication FROM runs WHERE status = ?", (OK,))
        return {(int(p), int(r)) for p, r in rows}

    def daily_path(self, point: int, replication: int) -> Path:
        """Where the daily series of a run is kept."""
        assert self.folder is not None
        return self.folder / DAILY_DIR / f"p{point:06d}_r{replication:05d}.parquet"

    def record(self, outcome: RunOutcome) -> None:
        """Keep one finished run: its daily series, then its row, in one transaction."""
        if outcome.ok and outcome.daily is not None:
            daily = outcome.daily.assign(point=outcome.point, replication=outcome.replication)
            if self.folder is None:
                self.daily_memory[(outcome.point, outcome.replication)] = daily
            else:
                atomic_write(self.daily_path(outcome.point, outcome.replication),
                             lambda tmp: daily.to_parquet(tmp, index=False))
        kpis = json.dumps(outcome.kpis, allow_nan=True) if outcome.ok else None
        row = (outcome.point, outcome.replication, outcome.seed, outcome.status, kpis,
               outcome.error, outcome.seconds, outcome.worker,
               dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        with self._transaction() as db:
            db.execute(_UPSERT, row)

    def counts(self) -> dict[str, int]:
        """Runs by status."""
        rows = self.db.execute("SELECT status, COUNT(*) FROM runs GROUP BY status")
        return {str(status): int(n) for status, n in rows}

    def rows(self) -> list[tuple[Any, ...]]:
        """Every run row, ordered by point and replication."""
        return self.db.execute(
            "SELECT point, replication, seed, status, kpis, error, seconds, worker, finished_at"
            " FROM runs ORDER BY point, replication").fetchall()

    def daily(self) -> pd.DataFrame:
        """All stored daily series (with ``point`` and ``replication`` columns), in order."""
        if self.folder is None:
            frames = [self.daily_memory[k] for k in sorted(self.daily_memory)]
        else:
            frames = [pd.read_parquet(self.daily_path(p, r))
                      for p, r in sorted(self.finished())
                      if self.daily_path(p, r).is_file()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
