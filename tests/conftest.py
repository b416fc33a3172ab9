"""Fixtures and markers shared by the whole suite.

Markers (pyproject): ``integration`` (a bundled real model), ``slow`` (over ~20 s here),
``browser`` (drives Chromium), ``cuda`` (needs a CUDA GPU). ``make test-fast`` runs the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch

from iclab.models.tiny import tiny_model, tiny_tokenizer


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Tiny models run ~10x faster on one torch thread on a shared 2-core machine; use it with
    ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_dir_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """``tiny_dir_of(arch="llama", seed=0)``: a tiny random model and its tokenizer saved as a
    local model directory (loadable by spec), made once per (arch, seed) per session."""
    made: dict[tuple[str, int], str] = {}

    def make(arch: str = "llama", seed: int = 0) -> str:
        if (arch, seed) not in made:
            path = tmp_path_factory.mktemp(f"tiny-{arch}-{seed}")
            tiny_model(arch, seed=seed).save_pretrained(path)  # type: ignore[arg-type]
            tiny_tokenizer(arch).save_pretrained(path)  # type: ignore[arg-type]
            made[(arch, seed)] = str(path)
        return made[(arch, seed)]

    return make


@pytest.fixture(scope="session")
def tiny_dir(tiny_dir_of: Callable[..., str]) -> str:
    """A tiny Llama saved as a local model directory (loadable by spec)."""
    return tiny_dir_of("llama")
