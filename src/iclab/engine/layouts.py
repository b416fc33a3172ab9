"""The one table of architecture layouts: where the decoder layers, the attention output
projection and the MLP sit in each model family iclab knows. Activations, patching, layer
skipping and per-layer LoRA all read it; add an architecture here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iclab.engine.types import EngineError


@dataclass(frozen=True)
class Layout:
    """Module paths of one architecture, relative to the decoder body.

    Attributes:
        layers: the list of decoder layers.
        attn_out: the attention output projection inside a layer (its input = head outputs).
        mlp: the MLP inside a layer.
    """

    layers: str
    attn_out: str
    mlp: str


_LLAMA = Layout("layers", "self_attn.o_proj", "mlp")
LAYOUTS: dict[str, Layout] = {
    "llama": _LLAMA, "mistral": _LLAMA, "qwen2": _LLAMA, "gemma2": _LLAMA,
    "gemma3": _LLAMA, "gemma3_text": _LLAMA,
    "gpt_neox": Layout("layers", "attention.dense", "mlp"),
}
"""model_type -> module paths (add an architecture here)."""

ATTENTION_OUTPUTS: tuple[str, ...] = tuple(dict.fromkeys(l.attn_out for l in LAYOUTS.values()))
"""Every known attention output projection path (inside a decoder layer), in table order."""

LAYER_LISTS: tuple[str, ...] = tuple(dict.fromkeys(
    [l.layers for l in LAYOUTS.values()] + ["h", "blocks"]))
"""Names the decoder body may keep its layer list under (the table's, then GPT-2/MPT style)."""


def attention_output(model: Any, module: str | None = None) -> str:
    """The attention output projection's path under ``layers.{L}`` for ``model``: ``module``
    when it exists, else the first of :data:`ATTENTION_OUTPUTS` that does.

    Raises:
        EngineError: no candidate exists under layer 0 (the message lists what does).
    """
    names = [n for n, _ in model.named_modules()]
    candidates = (module,) if module else ATTENTION_OUTPUTS
    for cand in candidates:
        if any(n.endswith(f"layers.0.{cand}") for n in names):
            return cand
    sample = [n for n in names if ".layers.0." in n][:8]
    raise EngineError(f"no attention output projection {list(candidates)} under layers.0 of "
                      f"{type(model).__name__}; its layer-0 modules include {sample}")
