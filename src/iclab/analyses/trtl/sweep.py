"""``tr-tl`` in sweeps: one (checkpoint, task, seed, setting) cell of the TR/TL grid.

A cell is an ``eval`` cell with the task-recognition paper's fixed choices (``metaicl-minimal``,
k = 16 by default, generation scored by first-line exact match) and its label ``setting``:
``gold`` (Golden), ``random`` (TR) or ``abstract`` (TL). Rows carry ``setting``, ``accuracy``
and the checkpoint's ``step`` (from the ``step`` field or a revision like ``step4000``), which
is what the report's ``tr-tl`` section plots.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from iclab.analyses.eval import sweep as eval_analysis
from iclab.runs.context import Context
from iclab.runs.registry import register_analysis
from iclab.models.bundled import DEFAULT_MODEL


class TrTlCell(BaseModel):
    """One cell of the TR/TL grid (see :class:`iclab.analyses.trtl.run.TrTlConfig`)."""

    model_config = ConfigDict(extra="forbid")

    model: str = DEFAULT_MODEL
    revision: str | None = None
    step: int | None = Field(default=None, ge=0)
    dtype: Literal["float32", "bfloat16", "float16"] | None = None
    task: str
    seed: int = 13
    setting: Literal["gold", "random", "abstract"]
    shots: int = Field(default=16, ge=0)
    scoring: Literal["rank", "generate"] = "generate"
    limit: int | None = Field(default=1000, ge=1)
    max_new_tokens: int = Field(default=256, ge=1)

    @model_validator(mode="after")
    def _fill_step(self) -> "TrTlCell":
        """Read the step from a revision like ``step4000`` when not given (0 otherwise)."""
        if self.step is None:
            from iclab.analyses.trtl.checkpoints import parse_step
            from iclab.errors import IclabError

            try:
                self.step = parse_step(self.revision or self.model)
            except IclabError:
                self.step = 0
        return self


def run_cell(cell: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Evaluate the cell as ``eval`` does (the step is a config column of every row)."""
    as_eval = {"model": cell["model"], "revision": cell["revision"], "dtype": cell["dtype"],
               "task": cell["task"], "shots": cell["shots"], "seed": cell["seed"],
               "labels": cell["setting"], "template": "metaicl-minimal",
               "scoring": cell["scoring"], "mode": "sum", "limit": cell["limit"],
               "max_new_tokens": cell["max_new_tokens"]}
    return eval_analysis.run_cell(as_eval, ctx)


register_analysis(
    "tr-tl", run_cell, estimate_cost=eval_analysis.estimate_cost, cell_schema=TrTlCell,
    version="1", model_keys=("model", "revision", "dtype"),
    description="golden / TR / TL accuracy of one checkpoint, task, seed and label setting",
)
