"""Fixtures of the iclab.runs tests: one reference run shared by the session."""

from __future__ import annotations

from pathlib import Path

import pytest
from runs_support import SMALL_GRID, write_config


@pytest.fixture(scope="session")
def reference_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An uninterrupted in-process run of SMALL_GRID: (config path, run directory)."""
    from iclab.runs.runner import run_config

    base = tmp_path_factory.mktemp("reference")
    config = write_config(base, SMALL_GRID)
    summary = run_config(config, base / "out", progress=False)
    assert summary.ok and summary.finished == 40
    return config, base / "out"
