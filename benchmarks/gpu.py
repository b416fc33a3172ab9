"""Research-scale benchmark: random-weight models of real shapes, real tokenizer and data.

Usage::

    python benchmarks/gpu.py --json                     # GPU: the four real shapes, bf16
    python benchmarks/gpu.py --small --json             # CPU: shrunk shapes, fp32, minutes
    python benchmarks/gpu.py --small --models llama-1b --json

Models: gemma3-270m, llama-1b, pythia-1.4b, llama-7b (:mod:`shapes`; weights random, since
speed and exactness depend on the shapes only); ``--small`` shrinks them
(hidden 512, 8 layers) and the workload. Tokenizer: the bundled gemma-3-270m's (262,144 ids;
every model gets that vocabulary); with ``--small`` the bundled SmolLM2's (49,152 ids), so the
small bodies keep a weight comparable to the output head's, as the real shapes do (see
:mod:`shapes`). Data through the task registry: glue-sst2 (``metaicl-minimal``, seed 13) for
scoring, sweeps and agreement; FLORES en→fr (``qa-translation``, shared demonstrations) for
generation. Per model it reports:

- ``score_speedup_vs_hf``: lm-eval-style HF batched scoring time (every prompt+choice row,
  right-padded batches, full logits, log-softmax over the vocabulary) / ``Engine.score`` time;
- ``mfu``: 2 x non-embedding params x unique tokens (token-trie size) / Engine.score time /
  the bf16 matmul peak measured in this run (on CPU the run is fp32, and ``peak_dtype`` says
  which peak is used: the CPU's fp32 peak, bf16 matmul being ~400x slower there);
- ``generate_speedup_vs_hf``: HF ``model.generate`` (left-padded, greedy) time /
  ``Engine.generate`` time on the same prompts and budget; ``generate_identical`` the fraction
  of prompts with identical tokens (exactly 1.0 expected in fp32);
- ``layer_sweep_prompts_per_s``: ``iclab.analyses.layers.run.sweep_mask`` (examples masked);
- ``bf16_agreement_vs_fp32``: fraction of queries whose Engine.score prediction in bf16
  equals fp32's; ``hf_bf16_agreement_vs_fp32`` the same for the HF baseline, and the largest
  log-prob differences of both.

lm-evaluation-harness is not required (its scoring is reproduced above). ``--json`` prints one
object on stdout's last line: ``{"device", "models": {NAME: {...}}, ...}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

sys.path.insert(0, str(Path(__file__).parent))
from shapes import SHAPES, build, default_tokenizer, non_embedding_params, shape  # noqa: E402

FULL = dict(shots=16, queries=512, gen_prompts=32, gen_shots=16, new_tokens=32,
            sweep_prompts=32, agree_queries=512, hf_batch=16, repeats=3)
SMALL = dict(shots=4, queries=8, gen_prompts=8, gen_shots=4, new_tokens=8,
             sweep_prompts=4, agree_queries=4, hf_batch=2, repeats=2)


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Least wall time of ``repeats`` calls (synchronizing CUDA), and the last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        _sync()
        t = time.perf_counter()
        out = fn()
        _sync()
        best = min(best, time.perf_counter() - t)
    return best, out


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def matmul_peak(dtype: torch.dtype, device: str, n: int = 4096, repeats: int = 5) -> float:
    """Best-of-``repeats`` square matmul throughput in FLOP/s."""
    n = n if device != "cpu" else 1024
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    t, _ = best_of(lambda: a @ b, repeats + 2)
    return 2 * n**3 / t


def unique_tokens(seqs: Sequence[Sequence[int]]) -> int:
    """Nodes of the token trie of ``seqs`` (the least any method must run)."""
    return len({tuple(s[:i]) for s in seqs for i in range(1, len(s) + 1)})


def hf_scores(model: Any, rows: Sequence[tuple[list[int], list[int]]], batch: int
              ) -> list[float]:
    """lm-eval style: each (context, continuation) row right-padded in batches, full logits,
    fp32 log-softmax over the vocabulary, continuation log-probs summed."""
    out: list[float] = []
    device = model.device
    with torch.inference_mode():
        for s in range(0, len(rows), batch):
            part = rows[s:s + batch]
            width = max(len(c) + len(x) for c, x in part)
            ids = torch.zeros(len(part), width, dtype=torch.long)
            att = torch.zeros(len(part), width, dtype=torch.long)
            for i, (c, x) in enumerate(part):
                ids[i, :len(c) + len(x)] = torch.tensor(c + x)
                att[i, :len(c) + len(x)] = 1
            logp = torch.log_softmax(model(input_ids=ids.to(device),
                                           attention_mask=att.to(device)).logits.float(), -1)
            for i, (c, x) in enumerate(part):
                pos = torch.arange(len(c) - 1, len(c) + len(x) - 1, device=device)
                out.append(float(logp[i, pos, torch.tensor(x, device=device)].sum()))
    return out


def hf_generate(model: Any, prompts: Sequence[Any], new: int) -> list[list[int]]:
    """HF ``generate``: left-padded batch, greedy, ``new`` tokens (no early stop)."""
    from iclab.testing.hf_generate import hf_generate as reference

    return reference(model, prompts, new, min_new=new)


def score_rows(engine: Any, prompts: Sequence[Any]) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, choice ids) of every prompt and choice, in order."""
    return [(list(p.input_ids), list(engine.encode_choice(c))) for p in prompts for c in p.choices]


def _preds(values: Sequence[float], prompts: Sequence[Any]) -> list[int]:
    out, i = [], 0
    for p in prompts:
        k = len(p.choices)
        out.append(max(range(k), key=lambda j: values[i + j]))
        i += k
    return out


def agreement(tok: Any, name: str, small: bool, device: str, prompts: Sequence[Any],
              hf_batch: int) -> dict[str, float]:
    """bf16 vs fp32 predictions and log-probs, for iclab and the HF baseline."""
    from iclab.engine import Engine

    got: dict[str, dict[torch.dtype, list[float]]] = {"iclab": {}, "hf": {}}
    for dtype in (torch.float32, torch.bfloat16):
        model = build(name, len(tok), small, dtype, device)
        engine = Engine(model, tok)
        got["iclab"][dtype] = [v for s in engine.score(prompts) for v in s.logprobs]
        got["hf"][dtype] = hf_scores(model, score_rows(engine, prompts), hf_batch)
        del engine, model
    out = {}
    for who, prefix in (("iclab", ""), ("hf", "hf_")):
        a, b = got[who][torch.float32], got[who][torch.bfloat16]
        same = sum(x == y for x, y in zip(_preds(a, prompts), _preds(b, prompts)))
        out[f"{prefix}bf16_agreement_vs_fp32"] = round(same / len(prompts), 4)
        out[f"{prefix}bf16_max_logprob_diff"] = round(max(abs(x - y) for x, y in zip(a, b)), 4)
    return out


def bench_model(name: str, tok: Any, data: dict[str, Any], cfg: dict[str, Any], small: bool,
                device: str, dtype: torch.dtype, peak: float) -> dict[str, Any]:
    """Every figure for one model shape."""
    from iclab.analyses.layers.run import LayersConfig, sweep_mask
    from iclab.engine import Engine

    model = build(name, len(tok), small, dtype, device)
    engine = Engine(model, tok)
    sst2 = data["sst2"]
    engine.score(sst2[:2])  # warm-up
    score_s, scores = best_of(lambda: engine.score(sst2), cfg["repeats"])
    rows = score_rows(engine, sst2)
    hf_s, hf_vals = best_of(lambda: hf_scores(model, rows, cfg["hf_batch"]), 1)
    ours = [v for s in scores for v in s.logprobs]
    n_params = non_embedding_params(model)
    tokens = unique_tokens([c + x[:-1] for c, x in rows])
    gen = data["flores"]
    engine.generate(gen[:1], max_new_tokens=2)
    hf_generate(model, gen[:1], 2)
    new = cfg["new_tokens"]
    gen_s, gens = best_of(lambda: engine.generate(gen, max_new_tokens=new), cfg["repeats"])
    hf_gen_s, ref = best_of(lambda: hf_generate(model, gen, new), 1)
    identical = sum(list(g.token_ids) == r[:len(g.token_ids)] for g, r in zip(gens, ref))
    sweep = data["sweep"]
    lcfg = LayersConfig(masks=("examples",), shots=cfg["shots"], n=len(sweep))
    sweep_s, _ = best_of(lambda: sweep_mask(engine, sweep, data["sst2_task"], "examples", lcfg),
                         1)
    out = {
        "shape": shape(name, small),
        "non_embedding_params": n_params,
        "head_params": int(model.get_output_embeddings().weight.numel()),
        "score_s": round(score_s, 4), "hf_score_s": round(hf_s, 4),
        "score_speedup_vs_hf": round(hf_s / score_s, 2),
        "score_agreement_vs_hf": round(sum(a == b for a, b in zip(
            _preds(ours, sst2), _preds(hf_vals, sst2))) / len(sst2), 4),
        "score_max_logprob_diff_vs_hf": round(max(abs(a - b) for a, b in zip(ours, hf_vals)), 5),
        "unique_tokens": tokens,
        "mfu": round(2 * n_params * tokens / score_s / peak, 4),
        "generate_s": round(gen_s, 4), "hf_generate_s": round(hf_gen_s, 4),
        "generate_speedup_vs_hf": round(hf_gen_s / gen_s, 2),
        "generate_identical": round(identical / len(gen), 4),
        "layer_sweep_s": round(sweep_s, 3),
        "layer_sweep_prompts_per_s": round(len(sweep) / sweep_s, 3),
    }
    del engine, model
    if device == "cuda":
        torch.cuda.empty_cache()
    out.update(agreement(tok, name, small, device, sst2[:cfg["agree_queries"]], cfg["hf_batch"]))
    return out


def load_data(tok: Any, cfg: dict[str, Any]) -> dict[str, Any]:
    """sst2 scoring/sweep prompts and FLORES generation prompts (real data, registry)."""
    from iclab.data import load_task
    from iclab.prompts import build_prompts

    sst2_task = load_task("glue-sst2")
    sst2 = build_prompts(sst2_task, tok, shots=cfg["shots"], seed=13, template="metaicl-minimal",
                         limit=cfg["queries"])
    flores = build_prompts(load_task("flores-eng-fra"), tok, shots=cfg["gen_shots"], seed=13,
                           template="qa-translation", sampling="choice",
                           limit=cfg["gen_prompts"], reserve=cfg["new_tokens"])
    return {"sst2": sst2, "sst2_task": sst2_task, "flores": flores,
            "sweep": sst2[:cfg["sweep_prompts"]]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark."""
    from iclab.models.loader import load_tokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() and not args.cpu else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    cfg = dict(SMALL if args.small else FULL)
    if args.queries:  # caps every prompt count (a quick check of the whole pipeline)
        for key in ("queries", "gen_prompts", "sweep_prompts", "agree_queries"):
            cfg[key] = min(cfg[key], args.queries) if key != "queries" else args.queries
    tok = load_tokenizer(default_tokenizer(args.small))
    data = load_data(tok, cfg)
    peak = matmul_peak(dtype, device)
    models = {}
    for name in args.models.split(","):
        models[name] = bench_model(name, tok, data, cfg, args.small, device, dtype, peak)
        print(f"{name}: {json.dumps(models[name])}", file=sys.stderr)
    return {"device": torch.cuda.get_device_name() if device == "cuda" else
            f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)",
            "tokenizer": default_tokenizer(args.small), "threads": torch.get_num_threads(),
            "dtype": str(dtype).removeprefix("torch."), "peak_dtype": str(dtype).removeprefix("torch."),
            "peak_flops": round(peak), "small": args.small,
            "workload": cfg, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "torch": torch.__version__, "models": models}


def main(argv: Sequence[str] | None = None) -> None:
    """Parse options, run, print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--small", action="store_true", help="shrunk shapes and workload (CPU)")
    ap.add_argument("--models", default=",".join(SHAPES))
    ap.add_argument("--queries", type=int, default=0,
                    help="scoring queries, and at most this many prompts elsewhere (0: default)")
    ap.add_argument("--cpu", action="store_true", help="run on the CPU even with CUDA")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch CPU threads (0: torch's default); 1 keeps a shared CPU's "
                         "figures steady")
    ap.add_argument("--json", action="store_true", help="one JSON object on the last line")
    args = ap.parse_args(argv)
    out = run(args)
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
