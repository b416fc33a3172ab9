"""Execute planned rows: group by shared prefix, prefill once, run batches, read log-probs.

Batches run *packed* when the model allows it (:mod:`iclab.engine.packed`: the rows' new tokens
as one sequence, no padding, the prefix's keys shared) and right-padded otherwise: a real token
never attends to a later position, so padding after the end of a row changes nothing for the
real tokens, no attention mask is needed, and positions stay ``0..T-1`` (exact for
sliding-window layers too). :func:`packing_works` decides once per model by comparing the two;
rows longer than ``BatchLimits.pack_row_tokens`` run padded anyway (the fused attention kernel
wins on long rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch

from iclab.engine.adapter import HeadAdapter
from iclab.engine.kv import Prefix, batch_cache, common_prefix_len, prefill
from iclab.engine.packed import can_pack, packed_attention, segments
from iclab.engine.plan import Read, Row


@dataclass(frozen=True)
class BatchLimits:
    """How large a batch may get.

    Attributes:
        rows: most rows per forward.
        tokens: most new (non-prefix) tokens per forward, padding included (rows are sorted
            by length first, so a small budget also keeps padding low; ~1k rows of hidden
            states already run the matmuls near peak on a CPU).
        cache_tokens: most cached tokens per forward (rows x (prefix + row length)); the
            prefix's keys/values are copied once per row (gemma-3-270m fp32: 37 KB a token,
            so the default is ~0.6 GB; a 7B fp16 model with 32 KV heads needs ~0.5 MB a token).
            Packed generation shares the prefix, so there it bounds a decoding batch's own
            (non-prefix) prompt tokens; their prefill still runs ``tokens`` at a time.
        vocab_rows: most rows projected onto the full vocabulary at once (the vocabulary is
            sliced, so memory is rows x 32k logits).
        pack: run rows packed (no padding) where the model supports it; False forces padding.
        pack_row_tokens: rows with more new (non-prefix) tokens than this run padded even
            when packing works: packed attention masks each row's own tokens explicitly,
            while the padded path's fused attention kernel skips the masked half, which wins
            on long rows (measured on gemma-3-270m, CPU: 16 prompts of 87-211 tokens 2.77 s
            padded vs 3.03 s packed; 38-115 tokens 1.60 s packed vs 1.82 s padded; 16 rows of
            150-250 tokens after a shared 1000-token prefix 6.0-6.6 s padded vs 6.6-7.2 s).
    """

    rows: int = 64
    tokens: int = 1024
    cache_tokens: int = 16384
    vocab_rows: int = 256
    pack: bool = True
    pack_row_tokens: int = 128


def group_by_prefix(seqs: Sequence[Sequence[int]]) -> list[list[int]]:
    """Group sequence indices so that each group shares a long common prefix.

    Sequences are sorted; the next one joins the current group when shrinking the group's
    common prefix costs fewer recomputed tokens than it saves
    (``group size x lost prefix <= new prefix``). Sequences left alone (nothing worth sharing,
    e.g. prompts with their own demonstrations each) form one last group, so they still run
    in batches (their common prefix, often just BOS, is short) instead of one forward each.
    """
    order = sorted(range(len(seqs)), key=lambda i: tuple(seqs[i]))
    groups: list[list[int]] = []
    lcp = 0
    for i in order:
        if groups:
            head = seqs[groups[-1][0]]
            new = common_prefix_len([head, seqs[i]])
            if len(groups[-1]) * (lcp - new) <= new:
                groups[-1].append(i)
                lcp = min(lcp, new)
                continue
        groups.append([i])
        lcp = len(seqs[i]) - 1
    loose = [g[0] for g in groups if len(g) == 1]
    return [g for g in groups if len(g) > 1] + ([loose] if loose else [])


def prefix_for(rows: Sequence[Row]) -> int:
    """Shared prefix length of rows, leaving every row's first read position outside it."""
    first_read = min(r.reads[0].pos for r in rows if r.reads)
    return min(common_prefix_len([r.ids for r in rows]), first_read)


def batches(rows: Sequence[Row], p: int, limits: BatchLimits,
            packed: bool = False) -> Iterator[list[Row]]:
    """Split rows (sorted by length) into batches within ``limits``.

    Padded batches count ``rows x longest row`` tokens and copy the prefix per row; packed
    batches count only real tokens and share the prefix (its attention scores, ``tokens x
    prefix`` per head, are bounded by ``cache_tokens x 64``).
    """
    ordered = sorted(rows, key=lambda r: len(r.ids))
    budget = limits.tokens
    if packed and ordered:  # near-equal shares: 1369 tokens as 2 x ~685, not 1024 + 345
        lengths = [len(r.ids) - p for r in ordered]
        share = -(-sum(lengths) // -(-sum(lengths) // limits.tokens))
        budget = min(limits.tokens, share + max(lengths) - 1)
    batch: list[Row] = []
    real = 0
    for row in ordered:
        t = len(row.ids) - p
        n = len(batch) + 1
        if packed:
            over = real + t > budget or (real + t) * p > 64 * limits.cache_tokens
        else:
            over = n * t > limits.tokens or n * (p + t) > limits.cache_tokens
        if batch and (n > limits.rows or over):
            yield batch
            batch, real = [], 0
        batch.append(row)
        real += t
    if batch:
        yield batch


def run_rows(adapter: HeadAdapter, rows: Sequence[Row], limits: BatchLimits,
             progress: Callable[[int], None] | None = None
             ) -> tuple[list[tuple[Row, Read]], torch.Tensor]:
    """Run every row through the model and collect the hidden state at every read.

    Rows sharing a prefix reuse one prefilled cache. ``progress(n)`` is called after each
    batch with its number of rows.

    Returns:
        The (row, read) pairs and their final hidden states, shape (N, H), in the same order.
    """
    device = adapter.weight.device
    pack = limits.pack and packing_works(adapter)
    found: list[tuple[Row, Read]] = []
    states: list[torch.Tensor] = []
    for group in group_by_prefix([r.ids for r in rows]):
        grows = [rows[i] for i in group]
        p = prefix_for(grows)
        prefix = prefill(adapter, grows[0].ids[:p], device)
        fits = [pack and len(r.ids) - p <= limits.pack_row_tokens for r in grows]
        planned = [(b, True) for b in batches([r for r, f in zip(grows, fits) if f], p, limits,
                                              True)]
        planned += [(b, False) for b in batches([r for r, f in zip(grows, fits) if not f], p,
                                                limits, False)]
        for batch, packed in planned:
            forward = _packed_forward if packed else _forward
            hidden = forward(adapter, prefix, batch, device)  # (B, T, H)
            bidx, pidx = [], []
            for b, row in enumerate(batch):
                for read in row.reads:
                    found.append((row, read))
                    bidx.append(b)
                    pidx.append(read.pos - p)
            states.append(hidden[bidx, pidx])
            if progress is not None:
                progress(len(batch))
    if not states:
        return found, torch.empty((0, adapter.weight.shape[1]), device=device)
    return found, torch.cat(states)


def _forward(adapter: HeadAdapter, prefix: Prefix, batch: Sequence[Row],
             device: torch.device) -> torch.Tensor:
    """Hidden states (B, T, H) of a right-padded batch after the shared prefix."""
    p = len(prefix)
    width = max(len(r.ids) for r in batch) - p
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    for b, row in enumerate(batch):
        ids[b, : len(row.ids) - p] = torch.tensor(row.ids[p:])
    cache = batch_cache(prefix, len(batch), adapter) if p else None
    return adapter.hidden(ids.to(device), cache)


def _packed_forward(adapter: HeadAdapter, prefix: Prefix, batch: Sequence[Row],
                    device: torch.device) -> torch.Tensor:
    """Hidden states of a batch run as packed rows, returned in the padded (B, T, H) layout."""
    p = len(prefix)
    ids = torch.tensor([t for row in batch for t in row.ids[p:]], device=device)[None]
    seg = segments([len(r.ids) - p for r in batch], p, device)
    cache = batch_cache(prefix, 1, adapter)
    with packed_attention(adapter.model, seg):
        hidden = adapter.hidden(ids, cache, position_ids=seg.positions[None])  # (1, N, H)
    return hidden[0][seg.q_index]


def packing_works(adapter: HeadAdapter, atol: float = 1e-4) -> bool:
    """Whether packed rows can run now: the model's attention is plain sdpa/eager (no context
    mask active) and packed rows reproduce padded rows for it (probed once, remembered).

    The probe: a 5-token prefix and rows of 3, 1 and 4 new tokens, in the model's dtype;
    next-token log-probs must agree within ``atol`` (fp32) or 0.05 (half precision).
    """
    if not can_pack(adapter.model):  # e.g. a context mask is active right now
        return False
    if adapter.packs is None:
        adapter.packs = _probe(adapter, atol)
    return adapter.packs


def _probe(adapter: HeadAdapter, atol: float) -> bool:
    """Compare packed and padded next-token log-probs on a small probe."""
    v = adapter.vocab_size
    rows = [Row(0, tuple(x % v for x in (1, 5, 7, 11, 13) + tail), [])
            for tail in ((17, 19, 23), (29,), (31, 37, 41, 43))]
    device = adapter.weight.device
    try:
        with torch.inference_mode():
            prefix = prefill(adapter, rows[0].ids[:5], device)
            ref = _forward(adapter, prefix, rows, device)
            got = _packed_forward(adapter, prefix, rows, device)
            valid = segments([3, 1, 4], 5, device).q_valid
            ref, got = (torch.log_softmax(adapter.logits(x[valid]).float(), -1)
                        for x in (ref, got))
    except Exception:  # noqa: BLE001 - an architecture packing cannot run falls back to padding
        return False
    err = (ref - got).abs().max().item()
    return err <= (atol if adapter.weight.dtype == torch.float32 else 0.05)
