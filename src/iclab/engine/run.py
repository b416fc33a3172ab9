"""Execute planned rows: group by shared prefix, prefill once, run padded batches, read log-probs.

Rows are right-padded: a real token never attends to a later position, so padding after the
end of a row changes nothing for the real tokens, no attention mask is needed, and positions
stay ``0..T-1`` (exact for sliding-window layers too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch

from iclab.engine.adapter import HeadAdapter
from iclab.engine.kv import Prefix, batch_cache, common_prefix_len, prefill
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
        vocab_rows: most full-vocabulary logit rows computed at once.
    """

    rows: int = 64
    tokens: int = 1024
    cache_tokens: int = 16384
    vocab_rows: int = 64


def group_by_prefix(seqs: Sequence[Sequence[int]]) -> list[list[int]]:
    """Group sequence indices so that each group shares a long common prefix.

    Sequences are sorted; the next one joins the current group when shrinking the group's
    common prefix costs fewer recomputed tokens than it saves
    (``group size x lost prefix <= new prefix``).
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
    return groups


def prefix_for(rows: Sequence[Row]) -> int:
    """Shared prefix length of rows, leaving every row's first read position outside it."""
    first_read = min(r.reads[0].pos for r in rows if r.reads)
    return min(common_prefix_len([r.ids for r in rows]), first_read)


def batches(rows: Sequence[Row], p: int, limits: BatchLimits) -> Iterator[list[Row]]:
    """Split rows (sorted by length) into batches within ``limits``."""
    ordered = sorted(rows, key=lambda r: len(r.ids))
    batch: list[Row] = []
    for row in ordered:
        t = len(row.ids) - p
        n = len(batch) + 1
        if batch and (n > limits.rows or n * t > limits.tokens
                      or n * (p + t) > limits.cache_tokens):
            yield batch
            batch = []
        batch.append(row)
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
    found: list[tuple[Row, Read]] = []
    states: list[torch.Tensor] = []
    for group in group_by_prefix([r.ids for r in rows]):
        grows = [rows[i] for i in group]
        p = prefix_for(grows)
        prefix = prefill(adapter, grows[0].ids[:p], device)
        for batch in batches(grows, p, limits):
            hidden = _forward(adapter, prefix, batch, device)
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
