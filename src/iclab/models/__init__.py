"""Load causal LMs: bundled offline models, hub ids with revisions, local dirs, GGUF files."""

from iclab.models.bundled import BUNDLED, DEFAULT_MODEL, BundledModel
from iclab.models.loader import LoadedModel, ModelId, load_model, load_tokenizer
from iclab.models.spec import ModelSpec, parse_spec

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
