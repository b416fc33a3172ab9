"""Optional Weights & Biases logging for ``iclab run --wandb`` (off by default).

Offline is harmless: without ``WANDB_API_KEY`` (and no ``WANDB_MODE`` set) the run is logged in
offline mode into ``RUN_DIR/wandb`` and can be uploaded later with ``wandb sync``. The store stays
the source of truth; W&B only mirrors it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from iclab.errors import IclabError
from iclab.runs.config import Cell, RunConfig


class WandbLogger:
    """Mirror each finished cell's rows (with its config) to one W&B run."""

    def __init__(self, config: RunConfig, run_dir: Path) -> None:
        try:
            import wandb
        except ImportError:
            raise IclabError("--wandb needs Weights & Biases: pip install wandb") from None
        mode = os.environ.get("WANDB_MODE") or (
            "online" if os.environ.get("WANDB_API_KEY") else "offline")
        self._wandb = wandb
        self._run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "iclab"),
            name=config.name or f"{config.analysis}-{run_dir.name}",
            config=config.model_dump(mode="json"), dir=str(run_dir), mode=mode,
            job_type=config.analysis)
        self._step = 0

    def log_cell(self, cell: Cell, rows: list[dict[str, Any]]) -> None:
        """Log every row of a finished cell, prefixed with its config."""
        for row in rows:
            flat = {k: v for k, v in {**cell.to_dict(), **row}.items()
                    if isinstance(v, (int, float, str, bool))}
            self._run.log({"cell": cell.id, **flat}, step=self._step)
            self._step += 1

    def finish(self) -> None:
        """Close the W&B run."""
        self._run.finish()
