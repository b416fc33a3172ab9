"""Skip decoder layers whose output is already known, and read every layer's input.

Two small tools shared by the layer sweep and the truncated-context run, both working on the
HF modules themselves (no re-implemented forward):

- :func:`capture_layer_inputs` records the hidden states entering each decoder layer;
- :func:`skip_layers` temporarily swaps chosen decoder layers for a module that returns a given
  tensor without computing anything (and without touching the KV cache), so a forward runs only
  the remaining layers. Layer indices, layer types (Gemma's sliding/full pattern) and cache
  slots are unchanged because the list keeps its length.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterable, Iterator

import torch
from torch import nn

from iclab.engine.layouts import LAYER_LISTS
from iclab.engine.types import EngineError


def decoder_layers(model: Any) -> nn.ModuleList:
    """The decoder body's list of transformer blocks (``layers``, ``h`` or ``blocks``)."""
    body = model.get_decoder()
    n = model.config.get_text_config().num_hidden_layers
    for name in LAYER_LISTS:
        layers = getattr(body, name, None)
        if isinstance(layers, nn.ModuleList) and len(layers) == n:
            return layers
    raise EngineError(f"{type(body).__name__}: cannot find its {n} decoder layers")


class _Skip(nn.Module):
    """Stands in for a decoder layer: returns ``output`` (computes nothing)."""

    def __init__(self, output: Any) -> None:
        super().__init__()
        self.output = output

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.output


@contextlib.contextmanager
def skip_layers(model: Any, layers: Iterable[int], output: torch.Tensor) -> Iterator[None]:
    """Replace decoder ``layers`` by a no-op returning ``output`` (B, T, H); restore in finally.

    Skipping a prefix ``0..L-1`` with ``output`` = the input of layer L runs only layers ``>= L``;
    skipping a suffix makes the final norm see garbage, which callers must ignore.
    """
    blocks = decoder_layers(model)
    originals = {i: blocks[i] for i in sorted(set(layers))}
    if any(not 0 <= i < len(blocks) for i in originals):
        raise EngineError(f"layer index out of range 0..{len(blocks) - 1}: {sorted(originals)}")
    try:
        for i in originals:
            blocks[i] = _Skip(output)
        yield
    finally:
        for i, block in originals.items():
            blocks[i] = block


@contextlib.contextmanager
def capture_layer_inputs(model: Any, store: dict[int, torch.Tensor]) -> Iterator[None]:
    """Record ``store[l]`` = hidden states (B, T, H) entering decoder layer ``l`` on each forward."""
    handles = []

    def hook_for(idx: int) -> Any:
        def hook(module: Any, args: tuple, kwargs: dict) -> None:
            hidden = args[0] if args else kwargs.get("hidden_states")
            if not isinstance(hidden, torch.Tensor):
                raise EngineError(f"decoder layer {idx} got no hidden_states tensor")
            store[idx] = hidden
        return hook

    try:
        for i, block in enumerate(decoder_layers(model)):
            handles.append(block.register_forward_pre_hook(hook_for(i), with_kwargs=True))
        yield
    finally:
        for h in handles:
            h.remove()
