"""The Ray executor: one actor per distinct model, cells scheduled to actors, one writer.

Each actor loads its model once (in its :class:`~iclab.runs.context.Context`) and runs that
model's cells one after another; the driver (this process) collects outcomes as they finish and
is the only process that writes to the store. When an actor's cells are done it is killed, which
frees its GPU for the next model's actor. Ray queues actors that do not fit yet, so a grid of 40
checkpoints on 8 GPUs runs 8 at a time. If the driver is killed, its actors die with it and a
re-run resumes from the store; if an actor dies (OOM, node lost), its unfinished cells are
recorded as failures and retried by the next run.
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from iclab.errors import IclabError
from iclab.runs.cellexec import CellOutcome, run_one
from iclab.runs.config import Cell
from iclab.runs.context import Context
from iclab.runs.local import OnResult, RunSummary, record
from iclab.runs.registry import Analysis, get_analysis
from iclab.runs.store import ResultStore


@dataclass(frozen=True)
class RayOptions:
    """How to reach Ray and what each actor reserves.

    Attributes:
        address: ``"auto"`` (a running cluster, e.g. after ``ray start --head``), ``"HOST:PORT"``
            / ``"ray://HOST:10001"``, or None to start a private local Ray instance.
        gpus_per_actor: GPUs each model actor reserves; None: 1 when the cluster has GPUs, else 0.
        cpus_per_actor: CPUs each model actor reserves.
        init_kwargs: extra ``ray.init`` arguments (e.g. ``{"num_cpus": 2}`` for a local instance).
    """

    address: str | None = None
    gpus_per_actor: float | None = None
    cpus_per_actor: float = 1.0
    init_kwargs: dict[str, Any] | None = None


class CellWorker:
    """The body of a Ray actor: imports the config's modules, keeps a Context, runs cells."""

    def __init__(self, imports: list[str], device: str | None) -> None:
        for module in imports:
            importlib.import_module(module)
        self.ctx = Context(device=device)

    def run(self, analysis_name: str, config: dict[str, Any], index: int) -> CellOutcome:
        """Run one cell; errors come back inside the outcome, so the actor lives on."""
        analysis = get_analysis(analysis_name)
        return run_one(analysis, Cell(analysis_name, config, index), self.ctx)


def _connect(options: RayOptions) -> tuple[Any, bool]:
    """Import Ray and connect; returns (ray, whether this call started the connection)."""
    import ray

    if ray.is_initialized():
        return ray, False
    kwargs = dict(options.init_kwargs or {})
    kwargs.setdefault("include_dashboard", False)
    kwargs.setdefault("log_to_driver", True)
    try:
        ray.init(address=options.address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = options.address or "a new local instance"
        raise IclabError(f"cannot connect to Ray at {where}: {exc}") from None
    return ray, True


def _gpus(ray: Any, options: RayOptions) -> float:
    if options.gpus_per_actor is not None:
        return options.gpus_per_actor
    return 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0


def run_ray(analysis: Analysis, cells: list[Cell], store: ResultStore, *,
            imports: list[str] = (), options: RayOptions | None = None,
            device: str | None = None, progress: bool = True,
            on_result: OnResult | None = None) -> RunSummary:
    """Run ``cells`` on Ray: one actor per model group; the driver writes every outcome.

    Args:
        analysis: the registered analysis (the actors look it up by name).
        cells: the cells to run (finished ones already filtered out).
        store: the run's store; only this process writes to it.
        imports: modules each actor imports first (the config's ``imports:``).
        options: how to connect and what each actor reserves.
        device: torch device inside actors (None: the actor's GPU when it has one, else CPU).
        progress: show a tqdm progress bar.
        on_result: called after each committed cell.
    """
    from tqdm.auto import tqdm

    options = options or RayOptions()
    summary = RunSummary()
    if not cells:
        return summary
    ray, connected_here = _connect(options)
    actors: dict[str, Any] = {}
    bar = tqdm(total=len(cells), desc=f"{analysis.name} (ray)", unit="cell",
               disable=not progress, dynamic_ncols=True)
    try:
        pending, left = _submit(ray, options, analysis, cells, list(imports), device, actors)
        while pending:
            # a batch of whatever is ready (at most 1 s wait): O(pending) per batch, not per cell
            done, _ = ray.wait(list(pending), num_returns=min(len(pending), 256), timeout=1.0)
            for ref in done:
                group, cell = pending.pop(ref)
                outcome = _outcome(ray, ref, cell)
                record(store, analysis, cell, outcome, summary, on_result)
                if outcome.error is not None:
                    bar.write(f"cell {cell.id} failed: {outcome.error}")
                bar.update(1)
                left[group] -= 1
                if left[group] == 0:
                    ray.kill(actors.pop(group))  # frees its GPU for a queued actor
    finally:
        bar.close()
        for actor in actors.values():
            ray.kill(actor)
        if connected_here:
            ray.shutdown()
    return summary


def _submit(ray: Any, options: RayOptions, analysis: Analysis, cells: list[Cell],
            imports: list[str], device: str | None, actors: dict[str, Any]
            ) -> tuple[dict[Any, tuple[str, Cell]], dict[str, int]]:
    """Start one actor per model group (into ``actors``) and queue each cell on its actor.

    Returns:
        (object ref -> (group, cell), group -> number of cells queued).
    """
    actor_cls = ray.remote(num_gpus=_gpus(ray, options), num_cpus=options.cpus_per_actor,
                           max_restarts=0)(CellWorker)
    groups: dict[str, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[analysis.model_group(cell)].append(cell)
    pending, left = {}, {}
    for group, members in groups.items():
        actors[group] = actor_cls.remote(imports, device)
        left[group] = len(members)
        for cell in members:
            ref = actors[group].run.remote(analysis.name, cell.to_dict(), cell.index)
            pending[ref] = (group, cell)
    return pending, left


def _outcome(ray: Any, ref: Any, cell: Cell) -> CellOutcome:
    """The outcome an actor returned, or a failure when the actor itself died."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:
        return CellOutcome(cell.id, error=f"{type(exc).__name__}: {exc}")
