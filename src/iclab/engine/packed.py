"""Packed rows: many rows after one shared prefix run as a single sequence, with no padding.

A batch of rows that share a prefilled prefix is usually run right-padded to its longest row,
and each row gets its own copy of the prefix's keys and values. With rows of very different
lengths, a third of the work can be padding, and the copies cost memory traffic. Here the rows'
new tokens are concatenated into one sequence of ``N`` tokens (position ids restart at the
prefix length for each row), run through the decoder body with a batch-1 copy of the prefix
cache, and every attention layer computes, exactly:

- attention of all ``N`` queries to the prefix keys as one large matrix product (the keys are
  shared, never copied);
- attention of each row to its own earlier tokens (causal), on a small padded ``(rows, T, T)``
  layout;
- both merged with a log-sum-exp (the softmax over prefix + own tokens, never over another
  row's tokens).

The linear layers, which hold nearly all the FLOPs, then run on ``N`` real tokens only. Sliding
windows (Gemma) and attention-logit soft-capping (Gemma 2) are honoured. The attention function
is registered with transformers' attention interface (``iclab_packed``) and selected only inside
:func:`packed_attention`; :func:`packing_works` checks a model once against the padded path and
the engine falls back to padding for a model where they differ (e.g. ALiBi biases, which do not
come from position ids).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import torch
import torch.nn.functional as F
from transformers import AttentionInterface, DynamicCache
from transformers.masking_utils import AttentionMaskInterface

from iclab.engine.kv import GrowingLayer
from iclab.engine.types import EngineError

KEY = "iclab_packed"
DENSE_LIMIT = 1 << 16  # queries x keys up to which one fused call with a dense mask runs
_BASES = ("sdpa", "eager")


@dataclass
class Segments:
    """Layout of packed rows for one forward.

    Queries are the tokens of this forward, packed; keys are every token after the prefix in
    the cache (this forward's included). Both are also laid out padded per row, by *slot*:
    a row's keys in order (slot ``i`` is position ``prefix + i``), and its queries at their own
    slots. A query sees its row's keys at slots <= its own (and within a sliding window).

    Attributes:
        prefix: the shared prefix length.
        q_index: (B, Tq) packed query index of each padded query slot (0 for padding).
        q_valid: (B, Tq) True at real query slots.
        q_slot: (B, Tq) slot of each query within its row.
        k_index: (B, Tk) index among the non-prefix keys of each row's key slots.
        k_valid: (B, Tk) True at real key slots.
        flat: (N,) padded flat query index ``b * Tq + j`` of each packed query.
        positions: (N,) absolute position of each packed query.
        n_keys: non-prefix keys in the cache after this forward's update.
        max_position: the largest query position (a Python int, no device sync).
        block: context masks of the rows (:class:`iclab.engine.packed_mask.PackedBlocks`,
            layer sweeps) or None.
    """

    prefix: int
    q_index: torch.Tensor
    q_valid: torch.Tensor
    q_slot: torch.Tensor
    k_index: torch.Tensor
    k_valid: torch.Tensor
    flat: torch.Tensor
    positions: torch.Tensor
    n_keys: int
    max_position: int
    block: Any = None
    _row_masks: dict[Any, torch.Tensor] = field(default_factory=dict)

    def row_mask(self, window: int | None) -> torch.Tensor:
        """(B, Tq, Tk) bool: a query slot may see a key slot of its own row."""
        if window not in self._row_masks:
            k = torch.arange(self.k_index.shape[1], device=self.k_index.device)
            q = self.q_slot[:, :, None]
            allowed = (k[None, None, :] <= q) & self.k_valid[:, None, :]
            if window:
                allowed &= k[None, None, :] > q - window
            # a padding query slot sees key slot 0, so that no softmax row is empty
            allowed |= (~self.q_valid)[:, :, None] & (k == 0)[None, None, :]
            self._row_masks[window] = allowed
        return self._row_masks[window]

    def own_keys(self, window: int | None) -> torch.Tensor:
        """(N, n_keys) bool: packed query i may see non-prefix key j (its own row's, causal,
        within ``window``); the dense form of :meth:`row_mask`, for few queries."""
        key = ("dense", window)
        if key not in self._row_masks:
            b, tq = self.q_index.shape
            allowed = self.row_mask(window) & self.q_valid[:, :, None]  # (B, Tq, Tk)
            dense = torch.zeros(b, tq, self.n_keys, device=allowed.device)
            idx = self.k_index[:, None, :].expand_as(allowed)
            dense.scatter_add_(2, idx, allowed.float())
            self._row_masks[key] = (dense > 0).view(b * tq, self.n_keys)[self.flat]
        return self._row_masks[key]


def _pad(rows: Sequence[Sequence[int]], device: torch.device
         ) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad integer lists into (values, valid) tensors of shape (B, longest)."""
    lengths = torch.tensor([len(r) for r in rows])
    width = int(lengths.max())
    valid = torch.arange(width)[None, :] < lengths[:, None]  # (B, width)
    values = torch.zeros(len(rows), width, dtype=torch.long)
    values[valid] = torch.tensor([x for r in rows for x in r], dtype=torch.long)  # one flat list
    return values.to(device), valid.to(device)


def layout(prefix: int, queries: Sequence[Sequence[int]], slots: Sequence[Sequence[int]],
           keys: Sequence[Sequence[int]], n_keys: int, device: torch.device) -> Segments:
    """General :class:`Segments`: per row, its packed query indices, their slots, and the
    indices (among non-prefix keys) of its key slots 0, 1, ..."""
    if not queries or any(not q for q in queries) or any(not k for k in keys):
        raise EngineError("packed rows need at least one row, each with a query and a key")
    q_index, q_valid = _pad(queries, device)
    q_slot, _ = _pad(slots, device)
    k_index, k_valid = _pad(keys, device)
    tq = q_index.shape[1]
    order = sorted((q, b * tq + j) for b, row in enumerate(queries) for j, q in enumerate(row))
    flat = torch.tensor([f for _, f in order], device=device)
    positions = (prefix + q_slot)[q_valid][torch.argsort(q_index[q_valid])]
    max_position = prefix + max(max(s) for s in slots)
    return Segments(prefix, q_index, q_valid, q_slot, k_index, k_valid, flat, positions,
                    n_keys, max_position)


def packed_rows(lengths: Sequence[int]) -> list[list[int]]:
    """Packed indices of each row's tokens when rows of ``lengths`` are concatenated."""
    rows, start = [], 0
    for n in lengths:
        rows.append(list(range(start, start + n)))
        start += n
    return rows


def segments(lengths: Sequence[int], prefix: int, device: torch.device) -> Segments:
    """The :class:`Segments` of rows with ``lengths`` new tokens after ``prefix``, packed in
    order (every new token is both a query and a key)."""
    if not lengths or min(lengths) < 1:
        raise EngineError("packed rows need at least one row, each with at least one token")
    rows = packed_rows(lengths)
    return layout(prefix, rows, [list(range(n)) for n in lengths], rows, sum(lengths), device)


def full_cache(cache: Any) -> Any:
    """A batch-1 cache holding ``cache``'s states in plain (never trimmed) layers.

    Sliding-window cache layers keep only their last ``window - 1`` tokens, which would drop
    other rows' tokens of a packed sequence; packed attention applies the window itself. The
    layers grow in place (:class:`iclab.engine.kv.GrowingLayer`): a decoding step appends its
    rows' keys without copying the prefix's.
    """
    out = DynamicCache()
    if cache is None:
        return out
    layers = []
    for layer in cache.layers:
        new = GrowingLayer()
        if getattr(layer, "is_initialized", False) and layer.keys is not None:
            new.lazy_initialization(layer.keys, layer.values)
            new.keys, new.values = layer.keys, layer.values
        layers.append(new)
    out.layers = layers
    return out


@dataclass
class _State:
    """The active packing layout (set by :func:`packed_attention`)."""

    seg: Segments | None = None


_STATE = _State()


def _merge_softmax(parts: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """Combine partial softmax-attention results (max, sum of exps, weighted values)."""
    m, z, o = parts[0]
    for mp, zp, op in parts[1:]:
        top = torch.maximum(m, mp)
        a, b = torch.exp(m - top), torch.exp(mp - top)
        z = z * a + zp * b
        o = o * a + op * b
        m = top
    return o / z


def _partial(scores: torch.Tensor, values: torch.Tensor, allowed: torch.Tensor | None
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Softmax pieces of one key block: row max, sum of exps, exp-weighted values."""
    if allowed is not None:
        scores.masked_fill_(~allowed, float("-inf"))
    m = scores.amax(-1, keepdim=True).clamp(min=torch.finfo(scores.dtype).min)
    e = scores.sub_(m).exp_()  # in place: the scores are not needed again
    return m, e.sum(-1, keepdim=True), torch.matmul(e.to(values.dtype), values).float()


def _attend(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
            attention_mask: Any, scaling: float | None = None, dropout: float = 0.0,
            softcap: float | None = None, sliding_window: int | None = None,
            **kwargs: Any) -> tuple[torch.Tensor, None]:
    """Attention over the prefix plus each row's own tokens (registered as ``iclab_packed``)."""
    seg = _STATE.seg
    if seg is None:
        raise EngineError("iclab's packed attention was called outside packed_attention()")
    if kwargs.get("s_aux") is not None or kwargs.get("sinks") is not None:
        raise EngineError("packed rows do not support attention sinks")
    _, h, n, d = query.shape  # (1, H, N, D)
    kvh = key.shape[1]
    g = h // kvh
    pk = key.shape[2] - seg.n_keys  # prefix keys this layer holds (sliding: the last few)
    scale = scaling if scaling is not None else d ** -0.5
    window = sliding_window or getattr(module, "sliding_window", None)
    if seg.block is not None:
        if softcap:
            raise EngineError("context masks on packed rows do not support attention "
                              "soft-capping")
        return _attend_dense(seg, query, key, value, pk, scale, window, module.layer_idx), None
    if not softcap and n * key.shape[2] <= DENSE_LIMIT:
        return _attend_dense(seg, query, key, value, pk, scale, window), None
    b, tq = seg.q_index.shape
    if not softcap and b * pk <= seg.n_keys:  # a short prefix: copy it per row, one fused call
        return _attend_rows(seg, query, key, value, pk, scale, window), None
    tk = seg.k_index.shape[1]
    q = query[0].reshape(kvh, g * n, d) * scale  # scaling the queries, not the scores

    def scores(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        s = torch.matmul(x, k.transpose(-1, -2)).float()
        return torch.tanh(s / softcap) * softcap if softcap else s

    # each row's own tokens, padded: queries (kvh, B, g*Tq, D), keys (kvh, B, Tk, D)
    kn, vn = key[0, :, pk:], value[0, :, pk:]  # (kvh, n_keys, D)
    qr = q.view(kvh, g, n, d)[:, :, seg.q_index].permute(0, 2, 1, 3, 4).reshape(kvh, b, g * tq, d)
    allowed = seg.row_mask(window)[:, None].expand(b, g, tq, tk).reshape(b, g * tq, tk)
    own = _partial(scores(qr, kn[:, seg.k_index]), vn[:, seg.k_index], allowed[None])

    def packed(x: torch.Tensor) -> torch.Tensor:  # (kvh, B, g*Tq, c) -> (kvh, g*N, c)
        c = x.shape[-1]
        x = x.view(kvh, b, g, tq, c).permute(0, 2, 1, 3, 4).reshape(kvh, g, b * tq, c)
        return x.index_select(2, seg.flat).reshape(kvh, g * n, c)

    parts = [tuple(packed(x) for x in own)]
    if pk:
        visible = None
        if window and seg.max_position - window >= seg.prefix - pk:
            k_pos = torch.arange(seg.prefix - pk, seg.prefix, device=q.device)
            visible = (k_pos[None, :] > seg.positions[:, None] - window)  # (N, pk)
            visible = visible[None].expand(g, n, pk).reshape(1, g * n, pk)
        parts.insert(0, _partial(scores(q, key[0, :, :pk]), value[0, :, :pk], visible))
    out = _merge_softmax(parts)  # type: ignore[arg-type]  # (kvh, g*N, D)
    out = out.view(h, n, d).transpose(0, 1).unsqueeze(0).to(query.dtype)  # (1, N, H, D)
    return out.contiguous(), None


def _attend_rows(seg: Segments, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                 pk: int, scale: float, window: int | None) -> torch.Tensor:
    """Rows padded to (B, H, Tq, D) with their keys (the layer's ``pk`` prefix keys, copied per
    row, then the row's own) in one fused attention call; for a prefix short against the
    rows (e.g. prompts with their own demonstrations), where the copies cost little and the
    fused kernel beats the blockwise merge."""
    b, tq = seg.q_index.shape
    dev = query.device
    q = query[0][:, seg.q_index].transpose(0, 1)  # (B, H, Tq, D)
    k = key[0, :, pk:][:, seg.k_index].transpose(0, 1)  # (B, Hkv, Tk, D)
    v = value[0, :, pk:][:, seg.k_index].transpose(0, 1)
    mask = seg.row_mask(window)  # (B, Tq, Tk)
    if pk:
        k = torch.cat([key[:, :, :pk].expand(b, -1, -1, -1), k], 2)
        v = torch.cat([value[:, :, :pk].expand(b, -1, -1, -1), v], 2)
        pre = torch.ones(b, tq, pk, dtype=torch.bool, device=dev)
        if window:
            k_pos = torch.arange(seg.prefix - pk, seg.prefix, device=dev)
            pre = k_pos[None, None, :] > (seg.prefix + seg.q_slot)[:, :, None] - window
        mask = torch.cat([pre, mask], 2)
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None], scale=scale,
                                         enable_gqa=k.shape[1] != q.shape[1])  # (B, H, Tq, D)
    out = out.transpose(1, 2).reshape(b * tq, q.shape[1], q.shape[3])
    return out.index_select(0, seg.flat)[None].contiguous()  # (1, N, H, D)


def _prefix_visible(seg: Segments, pk: int, window: int | None,
                    device: torch.device) -> torch.Tensor | None:
    """(N, pk) bool: which of the layer's ``pk`` prefix keys each packed query sees (None:
    all of them)."""
    if not (pk and window and seg.max_position - window >= seg.prefix - pk):
        return None
    k_pos = torch.arange(seg.prefix - pk, seg.prefix, device=device)
    return k_pos[None, :] > seg.positions[:, None] - window


def _attend_dense(seg: Segments, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                  pk: int, scale: float, window: int | None, layer: int = 0) -> torch.Tensor:
    """Few queries (decoding steps): one fused attention call over all keys with an explicit
    (N, keys) mask of the prefix and each query's own row (the same softmax as the blocks),
    less what the rows' context masks (``seg.block``) block at ``layer``."""
    own = seg.own_keys(window)  # (N, n_keys)
    pre = _prefix_visible(seg, pk, window, query.device)
    if pre is None:
        pre = torch.ones(own.shape[0], pk, dtype=torch.bool, device=own.device)
    mask = torch.cat([pre, own], 1)  # (N, pk + n_keys)
    if seg.block is not None:
        mask = seg.block.visible(seg, layer, pk, mask)
    mask = mask[None, None]  # (1, 1, N, pk + n_keys)
    out = F.scaled_dot_product_attention(query, key, value, attn_mask=mask, scale=scale,
                                         enable_gqa=key.shape[1] != query.shape[1])
    return out.transpose(1, 2).contiguous()  # (1, N, H, D)


def _no_mask(*args: Any, **kwargs: Any) -> None:
    """Mask builder for ``iclab_packed``: the attention function builds its own masks."""
    return None


def _register() -> None:
    """Register the packed attention function and its (empty) mask builder."""
    if KEY not in AttentionInterface._global_mapping:
        AttentionInterface.register(KEY, _attend)
        AttentionMaskInterface.register(KEY, _no_mask)


def can_pack(model: Any) -> bool:
    """True when the model runs plain sdpa/eager attention (no other intervention active)."""
    impl = getattr(model.config, "_attn_implementation", None)
    text = model.config.get_text_config()._attn_implementation
    return impl in _BASES and text in _BASES


@contextlib.contextmanager
def packed_attention(model: Any, seg: Segments) -> Iterator[None]:
    """Run ``model``'s attention as packed rows laid out by ``seg`` inside the block.

    Raises:
        EngineError: the model's attention is not plain sdpa/eager, or packing is nested.
    """
    _register()
    if not can_pack(model) or _STATE.seg is not None:
        raise EngineError("packed rows need plain sdpa/eager attention and no nesting")
    config = model.config
    original = config._attn_implementation
    _STATE.seg = seg
    try:
        config._attn_implementation = KEY
        yield
    finally:
        config._attn_implementation = original
        _STATE.seg = None
