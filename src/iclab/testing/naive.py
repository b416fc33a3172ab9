"""Naive reference computations: the full sequence, one at a time, through the model's forward.

No cache, no batching, no row selection: the model's own ``forward`` and full logits. The
exactness tests and the benchmark compare every fast path with these. The token rule is the
engine's (:mod:`iclab.engine.plan`): prompt ids followed by separately tokenized continuation.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch


def _logprobs(model: Any, ids: Sequence[int], keep: int = 0) -> torch.Tensor:
    """Full-vocabulary log-probs of one sequence from ``model(...)``: (T, V), or (keep, V)
    for the last ``keep`` positions (the model's own ``logits_to_keep``; 0 keeps all).

    The log-softmax runs in float64: torch's fp32 ``log_softmax`` over gemma-3's 262k
    vocabulary on CPU is off by up to 6e-5 (measured against float64), more than the engine's
    own error, so an fp32 reference would blur the exactness checks.
    """
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(input_ids=torch.tensor([list(ids)], device=device),
                       logits_to_keep=keep).logits[0]
    return torch.log_softmax(logits.double(), dim=-1)


def naive_choice_logprobs(model: Any, prompt: Sequence[int],
                          choices: Sequence[Sequence[int]]) -> list[float]:
    """Sum of full-vocabulary log-probs of each choice's tokens after ``prompt``."""
    out = []
    for c in choices:
        logp = _logprobs(model, list(prompt) + list(c), keep=len(c) + 1)  # positions n-1..
        out.append(sum(logp[j, t].item() for j, t in enumerate(c)))
    return out


def naive_label_logprobs(model: Any, ids: Sequence[int], pos: int,
                         tokens: Sequence[int]) -> list[float]:
    """Log-softmax over ``tokens`` only, at position ``pos`` of ``ids``."""
    logp = _logprobs(model, ids, keep=len(ids) - pos)[0]
    return torch.log_softmax(logp[list(tokens)], dim=-1).tolist()


def naive_top_k(model: Any, prompt: Sequence[int], k: int) -> list[tuple[int, float]]:
    """Full-vocabulary top-k (token id, log-prob) at the last prompt position."""
    v, t = _logprobs(model, prompt, keep=1)[-1].topk(k)
    return list(zip(t.tolist(), v.tolist()))


def naive_greedy(model: Any, prompt: Sequence[int], max_new_tokens: int,
                 eos_id: int | None = None) -> tuple[list[int], list[list[float]]]:
    """Greedy decoding by re-running the full sequence each step.

    Returns:
        The generated ids and, per step, the full log-prob row's max value (for checks).
    """
    ids = list(prompt)
    out, best = [], []
    for _ in range(max_new_tokens):
        logp = _logprobs(model, ids, keep=1)[-1]
        t = int(logp.argmax())
        out.append(t)
        best.append([logp[t].item()])
        ids.append(t)
        if eos_id is not None and t == eos_id:
            break
    return out, best
