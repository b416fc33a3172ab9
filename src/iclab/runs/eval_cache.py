"""The ``iclab eval`` per-prompt cache, kept in the one result store (:mod:`iclab.runs.store`).

One record per scored prompt in the store's ``samples`` table, under a key that hashes the model
id (name, revision, dtype), the prompt (text, token ids, choices, target), the scoring mode and
the engine version, so a changed prompt or setting never hits a stale entry. Each chunk of
records is one transaction: an interruption loses at most the chunk being scored, which the
next run scores again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Iterable

from iclab.prompts.types import Prompt
from iclab.runs.store import STORE_FILE, ResultStore


def prompt_hash(prompt: Prompt) -> str:
    """A stable hash of what the model sees and what it is scored against."""
    blob = json.dumps([prompt.text, list(prompt.input_ids), list(prompt.choices),
                       prompt.target], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def cache_key(model_key: str, p_hash: str, scoring: str, engine_version: str) -> str:
    """The cache key of one (model id, prompt, scoring mode, engine version)."""
    blob = json.dumps([model_key, p_hash, scoring, engine_version])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


class ResultCache:
    """Per-prompt records keyed by :func:`cache_key`, in the result store under ``directory``
    (``results.sqlite``). Nothing is created until the first record is added, so a run that
    fails its checks leaves no files behind."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.store: ResultStore | None = None
        if (self.directory / STORE_FILE).is_file():
            self.store = ResultStore(self.directory, create=True)

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached record, or None."""
        return self.store.sample(key) if self.store is not None else None

    def add(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Store records durably (one transaction)."""
        if self.store is None:
            self.store = ResultStore(self.directory, create=True)
        self.store.add_samples(items)

    def close(self) -> None:
        """Close the store (if one was opened)."""
        if self.store is not None:
            self.store.close()
