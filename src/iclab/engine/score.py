"""Choice scoring on token ids: shared-prefix reuse, batched rows, only the logits needed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import torch

from iclab.engine.adapter import HeadAdapter
from iclab.engine.plan import ALL, Read, Row, check_length, plan_rows
from iclab.engine.run import BatchLimits, run_rows
from iclab.engine.types import EngineError

Over = Literal["full", "labels"]


@dataclass(frozen=True)
class RawScores:
    """Per prompt: summed log-prob per choice, tokens per choice, top-k (id, log-prob) pairs."""

    logprobs: tuple[float, ...]
    n_tokens: tuple[int, ...]
    top_k: tuple[tuple[int, float], ...]


def score_token_choices(
    adapter: HeadAdapter,
    prompts: Sequence[tuple[int, ...]],
    choices: Sequence[Sequence[tuple[int, ...]]],
    over: Over = "full",
    top_k: int = 0,
    limits: BatchLimits = BatchLimits(),
    max_length: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[RawScores]:
    """Sum of log-probs of each choice's tokens after each prompt.

    Args:
        adapter: the model's head adapter.
        prompts: prompt token ids.
        choices: per prompt, the token ids to score for each choice (non-empty each).
        over: ``"full"``: log-probs over the whole vocabulary; ``"labels"``: log-softmax over
            the choices' tokens only (each choice must then differ from the others in exactly
            one token after a shared lead, e.g. single-token label words).
        top_k: if > 0, also return the full-vocabulary top-k at the answer position.
        limits: batch size limits.
        max_length: the model's context window (checked per prompt).
        progress: called with the number of rows finished after each batch.

    Raises:
        EngineError: no prompts, a prompt without choices, an empty or too long input.
    """
    if not prompts:
        raise EngineError("no prompts to score (empty query set)")
    rows: list[Row] = []
    for i, (ids, opts) in enumerate(zip(prompts, choices, strict=True)):
        if not ids or not opts or any(not c for c in opts):
            raise EngineError(f"prompt {i} has no tokens, no choices or an empty choice")
        check_length(len(ids), max(len(c) for c in opts) - 1, max_length, f"prompt {i}")
        planned = plan_rows(i, tuple(ids), opts)
        if over == "labels" and len(planned) > 1:
            raise EngineError("over='labels' needs choices that differ in one token; use over='full'")
        rows.extend(planned)
    with torch.inference_mode():
        found, hidden = run_rows(adapter, rows, limits, progress)
        values, tops = _read_logprobs(adapter, found, hidden, over, top_k, limits.vocab_rows)
    return _collect(prompts, choices, found, values, tops)


def _read_logprobs(adapter: HeadAdapter, found: list[tuple[Row, Read]], hidden: torch.Tensor,
                   over: Over, top_k: int, chunk: int
                   ) -> tuple[list[list[float]], dict[int, tuple[tuple[int, float], ...]]]:
    """Log-probs of each read's tokens, and top-k lists at answer reads (by read index).

    Full-vocabulary log-probs come from :meth:`HeadAdapter.vocab_logprobs` (vocabulary
    slices with a running log-sum-exp; no (rows x vocabulary) matrix is kept).
    """
    answer = {i for i, (row, read) in enumerate(found) if read is row.reads[0]}
    values: list[list[float]] = [[] for _ in found]
    tops: dict[int, tuple[tuple[int, float], ...]] = {}
    need_full = [i for i in range(len(found)) if over == "full" or (top_k and i in answer)]
    for start in range(0, len(need_full), chunk):
        idx = need_full[start:start + chunk]
        width = max(len(found[i][1].tokens) for i in idx)
        toks = torch.tensor([list(found[i][1].tokens) + [0] * (width - len(found[i][1].tokens))
                             for i in idx], device=hidden.device)
        k = top_k if any(i in answer for i in idx) else 0
        logp, top_v, top_i = adapter.vocab_logprobs(hidden[idx], toks, k)
        assert logp is not None
        for r, i in enumerate(idx):
            if over == "full":
                values[i] = logp[r, :len(found[i][1].tokens)].tolist()
            if top_k and i in answer and top_v is not None and top_i is not None:
                tops[i] = tuple(zip(top_i[r].tolist(), top_v[r].tolist()))
    if over == "labels":
        label_logprobs(adapter, found, hidden, values)
    return values, tops


def label_logprobs(adapter: HeadAdapter, found: list[tuple[Row, Read]], hidden: torch.Tensor,
                    values: list[list[float]]) -> None:
    """Fill ``values`` with log-softmax over each group read's tokens (0 for shared reads)."""
    union = sorted({t for _, read in found for t in read.tokens})
    where = {t: j for j, t in enumerate(union)}
    logits = adapter.logits(hidden, torch.tensor(union, device=hidden.device)).float()  # (N, U)
    for i, (_, read) in enumerate(found):
        if read.group:
            cols = [where[t] for t in read.tokens]
            values[i] = torch.log_softmax(logits[i, cols], dim=-1).tolist()
        else:
            values[i] = [0.0] * len(read.tokens)


def _collect(prompts: Sequence[tuple[int, ...]], choices: Sequence[Sequence[tuple[int, ...]]],
             found: list[tuple[Row, Read]], values: list[list[float]],
             tops: dict[int, tuple[tuple[int, float], ...]]) -> list[RawScores]:
    """Add read log-probs into per-choice totals."""
    sums = [[0.0] * len(c) for c in choices]
    top: dict[int, tuple[tuple[int, float], ...]] = {}
    for i, ((row, read), vals) in enumerate(zip(found, values)):
        for k, v in zip(read.choices, vals):
            targets = range(len(choices[row.prompt])) if k == ALL else (k,)
            for kk in targets:
                sums[row.prompt][kk] += v
        if i in tops:
            top.setdefault(row.prompt, tops[i])
    return [RawScores(tuple(sums[p]), tuple(len(c) for c in choices[p]), top.get(p, ()))
            for p in range(len(prompts))]
