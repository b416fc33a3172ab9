"""Read a run directory's results into pandas, and export them to CSV or parquet."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from iclab.runs.store import ResultStore, StoreError

if TYPE_CHECKING:
    import pandas as pd

CELL_COLUMNS = ("cell", "analysis")


def load_results(run_dir: str | Path, analysis: str | None = None) -> pd.DataFrame:
    """Load every result row of a run directory into one DataFrame.

    Each row of the frame is one result row returned by an analysis, with a ``cell`` column
    (the id of its grid cell), an ``analysis`` column, the cell's config keys (grid axes and
    params) as columns, then the row's own columns. Rows come in grid order.

    Args:
        run_dir: a directory written by ``iclab run --out``.
        analysis: keep only rows of this analysis (a directory may hold several).

    Raises:
        StoreError: no results in ``run_dir``, or a store of another version.
    """
    import pandas as pd

    with ResultStore(run_dir) as store:
        configs = {c["cell_id"]: (c["analysis"], c["config"]) for c in store.cells()}
        records = []
        for cell_id, _idx, row in store.rows():
            name, config = configs[cell_id]
            if analysis is not None and name != analysis:
                continue
            records.append({"cell": cell_id, "analysis": name, **config, **row})
    if not records:
        columns = list(CELL_COLUMNS)
        return pd.DataFrame(columns=columns)
    return pd.DataFrame.from_records(records)


def load_cells(run_dir: str | Path) -> pd.DataFrame:
    """One row per finished cell: id, analysis, config columns, row count, versions, timing."""
    import pandas as pd

    with ResultStore(run_dir) as store:
        cells = store.cells()
    records = [{"cell": c["cell_id"], "analysis": c["analysis"], **c["config"],
                "n_rows": c["n_rows"], "analysis_version": c["analysis_version"],
                **{f"version_{k}": v for k, v in c["versions"].items()},
                "host": c["host"], "started_at": c["started_at"],
                "finished_at": c["finished_at"], "duration_s": c["duration_s"]}
               for c in cells]
    return pd.DataFrame.from_records(records)


def export(run_dir: str | Path, csv: str | Path | None = None,
           parquet: str | Path | None = None) -> list[Path]:
    """Write the results of ``run_dir`` to CSV and/or parquet; return the written paths.

    Raises:
        StoreError: no results in ``run_dir``, or parquet asked for without pyarrow.
    """
    if parquet is not None and importlib.util.find_spec("pyarrow") is None:
        raise StoreError("parquet export needs pyarrow: pip install pyarrow (or use --csv)")
    for target, flag in ((csv, "--csv"), (parquet, "--parquet")):
        if target is not None:
            check_export_path(Path(target), flag)
    frame = load_results(run_dir)
    written = []
    if csv is not None:
        _write_whole(Path(csv), lambda tmp: frame.to_csv(tmp, index=False))
        written.append(Path(csv))
    if parquet is not None:
        _write_whole(Path(parquet), lambda tmp: _for_parquet(frame).to_parquet(tmp, index=False))
        written.append(Path(parquet))
    return written


def check_export_path(path: Path, flag: str) -> None:
    """Refuse an export target that is a directory or whose directory does not exist."""
    if path.is_dir():
        raise StoreError(f"{flag} {path} is a directory; give a file name, e.g. {path}/results"
                         f"{'.csv' if flag == '--csv' else '.parquet'}")
    if not path.parent.is_dir():
        raise StoreError(f"{flag} {path}: directory {path.parent} does not exist")


def _write_whole(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file next to ``path`` so that no partial file is left."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _for_parquet(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet needs one type per column: columns mixing types (or holding lists/dicts of
    varying shape) are written as JSON text."""
    import json

    out = frame.copy()
    for column in out.columns:
        kinds = {type(v) for v in out[column] if v is not None and v == v}
        if len(kinds) > 1 or kinds & {list, dict}:
            out[column] = [None if v is None else json.dumps(v) for v in out[column]]
    return out
