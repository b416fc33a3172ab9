"""``iclab eval``: k-shot accuracy over seeds, per-sample JSONL + summary JSON, cached."""

from __future__ import annotations

import json

import typer

from iclab.options.lists import int_list
from iclab.openmp import configure_openmp
from iclab.models.bundled import DEFAULT_MODEL

# Before torch loads OpenMP: idle threads sleep on a busy CPU, spin on an idle one.
configure_openmp()


def _seeds(text: str) -> tuple[int, ...]:
    return int_list(text, "--seeds", error=typer.BadParameter)


def eval_command(
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model spec."),
    task: str = typer.Option("glue-sst2", "--task", "-t", help="Task name or spec file."),
    shots: int = typer.Option(16, "--shots", "-k", help="Demonstrations per prompt."),
    seeds: str = typer.Option("13,21,42", help="Comma-separated demonstration seeds."),
    labels: str = typer.Option("gold", help="Label setting: gold, random, abstract, ..."),
    template: str = typer.Option("metaicl-minimal", help="Prompt preset."),
    scoring: str = typer.Option("rank", help="rank (choice log-probs) or generate "
                                "(greedy, first non-empty line, exact match)."),
    mode: str = typer.Option("sum", help="rank score: first, sum or mean."),
    limit: int = typer.Option(None, help="At most this many test queries (first in file order)."),
    max_new_tokens: int = typer.Option(256, help="Generation budget (generate)."),
    calibrate: bool = typer.Option(False, help="Contextual calibration (N/A, '', [MASK]); rank."),
    device: str = typer.Option(None, help="cpu, cuda, cuda:1 (default: CUDA if available)."),
    dtype: str = typer.Option(None, help="float32, bfloat16, float16 (default fp32 on CPU)."),
    out: str = typer.Option("runs/eval", "--out", "-o", help="Output directory."),
    cache_dir: str = typer.Option(None, help="Cache directory (default OUT/cache)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
) -> None:
    """Evaluate a model on a task: accuracy per seed and mean ± std."""
    from tqdm import tqdm

    from iclab.analyses.eval.run import EvalConfig, run_eval

    cfg = EvalConfig(model=model, task=task, shots=shots, seeds=_seeds(seeds), labels=labels,
                     template=template, scoring=scoring, mode=mode, limit=limit,  # type: ignore[arg-type]
                     max_new_tokens=max_new_tokens, device=device, dtype=dtype,
                     calibrate=calibrate)
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
