"""The engine: the only code that runs a model.

Prefix-cached choice scoring, one-pass per-position label scores, greedy generation. Typical
use::

    from iclab.engine import Engine
    engine = Engine(load_model("gemma-3-270m"))
    scores = engine.score(prompts, mode="sum")          # list[ChoiceScores]
    curves = engine.curves(prompts)                      # list[CurveScores]
    outs = engine.generate(prompts, stop=("\\n",), skip_leading_whitespace=True, top_k=5)
"""

from iclab.engine.activations import Activations, capture, patch_heads, sites, temporary_hooks
from iclab.engine.adapter import HeadAdapter, head_adapter
from iclab.engine.check import smoke_check
from iclab.engine.calibrate import (
    CONTENT_FREE_INPUTS,
    calibrate,
    content_free_probs,
    exact_match_first_line,
    first_line,
)
from iclab.engine.curves import label_tokens
from iclab.engine.engine import Engine
from iclab.engine.generate import GenConfig
from iclab.engine.layer_sweep import SweepPoint, layer_sweep
from iclab.engine.layouts import ATTENTION_OUTPUTS, LAYOUTS, Layout, attention_output
from iclab.engine.masking import ContextMask, RowMask, mask_context, parse_parts, row_mask
from iclab.engine.query_labels import paper_calibrate, paper_prior, query_label_logprobs
from iclab.engine.plan import (
    check_distinct_choices,
    encode_continuation,
    first_text_token,
    scored_tokens,
)
from iclab.engine.run import BatchLimits
from iclab.engine.types import (
    ChoiceScores,
    CurveScores,
    EngineError,
    Generation,
    ScoreMode,
    TopToken,
)

ENGINE_VERSION = "1"
"""Bumped whenever a change to the engine can change its numbers (part of result cache keys)."""

_TRAINING = ("FinetuneConfig", "FinetuneConfigError", "FinetuneResult", "finetune",
             "layer_targets")
"""Fine-tuning names, imported on first use (they load peft and the Trainer)."""


def __getattr__(name: str):
    if name in _TRAINING:
        from iclab.engine import training

        return getattr(training, name)
    raise AttributeError(f"module 'iclab.engine' has no attribute {name!r}")


__all__ = [
    "ATTENTION_OUTPUTS",
    "Activations",
    "CONTENT_FREE_INPUTS",
    "ENGINE_VERSION",
    "BatchLimits",
    "ChoiceScores",
    "ContextMask",
    "FinetuneConfig",
    "FinetuneConfigError",
    "FinetuneResult",
    "LAYOUTS",
    "Layout",
    "RowMask",
    "SweepPoint",
    "attention_output",
    "check_distinct_choices",
    "encode_continuation",
    "finetune",
    "first_text_token",
    "layer_sweep",
    "label_tokens",
    "layer_targets",
    "paper_calibrate",
    "paper_prior",
    "query_label_logprobs",
    "mask_context",
    "parse_parts",
    "row_mask",
    "scored_tokens",
    "smoke_check",
    "CurveScores",
    "Engine",
    "EngineError",
    "GenConfig",
    "Generation",
    "HeadAdapter",
    "ScoreMode",
    "TopToken",
    "calibrate",
    "capture",
    "content_free_probs",
    "exact_match_first_line",
    "first_line",
    "head_adapter",
    "patch_heads",
    "sites",
    "temporary_hooks",
]
