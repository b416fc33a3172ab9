"""Task recognition (TR) vs task learning (TL) over pre-training checkpoints.

Reproduces and extends Wang et al. (2024/ICLR 2025), "Investigating the Pre-Training Dynamics
of In-Context Learning: Task Recognition vs. Task Learning". For every checkpoint × task × seed
the ``metaicl-minimal`` k-shot prompt (or the natural-language ``trtl-natural``; k = 16, MetaICL demos of that seed) is evaluated with
gold labels (Golden), random labels (TR: ``random.seed(0)`` draws, test label gold) and
abstract symbols (TL: ``* # ^ $ @ % } {``, target in symbols). Scoring is the paper's (greedy
generation, first non-empty line, exact match) or label ranking; the summary says which.

Competition metrics (:mod:`iclab.metrics.competition`) are computed per task × seed
(alpha = 0.1) and on the curves averaged over tasks × seeds (alpha = 0.01). The paper states a
negative correlation between competition and ICL performance without code; we compute it
(:func:`competition_correlation`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from iclab.analyses.trtl.checkpoints import Checkpoint
from iclab.analyses.trtl.config import (  # noqa: F401  re-exported
    DEFAULT_CHECKPOINTS,
    DEFAULT_TASKS,
    PAPER_SEEDS,
    SETTING_CURVES,
    TrTlConfig,
)
from iclab.metrics.competition import competition
from iclab.errors import IclabError
from iclab.metrics.stats import correlation

__all__ = ["TrTlConfig", "cell_config", "competition", "run_grid", "checkpoint_curves", "summarize",
           "competition_correlation", "SETTING_CURVES"]


def cell_config(cfg: TrTlConfig, ck: Checkpoint, task: str, setting: str) -> Any:
    """The :class:`~iclab.analyses.eval.run.EvalConfig` of one (checkpoint, task, setting) cell."""
    from iclab.analyses.eval.run import EvalConfig

    return EvalConfig(model=ck.spec, task=task, shots=cfg.shots, seeds=cfg.seeds, labels=setting,
                      template=cfg.template, scoring=cfg.scoring, limit=cfg.limit,
                      max_new_tokens=cfg.max_new_tokens, device=cfg.device, dtype=cfg.dtype)


def run_grid(cfg: TrTlConfig, out: str | Path,
             progress: Callable[[int], None] | None = None,
             on_total: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    """Evaluate every cell; one row per checkpoint × task × seed × setting.

    Each (checkpoint, task, setting) is one :func:`iclab.analyses.eval.run.run_eval` over the seeds,
    written under ``out/cells/`` with per-sample records, sharing one prompt-level cache in
    ``out/cache`` (a re-run or an interrupted run recomputes nothing finished). One model is
    loaded per checkpoint.
    """
    from iclab.engine import Engine
    from iclab.analyses.eval.run import run_eval
    from iclab.models import load_model

    rows: list[dict[str, Any]] = []
    for ck in cfg.checkpoints:
        engine: Engine | None = None
        for task in cfg.tasks:
            for setting in cfg.settings:
                ecfg = cell_config(cfg, ck, task, setting)
                cell_dir = Path(out) / "cells" / ck.series / f"step{ck.step}" / task / setting
                if engine is None and not _cached(cell_dir):
                    engine = Engine(load_model(ck.spec, device=cfg.device, dtype=cfg.dtype))
                summary = run_eval(ecfg, cell_dir, Path(out) / "cache", progress, on_total, engine)
                for seed, s in summary["accuracy_per_seed"].items():
                    rows.append({"model": ck.series, "step": ck.step, "spec": ck.spec,
                                 "task": task, "seed": int(seed), "setting": setting,
                                 "accuracy": s["accuracy"], "n": s["n"],
                                 "scoring": cfg.scoring, "shots": cfg.shots,
                                 "model_key": summary["model_key"]})
    return rows


def _cached(cell_dir: Path) -> bool:
    """Whether a cell finished before (its summary exists); then no model needs loading."""
    return (cell_dir / "summary.json").is_file()


def checkpoint_curves(rows: Sequence[dict[str, Any]], by: Sequence[str] = ("model",)) -> dict:
    """Golden/TR/TL in % per checkpoint, averaged over everything not in ``by`` + step.

    Returns:
        ``{group: {"step": [...], "golden": [...], "tr": [...], "tl": [...]}}`` where group is
        a tuple of the ``by`` values, steps ascending.
    """
    acc: dict[tuple, dict[int, dict[str, list[float]]]] = {}
    for r in rows:
        group = tuple(r[k] for k in by)
        cell = acc.setdefault(group, {}).setdefault(r["step"], {c: [] for c in SETTING_CURVES.values()})
        cell[SETTING_CURVES[r["setting"]]].append(100.0 * r["accuracy"])
    out = {}
    for group, steps in acc.items():
        order = sorted(steps)
        curve: dict[str, list] = {"step": order}
        for name in SETTING_CURVES.values():
            vals = [steps[s][name] for s in order]
            if any(not v for v in vals):
                raise IclabError(f"group {group}: a checkpoint lacks {name} rows")
            curve[name] = [float(np.mean(v)) for v in vals]
        out[group] = curve
    return out


def competition_correlation(per_unit: Sequence[dict[str, float]]) -> dict[str, Any]:
    """Correlation between competition intensity and ICL performance over units.

    Args:
        per_unit: one dict per unit (a model × task × seed series) with ``intensity`` (mean
            C^s over its checkpoints) and ``performance`` (mean golden accuracy in %).
    """
    x = [u["intensity"] for u in per_unit]
    y = [u["performance"] for u in per_unit]
    return correlation(x, y)


def summarize(cfg: TrTlConfig, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Golden/TR/TL per model × checkpoint, competition lists, R, and the correlation."""
    averaged = checkpoint_curves(rows, ("model",))
    per_series = checkpoint_curves(rows, ("model", "task", "seed"))
    models: dict[str, Any] = {}
    for (model,), curve in averaged.items():
        entry: dict[str, Any] = {"checkpoints": [
            {"step": s, "golden": g, "tr": tr, "tl": tl}
            for s, g, tr, tl in zip(curve["step"], curve["golden"], curve["tr"], curve["tl"])]}
        if len(curve["step"]) >= 2:
            comp = competition(curve["tr"], curve["tl"], cfg.alpha_avg, cfg.decimals)
            entry.update(hard=comp["hard"], intensity=comp["intensity"],
                         mean_intensity=comp["mean_intensity"], cumulative=comp["cumulative"])
        models[model] = entry
    units = []
    for (model, task, seed), curve in per_series.items():
        if len(curve["step"]) >= 2:
            comp = competition(curve["tr"], curve["tl"], cfg.alpha_task, cfg.decimals)
            units.append({"model": model, "task": task, "seed": seed,
                          "intensity": comp["mean_intensity"],
                          "performance": float(np.mean(curve["golden"]))})
    return {
        "analysis": "tr-tl",
        "scoring": cfg.scoring,
        "scoring_note": ("greedy generation, first non-empty line, exact match (the paper's)"
                         if cfg.scoring == "generate" else "label ranking (sum of log-probs)"),
        "alpha_task": cfg.alpha_task, "alpha_avg": cfg.alpha_avg,
        "config": {**asdict(cfg), "checkpoints": [asdict(c) for c in cfg.checkpoints]},
        "models": models,
        "correlation": {"unit": "model × task × seed series; intensity = mean C^s (alpha_task), "
                                "performance = mean golden accuracy over checkpoints",
                        **competition_correlation(units)},
    }


def write_outputs(rows: Sequence[dict[str, Any]], summary: dict[str, Any],
                  out: str | Path) -> list[Path]:
    """Write per-cell rows (JSONL), the summary (JSON) and one TR/TL plot per model."""
    import pandas as pd

    from iclab.io import write_json, write_jsonl
    from iclab.analyses.trtl.plot import plot_trtl

    base = Path(out)
    written = [write_jsonl(base / "rows.jsonl", rows), write_json(base / "summary.json", summary)]
    for model, entry in summary["models"].items():
        frame = pd.DataFrame(entry["checkpoints"])
        hard = entry.get("hard", [])
        fig = plot_trtl(frame, hard=hard, alpha=summary["alpha_avg"],
                         title=f"{model}: golden / TR / TL ({summary['scoring']})")
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
        written.append(fig.save(base / f"trtl_{safe}.png"))
    return written
