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
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface

from iclab.engine.types import EngineError

KEY = "iclab_packed"
_BASES = ("sdpa", "eager")


@dataclass
class Segments:
    """Layout of packed rows.

    Attributes:
        lengths: new tokens per row (after the prefix).
        prefix: the shared prefix length (absolute position of every row's first new token).
        index: (B, T) packed position of each padded slot (0 for padding slots).
        valid: (B, T) True at real slots.
        flat: (N,) padded flat index ``b * T + j`` of each packed position.
        positions: (N,) absolute position of each packed token.
    """

    lengths: tuple[int, ...]
    prefix: int
    index: torch.Tensor
    valid: torch.Tensor
    flat: torch.Tensor
    positions: torch.Tensor
    _row_masks: dict[int | None, torch.Tensor] = field(default_factory=dict)

    @property
    def width(self) -> int:
        """Longest row (T)."""
        return int(self.index.shape[1])

    def row_mask(self, window: int | None) -> torch.Tensor:
        """(B, T, T) bool: query slot j may see key slot i of its own row (causal, window)."""
        if window not in self._row_masks:
            t = self.width
            j = torch.arange(t, device=self.index.device)
            allowed = (j[None, :] <= j[:, None])[None] & self.valid[:, None, :]  # (B, T, T)
            if window:
                allowed &= (j[None, :] > j[:, None] - window)[None]
            # a padding query slot keeps its diagonal so that no softmax row is empty
            allowed |= torch.eye(t, dtype=torch.bool, device=j.device)[None]
            self._row_masks[window] = allowed
        return self._row_masks[window]


def segments(lengths: Sequence[int], prefix: int, device: torch.device) -> Segments:
    """Build the :class:`Segments` of rows with ``lengths`` new tokens after ``prefix``."""
    if not lengths or min(lengths) < 1:
        raise EngineError("packed rows need at least one row, each with at least one token")
    b, t = len(lengths), max(lengths)
    starts = torch.tensor([0, *lengths], device=device).cumsum(0)[:-1]  # (B,)
    j = torch.arange(t, device=device)
    lens = torch.tensor(list(lengths), device=device)
    valid = j[None, :] < lens[:, None]
    index = torch.where(valid, starts[:, None] + j[None, :], torch.zeros_like(valid, dtype=torch.long))
    flat = (torch.arange(b, device=device)[:, None] * t + j[None, :])[valid]
    positions = (prefix + j[None, :].expand(b, t))[valid]
    return Segments(tuple(lengths), prefix, index, valid, flat, positions)


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
    pk = key.shape[2] - n  # prefix keys this layer holds (a sliding layer keeps the last few)
    scale = scaling if scaling is not None else d ** -0.5
    window = sliding_window or getattr(module, "sliding_window", None)
    b, t = seg.index.shape
    q = query[0].reshape(kvh, g * n, d) * scale  # scaling the queries, not the scores

    def scores(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        s = torch.matmul(x, k.transpose(-1, -2)).float()
        return torch.tanh(s / softcap) * softcap if softcap else s

    # each row's own tokens, padded (kvh, B, g*T, ...)
    kn, vn = key[0, :, pk:], value[0, :, pk:]  # (kvh, N, D)
    qr = q.view(kvh, g, n, d)[:, :, seg.index].permute(0, 2, 1, 3, 4).reshape(kvh, b, g * t, d)
    allowed = seg.row_mask(window)[:, None].expand(b, g, t, t).reshape(b, g * t, t)
    own = _partial(scores(qr, kn[:, seg.index]), vn[:, seg.index], allowed[None])

    def packed(x: torch.Tensor) -> torch.Tensor:  # (kvh, B, g*T, c) -> (kvh, g*N, c)
        c = x.shape[-1]
        x = x.view(kvh, b, g, t, c).permute(0, 2, 1, 3, 4).reshape(kvh, g, b * t, c)
        return x.index_select(2, seg.flat).reshape(kvh, g * n, c)

    parts = [tuple(packed(x) for x in own)]
    if pk:
        visible = None
        if window and seg.prefix + t > window:
            k_pos = torch.arange(seg.prefix - pk, seg.prefix, device=q.device)
            visible = (k_pos[None, :] > seg.positions[:, None] - window)  # (N, pk)
            visible = visible[None].expand(g, n, pk).reshape(1, g * n, pk)
        parts.insert(0, _partial(scores(q, key[0, :, :pk]), value[0, :, :pk], visible))
    out = _merge_softmax(parts)  # type: ignore[arg-type]  # (kvh, g*N, D)
    out = out.view(h, n, d).transpose(0, 1).unsqueeze(0).to(query.dtype)  # (1, N, H, D)
    return out.contiguous(), None


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
