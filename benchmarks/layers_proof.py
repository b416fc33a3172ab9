"""Offline proof for the where-ICL layer analysis: masking sweeps on both bundled models.

For gemma-3-270m and smollm2-135m, sweeps the examples-masked and instructions+examples-masked
configs on a built-in classification task (``word-sentiment`` with an instruction line) and on
FLORES en→fr (``qa-translation``, small n), then one measured-savings run per model. Writes
per run ``rows.jsonl``, ``summary.json`` and ``layers.png`` under ``--out``, and prints one JSON
object (the recognition layer per model, task and mask; null where none was found)::

    python benchmarks/layers_proof.py --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

MODELS = ("gemma-3-270m", "smollm2-135m")
MASKS = ("examples", "instructions,examples")
INSTRUCTION = "Classify the sentiment of each word as positive or negative."


def _runs(n_cls: int, n_mt: int) -> list[tuple[str, dict[str, Any]]]:
    """(task, LayersConfig kwargs) of each sweep."""
    return [("word-sentiment", {"masks": MASKS, "shots": 5, "n": n_cls, "instruction": INSTRUCTION}),
            ("flores-eng-fra", {"masks": MASKS, "shots": 5, "n": n_mt})]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="runs/layers-proof")
    ap.add_argument("--n-cls", type=int, default=20, help="classification queries")
    ap.add_argument("--n-mt", type=int, default=3, help="translation queries")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--tasks", default="word-sentiment,flores-eng-fra",
                    help="comma-separated subset of the proof's tasks")
    ap.add_argument("--max-new-tokens", type=int, default=50,
                    help="translation generation budget (paper: 50)")
    ap.add_argument("--skip-savings", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from iclab.analyses.layers.run import LayersConfig, run_layers, summarize, write_outputs
    from iclab.data import load_task
    from iclab.engine import Engine
    from iclab.models import load_model

    result: dict[str, Any] = {"recognition_layers": {}, "savings": {}, "outputs": []}
    for model in args.models.split(","):
        engine = Engine(load_model(model, device="cpu"))
        wanted = args.tasks.split(",")
        for task_name, kwargs in _runs(args.n_cls, args.n_mt):
            if task_name not in wanted:
                continue
            cfg = LayersConfig(**kwargs, max_new_tokens=args.max_new_tokens)
            rows = run_layers(engine, load_task(task_name), cfg, model)
            summary = summarize(rows)
            out = Path(args.out) / model / task_name
            result["outputs"] += [str(p) for p in write_outputs(rows, summary, cfg, out)]
            result["recognition_layers"][f"{model}/{task_name}"] = {
                m: {"recognition_layer": s["recognition_layer"], "baseline": s["baseline"],
                    "metric": summary["metric"], "n_layers": summary["n_layers"]}
                for m, s in summary["masks"].items()}
            print(f"{model} {task_name}: " + json.dumps(
                result["recognition_layers"][f"{model}/{task_name}"]), file=sys.stderr)
        if not args.skip_savings:
            sys.path.insert(0, str(Path(__file__).parent))
            import layers as bench

            result["savings"][model] = bench.run(bench.parse([
                "--model", model, "--prompts", "1"]))
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "summary.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
