"""Runs at scale: YAML sweeps, a durable resumable result store, local and Ray executors.

Typical use::

    iclab run examples/prompt-stats.yaml --out runs/ps      # resumable; Ctrl-C or kill safe
    >>> import iclab
    >>> df = iclab.load_results("runs/ps")                 # one row per result, `cell` column

Analyses plug in with :func:`register_analysis` (see :mod:`iclab.runs.registry`).
"""

from iclab.runs.config import Cell, ConfigError, RunConfig, expand, load_config, parse_config
from iclab.runs.context import Context
from iclab.runs.registry import Analysis, analysis_names, get_analysis, register_analysis
from iclab.runs.store import ResultStore, StoreError

__all__ = [
    "Analysis",
    "Cell",
    "ConfigError",
    "Context",
    "ResultStore",
    "RunConfig",
    "StoreError",
    "analysis_names",
    "expand",
    "export",
    "get_analysis",
    "load_cells",
    "load_config",
    "load_results",
    "parse_config",
    "register_analysis",
    "run_config",
]


def __getattr__(name: str):
    """Import pandas-backed readers and the runner only when used."""
    if name in ("load_results", "load_cells", "export"):
        from iclab.runs import results

        return getattr(results, name)
    if name == "run_config":
        from iclab.runs.runner import run_config

        return run_config
    raise AttributeError(f"module 'iclab.runs' has no attribute {name!r}")
