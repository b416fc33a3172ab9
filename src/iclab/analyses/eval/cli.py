"""``iclab eval``: k-shot accuracy over seeds, per-sample JSONL + summary JSON, cached."""

from __future__ import annotations

import json
from typing import Optional

import typer

from iclab.options.lists import int_list
from iclab.openmp import configure_openmp
from iclab.analyses.eval.config import EvalConfig
from iclab.options.defaults import given, with_default
from iclab.options.device import device_option, dtype_option

# Before torch loads OpenMP: idle threads sleep on a busy CPU, spin on an idle one.
configure_openmp()


def _seeds(text: str) -> tuple[int, ...]:
    return int_list(text, "--seeds", error=typer.BadParameter)


C = EvalConfig  # whose defaults the options below quote


def eval_command(
    model: Optional[str] = typer.Option(None, "--model", "-m",
                                        help=with_default("Model spec.", C, "model")),
    task: Optional[str] = typer.Option(None, "--task", "-t",
                                       help=with_default("Task name or spec file.", C, "task")),
    shots: Optional[int] = typer.Option(
        None, "--shots", "-k", help=with_default("Demonstrations per prompt.", C, "shots")),
    seeds: Optional[str] = typer.Option(
        None, help=with_default("Comma-separated demonstration seeds.", C, "seeds")),
    labels: Optional[str] = typer.Option(
        None, help=with_default("Label setting: gold, random, abstract, ...", C, "labels")),
    template: Optional[str] = typer.Option(
        None, help=with_default("Prompt preset.", C, "template")),
    scoring: Optional[str] = typer.Option(None, help=with_default(
        "rank (choice log-probs) or generate (greedy, first non-empty line, exact match).",
        C, "scoring")),
    mode: Optional[str] = typer.Option(None, help=with_default("rank score: first, sum or mean.",
                                                               C, "mode")),
    limit: Optional[int] = typer.Option(None, help="At most this many test queries (first in "
                                        "file order; default: all)."),
    max_new_tokens: Optional[int] = typer.Option(
        None, help=with_default("Generation budget (generate).", C, "max_new_tokens")),
    calibrate: Optional[bool] = typer.Option(
        None, "--calibrate/--no-calibrate",
        help=with_default("Contextual calibration (N/A, '', [MASK]); rank.", C, "calibrate")),
    device: Optional[str] = device_option(),
    dtype: Optional[str] = dtype_option(),
    out: str = typer.Option("runs/eval", "--out", "-o", help="Output directory."),
    cache_dir: str = typer.Option(None, help="Cache directory (default OUT/cache)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
) -> None:
    """Evaluate a model on a task: accuracy per seed and mean ± std."""
    from tqdm import tqdm

    from iclab.analyses.eval.run import run_eval

    cfg = EvalConfig(**given(model=model, task=task, shots=shots,
                             seeds=_seeds(seeds) if seeds is not None else None, labels=labels,
                             template=template, scoring=scoring, mode=mode, limit=limit,
                             max_new_tokens=max_new_tokens, device=device, dtype=dtype,
                             calibrate=calibrate))
    with tqdm(total=0, desc="eval", unit="query", disable=None) as bar:
        def grow(n: int) -> None:
            bar.total += n
            bar.refresh()

        summary = run_eval(cfg, out, cache_dir, progress=bar.update, on_total=grow)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    for seed, s in summary["accuracy_per_seed"].items():
        typer.echo(f"seed {seed}: accuracy {s['accuracy']:.4f} (n={s['n']})")
    typer.echo(f"accuracy {summary['accuracy']:.4f} ± {summary['accuracy_std']:.4f} over "
               f"{len(summary['accuracy_per_seed'])} seed(s); {summary['cache']['cached']} "
               f"cached, {summary['cache']['computed']} computed; wrote {out}")
