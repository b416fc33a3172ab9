"""Where iclab keeps its cache and where it looks for local data."""

from __future__ import annotations

import os
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Return the cache directory: ``$ICLAB_CACHE`` or ``~/.cache/iclab``."""
    env = os.environ.get("ICLAB_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "iclab"


def data_dir() -> Path | None:
    """Return the local data directory, or None if there is none.

    ``$ICLAB_DATA_DIR`` when set (it must exist); otherwise ``../shared/data`` next to the
    source checkout when present.
    """
    env = os.environ.get("ICLAB_DATA_DIR")
    if env:
        return Path(env).expanduser()
    for candidate in (_REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    return None


def flores_dev_dir() -> Path | None:
    """A FLORES ``dev`` directory from ``$ICLAB_FLORES_DEV`` (None when unset or empty): FLORES
    tasks then keep devtest whole and draw train/validation from dev
    (:func:`iclab.data.load_task`)."""
    env = os.environ.get("ICLAB_FLORES_DEV")
    return Path(env) if env else None
