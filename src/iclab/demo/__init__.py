"""``make demo`` / ``iclab demo``: all four analyses at small scale on the bundled default model.

Each analysis is one YAML run config shipped here (``*.yaml``); the demo runs them, in order,
into one run directory with :func:`iclab.runs.runner.run_config` (resumable: a re-run skips
finished cells) and writes the self-contained HTML report of the whole directory.
"""

from __future__ import annotations
from iclab.models.bundled import DEFAULT_MODEL

from pathlib import Path
from typing import Callable

DEMO_DIR = Path(__file__).parent
DEMO_CONFIGS = ("curves.yaml", "tr-tl.yaml", "tr-tl-series.yaml", "layers.yaml",
                "icl-vs-ft.yaml")
"""The demo's run configs, in the order they run. ``{series}`` in a config stands for a tiny
checkpoint series trained on first use (:func:`iclab.analyses.trtl.checkpoints.train_checkpoint_series`),
since pre-training checkpoints of the bundled models are not available offline."""


def demo_configs() -> list[Path]:
    """Paths of the demo's run configs that exist in this installation."""
    return [DEMO_DIR / name for name in DEMO_CONFIGS if (DEMO_DIR / name).is_file()]


def run_demo(out: str | Path, model: str | None = None, progress: bool = True,
             echo: Callable[[str], None] = print, device: str | None = None,
             dtype: str | None = None) -> Path:
    """Run every demo config into ``out`` and write ``out/report.html``; return its path.

    Args:
        out: the run directory (created; re-using it resumes the demo).
        model: override the demo's model (default: the configs' ``gemma-3-270m``).
        progress: show progress bars.
        echo: where status lines go.
        device: torch device of every cell (None: CUDA when available, else CPU).
        dtype: model dtype of every cell (None: each config's, by default bf16 on CUDA and
            fp32 on CPU).
    """
    import tempfile

    import yaml

    from iclab.runs.rundir import report_from_run_dir
    from iclab.runs.runner import run_config
    from iclab.runs.config import ConfigError
    from iclab.runs.store import recorded_configs

    recorded = recorded_configs(out)  # the demo's analyses share `out`: append among them
    mine: set[str] = set()
    for path in demo_configs():
        text = path.read_text(encoding="utf-8")
        if "{series}" in text:
            text = text.replace("{series}", str(_series(Path(out), echo)))
        config = yaml.safe_load(text)
        if model is not None and config.get("params", {}).get("model") == DEFAULT_MODEL:
            config["params"]["model"] = model
        if dtype is not None:
            config.setdefault("params", {})["dtype"] = dtype
        with tempfile.TemporaryDirectory(prefix="iclab-demo-") as tmp:
            written = Path(tmp) / path.name
            written.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
            echo(f"[demo] {config['analysis']}: {config.get('description', '')}")
            mine.add(_identity_hash(written))
            foreign = set(recorded) - mine
            if foreign and not mine & set(recorded):
                raise ConfigError(f"{out} holds results of other configs "
                                  f"({', '.join(sorted(foreign))}), not of this demo; use a "
                                  "new --out")
            summary = run_config(written, out, progress=progress, on_conflict="append",
                                 device=device)
            echo(f"[demo] {config['analysis']}: {summary.finished} cell(s) finished")
    return Path(report_from_run_dir(out))


def _identity_hash(config_path: Path) -> str:
    """The run-directory hash of a demo config (see :func:`iclab.runs.runner.config_identity`)."""
    from iclab.runs.config import load_config
    from iclab.runs.runner import config_identity, identity_hash

    return identity_hash(config_identity(load_config(config_path)))


def _series(out: Path, echo: Callable[[str], None]) -> Path:
    """The demo's checkpoint series under ``out``, trained once (about a minute)."""
    from iclab.analyses.trtl.checkpoints import train_checkpoint_series

    root = out / "checkpoint-series"
    steps = (0, 15, 40, 80)
    if not all((root / f"step{s}" / "config.json").is_file() for s in steps):
        echo("[demo] training a tiny GPT-NeoX checkpoint series (steps 0/15/40/80)")
        train_checkpoint_series(root, steps=steps)
    return root.resolve()
