"""Fixtures of the report tests: a run directory holding TEST DATA of every analysis."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_data import ALL, write_run_dir


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run directory holding every analysis' test rows plus an analysis without a builder."""
    extra = {"my-analysis": lambda: [({"x": 1}, [{"y": 2.5, "z": "<ok>"}])]}
    return write_run_dir(tmp_path_factory.mktemp("run"), {**ALL, **extra})


@pytest.fixture(scope="session")
def report_path(run_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of :func:`run_dir`, written once per session."""
    from iclab.runs.rundir import report_from_run_dir

    return report_from_run_dir(run_dir, tmp_path_factory.mktemp("out") / "report.html")
