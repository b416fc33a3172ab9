"""Masked generation for layer sweeps: every prompt x first-masked layer, decoded greedily.

For each prompt, :func:`iclab.engine.layer_sweep.layer_sweep` gives one point per first masked
layer L (its last hidden state and a KV cache masked from L). All points of a batch of prompts
are then decoded together, each row masked from its own layer at every step, on the same
packed fast path as :func:`iclab.engine.generate.greedy_generate`:

- the keys of the prompts' shared, unmasked prefix (up to the sweeps' first recomputed row
  and the prompts' common tokens) are held once in a batch-1 cache, never copied per row;
- each point's own keys (its positions after that prefix, masked from its layer) follow as a
  packed row, and every decoding step runs the live rows' new tokens as one packed sequence;
- the context masks are applied inside the packed attention
  (:class:`iclab.engine.packed_mask.PackedBlocks`).

Where packing does not reproduce the padded path for a model (see
:func:`iclab.engine.run.packing_works`), each prompt's points are decoded as a padded batch of
concatenated caches under :func:`iclab.engine.masking.mask_context` instead.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch
from transformers import DynamicCache

from iclab.engine.adapter import HeadAdapter
from iclab.engine.generate import (
    GenConfig,
    Live,
    advance,
    eos_ids,
    finish,
    next_tokens,
    packed_steps,
)
from iclab.engine.kv import GrowingLayer, common_prefix_len, select_rows
from iclab.engine.layer_sweep import SweepPoint, fork_cache, layer_sweep
from iclab.engine.masking import ContextMask, RowMask, mask_context
from iclab.engine.packed_mask import PackedBlocks
from iclab.engine.run import BatchLimits, packing_works
from iclab.engine.types import EngineError, TopToken

Result = tuple[str, tuple[int, ...], tuple[tuple[TopToken, ...], ...], str]


def sweep_generate(adapter: HeadAdapter, tokenizer: Any, prompts: Sequence[Sequence[int]],
                   mask: ContextMask, config: GenConfig, layers: Sequence[int] | None = None,
                   limits: BatchLimits = BatchLimits(), max_length: int | None = None,
                   progress: Callable[[int], None] | None = None) -> list[dict[int, Result]]:
    """Greedy-decode every prompt masked from each layer; per prompt, {layer: result}.

    ``mask.from_layer`` is ignored; ``mask.rows`` holds one row mask per prompt or one for
    all. ``layers``: the first masked layers (default 0..n_layers, n_layers = unmasked).
    Results are (text, token ids, per-step top-k, stop reason) as :func:`greedy_generate`'s.
    """
    if not prompts:
        raise EngineError("no prompts to generate from (empty query set)")
    if len(mask.rows) not in (1, len(prompts)):
        raise EngineError(f"{len(mask.rows)} row masks for {len(prompts)} prompts")
    for i, p in enumerate(prompts):
        if len(p) < 2:
            raise EngineError(f"prompt {i} has {len(p)} tokens; a sweep needs at least 2")
        if max_length is not None and len(p) >= max_length:
            raise EngineError(f"prompt {i} has {len(p)} tokens, at or over the model's context "
                              f"window of {max_length}")
    eos = eos_ids(tokenizer) if config.stop_at_eos else set()
    n_layers = adapter.model.config.get_text_config().num_hidden_layers
    n_points = len(layers) if layers is not None else n_layers + 1
    pack = limits.pack and packing_works(adapter) and not _softcapped(adapter.model)
    per_batch = max(1, limits.rows // max(1, n_points)) if pack else 1
    order = sorted(range(len(prompts)), key=lambda i: tuple(prompts[i]))  # shared prefixes meet
    device = adapter.weight.device
    out: list[dict[int, Result]] = [{} for _ in prompts]
    with torch.inference_mode():
        for s in range(0, len(order), per_batch):
            batch = order[s:s + per_batch]
            seqs = [prompts[i] for i in batch]
            points = []
            for i in batch:
                rm = mask.rows[i] if len(mask.rows) > 1 else mask.rows[0]
                ids = torch.tensor([list(prompts[i])], device=device)  # (1, T)
                one = ContextMask(0, (rm,), mask.sink, mask.self_visible)
                points.append(list(layer_sweep(adapter.model, ids, one, layers)))
            decode = _decode_packed if pack else _decode_padded
            lives = decode(adapter, tokenizer, seqs, points, config, eos, max_length)
            for i, pts, live in zip(batch, points, lives):
                for pt, row in zip(pts, live):
                    out[i][pt.from_layer] = finish(tokenizer, row, config)
            if progress is not None:
                progress(len(batch))
    return out


def _softcapped(model: Any) -> bool:
    """Whether the model soft-caps attention logits (not supported by masked packed rows)."""
    return bool(getattr(model.config.get_text_config(), "attn_logit_softcapping", None))


def _limit(config: GenConfig, seq: Sequence[int], max_length: int | None) -> int:
    """Most new tokens of one prompt."""
    if max_length is None:
        return config.max_new_tokens
    return min(config.max_new_tokens, max_length - len(seq))


def _row_masks(points: Sequence[SweepPoint]) -> list[RowMask]:
    """Each point's row mask, carrying the point's first masked layer."""
    return [RowMask(pt.mask.rows[0].blocked, pt.mask.rows[0].rows_from, pt.from_layer)
            for pt in points]


def _own_states(x: torch.Tensor, held_from: int, start: int) -> torch.Tensor:
    """(1, Hkv, T - start, D) states of positions ``start..T-1`` from a cache tensor holding
    positions ``held_from..T-1``; positions it no longer holds (a sliding-window layer's,
    outside every later query's window) are zeros, which the attention never sees."""
    if held_from <= start:
        return x[:, :, start - held_from:]
    pad = x.new_zeros(x.shape[0], x.shape[1], held_from - start, x.shape[3])
    return torch.cat([pad, x], 2)


def packed_sweep_cache(seqs: Sequence[Sequence[int]], points: Sequence[Sequence[SweepPoint]],
                       prefix: int) -> Any:
    """A batch-1 cache: the first ``prefix`` positions once (from the shortest prompt's first
    point; every point holds the same unmasked prefix), then each point's positions
    ``prefix..T-1`` as its own packed row, in order."""
    ref = min(range(len(seqs)), key=lambda i: len(seqs[i]))
    n_layers = len(points[ref][0].cache.layers)
    layers = []
    for li in range(n_layers):
        base = points[ref][0].cache.layers[li]
        lo = len(seqs[ref]) - base.keys.shape[2]  # first position the layer holds
        ks = [base.keys[:, :, :max(0, prefix - lo)]]
        vs = [base.values[:, :, :max(0, prefix - lo)]]
        for seq, pts in zip(seqs, points):
            for pt in pts:
                layer = pt.cache.layers[li]
                held = len(seq) - layer.keys.shape[2]
                ks.append(_own_states(layer.keys, held, prefix))
                vs.append(_own_states(layer.values, held, prefix))
        new = GrowingLayer()
        keys, values = torch.cat(ks, 2), torch.cat(vs, 2)
        new.lazy_initialization(keys, values)
        new.keys, new.values = keys, values
        layers.append(new)
    cache = DynamicCache()
    cache.layers = layers
    return cache


def _decode_packed(adapter: HeadAdapter, tokenizer: Any, seqs: Sequence[Sequence[int]],
                   points: Sequence[Sequence[SweepPoint]], config: GenConfig, eos: set[int],
                   max_length: int | None) -> list[list[Live]]:
    """Decode every point of every prompt as packed rows sharing the unmasked prefix."""
    prefix = min(min(pts[0].start for pts in points), common_prefix_len(seqs))
    cache = packed_sweep_cache(seqs, points, prefix)
    keys, limit, rows, lasts = [], [], [], []
    n_keys = 0
    for seq, pts in zip(seqs, points):
        own = len(seq) - prefix
        for pt in pts:
            keys.append(list(range(n_keys, n_keys + own)))
            n_keys += own
            limit.append(_limit(config, seq, max_length))
            lasts.append(pt.hidden[:, -1])  # (1, H): position T - 1
        rows += _row_masks(pts)
    first = points[0][0].mask
    blocks = PackedBlocks.build(rows, first.sink, first.self_visible, adapter.weight.device)
    live = [Live(r, [], []) for r in range(len(rows))]
    packed_steps(adapter, tokenizer, cache, prefix, torch.cat(lasts), keys, n_keys, limit,
                 live, config, eos, blocks)
    out, r = [], 0
    for pts in points:
        out.append(live[r:r + len(pts)])
        r += len(pts)
    return out


def _decode_padded(adapter: HeadAdapter, tokenizer: Any, seqs: Sequence[Sequence[int]],
                   points: Sequence[Sequence[SweepPoint]], config: GenConfig, eos: set[int],
                   max_length: int | None) -> list[list[Live]]:
    """Fallback: each prompt's points as one padded batch (their caches concatenated), row i
    masked from its own layer under :func:`mask_context` at every step."""
    out = []
    for seq, pts in zip(seqs, points):
        rows = _row_masks(pts)
        cache = fork_cache(pts[0].cache)
        for i, layer in enumerate(cache.layers):
            layer.keys = torch.cat([pt.cache.layers[i].keys for pt in pts])
            layer.values = torch.cat([pt.cache.layers[i].values for pt in pts])
        hidden = torch.cat([pt.hidden[:, -1] for pt in pts])  # (P, H)
        live = [Live(r, [], []) for r in range(len(pts))]
        limit = [_limit(config, seq, max_length)] * len(pts)
        active = list(range(len(pts)))
        first = pts[0].mask
        while True:
            v, t = next_tokens(adapter, hidden, config.top_k)  # (A, k)
            keep = advance(tokenizer, live, active, t, v, limit, config, eos)
            if not keep:
                break
            if len(keep) < len(active):
                select_rows(cache, torch.tensor(keep, device=hidden.device))
            active = [active[a] for a in keep]
            step = ContextMask(0, tuple(rows[i] for i in active), first.sink,
                               first.self_visible)
            with mask_context(adapter.model, step):
                hidden = adapter.hidden(t[keep, 0][:, None], cache)[:, -1]
        out.append(live)
    return out
