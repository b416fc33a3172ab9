"""Load a causal LM and its tokenizer from any accepted model specification."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from iclab.errors import ModelSpecError
from iclab.models.bundled import DEFAULT_MODEL, gguf_path
from iclab.models.gguf_cache import ensure_dequantized
from iclab.models.spec import ModelSpec, parse_spec
from iclab.versions import require_supported

_DTYPES = {"float32": torch.float32, "fp32": torch.float32, "bfloat16": torch.bfloat16,
           "bf16": torch.bfloat16, "float16": torch.float16, "fp16": torch.float16}


@dataclass(frozen=True)
class ModelId:
    """A stable identity of a loaded model, used as a cache key by later stages."""

    name: str
    revision: str | None
    dtype: str

    @property
    def key(self) -> str:
        """``name@revision:dtype`` (``@revision`` omitted when there is none)."""
        rev = f"@{self.revision}" if self.revision else ""
        return f"{self.name}{rev}:{self.dtype}"


@dataclass
class LoadedModel:
    """A model ready to run: the HF model (eval mode), its tokenizer and where it lives."""

    model: Any
    tokenizer: Any
    id: ModelId
    n_layers: int
    device: torch.device
    source: str

    @property
    def dtype(self) -> torch.dtype:
        """The parameter dtype."""
        return next(self.model.parameters()).dtype

    @property
    def max_length(self) -> int | None:
        """The context window in tokens, when the config states one."""
        cfg = self.model.config.get_text_config()
        return getattr(cfg, "max_position_embeddings", None)


def resolve_device(device: str | torch.device | None) -> torch.device:
    """Return ``device``, defaulting to CUDA when available and CPU otherwise."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ModelSpecError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelSpecError(f"device {device!r} requested but CUDA is not available here")
    return dev


def resolve_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """Return ``dtype``; by default bf16 on GPU and fp32 on CPU (bf16 matmul is slow on CPU)."""
    if dtype is None:
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in _DTYPES:
        raise ModelSpecError(f"unknown dtype {dtype!r}; choose from {sorted(_DTYPES)}")
    return _DTYPES[dtype]


def model_source(spec: ModelSpec) -> tuple[str, str | None, str]:
    """Return (directory or hub id to load from, revision, display name) for a spec."""
    if spec.kind == "bundled":
        return str(ensure_dequantized(gguf_path(spec.name))), None, spec.name
    if spec.kind == "gguf":
        return str(ensure_dequantized(Path(spec.name))), None, Path(spec.name).name
    return spec.name, spec.revision, spec.name


def load_tokenizer(spec: str = DEFAULT_MODEL):
    """Load only the tokenizer of a model specification (see :func:`load_model`)."""
    from transformers import AutoTokenizer

    source, revision, _ = model_source(parse_spec(spec))
    try:
        return AutoTokenizer.from_pretrained(source, revision=revision)
    except (OSError, ValueError) as exc:
        raise ModelSpecError(f"could not load the tokenizer of {spec!r}: {exc}") from None


def load_model(
    spec: str = DEFAULT_MODEL,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> LoadedModel:
    """Load a causal LM and its tokenizer.

    Args:
        spec: a bundled name (``gemma-3-270m``, ``smollm2-135m``), a hub id with optional
            revision (``EleutherAI/pythia-410m@step4000``), a local model directory, or a
            ``.gguf`` file. GGUF models are dequantized once and cached (``$ICLAB_CACHE``).
        device: torch device; default CUDA when available, else CPU.
        dtype: ``float32``/``bfloat16``/``float16`` or a torch dtype; default bf16 on GPU and
            fp32 on CPU.

    Returns:
        A :class:`LoadedModel` in eval mode on ``device``.

    Raises:
        ModelSpecError: unknown name, missing or corrupt file, missing revision, no CUDA, ...
    """
    require_supported()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    parsed = parse_spec(spec)
    dev = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, dev)
    source, revision, name = model_source(parsed)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, revision=revision)
        model = AutoModelForCausalLM.from_pretrained(source, revision=revision, dtype=torch_dtype)
    except (OSError, ValueError) as exc:  # unknown repo/revision, no network, missing files
        raise ModelSpecError(f"could not load model {spec!r}: {exc}") from None
    model.to(dev).eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    n_layers = model.config.get_text_config().num_hidden_layers
    dtype_name = str(torch_dtype).removeprefix("torch.")
    return LoadedModel(model=model, tokenizer=tokenizer, id=ModelId(name, revision, dtype_name),
                       n_layers=n_layers, device=dev, source=source)
