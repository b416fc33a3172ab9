"""Kill a real ``iclab run`` with SIGKILL at random points, resume, and compare with a clean run.

Proves the store's promise: nothing finished is recomputed (its timestamps never change),
nothing is lost or duplicated, the database is never corrupt, and the final table equals the
uninterrupted run's.
"""

from __future__ import annotations

import pytest

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from iclab.runs import load_results
from iclab.runs.store import STORE_FILE

ICLAB = str(Path(sys.executable).parent / "iclab")


def _snapshot(out: Path) -> dict[str, tuple]:
    """cell id -> (finished_at, n_rows) of every committed cell; {} before the store exists."""
    path = out / STORE_FILE
    if not path.is_file():
        return {}
    conn = sqlite3.connect(path, timeout=30)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='cells'").fetchone():
            return {}
        return {r[0]: (r[1], r[2]) for r in
                conn.execute("SELECT cell_id, finished_at, n_rows FROM cells")}
    finally:
        conn.close()


def _check_consistent(out: Path) -> None:
    conn = sqlite3.connect(out / STORE_FILE)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:  # killed before the store's tables were created: an empty file
            return
        assert tables == {"meta", "cells", "rows", "failures", "runs", "samples"}  # all or none
        per_cell = dict(conn.execute("SELECT cell_id, count(*) FROM rows GROUP BY cell_id"))
        declared = dict(conn.execute("SELECT cell_id, n_rows FROM cells"))
        assert per_cell == {k: v for k, v in declared.items() if v}  # no lost/extra rows
    finally:
        conn.close()


def _start(config: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([ICLAB, "run", str(config), "--out", str(out), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_when(proc: subprocess.Popen, out: Path, at_least: int, delay: float) -> int:
    """SIGKILL ``proc`` once the store holds ``at_least`` cells (then ``delay`` s more)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / STORE_FILE).is_file() and len(_snapshot(out)) >= at_least:
            break
        time.sleep(0.01)
    time.sleep(delay)
    assert proc.poll() is None, f"run ended before the kill: {proc.stderr.read().decode()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return len(_snapshot(out))


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_equals_uninterrupted(reference_run,
                                                                   tmp_path) -> None:
    config, reference = reference_run
    seed = int(os.environ.get("ICLAB_KILL_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    out = tmp_path / "out"
    targets = [0, rng.randint(3, 15), rng.randint(18, 30)]  # 40 cells in all
    seen: dict[str, tuple] = {}
    counts = []
    for target in targets:
        # the extra delay is under one cell's time, so the kill lands anywhere in a cell:
        # while it computes, while it commits, or between two cells
        counts.append(_kill_when(_start(config, out), out, target, rng.uniform(0, 0.03)))
        _check_consistent(out)
        now = _snapshot(out)
        assert {k: now[k] for k in seen} == seen, f"seed {seed}: a finished cell changed"
        seen = now
    assert all(0 < n < 40 for n in counts[1:]), f"seed {seed}: kills not mid-run: {counts}"
    done = subprocess.run([ICLAB, "run", str(config), "--out", str(out), "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{40 - len(seen)} of 40 cells to run" in done.stderr
    _check_consistent(out)
    final = _snapshot(out)
    assert len(final) == 40 and {k: final[k] for k in seen} == seen
    pd.testing.assert_frame_equal(load_results(out), load_results(reference))
