"""``layers`` in sweeps: one mask config's layer sweep on one model and task.

The same computation as ``iclab layers`` (:func:`iclab.analyses.layers.run.run_layers`) for a single
mask: rows ``layer`` (0-based first masked layer; ``n_layers`` = unmasked baseline), ``score``,
``baseline``, ``recognition_layer`` and the metric, which the report's ``layers`` section plots.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from iclab.analyses.layers.config import LayersConfig
from iclab.runs.context import Context
from iclab.runs.registry import register_analysis
from iclab.models.bundled import DEFAULT_MODEL


class LayersCell(BaseModel):
    """One layer sweep (see :class:`iclab.analyses.layers.run.LayersConfig` for each field;
    ``row_scope``, ``sink`` and ``self_visible`` left unset take the preset's values)."""

    model_config = ConfigDict(extra="forbid")

    model: str = DEFAULT_MODEL
    revision: str | None = None
    dtype: Literal["float32", "bfloat16", "float16"] | None = None
    task: str
    mask: str = LayersConfig.masks[0]
    shots: int = Field(default=LayersConfig.shots, ge=0)
    seed: int = LayersConfig.seed
    n: int = Field(default=LayersConfig.n, ge=1)
    template: str | None = LayersConfig.template
    instruction: str | None = LayersConfig.instruction
    preset: Literal["iclab", "paper"] = LayersConfig.preset  # type: ignore[assignment]
    row_scope: Literal["query", "all"] | None = None
    sink: int | None = Field(default=None, ge=0)
    self_visible: Literal["always", "when-empty"] | None = None
    threshold: float = Field(default=LayersConfig.threshold, gt=0)
    max_new_tokens: int = Field(default=LayersConfig.max_new_tokens, ge=1)


def run_cell(cell: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Sweep L = 0..n_layers for the cell's mask; one row per layer."""
    from iclab.analyses.layers.run import run_layers
    from iclab.analyses.prompt_stats.sweep import _task

    engine = ctx.engine(cell["model"], cell["revision"], cell["dtype"])
    given = {k: cell[k] for k in ("row_scope", "sink", "self_visible") if cell.get(k) is not None}
    make = LayersConfig.paper if cell.get("preset") == "paper" else LayersConfig
    cfg = make(masks=(cell["mask"],), shots=cell["shots"], seed=cell["seed"], n=cell["n"],
               template=cell["template"], instruction=cell["instruction"],
               threshold=cell["threshold"], max_new_tokens=cell["max_new_tokens"], **given)
    rows = run_layers(engine, _task(cell["task"]), cfg, cell["model"])
    return [{k: v for k, v in r.items() if k not in cell} for r in rows]


def estimate_cost(cell: Any) -> float:
    """Rough CPU seconds: ~0.05 s per query and layer for classification, x20 generating."""
    return 0.05 * cell.get("n", 20) * 19


register_analysis(
    "layers", run_cell, estimate_cost=estimate_cost, cell_schema=LayersCell, version="1",
    model_keys=("model", "revision", "dtype"),
    description="score vs the layer from which a part of the context is masked",
)
