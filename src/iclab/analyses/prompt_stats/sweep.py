"""``prompt-stats``: how long are the k-shot prompts of a task, for a model's tokenizer?

Before a big sweep, researchers want to know which (model, task, k, template) cells fit in the
context window and how many tokens they will cost. Per cell this builds the real prompts (the same
``iclab.prompts.build_prompts`` the analyses use) with only the model's tokenizer — no weights,
no engine — and reports token counts. One row per cell.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from iclab.errors import IclabError
from iclab.runs.context import Context
from iclab.runs.registry import register_analysis
from iclab.models.bundled import DEFAULT_MODEL

_MAX_SANE_CONTEXT = 10_000_000  # tokenizers without a limit report ~1e30


class PromptStatsCell(BaseModel):
    """The config of one ``prompt-stats`` cell (grid axes and params together).

    Attributes:
        model: a model spec (bundled name, hub id, local dir, GGUF); only its tokenizer loads.
        revision: hub revision (e.g. Pythia ``step4000``), or None.
        task: a task name (``iclab.data.list_tasks()``) or a task spec path.
        shots: demonstrations per prompt (k).
        seed: the demonstration-sampling seed.
        template: prompt template preset.
        labels: label setting (``gold``, ``random``, ``abstract``, ``replacement:VARIANT``...).
        sampling: how demonstrations are drawn (``fixed``, ``balanced``, ``iid``).
        limit: at most this many test queries (None: the whole test split).
        test_split: the split the queries come from.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = DEFAULT_MODEL
    revision: str | None = None
    task: str
    shots: int = Field(ge=0)
    seed: int = 100
    template: str = "default"
    labels: str = "gold"
    sampling: Literal["fixed", "balanced", "iid"] = "fixed"
    limit: int | None = Field(default=100, ge=1)
    test_split: str = "test"

    @field_validator("template", "labels")
    @classmethod
    def _known(cls, value: str, info: ValidationInfo) -> str:
        return check_prompt_option(value, info.field_name)


def check_prompt_option(value: str, field: str | None) -> str:
    """Return a cell's ``template`` (a preset name) or ``labels`` (a label setting) unchanged,
    or raise ValueError with the prompts' own message, so that pydantic reports it on the field.
    """
    from iclab.prompts import get_template, parse_setting

    check = get_template if field == "template" else parse_setting
    try:
        check(value)
    except IclabError as exc:
        raise ValueError(str(exc)) from None
    return value


def _percentile(sorted_values: list[int], q: float) -> float:
    """The q-quantile (0..1) of sorted values, by linear interpolation."""
    pos = (len(sorted_values) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


@functools.lru_cache(maxsize=8)
def _context_window(model: str, revision: str | None) -> int | None:
    """The model's context window from its config (``max_position_embeddings``), else the
    tokenizer's ``model_max_length``; None when neither states a sane one."""
    from transformers import AutoConfig, AutoTokenizer

    from iclab.models.loader import model_source
    from iclab.models.spec import parse_spec
    from iclab.runs.context import model_spec

    source, rev, _ = model_source(parse_spec(model_spec(model, revision)))
    for load in (AutoConfig.from_pretrained, AutoTokenizer.from_pretrained):
        try:
            obj = load(source, revision=rev)
        except (OSError, ValueError):
            continue
        cfg = obj.get_text_config() if hasattr(obj, "get_text_config") else None
        limit = (getattr(cfg, "max_position_embeddings", None) if cfg is not None
                 else getattr(obj, "model_max_length", None))
        if isinstance(limit, int) and 0 < limit < _MAX_SANE_CONTEXT:
            return limit
    return None


@functools.lru_cache(maxsize=8)
def _task(name: str) -> Any:
    """Load a task once per worker (tasks are immutable)."""
    from iclab.data import load_task

    return load_task(name)


def run_cell(cell: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Build the cell's prompts with the model's tokenizer and summarize their lengths."""
    from iclab.prompts import build_prompts

    tokenizer = ctx.tokenizer(cell["model"], cell["revision"])
    task = _task(cell["task"])
    ctx.progress(f"{cell['task']} k={cell['shots']}")
    prompts = build_prompts(task, tokenizer, shots=cell["shots"], seed=cell["seed"],
                            template=cell["template"], setting=cell["labels"],
                            sampling=cell["sampling"], test_split=cell["test_split"],
                            limit=cell["limit"])
    lengths = sorted(len(p.input_ids) for p in prompts)
    demo_tokens = [sum(s.tok_end - s.tok_start for s in p.spans_of("demo")) for p in prompts]
    query_tokens = [sum(s.tok_end - s.tok_start for s in p.spans_of("query")) for p in prompts]
    choice_tokens = [len(tokenizer(c, add_special_tokens=False)["input_ids"])
                     for p in prompts[:1] for c in p.choices]
    window = _context_window(cell["model"], cell["revision"])
    n = len(prompts)
    return [{
        "n_prompts": n,
        "tokens_mean": sum(lengths) / n,
        "tokens_min": lengths[0],
        "tokens_median": _percentile(lengths, 0.5),
        "tokens_p95": _percentile(lengths, 0.95),
        "tokens_max": lengths[-1],
        "tokens_total": sum(lengths),
        "demo_tokens_mean": sum(demo_tokens) / n,
        "query_tokens_mean": sum(query_tokens) / n,
        "choice_tokens_max": max(choice_tokens, default=0),
        "context_window": window,
        "n_over_context": sum(1 for x in lengths if window is not None and x > window),
        "task_kind": task.kind,
    }]


def estimate_cost(cell: Any) -> float:
    """Rough seconds per cell on one CPU core: tokenizing ``limit * (shots + 1)`` examples."""
    queries = cell.get("limit") or 500
    return 0.05 + queries * (cell.get("shots", 0) + 1) * 2e-4


register_analysis(
    "prompt-stats", run_cell, estimate_cost=estimate_cost, cell_schema=PromptStatsCell,
    version="1", model_keys=("model", "revision"),
    description="token counts of the k-shot prompts of a task for a model's tokenizer",
)
