"""What differs between the transformers releases iclab supports, in one place.

transformers 5.24 renamed the KV-cache argument of every model forward from
``past_key_values`` to ``cache`` (the old name warns and is removed in 5.40). iclab passes a
cache under whichever name the installed release's decoder takes, and reads it back from a
forward's keyword arguments under either name, so no iclab call relies on a deprecated alias.
"""

from __future__ import annotations

import inspect
from functools import lru_cache
from typing import Any

import transformers

from iclab.engine.types import EngineError

_NAMES = ("cache", "past_key_values")


@lru_cache(maxsize=None)
def _kwarg_for(forward: Any) -> str:
    """The cache argument a forward function takes ("cache" or "past_key_values")."""
    try:
        params = inspect.signature(forward).parameters
    except (TypeError, ValueError):  # a builtin or C forward: use the release's name
        params = {}
    for name in _NAMES:
        if name in params:
            return name
    if params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        raise EngineError(f"{forward.__qualname__} takes no KV-cache argument ({' or '.join(_NAMES)}); "
                          f"transformers {transformers.__version__} is not supported by iclab")
    return cache_kwarg_name()


@lru_cache(maxsize=1)
def cache_kwarg_name() -> str:
    """The KV-cache argument name of the installed transformers' decoders (Llama's, as probe)."""
    from transformers import LlamaModel

    params = inspect.signature(LlamaModel.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def cache_kwargs(module: Any, cache: Any) -> dict[str, Any]:
    """``{name: cache}`` for ``module``'s forward, under the name that forward takes."""
    return {_kwarg_for(type(module).forward): cache}


def cache_in_call(kwargs: dict[str, Any]) -> Any:
    """The cache a forward was called with (either name), or None."""
    for name in _NAMES:
        if kwargs.get(name) is not None:
            return kwargs[name]
    return None
