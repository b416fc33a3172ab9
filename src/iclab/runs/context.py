"""What an analysis gets besides its cell: a model cache and a progress callback."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import Any

ProgressFn = Callable[[str], None]


def model_spec(model: str, revision: str | None = None) -> str:
    """The :func:`iclab.models.load_model` spec of ``model`` at ``revision`` (``name@rev``)."""
    if revision is None or revision == "":
        return model
    if "@" in model:
        raise ValueError(f"model {model!r} already names a revision; do not also set {revision!r}")
    return f"{model}@{revision}"


@functools.lru_cache(maxsize=4)
def _tokenizer(spec: str) -> Any:
    """Tokenizers are shared by every Context of the process (loading one takes seconds)."""
    from iclab.models import load_tokenizer

    return load_tokenizer(spec)


class Context:
    """Per-worker state handed to every ``run_cell`` call.

    It keeps ONE loaded model: asking again for the same (model, revision, dtype) returns it,
    asking for another frees it first, so a worker never holds two models. Executors order cells
    so that cells sharing a model run back to back.

    Args:
        device: torch device for models (None: CUDA when available, else CPU).
        progress: called with a short message while a cell works (e.g. ``"12/40 prompts"``).
    """

    def __init__(self, device: str | None = None, progress: ProgressFn | None = None) -> None:
        self.device = device
        self._progress = progress
        self._model_key: tuple | None = None
        self._model: Any = None
        self._engine: Any = None
        self.loads = 0  # how many times a model was actually loaded (for logs and tests)

    def model(self, model: str, revision: str | None = None, dtype: str | None = None) -> Any:
        """Return the loaded model (a :class:`iclab.models.LoadedModel`), loading it if needed."""
        key = (model, revision, dtype, self.device)
        if self._model_key != key:
            from iclab.models import load_model

            self.release()
            self._model = load_model(model_spec(model, revision), device=self.device, dtype=dtype)
            self._model_key = key
            self.loads += 1
        return self._model

    def engine(self, model: str, revision: str | None = None, dtype: str | None = None) -> Any:
        """Return an :class:`iclab.engine.Engine` over the cached model (built once per model)."""
        loaded = self.model(model, revision, dtype)
        if self._engine is None:
            from iclab.engine import Engine

            self._engine = Engine(loaded)
        return self._engine

    def tokenizer(self, model: str, revision: str | None = None) -> Any:
        """Return the tokenizer of ``model`` (the loaded model's when it is that one; else
        loaded once per process)."""
        if self._model_key is not None and self._model_key[:2] == (model, revision):
            return self._model.tokenizer
        return _tokenizer(model_spec(model, revision))

    def progress(self, message: str) -> None:
        """Report progress inside a cell (shown next to the run's progress bar)."""
        if self._progress is not None:
            self._progress(message)

    def release(self) -> None:
        """Free the cached model (and GPU memory)."""
        if self._model is None:
            return
        self._model = None
        self._engine = None
        self._model_key = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:  # pragma: no cover - torch is a dependency
            pass
