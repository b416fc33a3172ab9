"""Shared-prefix KV caches: find the common prefix, prefill it once, hand out batch copies.

A prefilled :class:`transformers.DynamicCache` is never extended itself. Each batch gets a
*shallow* copy whose per-layer key/value tensors are broadcast views (``expand``) of the
prefix's; the first forward of the batch concatenates new states onto them, which allocates
fresh tensors, so the prefix stays intact for the next batch. Layer objects are copied with
:func:`copy.copy`, so per-layer state such as a sliding-window layer's ``cumulative_length``
(Gemma 3) is carried over and then advanced independently.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Sequence

import torch
from transformers import DynamicCache

from iclab.engine.adapter import HeadAdapter


def common_prefix_len(seqs: Sequence[Sequence[int]]) -> int:
    """Length of the longest common prefix of token sequences (0 for an empty list)."""
    if not seqs:
        return 0
    first = seqs[0]
    n = min(len(s) for s in seqs)
    for s in seqs[1:]:
        i = 0
        while i < n and s[i] == first[i]:
            i += 1
        n = i
        if n == 0:
            break
    return n


@dataclass
class Prefix:
    """A prefilled shared prefix.

    Attributes:
        ids: the prefix tokens.
        cache: the cache holding their keys/values (batch 1); None for an empty prefix.
    """

    ids: tuple[int, ...]
    cache: Any | None

    def __len__(self) -> int:
        return len(self.ids)


def prefill(adapter: HeadAdapter, ids: Sequence[int], device: torch.device,
            chunk: int = 2048) -> Prefix:
    """Run ``ids`` through the decoder body once (in chunks) and keep the cache."""
    if not ids:
        return Prefix((), None)
    cache = DynamicCache(config=adapter.model.config)
    t = torch.tensor([list(ids)], device=device)
    for start in range(0, t.shape[1], chunk):
        adapter.hidden(t[:, start:start + chunk], cache)
    return Prefix(tuple(ids), cache)


def batch_cache(prefix: Prefix, batch: int, adapter: HeadAdapter) -> Any:
    """Return a fresh cache for ``batch`` rows that starts with the prefix's states."""
    if prefix.cache is None:
        return DynamicCache(config=adapter.model.config)
    out = copy.copy(prefix.cache)
    layers = []
    for layer in prefix.cache.layers:
        new = copy.copy(layer)
        if getattr(layer, "is_initialized", False) and layer.keys is not None:
            new.keys = layer.keys.expand(batch, *layer.keys.shape[1:])
            new.values = layer.values.expand(batch, *layer.values.shape[1:])
        layers.append(new)
    out.layers = layers
    return out


def repeat_rows(cache: Any, repeats: int) -> None:
    """Repeat every row of ``cache`` ``repeats`` times (row b becomes rows b*r..b*r+r-1)."""
    for layer in cache.layers:
        if getattr(layer, "is_initialized", False) and layer.keys is not None:
            layer.keys = layer.keys.repeat_interleave(repeats, dim=0)
            layer.values = layer.values.repeat_interleave(repeats, dim=0)


def select_rows(cache: Any, rows: torch.Tensor) -> None:
    """Keep only ``rows`` of the batch in ``cache`` (in place)."""
    for layer in cache.layers:
        if getattr(layer, "is_initialized", False) and layer.keys is not None:
            layer.keys = layer.keys.index_select(0, rows)
            layer.values = layer.values.index_select(0, rows)
