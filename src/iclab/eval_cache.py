"""The ``iclab eval`` output cache: append-only JSONL that survives interruption.

One line per scored prompt: ``{"key": ..., "record": {...}}``. The key hashes the model id
(name, revision, dtype), the prompt (text, token ids, choices, target), the scoring mode and the
engine version, so a changed prompt or setting never hits a stale entry. Lines are appended and
fsynced batch by batch; a line cut short by an interruption is ignored on the next load (and the
prompt is scored again), so the file is never unusable.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterable

from iclab.prompts.types import Prompt


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
    """Append-only JSONL cache of per-prompt records, keyed by :func:`cache_key`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.entries: dict[str, dict[str, Any]] = {}
        self.skipped = 0
        if self.path.exists():
            self._load()

    def _load(self) -> None:
        with self.path.open("r", encoding="utf-8") as fh:
            for line in fh:
                try:
                    item = json.loads(line)
                    self.entries[item["key"]] = item["record"]
                except (json.JSONDecodeError, KeyError, TypeError):
                    self.skipped += 1  # a line cut short by an interruption

    def get(self, key: str) -> dict[str, Any] | None:
        """The cached record, or None."""
        return self.entries.get(key)

    def add(self, items: Iterable[tuple[str, dict[str, Any]]]) -> None:
        """Append records durably (write, flush, fsync) and remember them."""
        lines = []
        for key, record in items:
            self.entries[key] = record
            lines.append(json.dumps({"key": key, "record": record}, ensure_ascii=False) + "\n")
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            if fh.tell() > 0 and not _ends_with_newline(self.path):
                fh.write("\n")  # seal a line left partial by an earlier interruption
            fh.write("".join(lines))
            fh.flush()
            os.fsync(fh.fileno())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"
