"""Greedy generation: ``Engine.generate`` vs HF ``model.generate``, alternating rounds.

Usage::

    PYTHONPATH=src python benchmarks/generate_vs_hf.py --model tiny-llama --json
    PYTHONPATH=src python benchmarks/generate_vs_hf.py --model llama-1b --small --json
    PYTHONPATH=src python benchmarks/generate_vs_hf.py --model llama-1b --small --profile

Models: ``tiny-llama``, ``tiny-gpt_neox``, ``tiny-gemma3`` (:mod:`iclab.models.tiny`, their
own 512-id tokenizer) or a shape of :mod:`shapes` (random weights, ``--small`` to shrink it;
tokenizer: ``--tokenizer``, default the shapes' own choice). Prompts: glue-sst2
``metaicl-minimal`` with ``--shots`` seed-13 demonstrations shared by every query (``--own``:
each query gets its own demonstrations, so nothing is shared). Each round times
``Engine.generate`` then HF ``generate`` (left-padded batch, greedy, ``min_new_tokens`` so
both make every token) on the same prompts; the figure is best vs best over ``--rounds``
because the machine is shared and noisy. Tokens are compared (identical in fp32 expected).
``--profile`` instead runs one ``Engine.generate`` under the torch profiler and prints where
its time went. ``--json`` prints one object on stdout's last line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import torch

sys.path.insert(0, str(Path(__file__).parent))
from gpu import hf_generate  # noqa: E402
from shapes import build, default_tokenizer, non_embedding_params  # noqa: E402


def load(name: str, small: bool, tokenizer: str | None) -> tuple[Any, Any]:
    """(model, tokenizer) of a tiny architecture or a random-weight shape (fp32, CPU)."""
    if name.startswith("tiny-"):
        from iclab.models.tiny import tiny_model, tiny_tokenizer

        arch = name.removeprefix("tiny-")
        return tiny_model(arch), tiny_tokenizer(arch)  # type: ignore[arg-type]
    from iclab.models.loader import load_tokenizer

    tok = load_tokenizer(tokenizer or default_tokenizer(small))
    return build(name, len(tok), small), tok


def prompts_for(tok: Any, n: int, shots: int, own: bool) -> list[Any]:
    """glue-sst2 prompts: shared demonstrations, or each query its own (``own``)."""
    from iclab.data import load_task
    from iclab.prompts import build_prompts

    task = load_task("glue-sst2")
    if not own:
        return build_prompts(task, tok, shots=shots, seed=13, template="metaicl-minimal", limit=n)
    return [build_prompts(task, tok, shots=shots, seed=13 + i, template="metaicl-minimal",
                          limit=n)[i] for i in range(n)]


def profile(engine: Any, prompts: Sequence[Any], new: int, rows: int) -> None:
    """Print the torch profiler's table of one ``Engine.generate`` (CPU time per op)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        engine.generate(prompts, max_new_tokens=new)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Alternate Engine and HF rounds; return the timings and the token comparison."""
    from iclab.engine import Engine

    if args.threads:
        torch.set_num_threads(args.threads)
    model, tok = load(args.model, args.small, args.tokenizer)
    prompts = prompts_for(tok, args.prompts, args.shots, args.own)
    engine = Engine(model, tok)
    engine.generate(prompts[:1], max_new_tokens=2)  # warm-up, not timed
    hf_generate(model, prompts[:1], 2)
    if args.profile:
        profile(engine, prompts, args.new, args.profile_rows)
        return {}
    ours_s, hf_s = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        gens = engine.generate(prompts, max_new_tokens=args.new)
        ours_s.append(time.perf_counter() - t)
        t = time.perf_counter()
        ref = hf_generate(model, prompts, args.new)
        hf_s.append(time.perf_counter() - t)
    identical = sum(list(g.token_ids) == r[:len(g.token_ids)] for g, r in zip(gens, ref))
    lengths = [len(p.input_ids) for p in prompts]
    return {"model": args.model, "small": args.small, "tokenizer_vocab": len(tok),
            "non_embedding_params": non_embedding_params(model),
            "head_params": int(model.get_output_embeddings().weight.numel()),
            "prompts": len(prompts), "shots": args.shots, "own_demos": args.own,
            "mean_prompt_tokens": round(sum(lengths) / len(lengths), 1), "new_tokens": args.new,
            "engine_s": [round(x, 3) for x in ours_s], "hf_s": [round(x, 3) for x in hf_s],
            "speedup_best_vs_best": round(min(hf_s) / min(ours_s), 2),
            "identical": f"{identical}/{len(prompts)}",
            "eos_stops": sum(g.stopped == "eos" for g in gens),
            "threads": torch.get_num_threads(), "machine": platform.processor() or
            platform.machine(), "load_avg_1m": round(os.getloadavg()[0], 2),
            "torch": torch.__version__,
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def main(argv: Sequence[str] | None = None) -> None:
    """Parse options, run, print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="tiny-llama")
    ap.add_argument("--small", action="store_true", help="shrink a shapes.py model (CPU)")
    ap.add_argument("--tokenizer", default=None, help="bundled model whose tokenizer to use")
    ap.add_argument("--prompts", type=int, default=8)
    ap.add_argument("--shots", type=int, default=16)
    ap.add_argument("--own", action="store_true", help="each query its own demonstrations")
    ap.add_argument("--new", type=int, default=16, help="new tokens per prompt")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    ap.add_argument("--profile", action="store_true", help="profile one Engine.generate")
    ap.add_argument("--profile-rows", type=int, default=25)
    ap.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = ap.parse_args(argv)
    out = run(args)
    if out:
        print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
