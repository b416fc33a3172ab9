"""``eval`` in sweeps: k-shot accuracy of one (model, task, shots, seed, ...) cell.

The same computation as ``iclab eval`` (:mod:`iclab.analyses.eval.run`) for one seed: its prompts, its
engine calls and its per-sample records. The model is loaded once per worker and reused by every
cell that names it. One row per cell: ``accuracy`` (0-1), ``n``, ``n_correct`` and the mean
prompt length.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from iclab.analyses.prompt_stats.sweep import _task, check_prompt_option
from iclab.runs.context import Context, model_spec
from iclab.runs.registry import register_analysis
from iclab.analyses.eval.config import EvalConfig


class EvalCell(BaseModel):
    """The config of one ``eval`` cell; defaults are those of ``iclab eval``.

    Attributes:
        model: model spec (bundled name, hub id, local dir, GGUF).
        revision: hub revision (Pythia ``step4000``), or None.
        dtype: ``float32``/``bfloat16``/``float16`` (None: fp32 on CPU, bf16 on GPU).
        task: task name or spec path.
        shots: demonstrations per prompt.
        seed: the demonstration seed.
        labels: label setting.
        template: prompt preset.
        scoring: ``rank`` (choice log-probs) or ``generate`` (greedy, first line, exact match).
        mode: the rank score: ``first``, ``sum`` or ``mean``.
        limit: at most this many test queries; None: all.
        max_new_tokens: generation budget under ``generate``.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = EvalConfig.model
    revision: str | None = None
    dtype: Literal["float32", "bfloat16", "float16"] | None = None
    task: str
    shots: int = Field(default=EvalConfig.shots, ge=0)
    seed: int = EvalConfig.seeds[0]
    labels: str = EvalConfig.labels
    template: str = EvalConfig.template
    scoring: Literal["rank", "generate"] = EvalConfig.scoring
    mode: Literal["first", "sum", "mean"] = EvalConfig.mode  # type: ignore[assignment]
    limit: int | None = Field(default=EvalConfig.limit, ge=1)
    max_new_tokens: int = Field(default=EvalConfig.max_new_tokens, ge=1)

    @field_validator("template", "labels")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        return check_prompt_option(value, info.field_name)


def run_cell(cell: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Score one seed's prompts with the cached model; return the accuracy row."""
    from iclab.analyses.eval.run import SeedRun, model_identity, seed_records

    engine = ctx.engine(cell["model"], cell["revision"], cell["dtype"])
    spec = model_spec(cell["model"], cell["revision"])
    cfg = EvalConfig(model=spec, task=cell["task"], shots=cell["shots"], seeds=(cell["seed"],),
                     labels=cell["labels"], template=cell["template"], scoring=cell["scoring"],
                     mode=cell["mode"], limit=cell["limit"],
                     max_new_tokens=cell["max_new_tokens"], dtype=cell["dtype"])
    key = model_identity(spec, ctx.device, cell["dtype"])["key"]
    records = seed_records(cfg, cell["seed"], SeedRun(
        _task(cell["task"]), engine.tokenizer, lambda: engine, key, engine.max_length))
    ctx.progress(f"{cell['task']} k={cfg.shots} seed={cell['seed']}: {len(records)} queries")
    n_correct = sum(bool(r["correct"]) for r in records)
    return [{"accuracy": n_correct / len(records), "n": len(records), "n_correct": n_correct,
             "prompt_tokens_mean": sum(r["n_prompt_tokens"] for r in records) / len(records)}]


def estimate_cost(cell: Any) -> float:
    """Rough CPU seconds: ~1 ms per prompt token for a ~200M model (scoring); x10 generating."""
    queries = cell.get("limit") or 500
    tokens = queries * (cell.get("shots", 16) + 1) * 12
    return 1e-3 * tokens * (10 if cell.get("scoring") == "generate" else 1)


register_analysis(
    "eval", run_cell, estimate_cost=estimate_cost, cell_schema=EvalCell, version="1",
    model_keys=("model", "revision", "dtype"),
    description="k-shot accuracy of a model on a task for one seed (as iclab eval)",
)
