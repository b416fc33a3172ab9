"""Tables, summary and files of the ICL-vs-fine-tuning comparison.

Rows follow the report's ``icl-vs-ft`` section: accuracy rows ``task, split, method,
accuracy`` (methods ``base 0-shot``, ``ICL best``, ``FT n=N``, ``FT n=N + k-shot``,
``LoRA n=N``, ...) and circuit rows ``task, method, measure, layer, head, value``.
"""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from iclab.analyses.icl_vs_ft.circuit_shift import circuit_rows
from iclab.analyses.icl_vs_ft.eval import best_of_shots

if TYPE_CHECKING:
    from iclab.analyses.icl_vs_ft.config import IclVsFtConfig
    from iclab.analyses.icl_vs_ft.result import IclVsFtResult


def accuracy_table(result: IclVsFtResult, config: IclVsFtConfig) -> list[dict[str, Any]]:
    """One row per (task, split, method): base 0-shot, ICL best, then every fine-tuning run
    0-shot and with ICL on top."""
    rows: list[dict[str, Any]] = []
    best = best_of_shots(result.base, *config.best_range)
    for c in result.base:
        if c.shots == 0:
            rows.append(_row(c.task, c.split, "base 0-shot", c.accuracy, 0, c.n))
    for (task, split), c in best.items():
        rows.append(_row(task, split, "ICL best", c.accuracy, c.shots, c.n))
    for run in result.trained:
        for c in run.cells:
            name = run.label if c.shots == 0 else f"{run.label} + {c.shots}-shot"
            rows.append(_row(c.task, c.split, name, c.accuracy, c.shots, c.n))
    order = {(t, s): i for i, (t, s) in enumerate(dict.fromkeys(
        (c.task, c.split) for c in result.base))}
    return sorted(rows, key=lambda r: order[(r["task"], r["split"])])


def _row(task: str, split: str, method: str, accuracy: float, shots: int, n: int
         ) -> dict[str, Any]:
    return {"task": task, "split": split, "method": method, "accuracy": accuracy,
            "shots": shots, "n": n}


def shot_rows(result: IclVsFtResult) -> list[dict[str, Any]]:
    """Per-shot accuracy of the base model and of every fine-tuned model."""
    rows = [{"model": "base", **_cell(c)} for c in result.base]
    for run in result.trained:
        rows += [{"model": run.label, **_cell(c)} for c in run.cells]
    return rows


def _cell(c: Any) -> dict[str, Any]:
    return {"task": c.task, "split": c.split, "shots": c.shots, "accuracy": c.accuracy,
            "n": c.n}


def circuit_table(result: IclVsFtResult) -> list[dict[str, Any]]:
    """Relative-change rows of every task and method."""
    return [row for task, by_method in result.shifts.items()
            for method, s in by_method.items() for row in circuit_rows(task, method, s)]


def _winners(table: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per ``task/split``: the best accuracy and every method that reaches it."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in table:
        by_key[f"{r['task']}/{r['split']}"].append(r)
    out = {}
    for key, rows in by_key.items():
        top = max(r["accuracy"] for r in rows)
        out[key] = {"accuracy": top, "methods": [r["method"] for r in rows
                                                 if r["accuracy"] == top]}
    return out


def _family(method: str) -> str:
    """``ICL best`` -> ICL, ``FT n=4 + 4-shot`` -> FT, ``base 0-shot`` -> base."""
    return method.split(" ")[0]


def _mean(values: Sequence[float]) -> float | None:
    finite = [v for v in values if not math.isnan(v)]
    return sum(finite) / len(finite) if finite else None


def circuit_summary(result: IclVsFtResult) -> dict[str, Any]:
    """Per method: mean relative change of head and MLP outputs (over tasks, layers, heads);
    whether ICL's head shift exceeds each fine-tuned model's; patching per task."""
    methods: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for by_method in result.shifts.values():
        for method, s in by_method.items():
            methods[method]["head"].append(s.head_mean)
            methods[method]["mlp"].append(s.mlp_mean)
    per_method = {m: {"head_shift": _mean(v["head"]), "mlp_shift": _mean(v["mlp"])}
                  for m, v in methods.items()}
    icl = per_method.get("ICL", {}).get("head_shift")
    versus = {m: (icl is not None and v["head_shift"] is not None and icl > v["head_shift"])
              for m, v in per_method.items() if m != "ICL"}
    patching = {}
    for task, info in result.patching.items():
        values = [r["value"] for r in result.circuit
                  if r["task"] == task and r["measure"] == "patching recovery"]
        ranked = sorted(((r["value"], r["layer"], r["head"]) for r in result.circuit
                         if r["task"] == task and r["measure"] == "patching recovery"
                         and not math.isnan(r["value"])), reverse=True)[:3]
        patching[task] = {**info, "mean_recovery": _mean(values),
                          "top_heads": [{"layer": l, "head": h, "recovery": v}
                                        for v, l, h in ranked]}
    return {"per_method": per_method, "icl_head_shift_exceeds": versus,
            "icl_shifts_more_than_ft": bool(versus) and all(versus.values()),
            "patching": patching}


def summarize(result: IclVsFtResult, config: IclVsFtConfig, model: str) -> dict[str, Any]:
    """The summary JSON: winners per task/split, per-shot ICL, training runs, circuit shift."""
    winners = _winners(result.table)
    wins: dict[str, int] = defaultdict(int)
    for w in winners.values():
        for fam in {_family(m) for m in w["methods"]}:
            wins[fam] += 1
    icl = {f"{c.task}/{c.split}": {} for c in result.base}
    for c in result.base:
        icl[f"{c.task}/{c.split}"][str(c.shots)] = c.accuracy
    return {
        "analysis": "icl-vs-ft", "model": model, "match": config.match,
        "tasks": list(config.tasks), "splits": list(config.splits),
        "winners": winners, "wins_by_family": dict(wins),
        "icl_per_shot": icl,
        "training": {r.label: r.info for r in result.trained},
        "circuit": circuit_summary(result),
        "config": config.to_dict(),
    }


def _write_csv(path: Path, rows: Sequence[dict[str, Any]]) -> Path:
    """Rows to CSV (columns in first-appearance order)."""
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_outputs(result: IclVsFtResult, summary: dict[str, Any], out: str | Path
                  ) -> list[Path]:
    """Write ``table.csv`` (accuracy rows), ``icl_shots.csv`` (per-shot accuracy),
    ``circuit.csv``, one ``heatmap_<measure>.png`` per measure (methods side by side, averaged
    over tasks) and ``summary.json`` under ``out``; return the paths."""
    import pandas as pd

    from iclab.analyses.icl_vs_ft.plot import heatmap_matrices, plot_circuit_heatmaps

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    paths = [_write_csv(root / "table.csv", result.table),
             _write_csv(root / "icl_shots.csv", shot_rows(result))]
    if result.circuit:
        paths.append(_write_csv(root / "circuit.csv", result.circuit))
        frame = pd.DataFrame(result.circuit)
        for measure, part in frame.groupby("measure", sort=False):
            slug = str(measure).replace(" ", "_").lower()
            fig = plot_circuit_heatmaps(heatmap_matrices(part), value_label=str(measure),
                                        title=f"{measure}, mean over tasks ({summary['model']})")
            paths.append(fig.save(root / f"heatmap_{slug}.png"))
    summary_path = root / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return [*paths, summary_path]


__all__ = [
    "accuracy_table",
    "circuit_summary",
    "circuit_table",
    "shot_rows",
    "summarize",
    "write_outputs",
]
