"""Label distributions at the end of a prompt, first token per label, and the
label-relationships paper's query calibration.

The paper reads the query the way it reads the curves: the logits of the first token of each
label word at the last position, log-softmax over the K labels only. Its calibration
(``utils.get_calibrate``) averages those log-probs over three content-free texts (the
*prior*) and returns ``log_softmax(log_probs - prior)``: a division by the prior's geometric
mean, not by the mean probability of Zhao et al. (:func:`iclab.engine.calibrate.calibrate`).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from iclab.engine.curves import label_tokens
from iclab.engine.types import EngineError


def end_label_logprobs(engine: Any, ids: Sequence[Sequence[int]],
                       tokens: Sequence[int]) -> np.ndarray:
    """(n, K) log-softmax over the label ``tokens`` at the last position of each id sequence."""
    if not ids:
        raise EngineError("no prompts to read label log-probs from")
    raw = engine.score_ids([tuple(i) for i in ids], [[(t,) for t in tokens]] * len(ids),
                           over="labels")
    return np.asarray([r.logprobs for r in raw], dtype=float)


def query_label_logprobs(engine: Any, prompts: Sequence[Any]) -> np.ndarray:
    """(n, K) label log-probs at each prompt's end (its query), by the first token of each of
    the prompt's ``choices`` (as the curves score every demonstration)."""
    if not prompts:
        raise EngineError("no prompts to read label log-probs from")
    toks = label_tokens(engine.tokenizer, prompts[0].choices)
    for p in prompts[1:]:
        if label_tokens(engine.tokenizer, p.choices) != toks:
            raise EngineError("query_label_logprobs: prompts with different label words; "
                              "score each setting separately")
    return end_label_logprobs(engine, [p.input_ids for p in prompts], toks)


def paper_prior(engine: Any, texts: Sequence[str], tokens: Sequence[int]) -> np.ndarray:
    """The paper's calibration prior: mean over ``texts`` (tokenized with special tokens) of
    the label log-softmax at the last position; shape (K,)."""
    if not texts:
        raise EngineError("the calibration prior needs at least one content-free text")
    ids = [engine.tokenizer(t)["input_ids"] for t in texts]
    return end_label_logprobs(engine, ids, tokens).mean(axis=0)


def paper_calibrate(logprobs: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """``log_softmax(logprobs - prior)`` along the last axis (the paper's ``calibrate``).

    Raises:
        EngineError: the label counts differ.
    """
    lp, pr = np.asarray(logprobs, dtype=float), np.asarray(prior, dtype=float)
    if lp.shape[-1] != pr.shape[-1]:
        raise EngineError(f"calibration prior has {pr.shape[-1]} labels, scores have "
                          f"{lp.shape[-1]}")
    z = lp - pr
    m = z.max(axis=-1, keepdims=True)
    return z - (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))
