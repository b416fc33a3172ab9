"""``iclab run`` as a library call: plan a config against a run directory, then execute it.

:func:`plan` has no side effects (a bad config or impossible grid fails before anything is
created); :func:`execute` opens the store, skips finished cells and runs the rest.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from iclab.runs.config import Cell, ConfigError, RunConfig, canonical_json, expand, load_config
from iclab.runs.local import RunSummary, run_local
from iclab.runs.ray_exec import RayOptions
from iclab.runs.registry import Analysis, get_analysis
from iclab.runs.store import ResultStore, StoreError, finished_in

Executor = Literal["local", "ray"]


@dataclass(frozen=True)
class RunPlan:
    """A validated config, its cells, and which of them a run directory already holds."""

    config: RunConfig
    source: str
    config_text: str
    analysis: Analysis
    cells: list[Cell]
    finished: frozenset[str]

    @property
    def pending(self) -> list[Cell]:
        """Cells not yet in the store, in grid order."""
        return [c for c in self.cells if c.id not in self.finished]

    def estimate_s(self) -> float | None:
        """Estimated seconds for the pending cells, or None if the analysis cannot estimate."""
        if self.analysis.estimate_cost is None:
            return None
        return float(sum(self.analysis.estimate_cost(c) for c in self.pending))


def plan(config_path: str | Path, out: str | Path) -> RunPlan:
    """Load and expand a config and see which cells ``out`` already holds (creates nothing)."""
    path = Path(config_path)
    config = load_config(path)
    cells = expand(config, str(path))
    return RunPlan(config, str(path), path.read_text(encoding="utf-8"),
                   get_analysis(config.analysis), cells, finished_in(out))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def describe(p: RunPlan, max_cells: int = 50) -> str:
    """The ``--dry-run`` text: every cell (up to ``max_cells``) and a cost estimate."""
    pending = {c.id for c in p.pending}
    axes = list(p.config.grid)
    lines = [f"analysis {p.analysis.name}: {len(p.cells)} cells over {', '.join(axes)}"
             f"; params {canonical_json(p.config.params)}"]
    for cell in p.cells[:max_cells]:
        state = "todo" if cell.id in pending else "done"
        shown = ", ".join(f"{a}={cell[a]!r}" for a in axes if a in cell)
        lines.append(f"  {cell.id}  {state}  {shown}")
    if len(p.cells) > max_cells:
        lines.append(f"  ... and {len(p.cells) - max_cells} more")
    groups = Counter(p.analysis.model_group(c) for c in p.pending)
    estimate = p.estimate_s()
    cost = ("cost unknown (the analysis gives no estimate)" if estimate is None
            else f"estimated {_duration(estimate)} on one worker here")
    lines.append(f"{len(pending)} to run, {len(p.cells) - len(pending)} already done; "
                 f"{len(groups)} model(s) to load; {cost}")
    return "\n".join(lines)


def _check_executor(executor: str, wandb: bool) -> None:
    """Fail before anything is written when an optional dependency is missing."""
    if executor not in ("local", "ray"):
        raise ConfigError(f"unknown executor {executor!r}; choose 'local' or 'ray'")
    if executor == "ray" and importlib.util.find_spec("ray") is None:
        raise ConfigError("--executor ray needs Ray: pip install 'iclab[ray]'")
    if wandb and importlib.util.find_spec("wandb") is None:
        raise ConfigError("--wandb needs Weights & Biases: pip install wandb")


def execute(p: RunPlan, out: str | Path, *, executor: Executor = "local",
            ray: RayOptions | None = None, wandb: bool = False, device: str | None = None,
            progress: bool = True) -> RunSummary:
    """Run the pending cells of ``p`` into ``out`` and return what happened.

    Args:
        p: the plan (see :func:`plan`).
        out: the run directory; created if missing.
        executor: ``"local"`` (this process) or ``"ray"``.
        ray: Ray address and per-actor resources (``executor="ray"`` only).
        wandb: also log each finished cell to Weights & Biases.
        device: torch device for models (None: CUDA when available, else CPU).
        progress: show a progress bar.

    Raises:
        ConfigError: unknown executor, or Ray / W&B asked for but not installed.
        StoreError: ``out`` unwritable, locked by another run, or of another store version.
    """
    _check_executor(executor, wandb)
    with ResultStore(out, create=True) as store:
        store.lock()
        store.record_run(p.config_text, p.source, executor)
        store.set_positions({c.id: c.index for c in p.cells})
        todo = [c for c in p.cells if c.id not in store.finished_ids()]
        logger = None
        if wandb:
            from iclab.runs.wandb_log import WandbLogger

            logger = WandbLogger(p.config, Path(out))
        try:
            on_result = logger.log_cell if logger else None
            if executor == "ray":
                from iclab.runs.ray_exec import run_ray  # imports ray only when called

                return run_ray(p.analysis, todo, store, imports=p.config.imports,
                               options=ray, device=device, on_result=on_result,
                               progress=progress)
            return run_local(p.analysis, todo, store, device=device, progress=progress,
                             on_result=on_result)
        finally:
            if logger:
                logger.finish()


def run_config(config_path: str | Path, out: str | Path, **kwargs) -> RunSummary:
    """Plan and execute in one call (see :func:`execute` for the keyword arguments)."""
    return execute(plan(config_path, out), out, **kwargs)


__all__ = ["RunPlan", "StoreError", "describe", "execute", "plan", "run_config"]
