"""The local executor: cells one after another in this process, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iclab.runs.cellexec import CellOutcome, order_by_model, run_one
from iclab.runs.config import Cell
from iclab.runs.context import Context
from iclab.runs.registry import Analysis
from iclab.runs.store import ResultStore

OnResult = Callable[[Cell, list[dict[str, Any]]], None]


@dataclass
class RunSummary:
    """What one execution did: cells finished and failed (with their errors)."""

    finished: int = 0
    failed: list[tuple[Cell, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no cell failed."""
        return not self.failed


def record(store: ResultStore, analysis: Analysis, cell: Cell, outcome: CellOutcome,
           summary: RunSummary, on_result: OnResult | None = None) -> None:
    """Write one cell's outcome to the store (the single writer) and update ``summary``."""
    if outcome.error is not None:
        store.record_failure(cell, outcome.error, outcome.traceback)
        summary.failed.append((cell, outcome.error))
        return
    store.commit_cell(cell, outcome.rows, started_at=outcome.started_at,
                      finished_at=outcome.finished_at, duration_s=outcome.duration_s,
                      analysis_version=analysis.version, host=outcome.host,
                      versions_=outcome.versions)
    summary.finished += 1
    if on_result is not None:
        on_result(cell, outcome.rows)


def run_local(analysis: Analysis, cells: list[Cell], store: ResultStore, *,
              device: str | None = None, progress: bool = True,
              on_result: OnResult | None = None) -> RunSummary:
    """Run ``cells`` sequentially, committing each as it finishes.

    Cells sharing a model run back to back, so each model is loaded once.

    Args:
        analysis: the registered analysis.
        cells: the cells to run (already-finished ones filtered out by the caller).
        store: the run's store; every outcome is written to it.
        device: torch device for models (None: CUDA when available, else CPU).
        progress: show a tqdm progress bar on stderr.
        on_result: called after each committed cell (W&B logging).
    """
    from tqdm.auto import tqdm

    summary = RunSummary()
    bar = tqdm(total=len(cells), desc=analysis.name, unit="cell", disable=not progress,
               dynamic_ncols=True)
    ctx = Context(device=device, progress=lambda msg: bar.set_postfix_str(msg, refresh=True))
    try:
        for cell in order_by_model(cells, analysis):
            outcome = run_one(analysis, cell, ctx)
            record(store, analysis, cell, outcome, summary, on_result)
            if outcome.error is not None:
                bar.write(f"cell {cell.id} failed: {outcome.error}")
            bar.update(1)
    finally:
        bar.close()
        ctx.release()
    return summary
