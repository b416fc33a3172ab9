"""TEST DATA for the report tests: small, real-shaped result rows of every analysis.

Nothing here is a measurement. The curves are smooth functions with seeded noise, shaped like
what each analysis writes, so the report code can be exercised without running a model.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from iclab.runs.config import Cell
from iclab.runs.store import ResultStore

HOSTILE = '<script>alert("x")</script> & <b>'
"""A task name that must come out escaped everywhere."""

STEPS = [1000, 2000, 4000, 8000, 16000, 32000, 64000, 143000]


def trtl_cells() -> list[tuple[dict, list[dict]]]:
    """(config, rows) per tr-tl cell: one accuracy per model × checkpoint × task × seed ×
    setting; TR and TL take turns rising so competition points exist."""
    rng = np.random.default_rng(0)
    out = []
    for i, step in enumerate(STEPS):
        for task in ("sst2", "trec"):
            for seed in (13, 21):
                for setting, base in (("gold", 0.5), ("random", 0.4), ("abstract", 0.3)):
                    wiggle = 0.04 * (-1) ** i * (1 if setting == "random" else -1)
                    acc = base + 0.02 * i + (wiggle if setting != "gold" else 0)
                    out.append(({"model": "pythia-test", "revision": f"step{step}",
                                 "task": task, "seed": seed, "setting": setting},
                                [{"accuracy": float(acc + rng.normal(0, 0.005)), "n": 64}]))
    return out


def curves_cells(n_pos: int = 24, repeats: int = 6) -> list[tuple[dict, list[dict]]]:
    """(config, rows) per curves cell (one repeat): a row per setting × demonstration position,
    every setting of a repeat sharing its examples, as the curves analysis writes them."""
    rng = np.random.default_rng(1)
    out = []
    for r in range(repeats):
        rows = []
        for setting in ("default", "random", "flip"):
            for pos in range(n_pos):
                p = 0.5 + 0.4 * (1 - math.exp(-pos / 4)) - (0.15 if setting == "random" else 0)
                if setting == "flip" and pos > 12:
                    p = 0.9 - 0.5 * (1 - math.exp(-(pos - 12) / 5))
                p = float(np.clip(p + rng.normal(0, 0.05), 0.01, 0.99))
                rows.append({"setting": setting, "repeat": r, "position": pos,
                             "accuracy": float(rng.random() < p), "loglik": math.log(p),
                             "entropy": float(0.69 * (1 - p) + 0.1)})
        out.append(({"model": "gemma-test", "task": "sst2", "repeat": r, "demos": n_pos}, rows))
    return out


def layers_cells(n_layers: int = 12) -> list[tuple[dict, list[dict]]]:
    """(config, rows) per masking sweep: one row per layer L = 0..n_layers."""
    out = []
    for mask, shift, rec in (("examples", 3, 6), ("instructions+examples", 5, None)):
        rows = [{"layer": L, "score": 30 / (1 + math.exp(-(L - shift))), "baseline": 30.0,
                 "recognition_layer": rec, "metric": "BLEU"} for L in range(n_layers + 1)]
        out.append(({"model": "gemma-test", "task": "flores-en-fr", "mask": mask}, rows))
    return out


def icl_ft_cells() -> list[tuple[dict, list[dict]]]:
    """(config, rows): accuracy rows per task × split × method, then circuit rows."""
    rng = np.random.default_rng(2)
    out = []
    for task in ("expression", "code"):
        for split in ("normal", "misleading"):
            rows = [{"method": m, "accuracy": float(rng.random())}
                    for m in ("base 0-shot", "ICL best", "FT n=100", "LoRA n=100")]
            out.append(({"model": "gemma-test", "task": task, "split": split}, rows))
    for method, scale in (("ICL", 1.0), ("FT", 0.5), ("LoRA", 0.3)):
        rows = [{"method": method, "layer": L, "head": h, "value": float(rng.random() * scale)}
                for L in range(6) for h in range(4)]
        out.append(({"model": "gemma-test", "task": "expression", "split": "normal",
                     "circuit": method}, rows))
    return out


def eval_cells() -> list[tuple[dict, list[dict]]]:
    """(config, rows) per eval cell, one task name hostile to HTML."""
    rng = np.random.default_rng(3)
    return [({"model": "gemma-test", "task": task, "labels": labels, "seed": seed, "shots": 16},
             [{"accuracy": float(rng.uniform(0.4, 0.9)), "n": 64}])
            for task in ("sst2", HOSTILE) for labels in ("gold", "random")
            for seed in (13, 21, 42)]


ALL = {"tr-tl": trtl_cells, "curves": curves_cells, "layers": layers_cells,
       "icl-vs-ft": icl_ft_cells, "eval": eval_cells}


def frame(cells: list[tuple[dict, list[dict]]], analysis: str = "test") -> pd.DataFrame:
    """The DataFrame ``iclab.load_results`` would give for these cells."""
    return pd.DataFrame([{"cell": f"c{i}", "analysis": analysis, **cfg, **row}
                         for i, (cfg, rows) in enumerate(cells) for row in rows])


def write_run_dir(run_dir: Path, analyses: dict = ALL, fail: bool = True) -> Path:
    """A run directory whose store holds the test cells of ``analyses`` (and one failure)."""
    with ResultStore(run_dir, create=True) as store:
        for name, make in analyses.items():
            config = f"# TEST DATA\nanalysis: {name}\nname: test-{name}\ngrid: {{}}\nparams: {{}}\n"
            store.record_run(config, f"tests/{name}.yaml", "local")
            for i, (cfg, rows) in enumerate(make()):
                store.commit_cell(Cell(name, cfg, i), rows, started_at="2026-01-01T00:00:00",
                                  finished_at="2026-01-01T00:00:01", duration_s=1.0,
                                  analysis_version="1")
        if fail:
            store.record_failure(Cell("eval", {"task": "broken", "seed": 1}, 99),
                                 "DataError: test failure <i>escaped</i>")
    return run_dir
