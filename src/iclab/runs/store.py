"""The durable result store of a run directory: one SQLite file in WAL mode.

Every finished cell is written in ONE transaction (its config, versions, timestamps and all its
rows), so after a crash or SIGKILL a cell is either fully there or not there at all; WAL mode
with ``synchronous=FULL`` makes a committed cell survive the kill. Re-running skips the cells
already in ``cells``. One process writes at a time (an exclusive lock on ``DIR/lock``); any
number may read.

Tables: ``meta`` (store schema version, creation time), ``cells`` (one row per finished cell),
``rows`` (the result rows of each cell, in order), ``failures`` (cells that raised; they are
retried by the next run), ``runs`` (each ``iclab run`` invocation and its config), ``samples``
(per-prompt records of ``iclab eval`` by cache key; made on first use in older stores).
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import platform
import socket
import sqlite3
import traceback
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from iclab.errors import IclabError

STORE_SCHEMA = 1
"""Version of the table layout; a store with another version is refused, never guessed at."""

STORE_FILE = "results.sqlite"
LOCK_FILE = "lock"

_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cells (
    cell_id TEXT PRIMARY KEY, analysis TEXT NOT NULL, position INTEGER NOT NULL,
    config TEXT NOT NULL, n_rows INTEGER NOT NULL, analysis_version TEXT NOT NULL,
    versions TEXT NOT NULL, host TEXT NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT NOT NULL, duration_s REAL NOT NULL);
CREATE TABLE rows (
    cell_id TEXT NOT NULL REFERENCES cells(cell_id), idx INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (cell_id, idx));
CREATE TABLE failures (
    id INTEGER PRIMARY KEY, cell_id TEXT NOT NULL, analysis TEXT NOT NULL, config TEXT NOT NULL,
    error TEXT NOT NULL, traceback TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, config TEXT NOT NULL,
    source TEXT NOT NULL, executor TEXT NOT NULL, versions TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS samples (key TEXT PRIMARY KEY, record TEXT NOT NULL);
"""


class StoreError(IclabError):
    """The run directory cannot be used: unwritable, locked, corrupt, or another version."""


class DamagedStoreError(StoreError):
    """The store file is damaged: unreadable pages or a row that is not valid JSON."""


def damaged(path: Path, detail: str) -> DamagedStoreError:
    """The one-line error for a damaged store, naming the file and how to recover."""
    return DamagedStoreError(
        f"{path} is damaged ({detail}); run `iclab results {path.parent} --repair` to keep "
        "its readable cells (the damaged file is kept aside) and re-run the config for the "
        "rest, or re-run into a new --out")


def _reads(method: Any) -> Any:
    """Turn SQLite page damage and undecodable JSON met by a read into :class:`StoreError`."""
    @functools.wraps(method)
    def wrapper(self: ResultStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, str(exc)) from None
        except json.JSONDecodeError as exc:
            raise damaged(self.path, f"a stored value is not valid JSON: {exc.msg}") from None
    return wrapper


class EmptyStoreError(StoreError):
    """The store file exists but has no tables yet (its run was killed while starting)."""


def utc_now() -> str:
    """The current UTC time as ISO 8601 with microseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def versions() -> dict[str, str]:
    """Versions recorded with every cell: iclab, torch, transformers, Python, platform."""
    return dict(_versions())


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    found = {}
    for package in ("iclab", "torch", "transformers"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    found["python"] = platform.python_version()
    found["platform"] = platform.platform(terse=True)
    return found


def _json_default(value: Any) -> Any:
    """Turn numpy/torch scalars and arrays (anything with ``.tolist()``) into JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"result value {value!r} of type {type(value).__name__} is not JSON")


def dump_row(row: Mapping[str, Any]) -> str:
    """Serialize one result row; raise TypeError on values JSON cannot hold."""
    return json.dumps(dict(row), default=_json_default, ensure_ascii=False, sort_keys=False)


class ResultStore:
    """The SQLite store of one run directory.

    Args:
        run_dir: the run directory (``--out``).
        create: create the directory and the store if missing (writers); readers pass False.
    """

    def __init__(self, run_dir: str | Path, create: bool = False) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / STORE_FILE
        self._lock_fd: int | None = None
        if not create and not self.path.is_file():
            raise StoreError(f"{self.run_dir} holds no iclab results (no {STORE_FILE})")
        if create:
            _make_writable_dir(self.run_dir)
        try:
            self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self._check_or_init(create)
        except sqlite3.DatabaseError as exc:
            if "malformed" in str(exc):
                raise damaged(self.path, str(exc)) from None
            raise StoreError(f"{self.path} is not a readable iclab result store: {exc}") from None

    def _check_or_init(self, create: bool) -> None:
        tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if not tables and create:
            self._init_tables()
            tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master")}
        if not tables:  # a run killed before it created the tables; readers see no results
            raise EmptyStoreError(f"{self.run_dir} holds no iclab results yet "
                                  f"(empty {STORE_FILE})")
        if "meta" not in tables:
            raise StoreError(f"{self.path} is not an iclab result store (no meta table)")
        row = self.conn.execute("SELECT value FROM meta WHERE key='store_schema'").fetchone()
        found = row[0] if row else "missing"
        if found != str(STORE_SCHEMA):
            made_by = self.conn.execute("SELECT value FROM meta WHERE key='created_by'").fetchone()
            by = json.loads(made_by[0]).get("iclab", "?") if made_by else "?"
            raise StoreError(
                f"{self.path} has store schema {found} (written by iclab {by}); this iclab "
                f"reads schema {STORE_SCHEMA}. Use a new --out directory, or the iclab version "
                "that wrote it.")

    def _init_tables(self) -> None:
        """Create every table and the meta rows in one transaction (all or nothing)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM sqlite_master").fetchone():  # another process won
                conn.execute("ROLLBACK")
                return
            for statement in filter(str.strip, _TABLES.split(";")):
                conn.execute(statement)
            conn.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("store_schema", str(STORE_SCHEMA)), ("created_at", utc_now()),
                ("created_by", json.dumps(versions()))])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # -- writing ---------------------------------------------------------------------------

    def lock(self) -> None:
        """Take the run directory's writer lock; fail clearly if another run holds it."""
        fd = os.open(self.run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(f"another `iclab run` is writing to {self.run_dir}; wait for it "
                             "to finish (or stop it) before running again") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self._lock_fd = fd

    @_reads
    def configs(self) -> dict[str, dict[str, Any]]:
        """The configs this directory accepts: their identity (see
        :func:`iclab.runs.runner.config_identity`) by hash; empty for stores from before."""
        row = self.conn.execute("SELECT value FROM meta WHERE key='configs'").fetchone()
        return json.loads(row[0]) if row else {}

    def add_config(self, digest: str, identity: Mapping[str, Any]) -> None:
        """Record that this directory accepts a config (its hash and identity)."""
        known = {**self.configs(), digest: dict(identity)}
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('configs', ?)",
                          (json.dumps(known, sort_keys=True),))

    def record_run(self, config_text: str, source: str, executor: str) -> None:
        """Record one invocation of ``iclab run`` (its config text, source path and executor)."""
        self.conn.execute("INSERT INTO runs (started_at, config, source, executor, versions) "
                          "VALUES (?, ?, ?, ?, ?)",
                          (utc_now(), config_text, source, executor, json.dumps(versions())))

    def commit_cell(self, cell: Any, rows: Iterable[Mapping[str, Any]], *, started_at: str,
                    finished_at: str, duration_s: float, analysis_version: str,
                    host: str | None = None, versions_: Mapping[str, str] | None = None) -> bool:
        """Write a finished cell and all its rows atomically.

        Returns:
            False (and writes nothing) when the cell is already in the store, else True.
        """
        data = [dump_row(r) for r in rows]  # serialize first: a bad value writes nothing
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM cells WHERE cell_id=?", (cell.id,)).fetchone():
                conn.execute("ROLLBACK")
                return False
            conn.execute(
                "INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (cell.id, cell.analysis, cell.index, json.dumps(cell.to_dict()), len(data),
                 analysis_version, json.dumps(dict(versions_ or versions())),
                 host or socket.gethostname(), started_at, finished_at, duration_s))
            conn.executemany("INSERT INTO rows VALUES (?,?,?)",
                             [(cell.id, i, d) for i, d in enumerate(data)])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    def set_positions(self, positions: Mapping[str, int]) -> None:
        """Set the grid position of finished cells (the order of the latest config to run)."""
        with_ids = [(pos, cid) for cid, pos in positions.items()]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.executemany("UPDATE cells SET position=? WHERE cell_id=?", with_ids)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def record_failure(self, cell: Any, error: BaseException | str, tb: str | None = None) -> None:
        """Record that a cell raised (it stays unfinished and is retried next run)."""
        if isinstance(error, BaseException):
            tb = tb or "".join(traceback.format_exception(error))
            error = f"{type(error).__name__}: {error}"
        self.conn.execute(
            "INSERT INTO failures (cell_id, analysis, config, error, traceback, at) "
            "VALUES (?,?,?,?,?,?)",
            (cell.id, cell.analysis, json.dumps(cell.to_dict()), error, tb or "", utc_now()))

    def add_samples(self, items: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Store per-prompt records by key, all in one transaction (a kill keeps all or none)."""
        data = [(key, json.dumps(dict(rec), ensure_ascii=False)) for key, rec in items]
        if not data:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(_TABLES[_TABLES.index("CREATE TABLE IF NOT EXISTS samples"):])
            self.conn.executemany("INSERT OR REPLACE INTO samples VALUES (?, ?)", data)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    # -- reading ---------------------------------------------------------------------------

    @_reads
    def sample(self, key: str) -> dict[str, Any] | None:
        """The per-prompt record stored under ``key``, or None."""
        try:
            row = self.conn.execute("SELECT record FROM samples WHERE key=?", (key,)).fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return json.loads(row[0]) if row else None

    @_reads
    def finished_ids(self) -> set[str]:
        """Ids of every finished cell."""
        return {r[0] for r in self.conn.execute("SELECT cell_id FROM cells")}

    @_reads
    def cells(self) -> list[dict[str, Any]]:
        """Every finished cell's record (config and versions parsed), in grid order."""
        cur = self.conn.execute("SELECT * FROM cells ORDER BY analysis, position, cell_id")
        names = [d[0] for d in cur.description]
        out = []
        for values in cur:
            rec = dict(zip(names, values))
            rec["config"] = json.loads(rec["config"])
            rec["versions"] = json.loads(rec["versions"])
            out.append(rec)
        return out

    @_reads
    def rows(self) -> list[tuple[str, int, dict[str, Any]]]:
        """Every result row as ``(cell_id, index in its cell, row)``, in grid order."""
        cur = self.conn.execute(
            "SELECT r.cell_id, r.idx, r.data FROM rows r JOIN cells c USING (cell_id) "
            "ORDER BY c.analysis, c.position, c.cell_id, r.idx")
        return [(cid, idx, json.loads(data)) for cid, idx, data in cur]

    @_reads
    def failures(self) -> list[dict[str, Any]]:
        """Recorded failures of cells that are still unfinished."""
        cur = self.conn.execute(
            "SELECT cell_id, analysis, config, error, at FROM failures "
            "WHERE cell_id NOT IN (SELECT cell_id FROM cells) ORDER BY id")
        return [dict(zip(("cell_id", "analysis", "config", "error", "at"), r)) for r in cur]

    def close(self) -> None:
        """Close the connection and release the writer lock."""
        self.conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def finished_in(run_dir: str | Path) -> frozenset[str]:
    """Ids of the cells finished in ``run_dir``; empty when it has no store, or an empty one
    (a run killed before creating its tables). Other problems raise :class:`StoreError`."""
    path = Path(run_dir) / STORE_FILE
    if not path.is_file() or path.stat().st_size == 0:
        return frozenset()
    try:
        with ResultStore(run_dir) as store:
            return frozenset(store.finished_ids())
    except EmptyStoreError:
        return frozenset()


def recorded_configs(run_dir: str | Path) -> dict[str, dict[str, Any]]:
    """The configs recorded in ``run_dir`` (hash -> identity); empty without a store."""
    path = Path(run_dir) / STORE_FILE
    if not path.is_file() or path.stat().st_size == 0:
        return {}
    try:
        with ResultStore(run_dir) as store:
            return store.configs()
    except EmptyStoreError:
        return {}


def move_store_aside(run_dir: str | Path) -> Path:
    """Copy ``run_dir``'s store (WAL included) to ``results.replaced-<UTC time>.sqlite``, then
    remove it, so that a new run starts afresh; return the copy's path."""
    run_dir = Path(run_dir)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = run_dir / f"results.replaced-{stamp}.sqlite"
    with ResultStore(run_dir) as store:
        store.lock()
        store.conn.execute("VACUUM INTO ?", (str(target),))
        for suffix in ("", "-wal", "-shm"):
            Path(str(store.path) + suffix).unlink(missing_ok=True)
    return target


def check_output_dir(run_dir: str | Path) -> None:
    """Fail clearly, creating nothing, when ``run_dir`` could not be created or written."""
    run_dir = Path(run_dir).absolute()
    if run_dir.exists() and not run_dir.is_dir():
        raise StoreError(f"output {run_dir} exists and is not a directory")
    parent = run_dir
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise StoreError(f"cannot create output directory {run_dir}: {parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StoreError(f"cannot create output directory {run_dir}: {parent} is not writable")


def _make_writable_dir(run_dir: Path) -> None:
    """Create ``run_dir`` if needed and check that files can be written in it."""
    if run_dir.exists() and not run_dir.is_dir():
        raise StoreError(f"output {run_dir} exists and is not a directory")
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create output directory {run_dir}: "
                         f"{exc.strerror or exc}") from None
    if not os.access(run_dir, os.W_OK | os.X_OK):
        raise StoreError(f"output directory {run_dir} is not writable")
