"""Benchmark choice scoring: iclab vs a naive baseline vs lm-evaluation-harness, same prompts.

Usage::

    python benchmarks/scoring.py --model gemma-3-270m --task glue-sst2 --shots 16 --queries 64 --json

In one process, on the same prompts (``metaicl-minimal``, seed-13 demonstrations, the first N
test queries, choices ``"\\nnegative"``/``"\\npositive"``), it times:

- ``iclab``: :meth:`iclab.engine.Engine.score` (mode ``sum``: shared prefix prefilled once,
  batched queries, logits only where needed);
- ``naive``: the full prompt + choice, one forward per query per label (model's own forward,
  logits kept only at the choice positions);
- ``lm_eval``: EleutherAI lm-evaluation-harness 0.4.x, HF backend, given the same loaded model
  and a custom ``multiple_choice`` task over local files holding the same prompt texts and
  choices (``target_delimiter: ""``, 0-shot since the text already holds the demos); its
  prediction is the argmax of its per-choice log-likelihoods (``acc``).

Reported (``--json``: one object on stdout's last line): wall seconds of each, speed-ups,
fraction of identical predictions, max |log-prob| difference iclab vs naive, and iclab's FLOP
efficiency = 2 x non-embedding params x unique tokens / (iclab seconds x fp32 matmul peak),
where *unique tokens* is the size of the token trie of all (prompt + choice minus its last
token) sequences (the least any method must run through the model) and the peak is measured in
the same run (best of several 2048x2048 fp32 matmuls).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

from iclab.openmp import configure_openmp  # noqa: E402

OMP_POLICY = configure_openmp()  # before torch loads OpenMP (see iclab.openmp)

import torch  # noqa: E402

from iclab.engine import EngineError  # noqa: E402


def matmul_peak(n: int = 2048, repeats: int = 7) -> float:
    """Best-of-``repeats`` fp32 matmul throughput in FLOP/s (square ``n``)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    best = float("inf")
    for _ in range(repeats + 2):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def non_embedding_params(model: Any) -> int:
    """Parameters excluding the input and output embeddings (counted once if tied)."""
    skip = {id(model.get_input_embeddings().weight), id(model.get_output_embeddings().weight)}
    return sum(p.numel() for p in model.parameters() if id(p) not in skip)


def unique_tokens(seqs: Sequence[Sequence[int]]) -> int:
    """Number of nodes of the token trie of ``seqs`` (distinct prefixes)."""
    seen: set[tuple[int, ...]] = set()
    for s in seqs:
        for i in range(1, len(s) + 1):
            seen.add(tuple(s[:i]))
    return len(seen)


def run_iclab(engine: Any, prompts: Sequence[Any], mode: str, over: str = "full",
              repeats: int = 1) -> tuple[float, list[Any], list[float]]:
    """Time :meth:`Engine.score` on every prompt; best of ``repeats`` runs, and all runs."""
    runs = []
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        scores = engine.score(prompts, mode=mode, over=over)
        runs.append(time.perf_counter() - t)
    return min(runs), scores, runs


def run_naive(engine: Any, prompts: Sequence[Any]) -> tuple[float, list[list[float]]]:
    """Time the naive baseline: one full forward per query per choice."""
    from iclab.testing.naive import naive_choice_logprobs

    t = time.perf_counter()
    out = [naive_choice_logprobs(engine.model, p.input_ids,
                                 [engine.encode_choice(c) for c in p.choices]) for p in prompts]
    return time.perf_counter() - t, out


def _lm_eval_task(prompts: Sequence[Any], workdir: Path) -> Path:
    """Write the prompts as a local lm-eval multiple-choice task; return its directory."""
    data = workdir / "data.jsonl"
    with data.open("w", encoding="utf-8") as fh:
        for p in prompts:
            fh.write(json.dumps({"context": p.text, "choices": list(p.choices),
                                 "gold": int(p.target)}) + "\n")
    yaml = (
        "task: iclab_scoring_bench\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {json.dumps(str(data))}\n"
        "test_split: test\n"
        "output_type: multiple_choice\n"
        "doc_to_text: \"{{context}}\"\n"
        "doc_to_choice: choices\n"
        "doc_to_target: gold\n"
        "target_delimiter: \"\"\n"
        "metric_list:\n  - metric: acc\n"
    )
    (workdir / "iclab_scoring_bench.yaml").write_text(yaml)
    return workdir


def run_lm_eval(engine: Any, prompts: Sequence[Any], batch_size: int) -> tuple[float, list[int]]:
    """Time lm-evaluation-harness (HF backend, same model object) on the same prompts."""
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from lm_eval import simple_evaluate
    from lm_eval.models.huggingface import HFLM
    from lm_eval.tasks import TaskManager

    with tempfile.TemporaryDirectory(prefix="iclab-lmeval-") as tmp:
        task_dir = _lm_eval_task(prompts, Path(tmp))
        lm = HFLM(pretrained=engine.model, tokenizer=engine.tokenizer, batch_size=batch_size,
                  device=str(engine.adapter.weight.device))
        manager = TaskManager(include_path=str(task_dir))
        t = time.perf_counter()
        res = simple_evaluate(model=lm, tasks=["iclab_scoring_bench"], num_fewshot=0,
                              task_manager=manager, log_samples=True, verbosity="ERROR")
        seconds = time.perf_counter() - t
    samples = sorted(res["samples"]["iclab_scoring_bench"], key=lambda s: s["doc_id"])
    preds = [max(range(len(s["filtered_resps"])), key=lambda k: s["filtered_resps"][k][0])
             for s in samples]
    return seconds, preds


def build(model: str, task: str, shots: int, queries: int, seed: int, template: str,
          pack: bool = True, own_demos: bool = False) -> tuple:
    """Load the model into an engine and build the prompts (``own_demos``: query i gets the
    demonstrations of seed ``seed + i``, so prompts share no prefix, as lm-eval samples them)."""
    from iclab.data import load_task
    from iclab.engine import BatchLimits, Engine
    from iclab.models import load_model
    from iclab.prompts import build_prompts

    engine = Engine(load_model(model, device="cpu", dtype="float32"),
                    limits=BatchLimits(pack=pack))
    data = load_task(task)
    if not own_demos:
        return engine, build_prompts(data, engine.tokenizer, shots=shots, seed=seed,
                                     template=template, limit=queries,
                                     max_length=engine.max_length)
    prompts = [build_prompts(data, engine.tokenizer, shots=shots, seed=seed + i, template=template,
                             limit=i + 1, max_length=engine.max_length)[i]
               for i in range(queries)]
    return engine, prompts


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    """Run every method and collect the figures."""
    if args.threads:
        torch.set_num_threads(args.threads)
    engine, prompts = build(args.model, args.task, args.shots, args.queries, args.seed,
                            args.template, pack=not args.no_pack, own_demos=args.own_demos)
    engine.score(prompts[:2], mode=args.mode)  # warm-up (allocator, kernels), not timed
    peak = matmul_peak()
    iclab_s, scores, runs = run_iclab(engine, prompts, args.mode, repeats=args.repeats)
    peak = max(peak, matmul_peak())  # peak measured before and after, best kept
    seqs = [list(p.input_ids) + list(engine.encode_choice(c))[:-1]
            for p in prompts for c in p.choices]
    tokens = unique_tokens(seqs)
    flops = 2 * non_embedding_params(engine.model) * tokens
    out: dict[str, Any] = {
        "queries": len(prompts), "shots": args.shots, "own_demos": args.own_demos,
        "model": args.model, "task": args.task,
        "mode": args.mode, "packed": bool(engine.limits.pack and engine.adapter.packs),
        "iclab_s": round(iclab_s, 3),
        "iclab_runs_s": [round(r, 3) for r in runs], "unique_tokens": tokens,
        "prompt_tokens_mean": round(sum(len(p.input_ids) for p in prompts) / len(prompts), 1),
        "matmul_peak_gflops": round(peak / 1e9, 2),
        "flop_efficiency": round(flops / iclab_s / peak, 4),
        "accuracy_iclab": sum(s.correct for s in scores) / len(scores),
        "threads": torch.get_num_threads(), "machine": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2),
        "omp_wait_policy": OMP_POLICY,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    iclab_pred = [s.prediction for s in scores]
    try:  # label-rows-only variant (first token after the shared lead; no full-vocab rows)
        lab_s, lab, _ = run_iclab(engine, prompts, "first", "labels", args.repeats)
    except EngineError:  # choices differ in more than one token
        lab_s, lab = 0.0, []
    if lab:
        out["iclab_labels_only_s"] = round(lab_s, 3)
        out["flop_efficiency_labels_only"] = round(flops / lab_s / peak, 4)
        out["agreement_labels_only"] = sum(
            a.prediction == b for a, b in zip(lab, iclab_pred)) / len(prompts)
    if not args.skip_naive:
        naive_s, naive_lp = run_naive(engine, prompts)
        out["naive_s"] = round(naive_s, 3)
        out["speedup_vs_naive"] = round(naive_s / iclab_s, 2)
        out["max_abs_logprob_diff_vs_naive"] = max(
            abs(a - b) for s, ref in zip(scores, naive_lp) for a, b in zip(s.logprobs, ref))
        out["agreement_naive"] = sum(
            p == max(range(len(r)), key=r.__getitem__) for p, r in zip(iclab_pred, naive_lp)
        ) / len(prompts)
    if not args.skip_lm_eval:
        lm_s, lm_pred = run_lm_eval(engine, prompts, args.lm_eval_batch_size)
        out["lm_eval_s"] = round(lm_s, 3)
        out["speedup_vs_lm_eval"] = round(lm_s / iclab_s, 2)
        out["agreement_lm_eval"] = sum(a == b for a, b in zip(iclab_pred, lm_pred)) / len(prompts)
    for key in ("naive_s", "speedup_vs_naive", "lm_eval_s", "speedup_vs_lm_eval",
                "agreement_lm_eval"):
        out.setdefault(key, None)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--task", default="glue-sst2")
    parser.add_argument("--shots", type=int, default=16)
    parser.add_argument("--queries", type=int, default=64)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--template", default="metaicl-minimal")
    parser.add_argument("--mode", default="sum", choices=("first", "sum", "mean"))
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="iclab runs timed (best kept; a shared VM's timings are noisy)")
    parser.add_argument("--no-pack", action="store_true",
                        help="iclab without packed rows (padded batches), for comparison")
    parser.add_argument("--own-demos", action="store_true",
                        help="each query its own demonstrations (seed + i): no shared prefix")
    parser.add_argument("--lm-eval-batch-size", type=int, default=8)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-lm-eval", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args(argv)
    out = benchmark(args)
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>32}: {v}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
