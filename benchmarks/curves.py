"""Benchmark ICL curves: one teacher-forced pass vs evaluating each k = 0..N-1 separately.

Usage::

    python benchmarks/curves.py --model gemma-3-270m --task lr-sst2 --demos 64 --json

On one repeat's ``label-relationships`` prompt of N demonstrations it times:

- ``one_pass``: :meth:`iclab.engine.Engine.curves` — one forward of the whole prompt, the K
  label logits read at every demonstration's label position;
- ``per_k`` (the baseline of ``speedup_vs_per_k``): for every k, the prompt of demos 0..k-1
  with demo k as the query, scored the standard way — the model's own forward with full
  logits, once per k and per label, as lm-evaluation-harness scores choices;
- ``per_k_engine``: the same prompts scored by :meth:`Engine.score` over the label words (one
  forward per k, label rows only) — per-k evaluation with iclab's own fast path, reported as
  ``speedup_vs_per_k_engine``.

It checks that all three give the same label distributions (max |Δ log-prob|) and prints wall
seconds and speed-ups; ``--json`` prints one object on stdout's last line with at least
``speedup_vs_per_k`` and ``demos``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import datetime, timezone

from iclab.openmp import configure_openmp  # noqa: E402

OMP_POLICY = configure_openmp()  # before torch loads OpenMP (see iclab.openmp)

import numpy as np  # noqa: E402
import torch  # noqa: E402


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--task", default="lr-sst2")
    parser.add_argument("--demos", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from iclab.analyses.curves.run import CurvesConfig, repeat_prompts
    from iclab.data import load_task
    from iclab.engine import Engine
    from iclab.testing.naive import naive_choice_logprobs
    from iclab.models import load_model
    from iclab.prompts import build_prompt, sample_iid

    loaded = load_model(args.model)
    engine = Engine(loaded)
    task = load_task(args.task)
    cfg = CurvesConfig(settings=("default",), repeats=1, demos=args.demos)
    prompt = repeat_prompts(task, engine.tokenizer, cfg, args.repeat, engine.max_length)["default"]
    pool = task.split("train")
    draw = sample_iid(len(pool), args.demos, args.repeat, test_size=len(task.split("test")), n_test=1)
    demos = [pool[i] for i in draw.demo_indices]
    per_k_prompts = [build_prompt(task, demos[:k], demos[k], "label-relationships", "gold",
                                  engine.tokenizer) for k in range(args.demos)]
    engine.curves([prompt])  # warm-up (allocator, threads)

    one, t_one = _timed(lambda: np.array(engine.curves([prompt])[0].logprobs))
    per_k_engine, t_engine = _timed(lambda: np.array(
        [engine.score([p], mode="first", over="labels")[0].logprobs for p in per_k_prompts]))

    def per_k_standard() -> np.ndarray:
        rows = []
        for p in per_k_prompts:
            choices = [engine.encode_choice(c) for c in p.choices]
            lp = torch.tensor(naive_choice_logprobs(loaded.model, p.input_ids,
                                                    [c[:1] for c in choices]))
            rows.append(torch.log_softmax(lp, 0).tolist())
        return np.array(rows)

    per_k, t_k = _timed(per_k_standard)
    result = {
        "model": loaded.id.key, "task": args.task, "demos": args.demos,
        "prompt_tokens": len(prompt.input_ids),
        "per_k_tokens": sum(len(p.input_ids) for p in per_k_prompts),
        "one_pass_s": round(t_one, 3), "per_k_s": round(t_k, 3),
        "per_k_engine_s": round(t_engine, 3),
        "speedup_vs_per_k": round(t_k / t_one, 2),
        "speedup_vs_per_k_engine": round(t_engine / t_one, 2),
        "max_abs_diff_per_k": float(np.abs(one - per_k).max()),
        "max_abs_diff_per_k_engine": float(np.abs(one - per_k_engine).max()),
    }
    result.update(date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  machine=f"{platform.machine()}, {os.cpu_count()} cores",
                  torch_threads=torch.get_num_threads(), omp_wait_policy=OMP_POLICY)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
