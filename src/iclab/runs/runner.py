"""``iclab run`` as a library call: plan a config against a run directory, then execute it.

:func:`plan` has no side effects (a bad config or impossible grid fails before anything is
created); :func:`execute` opens the store, skips finished cells and runs the rest.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from iclab.runs.config import Cell, ConfigError, RunConfig, canonical_json, expand, load_config

OnConflict = Literal["refuse", "append", "force-new"]


def config_identity(config: RunConfig) -> dict[str, Any]:
    """The part of a config its run directory is bound to: the analysis, the params and the
    grid's axes. Adding values to an axis extends the same experiment (only new cells run);
    another analysis, other params (e.g. ``limit``) or other axes make rows that must not be
    mixed with the old ones silently."""
    return {"analysis": config.analysis, "params": json.loads(canonical_json(config.params)),
            "axes": sorted(config.grid)}


def identity_hash(identity: dict[str, Any]) -> str:
    """16 hex digits of the SHA-256 of an identity's canonical JSON."""
    return hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:16]
from iclab.runs.local import RunSummary, run_local
from iclab.runs.ray_exec import RayOptions
from iclab.runs.registry import Analysis, get_analysis
from iclab.runs.store import (
    ResultStore,
    StoreError,
    finished_in,
    move_store_aside,
    recorded_configs,
)

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
    recorded: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def identity(self) -> dict[str, Any]:
        """What makes this config's results comparable (see :func:`config_identity`)."""
        return config_identity(self.config)

    @property
    def config_hash(self) -> str:
        """16 hex digits of a hash of :attr:`identity`."""
        return identity_hash(self.identity)

    def conflict(self) -> str | None:
        """Why the run directory's recorded configs differ from this one, or None."""
        if not self.recorded or self.config_hash in self.recorded:
            return None
        mine = self.identity
        old_hash, old = next(iter(self.recorded.items()))
        diff = [k for k in ("analysis", "params", "axes") if old.get(k) != mine.get(k)]
        return (f"the run directory holds results of config {old_hash} (analysis "
                f"{old.get('analysis')!r}); this config ({self.config_hash}) differs in "
                f"{', '.join(diff) or 'its identity'}")

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
                   get_analysis(config.analysis), cells, finished_in(out), recorded_configs(out))


def check_conflict(p: RunPlan, out: str | Path, on_conflict: OnConflict = "refuse") -> None:
    """Refuse (``"refuse"``) to run ``p`` into a directory that holds another config's
    results; ``"append"`` and ``"force-new"`` accept it (see :func:`execute`).

    Raises:
        ConfigError: another config's results are there and ``on_conflict`` is "refuse".
    """
    if on_conflict not in ("refuse", "append", "force-new"):
        raise ConfigError(f"on_conflict must be refuse, append or force-new, got {on_conflict!r}")
    why = p.conflict()
    if why and on_conflict == "refuse":
        raise ConfigError(f"{out}: {why}. Use a new --out, --append to add this config's cells "
                          "to the directory, or --force-new to move the old results aside "
                          "and start afresh")


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
    why = p.conflict()
    if why:
        lines.append(f"note: {why}; running needs --append or --force-new")
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
            progress: bool = True, on_conflict: OnConflict = "refuse") -> RunSummary:
    """Run the pending cells of ``p`` into ``out`` and return what happened.

    Args:
        p: the plan (see :func:`plan`).
        out: the run directory; created if missing.
        executor: ``"local"`` (this process) or ``"ray"``.
        ray: Ray address and per-actor resources (``executor="ray"`` only).
        wandb: also log each finished cell to Weights & Biases.
        device: torch device for models (None: CUDA when available, else CPU).
        progress: show a progress bar.
        on_conflict: when ``out`` holds results of another config (another analysis, other
            params or other grid axes): ``"refuse"`` (default), ``"append"`` (add this
            config's cells; its rows sit beside the others, told apart by their config
            columns) or ``"force-new"`` (move the old store to
            ``results.replaced-<time>.sqlite`` and start afresh).

    Raises:
        ConfigError: unknown executor, Ray / W&B asked for but not installed, or another
            config's results in ``out`` and ``on_conflict="refuse"``.
        StoreError: ``out`` unwritable, locked by another run, or of another store version.
    """
    _check_executor(executor, wandb)
    check_conflict(p, out, on_conflict)
    if on_conflict == "force-new" and p.conflict():
        move_store_aside(out)
    with ResultStore(out, create=True) as store:
        store.lock()
        store.add_config(p.config_hash, p.identity)
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


__all__ = ["RunPlan", "StoreError", "check_conflict", "config_identity", "describe", "execute",
           "plan", "run_config"]
