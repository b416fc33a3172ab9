"""Contextual calibration (Zhao et al., 2021) and the exact-match generation preset."""

from __future__ import annotations

import math
from typing import Sequence

from iclab.engine.types import EngineError
from iclab.prompts.parse import exact_match_first_line, first_line  # noqa: F401  (re-exported)

CONTENT_FREE_INPUTS: tuple[str, ...] = ("N/A", "", "[MASK]")
"""The content-free query inputs of contextual calibration; the caller builds one prompt per
input with the same demonstrations and template (the engine knows nothing about templates)."""


def _softmax(logprobs: Sequence[float]) -> list[float]:
    m = max(logprobs)
    e = [math.exp(x - m) for x in logprobs]
    s = sum(e)
    return [x / s for x in e]


def content_free_probs(content_free: Sequence[Sequence[float]]) -> list[float]:
    """Mean over content-free prompts of their choice probabilities (normalised over choices).

    Raises:
        EngineError: no content-free scores, or their choice counts differ.
    """
    if not content_free:
        raise EngineError("calibration needs at least one content-free prompt")
    k = len(content_free[0])
    if any(len(x) != k for x in content_free):
        raise EngineError("content-free prompts have different numbers of choices")
    probs = [_softmax(x) for x in content_free]
    return [sum(p[j] for p in probs) / len(probs) for j in range(k)]


def calibrate(logprobs: Sequence[float], p_cf: Sequence[float]) -> tuple[float, ...]:
    """Calibrated log-probabilities: ``softmax(logprobs) / p_cf``, renormalised, in log space.

    Raises:
        EngineError: the number of choices differs from the content-free distribution's.
    """
    if len(logprobs) != len(p_cf):
        raise EngineError(f"{len(logprobs)} choices but calibration has {len(p_cf)}")
    q = [p / max(c, 1e-30) for p, c in zip(_softmax(logprobs), p_cf)]
    total = sum(q)
    return tuple(math.log(max(x / total, 1e-45)) for x in q)
