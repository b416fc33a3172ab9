"""Shared pieces of the iclab.runs tests: small real configs and one reference run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An uninterrupted in-process run of SMALL_GRID: (config path, run directory)."""
    from iclab.runs.runner import run_config

    base = tmp_path_factory.mktemp("reference")
    config = write_config(base, SMALL_GRID)
    summary = run_config(config, base / "out", progress=False)
    assert summary.ok and summary.finished == 40
    return config, base / "out"
