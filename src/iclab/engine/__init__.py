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
from iclab.engine.calibrate import (
    CONTENT_FREE_INPUTS,
    calibrate,
    content_free_probs,
    exact_match_first_line,
    first_line,
)
from iclab.engine.engine import Engine
from iclab.engine.generate import GenConfig
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

__all__ = [
    "Activations",
    "CONTENT_FREE_INPUTS",
    "ENGINE_VERSION",
    "BatchLimits",
    "ChoiceScores",
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
