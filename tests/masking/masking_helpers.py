"""Helpers for the masking tests: tiny models of three architectures, fixed token ids."""

from __future__ import annotations

from functools import lru_cache

import torch

from iclab.models.tiny import TINY_ARCHS, tiny_model

T = 24  # sequence length: long enough to exceed the tiny Gemma3 sliding window (8)
Q_START = 16  # the query starts here; [0, Q_START) is the context (token 0 is BOS-like)


@lru_cache(maxsize=None)
def model_for(arch: str):
    """A tiny model per architecture (shared, eval mode)."""
    return tiny_model(arch)


def ids(seed: int = 0, length: int = T) -> torch.Tensor:
    """Deterministic token ids (1, length); token 0 is BOS (id 1)."""
    g = torch.Generator().manual_seed(seed)
    out = torch.randint(3, 500, (1, length), generator=g)
    out[0, 0] = 1
    return out
