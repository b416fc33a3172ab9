"""``iclab results DIR --repair``: rebuild a damaged result store from its readable cells.

Every cell whose record and rows can still be read and decoded is copied, in one transaction
each, into a fresh store; the damaged file is renamed to ``results.damaged-<UTC time>.sqlite``
(never deleted). The next ``iclab run`` of the config recomputes the cells that were dropped.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from iclab.runs.store import LOCK_FILE, STORE_FILE, ResultStore, StoreError

_SIDECARS = ("", "-wal", "-shm")


@dataclass(frozen=True)
class RepairReport:
    """What a repair kept and dropped, and where the damaged file went."""

    kept: int
    dropped: int  # -1: unknown (the table listing the cells was itself damaged)
    damaged_copy: Path


def _readable_cells(conn: sqlite3.Connection) -> tuple[list[tuple[Any, ...]], int]:
    """The cells whose record and every row decode: ``[(cell row, [(idx, data), ...])]``
    and the number of cells that did not (-1: unknown, the list of cells itself is damaged)."""
    good, bad = [], 0
    try:
        ids = [r[0] for r in conn.execute("SELECT cell_id FROM cells")]
    except sqlite3.DatabaseError:  # the table's pages are damaged: probe row by row
        bad = -1  # unknown
        ids, misses, rowid = [], 0, 0
        while misses < 1000:
            rowid += 1
            try:
                found = conn.execute("SELECT cell_id FROM cells WHERE rowid=?",
                                     (rowid,)).fetchone()
            except sqlite3.DatabaseError:
                found = None
            misses = 0 if found else misses + 1
            if found:
                ids.append(found[0])
    for cid in ids:
        try:
            cell = conn.execute("SELECT * FROM cells WHERE cell_id=?", (cid,)).fetchone()
            rows = conn.execute("SELECT idx, data FROM rows WHERE cell_id=? ORDER BY idx",
                                (cid,)).fetchall()
            json.loads(cell[3])  # config
            json.loads(cell[6])  # versions
            for _, data in rows:
                json.loads(data)
            if len(rows) != cell[4]:
                raise ValueError("row count differs from the cell's record")
        except (sqlite3.DatabaseError, ValueError, TypeError):
            bad += bad >= 0
            continue
        good.append((cell, rows))
    return good, bad


def _meta_configs(conn: sqlite3.Connection) -> dict[str, Any]:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key='configs'").fetchone()
        return json.loads(row[0]) if row else {}
    except (sqlite3.DatabaseError, ValueError):
        return {}


def repair_store(run_dir: str | Path) -> RepairReport:
    """Rebuild ``run_dir``'s store from its readable cells (see the module docstring).

    Raises:
        StoreError: no store in ``run_dir``, or another run is writing to it.
    """
    run_dir = Path(run_dir)
    path = run_dir / STORE_FILE
    if not path.is_file():
        raise StoreError(f"{run_dir} holds no iclab results (no {STORE_FILE}) to repair")
    lock = os.open(run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(f"another `iclab run` is writing to {run_dir}; stop it before "
                             "repairing") from None
        return _rebuild(run_dir, path)
    finally:
        os.close(lock)


def _rebuild(run_dir: Path, path: Path) -> RepairReport:
    old = sqlite3.connect(path)
    try:
        cells, dropped = _readable_cells(old)
        configs = _meta_configs(old)
    finally:
        old.close()
    work = run_dir / ".repair"
    shutil.rmtree(work, ignore_errors=True)
    with ResultStore(work, create=True) as fresh:
        conn = fresh.conn
        for cell, rows in cells:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO cells VALUES (?,?,?,?,?,?,?,?,?,?,?)", cell)
            conn.executemany("INSERT INTO rows VALUES (?,?,?)",
                             [(cell[0], idx, data) for idx, data in rows])
            conn.execute("COMMIT")
        for digest, identity in configs.items():
            fresh.add_config(digest, identity)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    aside = run_dir / f"results.damaged-{stamp}.sqlite"
    for suffix in _SIDECARS:
        src = Path(str(path) + suffix)
        if src.exists():
            src.rename(Path(str(aside) + suffix))
    (work / STORE_FILE).rename(path)
    shutil.rmtree(work, ignore_errors=True)
    return RepairReport(kept=len(cells), dropped=dropped, damaged_copy=aside)
