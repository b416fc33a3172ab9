"""Prompts per second of a layers analysis sweep (``iclab.analyses.layers.run.sweep_mask``).

Usage::

    python benchmarks/layer_sweep_speed.py --model gemma-3-270m --task glue-sst2 --prompts 16
    python benchmarks/layer_sweep_speed.py --model tiny-llama --prompts 8 --json

Every prompt is swept over L = 0..n_layers with the examples masked (classification: label
ranking at the answer position; a FLORES task sweeps with masked greedy decoding). The timed
call is exactly what ``iclab layers`` runs per mask; the figure is the best of ``--repeats``
runs (the least noisy on a shared machine). ``--json`` prints one JSON object last.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from typing import Any

import torch

from iclab.analyses.layers.run import LayersConfig, default_template, sweep_mask, task_metric
from iclab.data import load_task
from iclab.engine import Engine
from iclab.prompts import build_prompts
from iclab.prompts.templates import get_template


def _engine(spec: str, dtype: str) -> Engine:
    """An engine for a bundled/hub spec or ``tiny-<arch>``."""
    if spec.startswith("tiny-"):
        from iclab.models.tiny import tiny_model, tiny_tokenizer
        return Engine(tiny_model(spec[5:]).to(getattr(torch, dtype)), tiny_tokenizer(spec[5:]))
    from iclab.models import load_model
    return Engine(load_model(spec, device="cpu", dtype=dtype))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Time the sweep and return the figures."""
    engine = _engine(args.model, args.dtype)
    task = load_task(args.task)
    metric = task_metric(task)
    cfg = LayersConfig(masks=(args.mask,), shots=args.k, n=args.prompts, max_new_tokens=args.new)
    prompts = build_prompts(
        task, engine.tokenizer, shots=args.k, seed=0, template=get_template(default_template(task)),
        limit=args.prompts, sampling="fixed" if metric == "accuracy" else "choice",  # type: ignore[arg-type]
        max_length=engine.max_length, reserve=args.new)
    times, scores = [], None
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        scores = sweep_mask(engine, prompts, task, args.mask, cfg)
        times.append(time.perf_counter() - t0)
    assert scores is not None
    lengths = [len(p.input_ids) for p in prompts]
    return {"model": args.model, "dtype": args.dtype, "task": args.task, "metric": metric,
            "prompts": len(prompts), "k": args.k, "tokens_mean": sum(lengths) / len(lengths),
            "n_layers": len(scores) - 1, "runs_s": [round(t, 3) for t in times],
            "best_s": round(min(times), 3),
            "prompts_per_s": round(len(prompts) / min(times), 3),
            "baseline_score": scores[len(scores) - 1]["score"],
            "layer_scores": {layer: round(s["score"], 4) for layer, s in scores.items()},
            "threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine()}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="gemma-3-270m")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--task", default="glue-sst2")
    ap.add_argument("--k", type=int, default=4)
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--mask", default="examples")
    ap.add_argument("--new", type=int, default=16, help="new tokens (generation tasks)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", action="store_true", help="print one JSON object last")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run and print the figures."""
    out = run(parse(argv))
    print(json.dumps(out) if "--json" in (argv or __import__("sys").argv) else
          "\n".join(f"{k}: {v}" for k, v in out.items()))


if __name__ == "__main__":
    main()
