"""Run one cell and check what it returned; shared by every executor."""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from iclab.runs.config import Cell
from iclab.runs.context import Context
from iclab.runs.registry import Analysis
from iclab.runs.store import dump_row, utc_now, versions


class BadRowsError(TypeError):
    """An analysis returned something other than a list of flat, JSON-able dict rows."""


@dataclass
class CellOutcome:
    """What running one cell produced: its rows and timing, or the error it raised."""

    cell_id: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    started_at: str = ""
    finished_at: str = ""
    duration_s: float = 0.0
    error: str | None = None
    traceback: str = ""
    host: str = ""
    versions: dict[str, str] = field(default_factory=dict)


def check_rows(rows: Any, cell: Mapping[str, Any], analysis: str) -> list[dict[str, Any]]:
    """Return ``rows`` as a list of dicts, or raise :class:`BadRowsError` saying what is wrong.

    A row may repeat a config key only with the same value (it would shadow the cell's column).
    """
    if not isinstance(rows, list):
        raise BadRowsError(f"analysis {analysis!r} returned {type(rows).__name__}, not a list "
                           "of row dicts")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not all(isinstance(k, str) for k in row):
            raise BadRowsError(f"analysis {analysis!r}: row {i} is not a dict with str keys")
        for key in ("cell", "analysis"):
            if key in row:
                raise BadRowsError(f"analysis {analysis!r}: row {i} uses the reserved key {key!r}")
        for key, value in row.items():
            if key in cell and value != cell[key]:
                raise BadRowsError(f"analysis {analysis!r}: row {i} sets {key!r}={value!r}, "
                                   f"which clashes with the cell's {key}={cell[key]!r}")
        dump_row(row)  # raises TypeError for values JSON cannot hold
    return [dict(r) for r in rows]


def run_one(analysis: Analysis, cell: Cell, ctx: Context) -> CellOutcome:
    """Run ``analysis`` on ``cell``; exceptions become an outcome with ``error`` set.

    KeyboardInterrupt and SystemExit propagate (the run stops; nothing of the cell is kept).
    """
    out = CellOutcome(cell.id, started_at=utc_now(), host=socket.gethostname(),
                      versions=versions())
    start = time.perf_counter()
    try:
        out.rows = check_rows(analysis.run_cell(cell.to_dict(), ctx), cell, analysis.name)
    except Exception as exc:  # noqa: BLE001 - any analysis error is recorded, the run goes on
        out.error = f"{type(exc).__name__}: {exc}"
        out.traceback = "".join(traceback.format_exception(exc))
    out.duration_s = time.perf_counter() - start
    out.finished_at = utc_now()
    return out


def order_by_model(cells: list[Cell], analysis: Analysis) -> list[Cell]:
    """Group cells that share a model (groups in order of first appearance), stable within."""
    first: dict[str, int] = {}
    for cell in cells:
        first.setdefault(analysis.model_group(cell), len(first))
    return sorted(cells, key=lambda c: first[analysis.model_group(c)])
