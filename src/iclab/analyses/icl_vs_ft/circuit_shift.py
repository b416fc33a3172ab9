"""Circuit shift: how much an adaptation method changes the computation at the answer position.

All activations are read at the last prompt token (whose output predicts the answer's first
token), through :meth:`iclab.engine.Engine.activations`. The reference is always the **base
model on the 0-shot prompt**; a method X gives its own run on the same query:

- ICL: the base model on the k-shot prompt (same query, k demonstrations before it);
- FT / LoRA: the fine-tuned model on the 0-shot prompt.

**Relative change** per layer l and head h (attention-head outputs: the input of the attention
output projection, one head's slice) and per layer (MLP outputs)::

    shift_X[l, h] = mean over queries of ‖a_X[l, h] − a_base[l, h]‖ / ‖a_base[l, h]‖

(a norm below 1e-8 counts as 1e-8). The summary number of a method is the mean over every
layer and head (and, separately, over every layer's MLP).

**Activation patching** (ICL only). For a query, let ``t_gold`` be the first token of the gold
answer (tokenized alone) and ``t_base`` the base model's 0-shot greedy prediction (argmax at the
answer position). The *logit difference* of a run is ``LD = logit[t_gold] − logit[t_base]``;
queries where ``t_gold == t_base`` (LD ≡ 0: the base model already starts the answer right)
are left out. For each (layer, head), the 0-shot run's head output at the answer position is
replaced by the ICL run's and the fraction of the logit difference recovered is::

    recovery[l, h] = Σ_q (LD_patched − LD_0shot) / Σ_q (LD_icl − LD_0shot)

(sums over the kept queries, so queries with a tiny ICL effect cannot blow it up). It is NaN
when no query is kept or ICL does not raise the logit difference (denominator ≤ 0).
Patching every head at once recovers exactly 1 (the residual stream at that position becomes
the ICL run's), so per-head recoveries show where the ICL effect enters through single heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch

from iclab.engine import Activations, Engine
from iclab.prompts.types import Prompt

EPS = 1e-8


def relative_change(x: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
    """Mean over the first dim of ``‖x − base‖ / ‖base‖`` over the last dim.

    Shapes: (N, L, H, D) -> (L, H) for heads, (N, L, d) -> (L,) for MLP outputs.
    """
    if x.shape != base.shape:
        raise ValueError(f"activation shapes differ: {tuple(x.shape)} vs {tuple(base.shape)}")
    diff = (x - base).norm(dim=-1)
    return (diff / base.norm(dim=-1).clamp_min(EPS)).mean(dim=0)


@dataclass(frozen=True)
class Shift:
    """Relative change of one method against the base model.

    Attributes:
        heads: (n_layers, n_heads) relative change of head outputs.
        mlp: (n_layers,) relative change of MLP outputs.
    """

    heads: torch.Tensor
    mlp: torch.Tensor

    @property
    def head_mean(self) -> float:
        """Mean relative change over every layer and head."""
        return float(self.heads.mean())

    @property
    def mlp_mean(self) -> float:
        """Mean relative change over every layer's MLP."""
        return float(self.mlp.mean())


def shift(x: Activations, base: Activations) -> Shift:
    """Relative change of ``x``'s activations against ``base``'s (same queries, same order)."""
    return Shift(relative_change(x.heads, base.heads), relative_change(x.mlp, base.mlp))


@dataclass(frozen=True)
class Patching:
    """Per-head activation-patching result (ICL into 0-shot).

    Attributes:
        recovery: (n_layers, n_heads) fraction of the logit difference recovered.
        delta: (n_layers, n_heads) Σ_q (LD_patched − LD_0shot), the recovery's numerator.
        n_queries: queries kept (``t_gold != t_base``).
        ld_zero: summed 0-shot logit difference over kept queries.
        ld_icl: summed ICL logit difference over kept queries.
    """

    recovery: torch.Tensor
    delta: torch.Tensor
    n_queries: int
    ld_zero: float
    ld_icl: float


@torch.no_grad()
def logit_targets(engine: Engine, zero: Activations, answers: Sequence[str]
                  ) -> list[tuple[int, int]]:
    """Per query ``(t_gold, t_base)``: the gold answer's first token and the base model's
    0-shot argmax at the answer position."""
    logits = engine.logits_at(zero.hidden)  # (N, V)
    preds = logits.argmax(dim=-1).tolist()
    return [(engine.encode_choice(a)[0], int(p))
            for a, p in zip(answers, preds)]


@torch.no_grad()
def patching_recovery(engine: Engine, zero_prompts: Sequence[Prompt], zero: Activations,
                      icl: Activations, answers: Sequence[str]) -> Patching:
    """Patch each head from the ICL run into the 0-shot run (base model); see the module
    docstring for the logit difference and the recovery."""
    n_layers, n_heads = zero.heads.shape[1:3]
    cells = [((l, h),) for l in range(n_layers) for h in range(n_heads)]
    num = torch.zeros(n_layers * n_heads)
    ld0_sum = ldi_sum = 0.0
    kept = 0
    for i, (t_gold, t_base) in enumerate(logit_targets(engine, zero, answers)):
        if t_gold == t_base:
            continue
        kept += 1
        rows = (t_gold, t_base)
        ld0 = _ld(engine.logits_at(zero.hidden[i], rows))
        ldi = _ld(engine.logits_at(icl.hidden[i], rows))
        patched = engine.patch_heads(zero_prompts[i], icl.heads[i], cells,
                                     token_ids=[t_gold, t_base])  # (L*H, 2)
        num += (patched[:, 0] - patched[:, 1]).cpu() - ld0
        ld0_sum, ldi_sum = ld0_sum + ld0, ldi_sum + ldi
    den = ldi_sum - ld0_sum
    if kept == 0 or den <= 0:
        recovery = torch.full((n_layers, n_heads), float("nan"))
    else:
        recovery = (num / den).view(n_layers, n_heads)
    return Patching(recovery, num.view(n_layers, n_heads), kept, ld0_sum, ldi_sum)


def _ld(pair: torch.Tensor) -> float:
    """Logit difference from the logits of (t_gold, t_base)."""
    return float(pair[0] - pair[1])


def circuit_rows(task: str, method: str, s: Shift) -> list[dict[str, Any]]:
    """Long-format rows (``method``, ``measure``, ``layer``, ``head``, ``value``) of a shift;
    MLP rows carry ``head = 0`` (one column per layer in a heatmap)."""
    rows = [{"task": task, "method": method, "measure": "head output change", "layer": l,
             "head": h, "value": float(s.heads[l, h])}
            for l in range(s.heads.shape[0]) for h in range(s.heads.shape[1])]
    rows += [{"task": task, "method": method, "measure": "MLP output change", "layer": l,
              "head": 0, "value": float(s.mlp[l])} for l in range(s.mlp.shape[0])]
    return rows


def patching_rows(task: str, p: Patching) -> list[dict[str, Any]]:
    """Long-format rows of a patching result (method ``ICL``, measure ``patching recovery``)."""
    return [{"task": task, "method": "ICL", "measure": "patching recovery", "layer": l,
             "head": h, "value": float(p.recovery[l, h])}
            for l in range(p.recovery.shape[0]) for h in range(p.recovery.shape[1])]


__all__ = [
    "Patching",
    "Shift",
    "circuit_rows",
    "logit_targets",
    "patching_recovery",
    "patching_rows",
    "relative_change",
    "shift",
]
