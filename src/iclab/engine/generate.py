"""Greedy generation with a shared prefilled prefix, batched, with stop strings and top-k.

Prompts are grouped by shared prefix (prefilled once), then batched among prompts whose
remaining suffix has the same length, so no row ever carries padding: every decoding step
appends one token to every live row at the same position, which keeps sliding-window layers
exact. Finished rows are dropped from the batch (and its cache) as they stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

from iclab.engine.adapter import HeadAdapter
from iclab.engine.kv import Prefix, batch_cache, common_prefix_len, prefill, select_rows
from iclab.engine.run import BatchLimits, group_by_prefix
from iclab.engine.types import EngineError, TopToken


@dataclass(frozen=True)
class GenConfig:
    """Generation settings.

    Attributes:
        max_new_tokens: most tokens generated per prompt.
        stop: stop strings; the text is cut before the first one.
        top_k: per step, keep the full-vocabulary top-k tokens with log-probs (0: none).
        skip_leading_whitespace: stop strings only count after the output has produced some
            non-whitespace text (so ``stop=("\\n",)`` ends the first non-empty line).
        stop_at_eos: stop a row when it generates an end-of-sequence token.
    """

    max_new_tokens: int = 256
    stop: tuple[str, ...] = ()
    top_k: int = 0
    skip_leading_whitespace: bool = False
    stop_at_eos: bool = True


@dataclass
class _Live:
    """A prompt being decoded."""

    index: int
    ids: list[int]
    tops: list[tuple[tuple[int, float], ...]]
    stopped: str = ""


def cut_at_stop(text: str, stop: Sequence[str], skip_leading_whitespace: bool) -> int | None:
    """Index where the first stop string starts in ``text`` (None when none occurs)."""
    start = len(text) - len(text.lstrip()) if skip_leading_whitespace else 0
    if skip_leading_whitespace and start == len(text):
        return None
    hits = [i for s in stop if (i := text.find(s, start)) >= 0]
    return min(hits) if hits else None


def greedy_generate(adapter: HeadAdapter, tokenizer: Any, prompts: Sequence[Sequence[int]],
                    config: GenConfig, limits: BatchLimits = BatchLimits(),
                    max_length: int | None = None,
                    progress: Callable[[int], None] | None = None
                    ) -> list[tuple[str, tuple[int, ...], tuple[tuple[TopToken, ...], ...], str]]:
    """Greedy-decode every prompt; return (text, token ids, per-step top-k, stop reason) each."""
    if not prompts:
        raise EngineError("no prompts to generate from (empty query set)")
    for i, p in enumerate(prompts):
        if not p:
            raise EngineError(f"prompt {i} has no tokens")
        if max_length is not None and len(p) >= max_length:
            raise EngineError(f"prompt {i} has {len(p)} tokens, at or over the model's context "
                              f"window of {max_length}")
    eos = _eos_ids(tokenizer) if config.stop_at_eos else set()
    results: dict[int, _Live] = {}
    device = adapter.weight.device
    with torch.inference_mode():
        for group in group_by_prefix(prompts):
            p = min(common_prefix_len([prompts[i] for i in group]),
                    min(len(prompts[i]) for i in group) - 1)
            prefix = prefill(adapter, prompts[group[0]][:p], device)
            for batch in _same_length_batches(group, prompts, p, limits.rows):
                live = [_Live(i, [], []) for i in batch]
                _decode(adapter, tokenizer, prefix, [prompts[i] for i in batch], live, config,
                        eos, max_length)
                results.update({x.index: x for x in live})
                if progress is not None:
                    progress(len(batch))
    return [_finish(tokenizer, results[i], config) for i in range(len(prompts))]


def _same_length_batches(group: Sequence[int], prompts: Sequence[Sequence[int]], p: int,
                         rows: int) -> list[list[int]]:
    """Split a group into batches of prompts with equal length (at most ``rows`` each)."""
    by_len: dict[int, list[int]] = {}
    for i in group:
        by_len.setdefault(len(prompts[i]), []).append(i)
    return [idx[s:s + rows] for _, idx in sorted(by_len.items()) for s in range(0, len(idx), rows)]


def _decode(adapter: HeadAdapter, tokenizer: Any, prefix: Prefix, seqs: Sequence[Sequence[int]],
            live: list[_Live], config: GenConfig, eos: set[int], max_length: int | None) -> None:
    """Decode one equal-length batch in place (fills each ``_Live``)."""
    p = len(prefix)
    device = adapter.weight.device
    cache = batch_cache(prefix, len(seqs), adapter)
    step_ids = torch.tensor([list(s[p:]) for s in seqs], device=device)
    active = list(range(len(live)))
    limit = config.max_new_tokens
    if max_length is not None:
        limit = min(limit, max_length - len(seqs[0]))
    for step in range(limit):
        hidden = adapter.hidden(step_ids, cache)[:, -1]  # (B, H)
        _, v, t = adapter.vocab_logprobs(hidden, top_k=max(config.top_k, 1))  # (B, k)
        assert v is not None and t is not None
        nxt = t[:, 0]
        keep = []
        for b, j in enumerate(active):
            row = live[j]
            row.ids.append(int(nxt[b]))
            if config.top_k:
                row.tops.append(tuple(zip(t[b].tolist(), v[b].tolist())))
            row.stopped = _stop_reason(tokenizer, row.ids, config, eos)
            if not row.stopped:
                keep.append(b)
        if not keep:
            return
        if len(keep) < len(active):
            rows = torch.tensor(keep, device=device)
            select_rows(cache, rows)
            nxt = nxt.index_select(0, rows)
            active = [active[b] for b in keep]
        step_ids = nxt[:, None]
    for j in active:
        live[j].stopped = "length"


def _stop_reason(tokenizer: Any, ids: list[int], config: GenConfig, eos: set[int]) -> str:
    """"eos", "stop" or "" (keep going) after the latest token."""
    if ids[-1] in eos:
        return "eos"
    if config.stop:
        text = tokenizer.decode(ids, skip_special_tokens=True)
        if cut_at_stop(text, config.stop, config.skip_leading_whitespace) is not None:
            return "stop"
    return ""


def _finish(tokenizer: Any, row: _Live, config: GenConfig
            ) -> tuple[str, tuple[int, ...], tuple[tuple[TopToken, ...], ...], str]:
    """Decode the text, cut it at the stop string, and name the top-k tokens."""
    text = tokenizer.decode(row.ids, skip_special_tokens=True)
    cut = cut_at_stop(text, config.stop, config.skip_leading_whitespace) if config.stop else None
    if cut is not None:
        text = text[:cut]
    tops = tuple(tuple(TopToken(t, tokenizer.decode([t]), lp) for t, lp in step)
                 for step in row.tops)
    return text, tuple(row.ids), tops, row.stopped or "length"


def _eos_ids(tokenizer: Any) -> set[int]:
    """End-of-sequence token ids of a tokenizer."""
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        return set()
    return set(eos) if isinstance(eos, (list, tuple)) else {int(eos)}
