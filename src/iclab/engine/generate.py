"""Greedy generation with a shared prefilled prefix, batched, with stop strings and top-k.

Prompts are grouped by shared prefix (prefilled once). Where the model supports packed rows
(:mod:`iclab.engine.packed`), prompts of any lengths are batched together: their suffixes run
as one packed sequence, then each decoding step runs the live rows' new tokens as one packed
sequence of one token per row, each attending to the prefix and to its own earlier tokens
(kept in a batch-1 cache whose layers are never trimmed; sliding windows are applied by the
attention function). Otherwise prompts are batched among those whose suffix has the same
length, so no row carries padding. Finished rows are dropped as they stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import torch

from iclab.engine.adapter import HeadAdapter
from iclab.engine.kv import Prefix, batch_cache, common_prefix_len, prefill, select_rows
from iclab.engine.packed import full_cache, layout, packed_attention, packed_rows
from iclab.engine.packed_mask import PackedBlocks
from iclab.engine.run import BatchLimits, group_by_prefix, packing_works
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
class Live:
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
    eos = eos_ids(tokenizer) if config.stop_at_eos else set()
    results: dict[int, Live] = {}
    device = adapter.weight.device
    with torch.inference_mode():
        for group in group_by_prefix(prompts):
            p = min(common_prefix_len([prompts[i] for i in group]),
                    min(len(prompts[i]) for i in group) - 1)
            prefix = prefill(adapter, prompts[group[0]][:p], device)
            pack = limits.pack and packing_works(adapter)
            split = _packed_batches if pack else _same_length_batches
            for batch in split(group, prompts, p, limits):
                live = [Live(i, [], []) for i in batch]
                seqs = [prompts[i] for i in batch]
                if pack:
                    _decode_packed(adapter, tokenizer, prefix, seqs, live, config, eos,
                                   max_length, limits.tokens)
                else:
                    _decode(adapter, tokenizer, prefix, seqs, live, config, eos, max_length)
                results.update({x.index: x for x in live})
                if progress is not None:
                    progress(len(batch))
    return [finish(tokenizer, results[i], config) for i in range(len(prompts))]


def _same_length_batches(group: Sequence[int], prompts: Sequence[Sequence[int]], p: int,
                         limits: BatchLimits) -> list[list[int]]:
    """Split a group into batches of prompts with equal length (at most ``rows`` each)."""
    by_len: dict[int, list[int]] = {}
    for i in group:
        by_len.setdefault(len(prompts[i]), []).append(i)
    rows = limits.rows
    return [idx[s:s + rows] for _, idx in sorted(by_len.items()) for s in range(0, len(idx), rows)]


def _packed_batches(group: Sequence[int], prompts: Sequence[Sequence[int]], p: int,
                    limits: BatchLimits) -> list[list[int]]:
    """Split a group into decoding batches of at most ``rows`` prompts and ``cache_tokens``
    suffix tokens (their prefill runs in forwards of at most ``tokens``: :func:`_prefill`)."""
    out: list[list[int]] = []
    size = 0
    for i in sorted(group, key=lambda i: len(prompts[i])):
        n = len(prompts[i]) - p
        if out and len(out[-1]) < limits.rows and size + n <= limits.cache_tokens:
            out[-1].append(i)
            size += n
        else:
            out.append([i])
            size = n
    return out


def _decode_packed(adapter: HeadAdapter, tokenizer: Any, prefix: Prefix,
                   seqs: Sequence[Sequence[int]], live: list[Live], config: GenConfig,
                   eos: set[int], max_length: int | None, chunk_tokens: int) -> None:
    """Decode one batch of any lengths as packed rows, in place (fills each ``Live``): the
    suffixes are prefilled in forwards of at most ``chunk_tokens``, then every row decodes
    in the same steps."""
    p = len(prefix)
    cache = full_cache(prefix.cache)
    last, keys = _prefill(adapter, cache, p, [list(s[p:]) for s in seqs], chunk_tokens)
    limit = [config.max_new_tokens if max_length is None
             else min(config.max_new_tokens, max_length - len(s)) for s in seqs]
    packed_steps(adapter, tokenizer, cache, p, last, keys, sum(len(k) for k in keys), limit,
                 live, config, eos)


def _prefill(adapter: HeadAdapter, cache: Any, p: int, suffixes: Sequence[Sequence[int]],
             chunk_tokens: int) -> tuple[torch.Tensor, list[list[int]]]:
    """Run the rows' suffixes into ``cache`` as packed forwards of at most ``chunk_tokens``
    tokens (a longer row alone); return each row's last hidden state (B, H) and, per row,
    the indices of its keys among the non-prefix keys."""
    device = adapter.weight.device
    keys: list[list[int]] = []
    lasts = []
    start = 0
    while start < len(suffixes):
        end, size = start + 1, len(suffixes[start])
        while end < len(suffixes) and size + len(suffixes[end]) <= chunk_tokens:
            size += len(suffixes[end])
            end += 1
        lengths = [len(x) for x in suffixes[start:end]]
        local = packed_rows(lengths)  # this forward's query indices per row
        n_keys = sum(len(k) for k in keys)
        rows = [[n_keys + q for q in row] for row in local]
        seg = layout(p, local, [list(range(n)) for n in lengths], rows, n_keys + size, device)
        ids = torch.tensor([t for x in suffixes[start:end] for t in x], device=device)[None]
        with packed_attention(adapter.model, seg):
            hidden = adapter.hidden(ids, cache, position_ids=seg.positions[None])[0]
        lasts.append(hidden[[k[-1] for k in local]])  # each row's last token
        keys += rows
        start = end
    return torch.cat(lasts), keys


def packed_steps(adapter: HeadAdapter, tokenizer: Any, cache: Any, p: int, last: torch.Tensor,
                 keys: list[list[int]], n_keys: int, limit: Sequence[int], live: list[Live],
                 config: GenConfig, eos: set[int], blocks: PackedBlocks | None = None) -> None:
    """Greedy decoding steps of packed rows, in place (fills each ``Live``).

    Args:
        cache: batch-1 cache of the shared prefix (``p`` tokens) then every row's own keys.
        last: (B, H) each row's last hidden state (predicting its first new token).
        keys: per row, the indices (among the non-prefix keys) of its keys so far, in order
            (slot ``i`` is position ``p + i``); extended here.
        n_keys: non-prefix keys in the cache.
        limit: per row, the most new tokens.
        blocks: per-row context masks (layer sweeps), or None.
    """
    active = list(range(len(live)))
    device = last.device
    while active:
        v, t = next_tokens(adapter, last, config.top_k)  # (A, k)
        keep = advance(tokenizer, live, active, t, v, limit, config, eos)
        active = [active[a] for a in keep]
        if not active:
            return
        for j, b in enumerate(active):
            keys[b].append(n_keys + j)
        n_keys += len(active)
        step = layout(p, [[j] for j in range(len(active))],
                      [[len(keys[b]) - 1] for b in active], [keys[b] for b in active], n_keys,
                      device)
        if blocks is not None:
            step.block = blocks.select(active)
        nxt = t[keep, 0][None]  # (1, A)
        with packed_attention(adapter.model, step):
            last = adapter.hidden(nxt, cache, position_ids=step.positions[None])[0]


def advance(tokenizer: Any, live: Sequence[Live], active: Sequence[int], t: torch.Tensor,
            v: torch.Tensor | None, limit: Sequence[int], config: GenConfig, eos: set[int]
            ) -> list[int]:
    """Append each active row's next token (``t[a, 0]`` for ``live[active[a]]``) and its
    top-k, set its stop reason; return the indices ``a`` of the rows that go on."""
    keep = []
    firsts = t[:, 0].tolist()
    for a, b in enumerate(active):
        row = live[b]
        row.ids.append(firsts[a])
        if config.top_k and v is not None:
            row.tops.append(tuple(zip(t[a].tolist(), v[a].tolist())))
        row.stopped = _stop_reason(tokenizer, row.ids, config, eos)
        if not row.stopped and len(row.ids) >= limit[b]:
            row.stopped = "length"
        if not row.stopped:
            keep.append(a)
    return keep


def _decode(adapter: HeadAdapter, tokenizer: Any, prefix: Prefix, seqs: Sequence[Sequence[int]],
            live: list[Live], config: GenConfig, eos: set[int], max_length: int | None) -> None:
    """Decode one equal-length batch in place (fills each ``Live``)."""
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
        v, t = next_tokens(adapter, hidden, config.top_k)  # (B, k)
        nxt = t[:, 0]
        keep = []
        for b, j in enumerate(active):
            row = live[j]
            row.ids.append(int(nxt[b]))
            if config.top_k and v is not None:
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


def next_tokens(adapter: HeadAdapter, hidden: torch.Tensor, top_k: int
                 ) -> tuple[torch.Tensor | None, torch.Tensor]:
    """Greedy next tokens as (top-k log-probs (R, k) or None, top-k ids (R, k)); without
    ``top_k`` only the argmax is computed (no log-sum-exp over the vocabulary)."""
    if not top_k:
        return None, adapter.greedy(hidden)[:, None]
    _, v, t = adapter.vocab_logprobs(hidden, top_k=top_k)
    assert v is not None and t is not None
    return v, t


def _stop_reason(tokenizer: Any, ids: list[int], config: GenConfig, eos: set[int]) -> str:
    """"eos", "stop" or "" (keep going) after the latest token."""
    if ids[-1] in eos:
        return "eos"
    if config.stop:
        text = tokenizer.decode(ids, skip_special_tokens=True)
        if cut_at_stop(text, config.stop, config.skip_leading_whitespace) is not None:
            return "stop"
    return ""


def finish(tokenizer: Any, row: Live, config: GenConfig
            ) -> tuple[str, tuple[int, ...], tuple[tuple[TopToken, ...], ...], str]:
    """Decode the text, cut it at the stop string, and name the top-k tokens."""
    text = tokenizer.decode(row.ids, skip_special_tokens=True)
    cut = cut_at_stop(text, config.stop, config.skip_leading_whitespace) if config.stop else None
    if cut is not None:
        text = text[:cut]
    tops = tuple(tuple(TopToken(t, tokenizer.decode([t]), lp) for t, lp in step)
                 for step in row.tops)
    return text, tuple(row.ids), tops, row.stopped or "length"


def eos_ids(tokenizer: Any) -> set[int]:
    """End-of-sequence token ids of a tokenizer."""
    eos = getattr(tokenizer, "eos_token_id", None)
    if eos is None:
        return set()
    return set(eos) if isinstance(eos, (list, tuple)) else {int(eos)}
