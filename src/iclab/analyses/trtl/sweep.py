"""``tr-tl`` in sweeps: one (checkpoint, task, seed, setting) cell of the TR/TL grid.

A cell is an ``eval`` cell with the task-recognition paper's fixed choices (``metaicl-minimal``,
16 shots by default, generation scored by first-line exact match) and its label ``setting``:
``gold`` (Golden), ``random`` (TR) or ``abstract`` (TL). Rows carry ``setting``, ``accuracy``
and the checkpoint's ``step`` (from the ``step`` field or a revision like ``step4000``), which
is what the report's ``tr-tl`` section plots.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from iclab.analyses.eval import sweep as eval_analysis
from iclab.analyses.trtl.config import TrTlConfig
from iclab.runs.context import Context
from iclab.runs.registry import register_analysis


class TrTlCell(BaseModel):
    """One cell of the TR/TL grid; defaults are :class:`TrTlConfig`'s (``model``: its first
    checkpoint, ``seed``: its first seed)."""

    model_config = ConfigDict(extra="forbid")

    model: str = TrTlConfig.checkpoints[0].spec
    revision: str | None = None
    step: int | None = Field(default=None, ge=0)
    dtype: Literal["float32", "bfloat16", "float16"] | None = None
    task: str
    seed: int = TrTlConfig.seeds[0]
    setting: Literal["gold", "random", "abstract"]
    shots: int = Field(default=TrTlConfig.shots, ge=0)
    scoring: Literal["rank", "generate"] = TrTlConfig.scoring
    limit: int | None = Field(default=TrTlConfig.limit, ge=1)
    max_new_tokens: int = Field(default=TrTlConfig.max_new_tokens, ge=1)

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
               "labels": cell["setting"], "template": TrTlConfig.template,
               "scoring": cell["scoring"], "mode": "sum", "limit": cell["limit"],
               "max_new_tokens": cell["max_new_tokens"]}
    return eval_analysis.run_cell(as_eval, ctx)


register_analysis(
    "tr-tl", run_cell, estimate_cost=eval_analysis.estimate_cost, cell_schema=TrTlCell,
    version="1", model_keys=("model", "revision", "dtype"),
    description="golden / TR / TL accuracy of one checkpoint, task, seed and label setting",
)
