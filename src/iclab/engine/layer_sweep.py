"""A layer sweep (mask from L = 0..n_layers) that computes shared work once.

Masking from layer L changes nothing below L, and never changes a row that sees no blocked key
(see :func:`recompute_start`). So one unmasked pass provides, once per sweep:

- the KV cache of the unaffected prefix ``[0, R)`` at every layer (reused by every point),
- the hidden states entering every layer for the affected rows ``[R, T)``,
- the full unmasked KV cache (layers below L of point L are exactly these).

Point L then runs only layers ``>= L`` and only rows ``>= R``, starting from the stored input
of layer L (:func:`iclab.engine.layer_skip.skip_layers`), with the mask active. The result
equals an independent masked run (tested), and its cache covers every layer, ready for masked
generation under ``mask_context(model, point.mask)``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence

import torch
from transformers import DynamicCache

from iclab.engine.compat import cache_kwargs
from iclab.engine.layer_skip import capture_layer_inputs, skip_layers
from iclab.engine.masking import ContextMask, RowMask, mask_context
from iclab.engine.types import EngineError


def fork_cache(cache: Any) -> Any:
    """A copy of a dynamic cache that can be extended without changing the original.

    Layer objects are copied shallowly: updates concatenate into new tensors, so the original's
    tensors are never written to; per-layer counters (sliding-window ``cumulative_length``)
    advance independently.
    """
    out = copy.copy(cache)
    out.layers = [copy.copy(layer) for layer in cache.layers]
    return out


def recompute_start(rows: Sequence[RowMask], sink: int, length: int) -> int:
    """First position a mask can change, ``R``, in ``[1, length - 1]``.

    Row r changes only if ``r >= rows_from`` and some blocked key ``k`` with ``sink <= k < r``
    exists (its own key stays visible), so rows before ``max(rows_from, first blocked + 1)``
    are exact copies of the unmasked run at every layer.
    """
    starts = []
    for rm in rows:
        firsts = [max(s, sink) for s, e in rm.blocked if max(s, sink) < e]
        starts.append(max(rm.rows_from, min(firsts) + 1) if firsts else length)
    return max(1, min(min(starts), length - 1))


@dataclass
class SweepBase:
    """The shared, unmasked part of a sweep.

    Attributes:
        input_ids: (B, T) the sequences.
        mask: the mask (its ``from_layer`` is replaced per point).
        start: R, the first recomputed row.
        prefix_cache: KV of ``[0, R)`` at every layer.
        full_cache: unmasked KV of ``[0, T)`` at every layer.
        layer_inputs: per layer l, hidden states (B, T - R, H) entering layer l for rows R..T-1.
        hidden: (B, T - R, H) unmasked last hidden states (after the final norm).
    """

    input_ids: torch.Tensor
    mask: ContextMask
    start: int
    prefix_cache: Any
    full_cache: Any
    layer_inputs: dict[int, torch.Tensor]
    hidden: torch.Tensor


@dataclass
class SweepPoint:
    """One point of a sweep: masking from ``from_layer``.

    Attributes:
        from_layer: first masked layer (``n_layers``: unmasked baseline).
        start: R; ``hidden[:, i]`` is position ``start + i``.
        hidden: (B, T - R, H) last hidden states (after the final norm).
        cache: KV of all T tokens at every layer, for generation under ``mask_context``.
        mask: the mask of this point.
    """

    from_layer: int
    start: int
    hidden: torch.Tensor
    cache: Any
    mask: ContextMask


def _body(model: Any, ids: torch.Tensor, cache: Any) -> torch.Tensor:
    """Run the decoder body, extending ``cache``; return the last hidden states (B, t, H)."""
    body = model.get_decoder()
    out = body(input_ids=ids, use_cache=True, **cache_kwargs(body, cache))
    return out.last_hidden_state


def sweep_base(model: Any, input_ids: torch.Tensor, mask: ContextMask,
               lengths: Sequence[int] | None = None) -> SweepBase:
    """Run the unmasked model once and keep what every sweep point shares.

    ``lengths``: each row's real length when ``input_ids`` is right-padded (rows of
    different lengths); R then stays before every row's last real token.
    """
    if input_ids.ndim != 2 or input_ids.shape[1] < 2:
        raise EngineError("a sweep needs input_ids of shape (B, T) with T >= 2")
    shortest = input_ids.shape[1] if lengths is None else min(lengths)
    if shortest < 2 or shortest > input_ids.shape[1]:
        raise EngineError(f"sweep rows need 2..{input_ids.shape[1]} real tokens each")
    start = recompute_start(mask.rows, mask.sink, shortest)
    store: dict[int, torch.Tensor] = {}
    with torch.inference_mode():
        prefix = DynamicCache(config=model.config)
        _body(model, input_ids[:, :start], prefix)
        full = fork_cache(prefix)
        with capture_layer_inputs(model, store):
            hidden = _body(model, input_ids[:, start:], full)
    return SweepBase(input_ids, mask, start, prefix, full, dict(store), hidden)


def run_point(model: Any, base: SweepBase, from_layer: int) -> SweepPoint:
    """Masked run from ``from_layer``, computing only layers >= from_layer on rows >= R."""
    n = len(base.layer_inputs)
    if not 0 <= from_layer <= n:
        raise EngineError(f"from_layer must be in 0..{n}, got {from_layer}")
    mask = base.mask.at(from_layer)
    if from_layer == n:
        return SweepPoint(n, base.start, base.hidden, fork_cache(base.full_cache), mask)
    cache = fork_cache(base.prefix_cache)
    below = range(from_layer)
    with torch.inference_mode(), mask_context(model, mask), \
            skip_layers(model, below, base.layer_inputs[from_layer]):
        hidden = _body(model, base.input_ids[:, base.start:], cache)
    for i in below:  # layers below L are unmasked: take the full run's KV
        cache.layers[i] = copy.copy(base.full_cache.layers[i])
    return SweepPoint(from_layer, base.start, hidden, cache, mask)


def layer_sweep(model: Any, input_ids: torch.Tensor, mask: ContextMask,
                layers: Sequence[int] | None = None,
                lengths: Sequence[int] | None = None) -> Iterator[SweepPoint]:
    """Yield a :class:`SweepPoint` for each ``from_layer`` in ``layers`` (default 0..n_layers).

    ``mask.from_layer`` is ignored; its rows (one per batch row, or one for all) and sink
    define the mask of every point. Many prompts sweep in one batch as right-padded rows
    (:func:`pad_rows`, with their real ``lengths``): a real token never attends to a later
    position, so padding after a row's end changes none of its real positions, and every
    point runs all the prompts' rows in one forward.
    """
    base = sweep_base(model, input_ids, mask, lengths)
    n = len(base.layer_inputs)
    for layer in (range(n + 1) if layers is None else layers):
        yield run_point(model, base, layer)


def pad_rows(seqs: Sequence[Sequence[int]], device: torch.device | str = "cpu",
             pad: int = 0) -> torch.Tensor:
    """Right-pad token sequences into a (B, T) tensor (T: the longest)."""
    width = max(len(x) for x in seqs)
    return torch.tensor([list(x) + [pad] * (width - len(x)) for x in seqs], device=device)


def sweep_batches(lengths: Sequence[int], max_rows: int, max_tokens: int) -> list[list[int]]:
    """Indices of rows, sorted by length, cut into batches of at most ``max_rows`` rows and
    ``max_tokens`` padded tokens (rows x longest; a longer row still gets a batch)."""
    out: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if out and len(out[-1]) < max_rows and (len(out[-1]) + 1) * lengths[i] <= max_tokens:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def rank_sweep(adapter: Any, sequences: Sequence[Sequence[int]],
               candidates: Sequence[Sequence[int]], mask: ContextMask, max_rows: int,
               max_tokens: int, progress: Callable[[int], None] | None = None
               ) -> dict[int, list[int]]:
    """Per first masked layer L (0..n_layers), per sequence: the index of the candidate token
    with the highest logit at the sequence's last position, with ``mask`` active from L.

    ``mask.rows`` holds one row mask per sequence; its sink and ``self_visible`` apply to
    every point. Sequences sweep many at a time as right-padded rows (:func:`sweep_batches`:
    at most ``max_rows`` rows and ``max_tokens`` padded tokens), each point one forward of the
    batch; only the candidate rows of the output head are projected.
    """
    model = adapter.model
    device = adapter.weight.device
    out: dict[int, list[int]] = {}
    for batch in sweep_batches([len(s) for s in sequences], max_rows, max_tokens):
        ids = pad_rows([sequences[i] for i in batch], device)  # (B, T)
        lengths = [len(sequences[i]) for i in batch]
        cmask = ContextMask(0, tuple(mask.rows[i] for i in batch), mask.sink, mask.self_visible)
        union = sorted({t for i in batch for t in candidates[i]})
        col = {t: j for j, t in enumerate(union)}
        with torch.inference_mode():
            for point in layer_sweep(model, ids, cmask, lengths=lengths):
                rows = torch.arange(len(batch), device=point.hidden.device)
                at = torch.tensor([n - 1 - point.start for n in lengths], device=rows.device)
                logits = adapter.logits(point.hidden[rows, at],
                                        rows=torch.tensor(union, device=rows.device))  # (B, U)
                got = out.setdefault(point.from_layer, [0] * len(sequences))
                for b, i in enumerate(batch):
                    own = logits[b, [col[t] for t in candidates[i]]]  # (C,)
                    got[i] = int(own.argmax())
        if progress is not None:
            progress(len(batch))
    return out
