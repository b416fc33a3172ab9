"""The SQLite result store: atomic cells, no duplicates, versions, locking, bad directories."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

from iclab.runs.config import Cell
from iclab.runs.store import STORE_FILE, ResultStore, StoreError, utc_now


def _commit(store: ResultStore, cell: Cell, rows: list[dict]) -> bool:
    now = utc_now()
    return store.commit_cell(cell, rows, started_at=now, finished_at=now, duration_s=0.1,
                             analysis_version="1")


def test_cells_and_rows_round_trip_with_versions(tmp_path) -> None:
    cell = Cell("a", {"k": 1}, index=3)
    with ResultStore(tmp_path, create=True) as store:
        assert _commit(store, cell, [{"x": np.float32(0.5), "v": np.arange(2)}, {"x": 2}])
        assert store.finished_ids() == {cell.id}
    with ResultStore(tmp_path) as store:
        (rec,) = store.cells()
        assert rec["config"] == {"k": 1} and rec["position"] == 3 and rec["n_rows"] == 2
        assert {"iclab", "torch", "transformers", "python"} <= set(rec["versions"])
        assert rec["versions"]["torch"].startswith("2.")
        assert store.rows() == [(cell.id, 0, {"x": 0.5, "v": [0, 1]}), (cell.id, 1, {"x": 2})]
        mode = store.conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_a_finished_cell_is_never_written_twice(tmp_path) -> None:
    cell = Cell("a", {"k": 1})
    with ResultStore(tmp_path, create=True) as store:
        assert _commit(store, cell, [{"x": 1}])
        assert not _commit(store, cell, [{"x": 2}, {"x": 3}])
        assert store.rows() == [(cell.id, 0, {"x": 1})]


def test_a_row_that_json_cannot_hold_writes_nothing(tmp_path) -> None:
    with ResultStore(tmp_path, create=True) as store:
        with pytest.raises(TypeError, match="not JSON"):
            _commit(store, Cell("a", {"k": 1}), [{"x": 1}, {"x": object()}])
        assert store.finished_ids() == set() and store.rows() == []
        assert _commit(store, Cell("a", {"k": 1}), [{"x": 1}])  # the transaction was not left open


def test_failures_are_recorded_until_the_cell_finishes(tmp_path) -> None:
    cell = Cell("a", {"k": 1})
    with ResultStore(tmp_path, create=True) as store:
        store.record_failure(cell, ValueError("boom"))
        (fail,) = store.failures()
        assert fail["cell_id"] == cell.id and fail["error"] == "ValueError: boom"
        _commit(store, cell, [{"x": 1}])
        assert store.failures() == []


def test_a_store_of_another_schema_version_is_refused(tmp_path) -> None:
    ResultStore(tmp_path, create=True).close()
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    conn.execute("UPDATE meta SET value='99' WHERE key='store_schema'")
    conn.commit()
    conn.close()
    for create in (False, True):
        with pytest.raises(StoreError, match="has store schema 99 .* reads schema 1"):
            ResultStore(tmp_path, create=create)


def test_foreign_files_are_refused_clearly(tmp_path) -> None:
    with pytest.raises(StoreError, match="holds no iclab results"):
        ResultStore(tmp_path)
    (tmp_path / STORE_FILE).write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable iclab result store"):
        ResultStore(tmp_path, create=True)
    other = tmp_path / "other"
    other.mkdir()
    conn = sqlite3.connect(other / STORE_FILE)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(StoreError, match="not an iclab result store"):
        ResultStore(other, create=True)


def test_unusable_output_paths(tmp_path) -> None:
    afile = tmp_path / "file"
    afile.write_text("x")
    with pytest.raises(StoreError, match="exists and is not a directory"):
        ResultStore(afile, create=True)
    with pytest.raises(StoreError, match="cannot create output directory"):
        ResultStore(afile / "sub", create=True)


def test_one_writer_at_a_time(tmp_path) -> None:
    with ResultStore(tmp_path, create=True) as first:
        first.lock()
        with ResultStore(tmp_path, create=True) as second:
            with pytest.raises(StoreError, match="another `iclab run` is writing"):
                second.lock()
    with ResultStore(tmp_path, create=True) as third:
        third.lock()  # released by close()


def test_meta_records_the_schema_and_creator(tmp_path) -> None:
    ResultStore(tmp_path, create=True).close()
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["store_schema"] == "1" and "iclab" in json.loads(meta["created_by"])


def test_a_store_killed_before_its_tables_exist_is_empty_not_broken(tmp_path) -> None:
    from iclab.runs.store import EmptyStoreError, finished_in

    sqlite3.connect(tmp_path / STORE_FILE).execute("PRAGMA journal_mode=WAL").close()
    assert finished_in(tmp_path) == frozenset() and finished_in(tmp_path / "none") == frozenset()
    with pytest.raises(EmptyStoreError, match="holds no iclab results yet"):
        ResultStore(tmp_path)
    with ResultStore(tmp_path, create=True) as store:  # a writer creates the tables
        assert _commit(store, Cell("a", {"k": 1}), [{"x": 1}])
    assert len(finished_in(tmp_path)) == 1


def _three_cells(run_dir) -> list[Cell]:
    cells = [Cell("a", {"k": k}, index=k) for k in range(3)]
    with ResultStore(run_dir, create=True) as store:
        for cell in cells:
            _commit(store, cell, [{"x": cell["k"]}, {"x": -cell["k"]}])
    return cells


def test_a_damaged_row_is_one_error_and_repair_keeps_the_rest(tmp_path) -> None:
    from iclab.runs.repair import repair_store
    from iclab.runs.results import load_results

    cells = _three_cells(tmp_path)
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    conn.execute("UPDATE rows SET data='{\"x\": 1' WHERE cell_id=? AND idx=1", (cells[1].id,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match=r"results\.sqlite is damaged \(a stored value is not "
                                         r"valid JSON.*--repair"):
        load_results(tmp_path)
    report = repair_store(tmp_path)
    assert (report.kept, report.dropped) == (2, 1) and report.damaged_copy.is_file()
    frame = load_results(tmp_path)
    assert sorted(frame["k"]) == [0, 0, 2, 2]
    with ResultStore(tmp_path) as store:
        assert store.finished_ids() == {cells[0].id, cells[2].id}  # the next run redoes k=1


def test_damaged_pages_are_one_error_naming_the_file(tmp_path) -> None:
    from iclab.runs.repair import repair_store
    from iclab.runs.results import load_results

    _three_cells(tmp_path)
    conn = sqlite3.connect(tmp_path / STORE_FILE)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray((tmp_path / STORE_FILE).read_bytes())
    page = 4096
    for start in range(page, len(data), page):  # every page but the header page
        data[start:start + page] = bytes(range(256)) * (page // 256)
    (tmp_path / STORE_FILE).write_bytes(bytes(data))
    with pytest.raises(StoreError, match=r"results\.sqlite is damaged .*--repair"):
        load_results(tmp_path)
    repair_store(tmp_path)
    assert len(load_results(tmp_path)) == 0  # nothing readable was kept; nothing crashed
