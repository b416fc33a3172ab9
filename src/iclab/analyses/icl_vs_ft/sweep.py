"""``icl-vs-ft`` in sweeps: one whole ICL-vs-fine-tuning comparison per cell.

A cell is one :class:`iclab.analyses.icl_vs_ft.run.IclVsFtConfig` on one model (grid axes are
typically ``model`` or ``seed``); defaults are the library's, so a cell and ``iclab icl-vs-ft``
with the same options compute the same thing. Rows are the ones the report's ``icl-vs-ft``
section reads: accuracy rows (``task``, ``split``, ``method``, ``accuracy``, ``k``: the shots
behind the number, ``n``)
and circuit rows (``task``, ``method``, ``measure``, ``layer``, ``head``, ``value``); each kind
carries the other's columns as None.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from iclab.runs.context import Context
from iclab.runs.registry import register_analysis
from iclab.models.bundled import DEFAULT_MODEL

_TABLE = ("task", "split", "method", "accuracy", "k", "n")
_CIRCUIT = ("task", "method", "measure", "layer", "head", "value")


class IclVsFtCell(BaseModel):
    """The config of one ``icl-vs-ft`` cell. Every option left None takes the library's default:
    :class:`iclab.analyses.icl_vs_ft.config.IclVsFtConfig`'s, or under ``preset: paper``
    :meth:`IclVsFtConfig.paper`'s (which is why the cell does not copy the values); see the
    config for every field's meaning."""

    model_config = ConfigDict(extra="forbid")

    model: str = DEFAULT_MODEL
    revision: str | None = None
    dtype: Literal["float32", "bfloat16", "float16"] | None = None
    preset: Literal["iclab", "paper"] | None = None
    tasks: list[str] | None = None
    splits: list[Literal["normal", "misleading"]] | None = None
    shots: list[int] | None = None
    samples: list[int] | None = None
    methods: list[Literal["full", "lora"]] | None = None
    ft_shots: list[int] | None = None
    n_test: int | None = Field(default=None, ge=1)
    n_circuit: int | None = Field(default=None, ge=0)
    match: Literal["exact", "substring"] | None = None
    loss_on: Literal["answer", "sequence"] | None = None
    epochs: int | None = Field(default=None, ge=1)
    max_steps: int | None = Field(default=None, ge=1)
    batch_size: int | None = Field(default=None, ge=1)
    seed: int | None = None
    patching: bool | None = None


_MODEL_KEYS = ("model", "revision", "dtype")
_OPTIONS = tuple(k for k in IclVsFtCell.model_fields if k not in (*_MODEL_KEYS, "preset"))
"""The cell keys that set an :class:`IclVsFtConfig` field of the same name."""


def config_of(cell: dict[str, Any]) -> Any:
    """The :class:`IclVsFtConfig` of a cell (unset options keep the library defaults)."""
    from iclab.analyses.icl_vs_ft.config import IclVsFtConfig

    given = {k: tuple(v) if isinstance(v, list) else v for k in _OPTIONS
             if (v := cell.get(k)) is not None}
    if cell.get("preset") == "paper":  # the paper's settings, then the cell's own
        return IclVsFtConfig.paper(**given)
    return IclVsFtConfig(**given)


def run_cell(cell: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Run one comparison with the cached model; return accuracy and circuit rows."""
    from iclab.analyses.icl_vs_ft.run import run_icl_vs_ft

    engine = ctx.engine(cell["model"], cell["revision"], cell["dtype"])
    result = run_icl_vs_ft(engine, config_of(cell), log=ctx.progress)
    blank_table = dict.fromkeys(_TABLE)
    blank_circuit = dict.fromkeys(_CIRCUIT)
    table = [{**r, "k": r["shots"]} for r in result.table]  # ``shots`` is a cell key
    return ([{**blank_circuit, **{k: r[k] for k in _TABLE}} for r in table]
            + [{**blank_table, **{k: r[k] for k in _CIRCUIT}} for r in result.circuit])


def estimate_cost(cell: Any) -> float:
    """Rough CPU seconds for a ~270M model: ~60 s per fine-tuning step of 4 pairs plus ~1 s
    per generated ICL answer (long 32-shot contexts dominate)."""
    cfg = config_of(dict(cell))
    cap = cfg.max_steps or float("inf")
    steps = sum(min(cap, -(-n * len(cfg.tasks) // cfg.batch_size) * cfg.epochs)
                for n in cfg.samples)
    answers = len(cfg.tasks) * len(cfg.splits) * cfg.n_test * (
        len(cfg.shots) + len(cfg.ft_shots) * len(cfg.samples) * len(cfg.methods))
    return 60.0 * steps * len(cfg.methods) + 1.0 * answers


register_analysis(
    "icl-vs-ft", run_cell, estimate_cost=estimate_cost, cell_schema=IclVsFtCell, version="1",
    model_keys=_MODEL_KEYS,
    description="ICL vs full fine-tuning vs LoRA on implicit-pattern tasks, with circuit shift",
)
