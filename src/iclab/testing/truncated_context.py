"""Inference that really drops the context above layer r, and what it saves.

The paper estimates that if the context is only needed by the first r layers, a fraction
``(n - r)/n * k/(k + 1)`` of the compute is saved (k examples about as long as the query). This
module runs that computation for real:

- the sink tokens ``[0, s)`` go through every layer (s = 1 by default; their KV is tiny);
- the rest of the context ``[s, C)`` goes through layers ``0..r-1`` only: layers ``>= r`` are
  skipped (:func:`iclab.engine.layer_skip.skip_layers`), so their context KV is never computed
  nor stored; those cache slots become :class:`DroppedContextLayer` (sink + later tokens, with
  their true positions);
- the query and generated tokens then run through every layer.

**Equivalence** (tested): this equals the masked run ``ContextMask(from_layer=r,
rows=(RowMask(((0, C),), C),), sink=s)``: from layer r on (0-indexed, i.e. layer r + 1 in the
paper's 1-indexed figures) the query and generated tokens see no context token but the sink.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from iclab.engine.compat import cache_kwargs
from iclab.engine.layer_skip import skip_layers
from iclab.engine.masking import ContextMask, RowMask, mask_context
from iclab.engine.types import EngineError


class DroppedContextLayer(DynamicLayer):
    """A cache layer that holds the sink and the tokens after the context, not the context.

    It reports the sequence length the model would see with the context (so positions and the
    masks of other layers stay right) and exposes :meth:`key_positions`, which the masking
    wrapper uses to build this layer's own causal (and sliding-window) mask.
    """

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, positions: torch.Tensor,
                 total: int, sliding_window: int | None) -> None:
        super().__init__()
        self.lazy_initialization(keys, values)
        self.keys, self.values = keys, values  # (B, Hkv, s, D)
        self.positions = positions  # (s,)
        self.total = total
        self.is_sliding = sliding_window is not None
        self.sliding_window = sliding_window

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        t = key_states.shape[-2]
        new = torch.arange(self.total, self.total + t, device=self.positions.device)
        self.positions = torch.cat([self.positions, new])
        self.total += t
        self.keys = torch.cat([self.keys, key_states], dim=-2)
        self.values = torch.cat([self.values, value_states], dim=-2)
        return self.keys, self.values

    def key_positions(self) -> torch.Tensor:
        """Absolute positions (kv,) of the stored keys."""
        return self.positions

    def get_seq_length(self) -> int:
        return self.total

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        """What a full (or sliding) layer that kept the context would report."""
        if not self.is_sliding:
            return self.total + query_length, 0
        w = self.sliding_window
        offset = max(self.total - w + 1, 0)
        length = (w - 1 + query_length) if self.total >= w else self.total + query_length
        return length, offset


@dataclass
class TruncatedPrefix:
    """A context prefilled through layers ``< keep_layers`` only.

    Attributes:
        cache: the cache (layers >= keep_layers are :class:`DroppedContextLayer`).
        mask: the equivalent context mask; keep it active for every later forward.
        context_len: C, the number of context tokens.
    """

    cache: Any
    mask: ContextMask
    context_len: int


def _sliding_windows(model: Any) -> list[int | None]:
    """Per layer, the sliding window of its attention (None for full attention)."""
    cfg = model.config.get_text_config()
    types = getattr(cfg, "layer_types", None) or ["full_attention"] * cfg.num_hidden_layers
    return [cfg.sliding_window if t == "sliding_attention" else None for t in types]


def truncated_prefill(model: Any, context_ids: torch.Tensor, keep_layers: int,
                      sink: int = 1) -> TruncatedPrefix:
    """Prefill ``context_ids`` (B, C): sink through all layers, the rest through ``keep_layers``."""
    n = model.config.get_text_config().num_hidden_layers
    batch, length = context_ids.shape
    if not 0 <= keep_layers <= n:
        raise EngineError(f"keep_layers must be in 0..{n}, got {keep_layers}")
    if not 1 <= sink < length:
        raise EngineError(f"sink must be in 1..{length - 1} (context of {length} tokens)")
    body, cache = model.get_decoder(), DynamicCache(config=model.config)
    hidden = model.config.get_text_config().hidden_size
    with torch.inference_mode():
        body(input_ids=context_ids[:, :sink], use_cache=True, **cache_kwargs(body, cache))
        dummy = torch.zeros(batch, length - sink, hidden, dtype=model.dtype, device=model.device)
        with skip_layers(model, range(keep_layers, n), dummy):
            body(input_ids=context_ids[:, sink:], use_cache=True, **cache_kwargs(body, cache))
    windows = _sliding_windows(model)
    for i in range(keep_layers, n):
        old = cache.layers[i]
        pos = torch.arange(sink, device=old.keys.device)
        cache.layers[i] = DroppedContextLayer(old.keys[..., :sink, :], old.values[..., :sink, :],
                                              pos, length, windows[i])
    mask = ContextMask(keep_layers, (RowMask(((0, length),), length),), sink=sink)
    return TruncatedPrefix(cache, mask, length)


def truncated_forward(model: Any, prefix: TruncatedPrefix, ids: torch.Tensor) -> torch.Tensor:
    """Run ``ids`` (B, t) after a truncated prefix (extends its cache); last hidden (B, t, H)."""
    with torch.inference_mode(), mask_context(model, prefix.mask):
        body = model.get_decoder()
        out = body(input_ids=ids, use_cache=True, **cache_kwargs(body, prefix.cache))
    return out.last_hidden_state


def formula_saving(n_layers: int, r: int, k: int) -> float:
    """The paper's estimate ``(n - r)/n * k/(k + 1)`` of the fraction of compute saved."""
    if not (0 <= r <= n_layers and k >= 0):
        raise EngineError(f"need 0 <= r <= n and k >= 0, got n={n_layers}, r={r}, k={k}")
    return (n_layers - r) / n_layers * k / (k + 1)
