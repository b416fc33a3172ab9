"""Load causal LMs: bundled offline models, hub ids with revisions, local dirs, GGUF files.

``DEFAULT_MODEL``, ``BUNDLED`` and the spec parser import nothing heavy; the loader (which
imports torch) is imported on first use of ``load_model``/``load_tokenizer``/``LoadedModel``/
``ModelId``, so a CLI module can name the default model before torch loads.
"""

from iclab.models.bundled import BUNDLED, DEFAULT_MODEL, BundledModel
from iclab.models.spec import ModelSpec, parse_spec

_LOADER = ("LoadedModel", "ModelId", "load_model", "load_tokenizer")

__all__ = [
    "BUNDLED",
    "DEFAULT_MODEL",
    "BundledModel",
    "LoadedModel",
    "ModelId",
    "ModelSpec",
    "load_model",
    "load_tokenizer",
    "parse_spec",
]


def __getattr__(name: str):
    if name in _LOADER:
        from iclab.models import loader

        return getattr(loader, name)
    raise AttributeError(f"module 'iclab.models' has no attribute {name!r}")
