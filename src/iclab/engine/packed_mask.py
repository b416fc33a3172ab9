"""Context masks on packed rows: each row masked from its own layer, on the packed fast path.

:mod:`iclab.engine.masking` applies a :class:`~iclab.engine.masking.ContextMask` to padded
batches through the model's own attention. Decoding the points of a layer sweep instead runs
them as packed rows (:mod:`iclab.engine.packed`): every point shares the unmasked prefix's keys
(never copied per row), and each row's own keys are its point's. :class:`PackedBlocks` holds
one :class:`~iclab.engine.masking.RowMask` per row (with the row's first masked layer) as
tensors, and :meth:`PackedBlocks.visible` removes the blocked keys from the packed attention's
(queries, keys) visibility with the same rules as :func:`iclab.engine.masking.block_matrix`:
positions ``>= rows_from`` of a row masked from a layer ``<=`` this one lose the keys in its
blocked ranges (the first ``sink`` positions excepted); a position keeps its own key
(``self_visible="always"``), or keeps it only when it would otherwise see nothing
(``"when-empty"``; for a decoding step, "nothing" among the keys the layer holds, as the
padded path decides it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from iclab.engine.masking import RowMask, SelfVisible
from iclab.engine.types import EngineError


@dataclass(frozen=True)
class PackedBlocks:
    """The context masks of packed rows.

    Attributes:
        starts: (R, m) first blocked position of each row's ranges (the sink applied; empty
            ranges pad rows with fewer ranges).
        ends: (R, m) end (exclusive) of each range.
        from_layer: (R,) first masked layer of each row.
        rows_from: (R,) first restricted position of each row.
        self_visible: ``always`` or ``when-empty``.
        rows: (A,) which of the R rows each row of the current layout is (layout order).
    """

    starts: torch.Tensor
    ends: torch.Tensor
    from_layer: torch.Tensor
    rows_from: torch.Tensor
    self_visible: SelfVisible
    rows: torch.Tensor

    @classmethod
    def build(cls, rows: Sequence[RowMask], sink: int, self_visible: SelfVisible,
              device: torch.device) -> "PackedBlocks":
        """Tensors of ``rows`` (each with its own ``from_layer``), all rows active."""
        if any(r.from_layer is None for r in rows):
            raise EngineError("packed rows need each RowMask's own from_layer")
        m = max(1, max(len(r.blocked) for r in rows))
        starts = [[max(s, sink) for s, _ in r.blocked] + [0] * (m - len(r.blocked)) for r in rows]
        ends = [[e for _, e in r.blocked] + [0] * (m - len(r.blocked)) for r in rows]

        def t(x: Any) -> torch.Tensor:
            return torch.tensor(x, dtype=torch.long, device=device)

        return cls(t(starts), t(ends), t([r.from_layer for r in rows]),
                   t([r.rows_from for r in rows]), self_visible, t(list(range(len(rows)))))

    def select(self, rows: Sequence[int]) -> "PackedBlocks":
        """The same masks for a layout whose row ``i`` is row ``rows[i]``."""
        return PackedBlocks(self.starts, self.ends, self.from_layer, self.rows_from,
                            self.self_visible,
                            torch.tensor(list(rows), dtype=torch.long, device=self.starts.device))

    def visible(self, seg: Any, layer: int, pk: int, allowed: torch.Tensor) -> torch.Tensor:
        """``allowed`` (N, pk + n_keys) bool, without the keys the mask blocks at ``layer``.

        ``seg`` is the forward's :class:`iclab.engine.packed.Segments`; the first ``pk`` keys
        are the prefix's last ``pk`` positions, the others the rows' own keys.
        """
        key = ("blocks", layer, pk)
        cached = seg._row_masks.get(key)
        if cached is not None:
            return cached
        q_row, q_pos, k_pos, blocked = self._base(seg, pk)
        on = (self.from_layer[q_row] <= layer) & (q_pos >= self.rows_from[q_row])  # (N,)
        out = on[:, None] & blocked  # (N, K)
        not_self = k_pos[None, :] != q_pos[:, None]
        if self.self_visible == "always":
            out &= not_self
        else:
            empty = ~(allowed & ~out).any(-1, keepdim=True)  # (N, 1): nothing visible left
            out &= not_self | ~empty
        seg._row_masks[key] = result = allowed & ~out
        return result

    def _base(self, seg: Any, pk: int
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per query its row (N,) and position (N,); key positions (K,); blocked (N, K)."""
        key = ("blocks-base", pk)
        if key not in seg._row_masks:
            device = seg.positions.device
            tq = seg.q_index.shape[1]
            q_row = self.rows[torch.div(seg.flat, tq, rounding_mode="floor")]  # (N,)
            own = torch.zeros(seg.n_keys, dtype=torch.long, device=device)
            slots = torch.arange(seg.k_index.shape[1], device=device).expand_as(seg.k_index)
            own[seg.k_index[seg.k_valid]] = seg.prefix + slots[seg.k_valid]
            k_pos = torch.cat([torch.arange(seg.prefix - pk, seg.prefix, device=device), own])
            inside = ((k_pos[None, None, :] >= self.starts[q_row][:, :, None])
                      & (k_pos[None, None, :] < self.ends[q_row][:, :, None]))  # (N, m, K)
            seg._row_masks[key] = (q_row, seg.positions, k_pos, inside.any(1))
        return seg._row_masks[key]
