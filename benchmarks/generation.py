"""Benchmark greedy generation: packed rows (any lengths in one batch) vs same-length batches.

Usage::

    python benchmarks/generation.py --model gemma-3-270m --task flores-eng-fra --queries 16 --json

Builds ``qa-translation`` prompts (5 seeded demonstrations shared by every query, the first N
test queries, which differ in length) and times :meth:`iclab.engine.Engine.generate` twice on
the same prompts: with packed rows (the default) and with ``BatchLimits(pack=False)`` (prompts
batched only with others of the same length). Checks that both produce identical tokens and
prints wall seconds, the speed-up and tokens generated (``--json``: one object, last line).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from typing import Any, Sequence

from iclab.openmp import configure_openmp  # noqa: E402

OMP_POLICY = configure_openmp()  # before torch loads OpenMP (see iclab.openmp)

import torch  # noqa: E402


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Time both generation paths on the same prompts."""
    from iclab.data import load_task
    from iclab.engine import BatchLimits, Engine
    from iclab.models import load_model
    from iclab.prompts import build_prompts

    if args.threads:
        torch.set_num_threads(args.threads)
    loaded = load_model(args.model, device="cpu", dtype="float32")
    prompts = build_prompts(load_task(args.task), loaded.tokenizer, shots=args.shots, seed=args.seed,
                            template="qa-translation", sampling="choice", limit=args.queries,
                            max_length=None, reserve=args.max_new_tokens)
    out: dict[str, Any] = {"model": args.model, "task": args.task, "queries": len(prompts),
                           "shots": args.shots, "max_new_tokens": args.max_new_tokens,
                           "distinct_prompt_lengths": len({len(p.input_ids) for p in prompts})}
    texts = {}
    for name, pack in (("packed", True), ("same_length", False)):
        engine = Engine(loaded, limits=BatchLimits(pack=pack))
        engine.generate(prompts[:1], max_new_tokens=2)  # warm-up, not timed
        t = time.perf_counter()
        gens = engine.generate(prompts, max_new_tokens=args.max_new_tokens, stop=("Q:",))
        out[f"{name}_s"] = round(time.perf_counter() - t, 3)
        texts[name] = [g.token_ids for g in gens]
        out[f"{name}_tokens"] = sum(len(g.token_ids) for g in gens)
    out["speedup"] = round(out["same_length_s"] / out["packed_s"], 2)
    out["identical_outputs"] = sum(a == b for a, b in zip(texts["packed"], texts["same_length"]))
    out.update({"threads": torch.get_num_threads(), "cpu_count": os.cpu_count(),
                "machine": platform.processor() or platform.machine(),
                "load_avg_1m": round(os.getloadavg()[0], 2), "omp_wait_policy": OMP_POLICY,
                "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")})
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--task", default="flores-eng-fra")
    parser.add_argument("--queries", type=int, default=16)
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-new-tokens", type=int, default=50)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    out = run(args)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
