"""Shared-prefix KV caches: find the common prefix, prefill it once, hand out batch copies.

A prefilled :class:`transformers.DynamicCache` is never extended itself. Each batch gets a
*shallow* copy whose per-layer key/value tensors are broadcast views (``expand``) of the
prefix's; the first forward of the batch concatenates new states onto them, which allocates
fresh tensors, so the prefix stays intact for the next batch. Layer objects are copied with
:func:`copy.copy`, so per-layer state such as a sliding-window layer's ``cumulative_length``
(Gemma 3) is carried over and then advanced independently.

Packed decoding (one batch-1 cache for every row) appends a few keys per step to a long cache;
:class:`GrowingLayer` writes them into spare capacity instead of concatenating (copying) the
whole cache at every step and layer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Sequence

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from iclab.engine.adapter import HeadAdapter


class GrowingLayer(DynamicLayer):
    """A dynamic cache layer that appends in place into spare capacity.

    ``keys``/``values`` are views of the first ``seq_len`` positions of a larger buffer; when
    it is full, the buffer doubles (one copy). The states it starts from (e.g. a shared
    prefix's) are copied into the first buffer, never written to.
    """

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Append the new states; return all states so far (views)."""
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        n, new = self.get_seq_length(), key_states.shape[-2]
        buf_k: torch.Tensor | None = getattr(self, "_buf_k", None)
        if buf_k is None or n + new > buf_k.shape[-2]:
            cap = max(64, 2 * (n + new))
            shape = (*key_states.shape[:-2], cap, key_states.shape[-1])
            buf_k, buf_v = key_states.new_empty(shape), value_states.new_empty(
                (*value_states.shape[:-2], cap, value_states.shape[-1]))
            if n:
                buf_k[..., :n, :] = self.keys
                buf_v[..., :n, :] = self.values
            self._buf_k, self._buf_v = buf_k, buf_v
        self._buf_k[..., n:n + new, :] = key_states
        self._buf_v[..., n:n + new, :] = value_states
        self.keys = self._buf_k[..., :n + new, :]
        self.values = self._buf_v[..., :n + new, :]
        return self.keys, self.values


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
