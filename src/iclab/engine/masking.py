"""Layer-wise context masking: from layer L on, chosen rows may not attend to chosen key spans.

The intervention of "Where does In-context Learning Happen in LLMs?" (Sia et al., 2024),
implemented once for every architecture through transformers' attention interface: while
:func:`mask_context` is active, the model's ``config._attn_implementation`` points at a
registered wrapper (``iclab_context_mask_sdpa`` / ``..._eager``) that, for attention modules
whose ``layer_idx >= from_layer``, removes the blocked key columns from the rows it restricts and
then calls the model's own sdpa or eager attention. Layers below ``from_layer`` get the exact
original call. Hidden states of blocked positions are still computed (only attention to them
is cut), as in the paper.

Definitions (token indices count from 0 over the whole sequence seen so far, cache included):

- **Rows**: a batch row's positions ``>= rows_from`` are restricted. The default
  (``rows="query"`` in :func:`row_mask`) restricts the query and everything after it, i.e. every
  query token and every generated token; context rows are never changed, so the context's KV
  cache is the unmasked one. ``rows="all"`` restricts every row, as the paper's code does.
- **Blocked keys**: token ranges ``[start, end)``; the first ``sink`` tokens are never blocked
  (attention sink, default 1: BOS for Llama/Gemma tokenizers, the first text token otherwise).
- **No empty row**: by default (``self_visible="always"``) a position always keeps its own key
  (the diagonal) visible, even when it lies in a blocked span. With the causal mask this
  guarantees every row keeps at least one visible key, so no softmax row is ever fully masked.
  ``self_visible="when-empty"`` (the ``paper`` preset of ``iclab layers``) blocks the diagonal
  like any other key, as the paper's code does, except in a row that would otherwise see no
  key at all: the paper's code gave such a row uniform attention over masked keys (a bug); it
  meant the row to see nothing of the context, and the row's own key is the least it can see.
- **Everything but the last token** (the paper's ``mask_all``): the part ``all`` blocks every
  key, generated tokens included; with ``sink=0`` each row then sees only itself, so the last
  position sees only the last token.

Positions are found from the KV cache after its update: a layer that has seen ``T`` tokens and
returns ``kv_len`` keys holds positions ``T - kv_len .. T - 1`` (full layers hold all of them,
Gemma's sliding-window layers the most recent), and the ``q_len`` queries are positions
``T - q_len .. T - 1``. Only dynamic caches (``DynamicCache``, the default) or no cache are
supported; a cache layer may instead expose ``key_positions()`` (see
:mod:`iclab.testing.truncated_context`).
"""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass, field
from typing import Any, Iterator, Literal, Sequence

import torch
from transformers import AttentionInterface, DynamicCache
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface
from transformers.modeling_utils import ALL_ATTENTION_FUNCTIONS

from iclab.engine.compat import cache_in_call
from iclab.engine.types import EngineError

MaskPart = Literal["instructions", "examples", "query", "all"]
MASK_PARTS: tuple[MaskPart, ...] = ("instructions", "examples", "query", "all")
SelfVisible = Literal["always", "when-empty"]
_EVERYTHING = 1 << 62  # the end of the ``all`` part: every position, generated ones included
RowScope = Literal["query", "all"]
_KEY = "iclab_context_mask_"
_BASES = ("sdpa", "eager")
_ATTR = "_iclab_context_mask"


@dataclass(frozen=True)
class RowMask:
    """What one batch row may not see.

    Attributes:
        blocked: key token ranges ``[start, end)`` to block (non-contiguous allowed).
        rows_from: positions ``>= rows_from`` are restricted (0: every row).
        from_layer: this row's first masked layer, overriding the :class:`ContextMask`'s
            (None: use it); lets one batch hold rows masked from different layers, e.g. all
            points of a layer sweep decoded together.
    """

    blocked: tuple[tuple[int, int], ...]
    rows_from: int
    from_layer: int | None = None

    def __post_init__(self) -> None:
        for start, end in self.blocked:
            if not 0 <= start <= end:
                raise EngineError(f"bad blocked range [{start}, {end}) in a context mask")
        if self.rows_from < 0:
            raise EngineError(f"rows_from must be >= 0, got {self.rows_from}")
        if self.from_layer is not None and self.from_layer < 0:
            raise EngineError(f"from_layer must be >= 0, got {self.from_layer}")


@dataclass(frozen=True)
class ContextMask:
    """A context-masking intervention.

    Attributes:
        from_layer: first layer (0-indexed) that is masked; layers ``< from_layer`` are
            untouched; ``from_layer == n_layers`` masks nothing. The paper's figures plot
            ``from_layer + 1``.
        rows: one :class:`RowMask` per batch row, or a single one shared by every row.
        sink: the first ``sink`` tokens stay visible to every row (0 disables the sink).
        self_visible: ``always`` (a position always sees its own key) or ``when-empty``
            (only where its row would otherwise be fully masked; the paper's code).
    """

    from_layer: int
    rows: tuple[RowMask, ...]
    sink: int = 1
    self_visible: SelfVisible = "always"

    def __post_init__(self) -> None:
        if self.from_layer < 0:
            raise EngineError(f"from_layer must be >= 0, got {self.from_layer}")
        if not self.rows:
            raise EngineError("a context mask needs at least one RowMask")
        if self.sink < 0:
            raise EngineError(f"sink must be >= 0, got {self.sink}")
        if self.self_visible not in ("always", "when-empty"):
            raise EngineError(f"self_visible must be 'always' or 'when-empty', got "
                              f"{self.self_visible!r}")

    def at(self, from_layer: int) -> "ContextMask":
        """The same mask starting at another layer."""
        return ContextMask(from_layer, self.rows, self.sink, self.self_visible)

    def row_from(self, row: RowMask) -> int:
        """First masked layer of one row (its own ``from_layer`` or the mask's)."""
        return self.from_layer if row.from_layer is None else row.from_layer

    @property
    def first_layer(self) -> int:
        """The lowest layer any row is masked from."""
        return min(self.row_from(r) for r in self.rows)


def parse_parts(spec: str | Sequence[str]) -> tuple[MaskPart, ...]:
    """Parse ``"instructions,examples"`` (or a sequence) into sorted, validated mask parts."""
    items = [p.strip() for p in (spec.split(",") if isinstance(spec, str) else spec)]
    items = [p for p in items if p]
    bad = [p for p in items if p not in MASK_PARTS]
    if bad or not items:
        raise EngineError(f"mask parts must be a non-empty subset of {MASK_PARTS}, got {spec!r}")
    return tuple(p for p in MASK_PARTS if p in items)  # type: ignore[misc]


def part_ranges(prompt: Any) -> dict[MaskPart, tuple[int, int]]:
    """Token ranges of a prompt's parts; together they cover every token after the sink.

    A part runs from its first span's start to the next part's start (separators belong to the
    part before them): instructions ``[instruction start, first demo start)``, examples
    ``[first demo start, query start)``, query ``[query start, end of prompt)``. Parts a prompt
    lacks are absent.
    """
    n = len(prompt.input_ids)
    starts: list[tuple[MaskPart, int]] = []
    for part, kind in (("instructions", "instruction"), ("examples", "demo"), ("query", "query")):
        spans = prompt.spans_of(kind)
        if spans:
            starts.append((part, min(s.tok_start for s in spans)))
    if not any(p == "query" for p, _ in starts):
        raise EngineError("the prompt has no query span to mask from")
    ends = [s for _, s in starts[1:]] + [n]
    return {part: (start, end) for (part, start), end in zip(starts, ends)}


def row_mask(prompt: Any, parts: str | Sequence[str], rows: RowScope = "query") -> RowMask:
    """The :class:`RowMask` blocking ``parts`` of a built prompt (see :func:`part_ranges`).

    Args:
        prompt: an :class:`iclab.prompts.types.Prompt` (anything with ``input_ids`` and spans).
        parts: subset of instructions/examples/query, e.g. ``"instructions,examples"``.
        rows: ``"query"`` restricts the query and later tokens; ``"all"`` every row (paper).

    Raises:
        EngineError: unknown part, or a part the prompt does not have.
    """
    wanted = parse_parts(parts)
    ranges = part_ranges(prompt)
    missing = [p for p in wanted if p not in ranges and p != "all"]
    if rows not in ("query", "all"):
        raise EngineError(f"rows must be 'query' or 'all', got {rows!r}")
    rows_from = ranges["query"][0] if rows == "query" else 0
    if "all" in wanted:
        return RowMask(((0, _EVERYTHING),), rows_from)
    if missing:
        raise EngineError(f"cannot mask {missing}: the prompt has no such span")
    return RowMask(tuple(ranges[p] for p in wanted), rows_from)


@dataclass
class _State:
    """What the attention wrapper needs while a mask is active."""

    mask: ContextMask
    base: str
    cache: Any = None
    eager_fns: dict[str, Any] = field(default_factory=dict)


def _register() -> None:
    """Register the wrapper and its mask builders under ``iclab_context_mask_<base>``."""
    for base in _BASES:
        key = _KEY + base
        if key not in AttentionInterface._global_mapping:
            AttentionInterface.register(key, _masked_attention)
            AttentionMaskInterface.register(key, ALL_MASK_ATTENTION_FUNCTIONS[base])


def _positions(state: _State, module: Any, q_len: int, kv_len: int, device: torch.device
               ) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Absolute positions of the queries (q,) and keys (kv,); True when keys are a custom set."""
    layer = None
    if state.cache is not None and module.layer_idx < len(getattr(state.cache, "layers", ())):
        layer = state.cache.layers[module.layer_idx]
    if layer is not None and hasattr(layer, "key_positions"):
        k_pos = layer.key_positions().to(device)  # (kv,)
        total = layer.get_seq_length()
        q_pos = torch.arange(total - q_len, total, device=device)  # (q,)
        return q_pos, k_pos, True
    total = state.cache.get_seq_length(module.layer_idx) if layer is not None else q_len
    total = int(total)
    if kv_len > total:
        raise EngineError("context masking needs a dynamic KV cache (static caches unsupported)")
    q_pos = torch.arange(total - q_len, total, device=device)  # (q,)
    k_pos = torch.arange(total - kv_len, total, device=device)  # (kv,)
    return q_pos, k_pos, False


def block_matrix(mask: ContextMask, batch: int, q_pos: torch.Tensor, k_pos: torch.Tensor,
                 layer: int | None = None) -> torch.Tensor:
    """Boolean (B, 1, q, kv) tensor, True where a query row may not see a key column (at
    ``layer``: rows whose first masked layer is above it block nothing; None: every row)."""
    rows = mask.rows if len(mask.rows) == batch else mask.rows * batch
    if len(rows) != batch:
        raise EngineError(f"context mask has {len(mask.rows)} row masks for a batch of {batch}")
    blocked = torch.zeros(batch, k_pos.numel(), dtype=torch.bool, device=k_pos.device)  # (B, kv)
    row_on = torch.zeros(batch, q_pos.numel(), dtype=torch.bool, device=q_pos.device)  # (B, q)
    for b, rm in enumerate(rows):
        for start, end in rm.blocked:
            blocked[b] |= (k_pos >= max(start, mask.sink)) & (k_pos < end)
        if layer is None or layer >= mask.row_from(rm):
            row_on[b] = q_pos >= rm.rows_from
    not_self = q_pos[:, None] != k_pos[None, :]  # (q, kv)
    out = row_on[:, :, None] & blocked[:, None, :]  # (B, q, kv)
    if mask.self_visible == "always":
        return (out & not_self[None])[:, None]  # (B, 1, q, kv)
    causal = k_pos[None, :] <= q_pos[:, None]  # (q, kv)
    empty = ~(causal[None] & ~out).any(-1, keepdim=True)  # (B, q, 1): no visible key left
    return (out & (not_self[None] | ~empty))[:, None]  # (B, 1, q, kv)


def _causal(module: Any, q_pos: torch.Tensor, k_pos: torch.Tensor) -> torch.Tensor:
    """Boolean (1, 1, q, kv) causal (and sliding-window) visibility from absolute positions."""
    allowed = k_pos[None, :] <= q_pos[:, None]  # (q, kv)
    window = getattr(module, "sliding_window", None)
    if window:
        allowed &= k_pos[None, :] > q_pos[:, None] - window
    return allowed[None, None]


def _merge(base_mask: torch.Tensor | None, allowed: torch.Tensor | None, block: torch.Tensor,
           eager: bool, dtype: torch.dtype) -> torch.Tensor:
    """Apply ``block`` to the model's mask (bool, additive float, or None=causal ``allowed``)."""
    if base_mask is None or allowed is not None:
        visible = allowed & ~block  # (B, 1, q, kv)
        if not eager:
            return visible
        return torch.zeros(visible.shape, dtype=dtype, device=visible.device).masked_fill(
            ~visible, torch.finfo(dtype).min)
    if base_mask.dtype == torch.bool:
        return base_mask & ~block
    return torch.where(block, torch.finfo(base_mask.dtype).min, base_mask)


def _base_function(state: _State, module: Any) -> Any:
    """The model's own attention function for the base implementation."""
    if state.base == "sdpa":
        return ALL_ATTENTION_FUNCTIONS["sdpa"]
    mod_name = type(module).__module__
    if mod_name not in state.eager_fns:
        fn = getattr(sys.modules[mod_name], "eager_attention_forward", None)
        if fn is None:
            raise EngineError(f"{mod_name} has no eager_attention_forward; load with sdpa")
        state.eager_fns[mod_name] = fn
    return state.eager_fns[mod_name]


def _masked_attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                      attention_mask: torch.Tensor | None, **kwargs: Any) -> Any:
    """Attention function registered with transformers; masks layers >= ``from_layer``."""
    state: _State | None = getattr(module, _ATTR, None)
    if state is None:
        raise EngineError("iclab's masked attention was called outside mask_context()")
    fn = _base_function(state, module)
    if module.layer_idx < state.mask.first_layer:
        return fn(module, query, key, value, attention_mask, **kwargs)
    batch, _, q_len, _ = query.shape  # (B, H, q, D)
    kv_len = key.shape[-2]  # key: (B, Hkv, kv, D)
    q_pos, k_pos, custom = _positions(state, module, q_len, kv_len, query.device)
    block = block_matrix(state.mask, batch, q_pos, k_pos, module.layer_idx)  # (B, 1, q, kv)
    rebuild = custom or attention_mask is None or attention_mask.shape[-1] != kv_len
    allowed = _causal(module, q_pos, k_pos) if rebuild else None
    if allowed is not None and attention_mask is not None and not custom:
        allowed = allowed & (attention_mask if attention_mask.dtype == torch.bool
                             else attention_mask > torch.finfo(attention_mask.dtype).min / 2)
    merged = _merge(attention_mask, allowed, block, state.base == "eager", query.dtype)
    return fn(module, query, key, value, merged, **kwargs)


def _attention_modules(model: Any) -> list[Any]:
    """Modules whose forward calls the attention interface (they carry ``layer_idx``)."""
    mods = [m for m in model.modules() if hasattr(m, "layer_idx") and hasattr(m, "config")
            and any(hasattr(m, a) for a in ("q_proj", "query_key_value", "qkv_proj", "c_attn"))]
    if not mods:
        raise EngineError(f"{type(model).__name__}: no attention modules with a layer_idx found")
    return mods


def _capture_cache(state: _State) -> Any:
    """Forward pre-hook on the decoder body recording the cache each forward uses."""
    def hook(module: Any, args: tuple, kwargs: dict) -> None:
        cache = cache_in_call(kwargs)
        if cache is not None and not isinstance(cache, DynamicCache):
            raise EngineError(f"context masking needs a DynamicCache, got {type(cache).__name__}")
        state.cache = cache
    return hook


@contextlib.contextmanager
def mask_context(model: Any, mask: ContextMask) -> Iterator[None]:
    """Apply a :class:`ContextMask` to every forward of ``model`` inside the ``with`` block.

    Works with and without a KV cache (prefix prefill, then query, then generation: every new
    token at a position ``>= rows_from`` is restricted). The model is always restored in
    ``finally``.

    Raises:
        EngineError: the model's attention implementation is not sdpa/eager, a mask is
            already active, or the model has no attention modules with ``layer_idx``.
    """
    _register()
    config = model.config
    original = config._attn_implementation
    base = config.get_text_config()._attn_implementation
    if isinstance(base, str) and base.startswith(_KEY):
        raise EngineError("a context mask is already active on this model (no nesting)")
    if base not in _BASES:
        raise EngineError(f"context masking supports sdpa/eager attention, not {base!r}; "
                          "load the model with attn_implementation='sdpa'")
    state = _State(mask=mask, base=base)
    modules = _attention_modules(model)
    handle = model.get_decoder().register_forward_pre_hook(_capture_cache(state),
                                                           with_kwargs=True)
    try:
        for m in modules:
            setattr(m, _ATTR, state)
        config._attn_implementation = _KEY + base
        yield
    finally:
        config._attn_implementation = original
        handle.remove()
        for m in modules:
            if hasattr(m, _ATTR):
                delattr(m, _ATTR)
