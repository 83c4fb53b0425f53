"""The results store of a sweep: an embedded SQLite database plus one Parquet file per run.

``runs.sqlite`` in the output folder holds

- ``meta``: the experiment key (hash of base scenario, design points and seed), its name, the
  store's format version and, for a sweep split across jobs, which slice of the runs it holds
  (``shard``: ``i/N``; ``1/1`` or absent for a whole sweep);
- ``points``: each design point's factor values (JSON);
- ``runs``: one row per (point, replication) — the unique key — with seed, status (``ok`` or
  ``failed``), KPIs of every agency and ``total`` as JSON, the error, seconds, worker and time.

Each finished run is committed in its own transaction (WAL journal, ``synchronous=FULL``) as
soon as it arrives. Its daily series is written first, atomically, to
``daily/p<point>_r<replication>.parquet`` (temporary file + :func:`os.replace`), so a committed
run always has its series, and a series without a committed run is simply rewritten when the
run is redone. A sweep killed at any moment — even with ``kill -9`` — therefore loses nothing
that was committed and, resumed, skips exactly the committed ``ok`` runs whose row is complete
and whose daily file is there; a failed run, or one whose daily file was deleted, is run again
on resume and replaces what was stored. ``pandas.read_parquet(out / "daily")`` reads all
series at once. JSON keeps floats exactly (shortest round-trip ``repr``), NaN included.

One store has one writer: :func:`writer_lock` holds an exclusive ``flock`` on the results
folder itself (no lock file is left behind, and the kernel releases the lock when the holder
exits, even after ``kill -9``). A second sweep on the same folder is refused at once with the
pid and start time of the one writing.

:func:`read_key` and :func:`read_store` open a store read-only (the report reads a sweep's
folder this way, even an interrupted one) and raise :class:`StoreError` for a file that is not
a collectsim store (garbage, truncated, another program's database); :class:`RunStore` is the
sweep's own handle.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config.loading import ScenarioError
from sim.experiment.files import atomic_write, remove_temporaries
from sim.experiment.tasks import OK, RunOutcome

STORE_FILE = "runs.sqlite"
DAILY_DIR = "daily"
FORMAT_VERSION = "1"
WHOLE_SHARD = "1/1"
TABLES = {"meta": {"key", "value"}, "points": {"point", "factors"},
          "runs": {"point", "replication", "seed", "status", "kpis", "error", "seconds",
                   "worker", "finished_at"}}

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
    """A store that cannot be read (corrupt, or not a sweep's store): its path and why."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


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


def daily_name(point: int, replication: int) -> str:
    """The daily series file of a run, relative to the results folder."""
    return f"{DAILY_DIR}/p{point:06d}_r{replication:05d}.parquet"


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _check_schema(db: sqlite3.Connection) -> bool:
    """Whether ``db`` is a collectsim store (``True``) or empty (``False``); raises
    :class:`sqlite3.DatabaseError` for anything else."""
    tables = {str(name) for (name,) in
              db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()}
    if not tables:
        return False  # killed before its first transaction: an empty store
    for table, columns in TABLES.items():
        have = {str(row[1]) for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
        if not columns <= have:
            raise sqlite3.DatabaseError(f"no table {table!r} with columns "
                                        f"{', '.join(sorted(columns))}")
    return True


def _store_path(folder: Path) -> Path:
    path = Path(folder) / STORE_FILE
    if path.exists() and not path.is_file():
        raise StoreError(path, "is not a file")
    return path


def read_store(folder: Path) -> StoredSweep:
    """The points and runs of the store in ``folder``, opened read-only (its contents are never
    changed, even while a sweep is running). Raises :class:`StoreError` when it cannot be
    read."""
    path = _store_path(folder)
    try:
        with contextlib.closing(_read_only(path)) as db:
            if not _check_schema(db):
                return StoredSweep(points={}, runs=[])
            points = {int(p): json.loads(f) for p, f in
                      db.execute("SELECT point, factors FROM points").fetchall()}
            rows = db.execute("SELECT point, replication, seed, status, kpis, error, seconds, "
                              "worker FROM runs ORDER BY point, replication").fetchall()
        runs = [StoredRun(int(point), int(replication), seed, status,
                          json.loads(kpis) if kpis else {}, error, seconds, worker)
                for point, replication, seed, status, kpis, error, seconds, worker in rows]
    except (sqlite3.Error, json.JSONDecodeError, TypeError, ValueError) as exc:
        raise StoreError(path, f"is not a collectsim sweep store ({exc})") from None
    return StoredSweep(points=points, runs=runs)


def _read_meta(folder: Path) -> dict[str, str]:
    path = _store_path(folder)
    if not path.is_file():
        return {}
    try:
        with contextlib.closing(_read_only(path)) as db:
            if not _check_schema(db):
                return {}
            rows = {str(k): str(v) for k, v in
                    db.execute("SELECT key, value FROM meta").fetchall()}
    except sqlite3.Error as exc:
        raise StoreError(path, f"is not a collectsim sweep store ({exc})") from None
    if rows and ("experiment_key" not in rows or rows.get("format") != FORMAT_VERSION):
        raise StoreError(path, f"is not a collectsim sweep store of format {FORMAT_VERSION} "
                         f"(format {rows.get('format')!r})")
    return rows


def read_shard(folder: Path) -> str:
    """The slice of the design the store in ``folder`` holds (``i/N``; ``1/1`` for a whole
    sweep, and for stores written before sweeps could be split)."""
    return _read_meta(folder).get("shard", WHOLE_SHARD)


def read_key(folder: Path) -> tuple[str | None, str | None]:
    """``(experiment key, experiment name)`` of the store in ``folder``, without writing;
    ``(None, None)`` when there is no store yet. Raises :class:`StoreError` for a file that is
    not a collectsim store."""
    rows = _read_meta(folder)
    return rows.get("experiment_key"), rows.get("experiment_name")


# --------------------------------------------------------------------------- one writer

# Locks this process holds, per thread and folder (device, inode): the file descriptor and how
# many nested holders share it, so a sensitivity analysis can hold the lock around its sweep.
_HELD: dict[tuple[int, int, int], tuple[int, int]] = {}
_HELD_GUARD = threading.Lock()


def _writer_note(folder: Path) -> str:
    """`` (pid N since HH:MM)`` of the sweep recorded as writing ``folder``, if it is alive."""
    try:
        pid_text, _, since = _read_meta(folder).get("writer", "").partition(" ")
        pid = int(pid_text)
        os.kill(pid, 0)
        started = dt.datetime.fromisoformat(since).astimezone()
    except (StoreError, ValueError, OSError):
        return ""
    return f" (pid {pid} since {started:%H:%M})"


@contextlib.contextmanager
def writer_lock(folder: Path) -> Iterator[None]:
    """Hold the one-writer lock of the results folder ``folder`` (created if missing, and
    removed again if the block fails while it is still empty).

    Raises :class:`~sim.config.loading.ScenarioError` at once when another process, or
    another thread of this one, holds it. The same thread may nest holders.
    """
    folder = Path(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        info = os.fstat(handle)
        key = (threading.get_ident(), info.st_dev, info.st_ino)
        with _HELD_GUARD:
            held = _HELD.get(key)
            if held is not None:
                os.close(handle)
                handle = -1
                _HELD[key] = (held[0], held[1] + 1)
        if handle >= 0:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
                raise ScenarioError(str(folder), None, "another sweep is writing this folder"
                                    f"{_writer_note(folder)}; wait for it to finish, or "
                                    "stop it and continue with --resume") from None
            with _HELD_GUARD:
                _HELD[key] = (handle, 1)
            handle = -1
    except BaseException:
        if handle >= 0:
            os.close(handle)
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    try:
        yield
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        with _HELD_GUARD:
            fd, count = _HELD.pop(key)
            if count > 1:
                _HELD[key] = (fd, count - 1)
            else:
                os.close(fd)  # closing the descriptor releases the lock


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

    def initialise(self, key: str, name: str, points: list[dict[str, Any]],
                   shard: str = WHOLE_SHARD) -> None:
        """Record the experiment key, the slice of it this store holds and the design points
        (once; checked on resume), and this process as the store's writer (named when a second
        sweep is refused)."""
        writer = f"{os.getpid()} {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}"
        with self._transaction() as db:
            db.executemany("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                           [("experiment_key", key), ("experiment_name", name),
                            ("format", FORMAT_VERSION), ("shard", shard)])
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('writer', ?)",
                       (writer,))
            db.executemany("INSERT OR IGNORE INTO points (point, factors) VALUES (?, ?)",
                           [(i, json.dumps(p, default=str)) for i, p in enumerate(points)])

    def finished(self) -> set[tuple[int, int]]:
        """(point, replication) of every run finished without error."""
        rows = self.db.execute("SELECT point, replication FROM runs WHERE status = ?", (OK,))
        return {(int(p), int(r)) for p, r in rows}

    def incomplete(self, *, daily: bool) -> set[tuple[int, int]]:
        """(point, replication) of runs stored as finished whose row lacks its KPIs or, with
        ``daily``, whose daily file is missing: a resumed sweep runs them again."""
        rows = self.db.execute("SELECT point, replication, kpis FROM runs WHERE status = ?",
                               (OK,))
        lacking = set()
        for point, replication, kpis in rows:
            try:
                values = json.loads(kpis) if kpis else None
            except (TypeError, ValueError):
                values = None
            if not isinstance(values, dict) or not values or (
                    daily and self.folder is not None
                    and not self.daily_path(int(point), int(replication)).is_file()):
                lacking.add((int(point), int(replication)))
        return lacking

    def forget(self, runs: Iterable[tuple[int, int]]) -> None:
        """Delete the rows of ``runs`` (to be run again)."""
        with self._transaction() as db:
            db.executemany("DELETE FROM runs WHERE point = ? AND replication = ?",
                           sorted(runs))

    def daily_path(self, point: int, replication: int) -> Path:
        """Where the daily series of a run is kept."""
        assert self.folder is not None
        return self.folder / daily_name(point, replication)

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

    def adopt(self, run: StoredRun, daily: Path | None) -> None:
        """Keep a run another store holds (merging shards): a copy of its daily file, if it
        has one, then its row as stored there."""
        if daily is not None and self.folder is not None:
            source = daily

            def copy(tmp: Path) -> None:
                shutil.copyfile(source, tmp)

            atomic_write(self.daily_path(run.point, run.replication), copy)
        kpis = json.dumps(run.kpis, allow_nan=True) if run.status == OK else None
        row = (run.point, run.replication, run.seed, run.status, kpis, run.error, run.seconds,
               run.worker, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
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
