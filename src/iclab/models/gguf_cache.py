"""Dequantize a GGUF model once and keep it as safetensors in the cache.

transformers can read GGUF files, but dequantizing takes about a minute on a small CPU. The
float result (model and tokenizer) is saved under ``<cache>/models/<stem>-<sha12>/`` so later
loads take seconds. Entries are written to a temporary directory and renamed into place, so an
interrupted or failed write never leaves a half-written entry.
"""

from __future__ import annotations

import errno
import hashlib
import shutil
import struct
import sys
import tempfile
from pathlib import Path

from iclab.errors import ModelSpecError
from iclab.paths import cache_dir

_GGUF_MAGIC = b"GGUF"


def file_digest(path: Path) -> str:
    """Return the sha256 hex digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_entry(gguf: Path) -> Path:
    """Return the cache directory that holds (or will hold) the dequantized ``gguf``."""
    stem = gguf.name[: -len(".gguf")] if gguf.name.lower().endswith(".gguf") else gguf.name
    return cache_dir() / "models" / f"{stem}-{file_digest(gguf)[:12]}"


def _check_header(gguf: Path) -> None:
    with gguf.open("rb") as fh:
        magic = fh.read(4)
    if magic != _GGUF_MAGIC:
        raise ModelSpecError(f"{gguf} is not a GGUF file (its first bytes are {magic!r})")


def _check_structure(gguf: Path) -> None:
    """Refuse a GGUF file whose header and tensor table do not parse (truncated or corrupt)
    with one clear error, before transformers reads it."""
    try:
        from gguf import GGUFReader
    except ImportError:  # transformers' own reader will complain clearly
        return
    try:
        GGUFReader(gguf)
    except (ValueError, KeyError, EOFError, IndexError, TypeError, OverflowError,
            struct.error, MemoryError) as exc:
        raise ModelSpecError(f"{gguf} is a corrupt or truncated GGUF file ({type(exc).__name__}: "
                             f"{_first_line(str(exc))})") from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def ensure_dequantized(gguf: Path) -> Path:
    """Return the cache directory of ``gguf``'s float weights, creating it on first use.

    Raises:
        ModelSpecError: the file is not a readable GGUF model (corrupt or truncated), or the
            cache cannot be written (for example, no space left on the device).
    """
    entry = cache_entry(gguf)
    if (entry / "config.json").is_file():
        return entry
    _check_header(gguf)
    entry.parent.mkdir(parents=True, exist_ok=True)
    print(f"iclab: dequantizing {gguf.name} once (about a minute); cache: {entry}", file=sys.stderr)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        model, tokenizer = _read_gguf(gguf)
        _strip_quantization(model)
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "SOURCE").write_text(f"{gguf}\n{file_digest(gguf)}\n")
        tmp.chmod(0o755)
        tmp.rename(entry)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            raise ModelSpecError(f"no space left on device to cache {gguf.name} in {entry.parent}") from None
        if (entry / "config.json").is_file():  # another process won the race
            return entry
        raise ModelSpecError(f"could not write the model cache {entry}: {exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return entry


def _read_gguf(gguf: Path):  # -> tuple[PreTrainedModel, PreTrainedTokenizerBase]
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _check_structure(gguf)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
    except (ValueError, KeyError, EOFError, RuntimeError, IndexError, TypeError,
            OverflowError, struct.error) as exc:
        raise ModelSpecError(
            f"could not read GGUF file {gguf} (corrupt or truncated?): {type(exc).__name__}: {exc}"
        ) from None
    return model, tokenizer


def _strip_quantization(model) -> None:
    """Mark a GGUF-loaded (already dequantized) model as plain float so it can be saved."""
    model.hf_quantizer = None
    if hasattr(model, "is_quantized"):
        model.is_quantized = False
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config


def cached_entries() -> list[tuple[Path, int]]:
    """Return every complete cache entry with its size in bytes."""
    root = cache_dir() / "models"
    if not root.is_dir():
        return []
    out = []
    for entry in sorted(root.iterdir()):
        if entry.is_dir() and not entry.name.startswith(".") and (entry / "config.json").is_file():
            out.append((entry, sum(f.stat().st_size for f in entry.rglob("*") if f.is_file())))
    return out
