"""``curves`` in sweeps: one (model, task, setting, repeat) ICL curve, one row per position.

The same prompt and metrics as ``iclab curves`` (:mod:`iclab.analyses.curves.run`) for a single
repeat and setting; the report's ``curves`` section aggregates repeats with bootstrap CIs.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_serializer

from iclab.analyses.curves.config import DEFAULT_TASK, CurvesConfig
from iclab.models.bundled import DEFAULT_MODEL
from iclab.runs.context import Context
from iclab.runs.registry import register_analysis

STORED_SHOTS = "demos"
"""The key ``shots`` is stored under in a cell's config (its name before ``shots``): the
stored config is hashed into the cell id, so every existing curves run directory resumes."""

ADDED = ("task_instruction", "instruction", "query")
"""Fields added after cells were first stored; unset (None) they mean the preset's value and are
left out of the stored config, so the ids of existing cells do not change."""


class CurvesCell(BaseModel):
    """One curve: model, task, label setting, repeat r (rng seed 200 + r), N = ``shots``
    demonstrations (unset: :class:`CurvesConfig`'s, or the paper's N under ``preset: paper``;
    the old key ``demos`` is accepted too); ``preset: paper`` continues the repeat's generator
    for random labels and flips at the paper's F for its datasets (``flip_at`` overrides).
    ``task_instruction``/``instruction`` add the paper's instruction lines; ``query`` also
    scores the query (uncalibrated and with the paper's calibration) into ``query_*`` columns
    of every row. Smoothing is not a cell setting: cells store the raw per-position values, and
    a curve is smoothed after averaging repeats (``iclab curves --smooth``, or
    :func:`iclab.analyses.curves.metrics.moving_average` on :func:`iclab.load_results`)."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    model: str = DEFAULT_MODEL
    revision: str | None = None
    dtype: Literal["float32", "bfloat16", "float16"] | None = None
    task: str = DEFAULT_TASK
    setting: str = CurvesConfig.settings[0]
    repeat: int = Field(default=0, ge=0)
    shots: int | None = Field(default=None, ge=1,
                              validation_alias=AliasChoices("shots", STORED_SHOTS),
                              serialization_alias=STORED_SHOTS)
    template: str = CurvesConfig.template
    sampling: Literal["iid", "balanced"] = CurvesConfig.sampling  # type: ignore[assignment]
    preset: Literal["iclab", "paper"] = CurvesConfig.preset  # type: ignore[assignment]
    flip_at: int | None = Field(default=CurvesConfig.flip_at, ge=0)
    task_instruction: bool | None = None
    instruction: str | None = None
    query: bool | None = None

    @model_serializer(mode="wrap")
    def _leave_out_unset_additions(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        for key in ADDED:
            if data.get(key) is None:
                data.pop(key, None)
        return data


def run_cell(cell: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """One forward pass; per position: loglik, accuracy, entropy and label mass."""
    import numpy as np

    from iclab.analyses.curves.model import query_metrics, zero_shot_predictor
    from iclab.analyses.curves.run import position_metrics, repeat_prompts
    from iclab.analyses.prompt_stats.sweep import _task

    engine = ctx.engine(cell["model"], cell["revision"], cell["dtype"])
    common: dict[str, Any] = dict(settings=(cell["setting"],), repeats=1,
                                  template=cell["template"], sampling=cell["sampling"])
    for key, stored in (("shots", STORED_SHOTS), ("flip_at", "flip_at")):
        if cell.get(stored) is not None:  # unset: the preset's (iclab: the config's, N // 2)
            common[key] = cell[stored]
    for key in ADDED:  # unset: the preset's
        if cell.get(key) is not None:
            common[key] = cell[key]
    cfg = (CurvesConfig.paper(cell["task"], **common) if cell.get("preset") == "paper"
           else CurvesConfig(**common))
    task = _task(cell["task"])
    predict = zero_shot_predictor(engine, task, cell["template"])  # only used by `predicted`
    prompt = repeat_prompts(task, engine.tokenizer, cfg, cell["repeat"], engine.max_length,
                            predict)[cell["setting"]]
    scores = engine.curves([prompt])[0]
    metrics = position_metrics(np.asarray(scores.logprobs), scores.targets)
    mass = engine.curve_label_mass([prompt])[0]
    query: dict[str, float] = {}
    if cfg.query:  # the query's metrics (and the paper's calibration), on every row
        query = {m: float(v[0]) for m, v in query_metrics(engine, task, [prompt]).items()}
    return [{"position": i, **{m: float(v[i]) for m, v in metrics.items()},
             "label_mass": float(mass[i]), **query} for i in range(len(mass))]


def estimate_cost(cell: Any) -> float:
    """Rough CPU seconds: one forward of ~25 tokens per demo, ~1 ms per token."""
    return 1e-3 * 25 * (cell.get(STORED_SHOTS) or cell.get("shots") or CurvesConfig.shots)


register_analysis(
    "curves", run_cell, estimate_cost=estimate_cost, cell_schema=CurvesCell, version="1",
    model_keys=("model", "revision", "dtype"),
    description="ICL curve of one repeat and label setting: metrics at every demo position",
)
