"""Benchmark the layer sweep's reuse and the compute saved by dropping the context above r.

Usage::

    python benchmarks/layers.py --json            # smollm2-135m, word-sentiment, k=5
    python benchmarks/layers.py --model tiny-llama --prompts 2

Reports (last line, with ``--json``, one JSON object):

- ``sweep_cost_ratio``: wall time of a sweep over L = 0..n with shared lower layers divided by
  the time of n + 1 independent masked runs of the whole prompt (examples masked); also
  ``sweep_flop_ratio`` (FLOPs counted by ``torch.utils.flop_counter.FlopCounterMode``).
- ``measured_saving``: 1 - FLOPs(context through layers < r only, query through all) /
  FLOPs(full unmasked prompt), both including the LM head at the last position;
  ``measured_time_saving`` the same with wall time; ``formula_saving`` the paper's
  ``(n - r)/n * k/(k + 1)``; ``formula_token_share`` the same with the measured context share
  ``C/T`` in place of ``k/(k + 1)``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any, Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from iclab.data import load_task
from iclab.engine.layer_sweep import layer_sweep
from iclab.engine.masking import ContextMask, mask_context, row_mask
from iclab.testing.truncated_context import formula_saving, truncated_forward, truncated_prefill
from iclab.prompts import build_prompts


def _load(spec: str) -> tuple[Any, Any]:
    """(model, tokenizer) for a bundled/hub spec or ``tiny-<arch>``."""
    if spec.startswith("tiny-"):
        from iclab.models.tiny import tiny_model, tiny_tokenizer
        return tiny_model(spec[5:]), tiny_tokenizer(spec[5:])
    from iclab.models import load_model
    lm = load_model(spec, device="cpu")
    return lm.model, lm.tokenizer


def _timed(fn: Callable[[], Any], repeats: int) -> float:
    """Least wall time of ``fn`` over ``repeats`` runs (the least noisy on a shared machine)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _flops(fn: Callable[[], Any]) -> int:
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def _head(model: Any, hidden: torch.Tensor) -> torch.Tensor:
    """Logits (B, V) of the last position."""
    return model.get_output_embeddings()(hidden[:, -1])


def _independent_sweep(model: Any, x: torch.Tensor, mask: ContextMask, n: int) -> None:
    for layer in range(n + 1):
        with torch.inference_mode(), mask_context(model, mask.at(layer)):
            _head(model, model.get_decoder()(input_ids=x).last_hidden_state)


def _shared_sweep(model: Any, x: torch.Tensor, mask: ContextMask) -> None:
    with torch.inference_mode():
        for point in layer_sweep(model, x, mask):
            _head(model, point.hidden)


def _full(model: Any, x: torch.Tensor) -> None:
    with torch.inference_mode():
        _head(model, model.get_decoder()(input_ids=x).last_hidden_state)


def _truncated(model: Any, x: torch.Tensor, c: int, r: int) -> None:
    prefix = truncated_prefill(model, x[:, :c], keep_layers=r)
    with torch.inference_mode():
        _head(model, truncated_forward(model, prefix, x[:, c:]))


def run(args: argparse.Namespace) -> dict[str, Any]:
    torch.manual_seed(0)
    model, tok = _load(args.model)
    n = model.config.get_text_config().num_hidden_layers
    r = args.r if args.r is not None else round(0.45 * n)
    prompts = build_prompts(load_task(args.task), tok, shots=args.k, seed=0, limit=args.prompts)
    t_sweep = t_indep = t_full = t_trunc = 0.0
    f_sweep = f_indep = f_full = f_trunc = 0
    shares = []
    _full(model, torch.tensor([prompts[0].input_ids]))  # warm-up
    for p in prompts:
        x = torch.tensor([p.input_ids])
        c = p.spans_of("query")[0].tok_start
        shares.append(c / x.shape[1])
        mask = ContextMask(0, (row_mask(p, args.mask),))
        t_sweep += _timed(lambda: _shared_sweep(model, x, mask), args.repeats)
        t_indep += _timed(lambda: _independent_sweep(model, x, mask, n), args.repeats)
        t_full += _timed(lambda: _full(model, x), args.time_repeats)
        t_trunc += _timed(lambda: _truncated(model, x, c, r), args.time_repeats)
        f_sweep += _flops(lambda: _shared_sweep(model, x, mask))
        f_indep += _flops(lambda: _independent_sweep(model, x, mask, n))
        f_full += _flops(lambda: _full(model, x))
        f_trunc += _flops(lambda: _truncated(model, x, c, r))
    formula = formula_saving(n, r, args.k)
    measured = 1 - f_trunc / f_full
    share = statistics.mean(shares)
    return {
        "model": args.model, "task": args.task, "k": args.k, "prompts": len(prompts),
        "mask": args.mask, "n_layers": n, "r": r, "threads": torch.get_num_threads(),
        "sweep_cost_ratio": round(t_sweep / t_indep, 4),
        "sweep_flop_ratio": round(f_sweep / f_indep, 4),
        "sweep_seconds": round(t_sweep, 4), "independent_seconds": round(t_indep, 4),
        "measured_saving": round(measured, 4),
        "measured_time_saving": round(1 - t_trunc / t_full, 4),
        "formula_saving": round(formula, 4),
        "formula_token_share": round((n - r) / n * share, 4),
        "context_share": round(share, 4),
        "relative_gap": round(abs(measured - formula) / formula, 4),
        "full_gflops": round(f_full / 1e9, 4), "truncated_gflops": round(f_trunc / 1e9, 4),
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options (also used by ``layers_proof.py``)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--task", default="word-sentiment")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--prompts", type=int, default=2)
    ap.add_argument("--mask", default="examples")
    ap.add_argument("--r", type=int, default=None, help="context kept by layers < r "
                    "(default round(0.45 n), the paper's Llama-7B 14/32)")
    ap.add_argument("--repeats", type=int, default=1, help="timed repeats of each sweep")
    ap.add_argument("--time-repeats", type=int, default=5,
                    help="timed repeats of the full and truncated runs")
    ap.add_argument("--json", action="store_true", help="print one JSON object last")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:24s} {value}")


if __name__ == "__main__":
    sys.exit(main())
