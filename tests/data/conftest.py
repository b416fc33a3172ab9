"""Fixtures for the data tests: the shared data directory must exist (tests fail, not skip)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from iclab import paths
from iclab.data import load_task
from iclab.data.types import Task


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The local data directory; its absence is a test failure, not a skip."""
    root = paths.data_dir()
    assert root is not None and root.is_dir(), (
        "no local data directory: set ICLAB_DATA_DIR or provide ../shared/data"
    )
    return root


@pytest.fixture(scope="session")
def local_task(data_root: Path) -> Callable[[str], Task]:
    """Load a registry task from the local data directory, once per session."""
    cache: dict[str, Task] = {}

    def get(name: str) -> Task:
        if name not in cache:
            cache[name] = load_task(name, data_dir=data_root)
            assert cache[name].source == str(data_root) or str(data_root) in cache[name].source
        return cache[name]

    return get
