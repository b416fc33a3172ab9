"""Per-position curve metrics and smoothing (numpy only): what a curve's label log-probs become."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from iclab.data.types import Example
from iclab.errors import IclabError

Predictor = Callable[[Sequence[Example]], list[int]]
"""Maps demos to the model's predicted class index for each (for ``predicted`` labels)."""


def position_metrics(logprobs: np.ndarray, targets: Sequence[int]) -> dict[str, np.ndarray]:
    """Per-position log-likelihood, accuracy and entropy from (N, K) label log-probs."""
    t = np.asarray(targets)
    idx = np.arange(len(t))
    return {
        "loglik": logprobs[idx, t],
        "accuracy": (logprobs.argmax(axis=1) == t).astype(float),
        "entropy": -(np.exp(logprobs) * logprobs).sum(axis=1),
    }


def moving_average(x: np.ndarray, window: int, mode: str = "trailing") -> np.ndarray:
    """Moving average along the last axis.

    ``trailing``: same length, the first w-1 entries average what exists. ``valid``: the
    paper's ``np.convolve(x, np.ones(w) / w, mode='valid')``: P-w+1 entries, entry j the mean of
    x[j..j+w-1] (equal to the trailing average at j+w-1).
    """
    if window <= 1:
        return x
    if mode == "valid":
        if window > x.shape[-1]:
            raise IclabError(f"a 'valid' window of {window} is longer than the {x.shape[-1]} "
                             "positions")
        c = np.cumsum(np.asarray(x, dtype=float), axis=-1)
        head = c[..., window - 1:window]
        return np.concatenate([head, c[..., window:] - c[..., :-window]], axis=-1) / window
    if mode != "trailing":
        raise IclabError(f"smoothing mode must be 'trailing' or 'valid', got {mode!r}")
    c = np.cumsum(np.asarray(x, dtype=float), axis=-1)
    out = c.copy()
    out[..., window:] = c[..., window:] - c[..., :-window]
    counts = np.minimum(np.arange(1, x.shape[-1] + 1), window)
    return out / counts
