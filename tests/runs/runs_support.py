"""Helpers shared by the iclab.runs tests (a uniquely named module: every test folder has
its own conftest, so ``from conftest import ...`` would be ambiguous)."""

from __future__ import annotations

import textwrap
from pathlib import Path

SMALL_GRID = textwrap.dedent("""\
    analysis: prompt-stats
    grid:
      task: [word-sentiment, country-capital]
      shots: [0, 1, 2, 4, 8]
      seed: [1, 2, 3, 4]
    params:
      model: gemma-3-270m
      limit: 20
    """)
"""40 real prompt-stats cells on the bundled Gemma tokenizer (seconds after start-up)."""


def write_config(directory: Path, text: str, name: str = "run.yaml") -> Path:
    """Write a YAML config and return its path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path
