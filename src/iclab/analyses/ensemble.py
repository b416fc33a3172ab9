"""Adaptive ensemble of several models' label probabilities (task-recognition paper, §ensemble).

Each member m gives, per query, a probability for every label word (for a member run with
abstract symbols, symbol i is mapped back to label i before it gets here). The ensemble score
of a label is ``sum_m w_m * p_m(label)``; the prediction is its argmax.

Weights:
* ``accuracy`` (the paper's rule): ``w_m ∝ max(acc_m − baseline, 0)`` with accuracies measured
  on a dev split. The paper hard-codes accuracies 0.38 and 0.45 and ``baseline = 0.36``
  (→ 0.18, 0.82); we measure accuracies and default ``baseline`` to chance (1 / #labels).
* ``loglik``: mixture weights maximising the dev log-likelihood of the gold labels, found by
  EM (the objective is concave in the weights, so EM reaches the optimum).
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

WeightRule = Literal["accuracy", "loglik"]


def _stack(probs: Sequence[np.ndarray]) -> np.ndarray:
    arr = np.stack([np.asarray(p, dtype=float) for p in probs])  # (M, Q, K)
    if arr.ndim != 3:
        raise ValueError(f"member probabilities must each be (queries, labels); got {arr.shape[1:]}")
    return arr


def accuracy(probs: np.ndarray, gold: Sequence[int]) -> float:
    """Accuracy of argmax predictions of a (queries, labels) probability table."""
    return float(np.mean(np.argmax(probs, axis=-1) == np.asarray(gold)))


def accuracy_weights(accs: Sequence[float], baseline: float) -> np.ndarray:
    """The paper's rule: ``w ∝ max(acc − baseline, 0)``; uniform when every member is at or
    below the baseline (no member is better than chance, so none is preferred)."""
    raw = np.clip(np.asarray(accs, dtype=float) - baseline, 0.0, None)
    if raw.sum() == 0:
        return np.full(len(raw), 1.0 / len(raw))
    return raw / raw.sum()


def loglik_weights(probs: Sequence[np.ndarray], gold: Sequence[int], iters: int = 500,
                   eps: float = 1e-12) -> np.ndarray:
    """Mixture weights that maximise ``sum_q log sum_m w_m p_m(gold_q)`` (EM updates)."""
    arr = _stack(probs)
    p_gold = arr[:, np.arange(arr.shape[1]), np.asarray(gold)] + eps  # (M, Q)
    w = np.full(arr.shape[0], 1.0 / arr.shape[0])
    for _ in range(iters):
        resp = w[:, None] * p_gold
        resp /= resp.sum(axis=0, keepdims=True)
        new = resp.mean(axis=1)
        if np.abs(new - w).max() < 1e-10:
            return new
        w = new
    return w


def fit_weights(dev_probs: Sequence[np.ndarray], dev_gold: Sequence[int],
                rule: WeightRule = "accuracy", baseline: float | None = None) -> np.ndarray:
    """Fit ensemble weights on a dev split with the chosen rule."""
    arr = _stack(dev_probs)
    if rule == "accuracy":
        chance = 1.0 / arr.shape[2] if baseline is None else baseline
        return accuracy_weights([accuracy(p, dev_gold) for p in arr], chance)
    if rule == "loglik":
        return loglik_weights(list(arr), dev_gold)
    raise ValueError(f"unknown weight rule {rule!r}; choose 'accuracy' or 'loglik'")


def combine(probs: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted sum of member probabilities, (queries, labels)."""
    arr = _stack(probs)
    w = np.asarray(weights, dtype=float)
    if w.shape != (arr.shape[0],):
        raise ValueError(f"need one weight per member ({arr.shape[0]}), got {w.shape}")
    return np.tensordot(w, arr, axes=1)
