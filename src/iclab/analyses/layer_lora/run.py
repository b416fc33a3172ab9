"""Per-layer LoRA: which single layer, when adapted, teaches the task zero-shot?

The where-ICL paper (Sia, Mueller & Duh, NeurIPS 2024, §2 of PAPERS.md) trains one LoRA adapter
(r=8, alpha=32, dropout 0.05) on a single layer's attention output projection, sweeps that layer
over the model and evaluates every adapted model zero-shot; layers before the task-recognition
point tune well, later ones do not. Here, for each layer L:

1. training pairs are the task's train split in exactly the zero-shot prompt format the
   evaluation uses (classification: the template's query text -> ``" label"``; translation:
   ``Q:{src}A:`` of the ``qa-translation`` preset -> ``{tgt}`` + EOS; classification pairs
   get no EOS: the evaluation ranks the label's first token, and an EOS after the label
   dominates the loss, ~10 nats/token on smollm2-135m);
2. :func:`iclab.engine.training.finetune` trains a deep copy of the model with one adapter on
   ``layers.{L}.{module}`` (the base model is never touched) and merges it;
3. a fresh :class:`~iclab.engine.Engine` on the merged copy scores the zero-shot test prompts
   (accuracy by first-token label ranking, or greedy decoding + BLEU for translation).

Each row also carries the untouched model's zero-shot score (``baseline``) and the first/last
training loss. ``layer`` is 0-based (plots show ``layer + 1``, as the masking curves do).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Sequence

from iclab.engine import ATTENTION_OUTPUTS, EngineError, FinetuneConfig, layer_targets
from iclab.analyses.layers.run import default_template, task_metric
from iclab.data.types import Task
from iclab.metrics.translation import translation_scores
from iclab.prompts import build_prompts
from iclab.prompts.build import build_prompt
from iclab.prompts.types import Prompt

Progress = Callable[[int], None] | None

#: Attention output projections by architecture, tried in order (Llama/Gemma/Qwen, GPT-NeoX).
OUTPUT_PROJECTIONS: tuple[str, ...] = ATTENTION_OUTPUTS
"""Attention output projections LoRA may target (the engine's architecture table)."""


from iclab.analyses.layer_lora.config import LayerLoraConfig, LayerLoraError  # noqa: E402,F401


def resolve_module(engine: Any, module: str | None = None) -> str:
    """The attention output projection's path under ``layers.{L}`` for the engine's model.

    Raises:
        LayerLoraError: ``module`` (or every known projection name) matches no module.
    """
    try:
        return engine.attention_output(module)
    except EngineError as exc:
        raise LayerLoraError(str(exc)) from None


def _engine(engine_or_loaded: Any) -> Any:
    """An Engine from an Engine or a LoadedModel (anything with ``.model`` and ``.tokenizer``)."""
    from iclab.engine import Engine

    if isinstance(engine_or_loaded, Engine):
        return engine_or_loaded
    return Engine(engine_or_loaded)


def training_pairs(task: Task, tokenizer: Any, template: str, n: int | None,
                   split: str = "train") -> list[tuple[str, str]]:
    """The first ``n`` (None: all) examples of ``split`` as (zero-shot prompt text, answer)
    pairs.

    The answer is what the evaluation scores: the gold choice exactly as appended (e.g.
    ``" positive"``) for classification, the reference for generation tasks (the trainer
    appends EOS).

    Raises:
        LayerLoraError: the train split has fewer than ``n`` examples.
    """
    train = task.split(split)
    if n is not None and len(train) < n:
        raise LayerLoraError(f"{task.name}: n_train={n} but the {split} split has {len(train)}")
    pairs = []
    for ex in train[:n]:
        p = build_prompt(task, (), ex, template, "gold", tokenizer)
        answer = p.choices[p.target] if p.choices else str(p.target)  # type: ignore[index]
        pairs.append((p.text, answer))
    return pairs


def paper_pairs(task: Task, n: int | None, split: str = "train") -> list[tuple[str, str]]:
    """The paper's pairs ``("Q:{src}\nA:", tgt)`` of the first ``n`` (None: all) examples of
    ``split``; the trainer appends EOS."""
    train = task.split(split)
    if n is not None and len(train) < n:
        raise LayerLoraError(f"{task.name}: n_train={n} but the {split} split has {len(train)}")
    return [(f"Q:{ex.fields['source']}\nA:", str(ex.label)) for ex in train[:n]]


def paper_zero_shot(task: Task, tokenizer: Any, n: int) -> list[Prompt]:
    """The paper's zero-shot test prompts ``Q:{src}\nA:`` of the first ``n`` test lines."""
    out = []
    for i, ex in enumerate(task.split("test")[:n]):
        text = f"Q:{ex.fields['source']}\nA:"
        out.append(Prompt(text=text, input_ids=tuple(tokenizer(text)["input_ids"]), spans=(),
                          choices=(), target=str(ex.label), meta=(("query_index", i),)))
    return out


def zero_shot_prompts(task: Task, engine: Any, cfg: LayerLoraConfig, template: str) -> list[Prompt]:
    """Zero-shot prompts of the first ``cfg.n_test`` test queries."""
    return build_prompts(task, engine.tokenizer, shots=0, seed=cfg.seed, template=template,
                         limit=cfg.n_test, max_length=engine.max_length,
                         reserve=cfg.max_new_tokens)


def evaluate(engine: Any, prompts: Sequence[Prompt], metric: str, cfg: LayerLoraConfig
             ) -> dict[str, float]:
    """Zero-shot score of ``engine``'s model: accuracy (first-token label ranking) or BLEU.

    Raises:
        LayerLoraError: the metric is neither (pass@1 is not supported here).
    """
    if metric == "accuracy":
        scores = engine.score(prompts, mode="first")
        return {"score": sum(s.prediction == s.target for s in scores) / len(scores)}
    if metric == "bleu":
        gens = engine.generate(prompts, max_new_tokens=cfg.max_new_tokens, stop=cfg.stop)
        return translation_scores([g.text.strip() for g in gens], [str(p.target) for p in prompts])
    raise LayerLoraError(f"layer-lora supports classification and translation, not {metric}")


def _finetune_config(cfg: LayerLoraConfig, layer: int, module: str, add_eos: bool
                     ) -> FinetuneConfig:
    return FinetuneConfig(method="lora", lr=cfg.lr, add_eos=add_eos, epochs=cfg.epochs,
                          max_steps=cfg.max_steps,
                          batch_size=cfg.batch_size, seed=cfg.seed, lora_r=cfg.r,
                          lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                          loss_on=cfg.loss_on,  # type: ignore[arg-type]
                          target_modules=layer_targets(layer, module), merge_lora=True,
                          eval_steps=cfg.eval_steps, early_stopping_patience=cfg.patience,
                          early_stopping_threshold=cfg.threshold, load_best=cfg.load_best)


def adapt_layer(engine: Any, pairs: Sequence[tuple[str, str]], layer: int, module: str,
                cfg: LayerLoraConfig, add_eos: bool = True,
                eval_pairs: Sequence[tuple[str, str]] | None = None) -> Any:
    """Train a merged copy of ``engine.model`` with one LoRA adapter on ``layers.{layer}``
    (``add_eos``: the answer ends with EOS, as the paper's translation pairs; classification
    is scored on the label's first token only, so its pairs train without EOS;
    ``eval_pairs``: evaluated every ``cfg.eval_steps`` steps)."""
    return engine.finetune(pairs, _finetune_config(cfg, layer, module, add_eos),
                           copy_model=True, eval_pairs=eval_pairs)


def _eval_split(task: Task, cfg: LayerLoraConfig) -> None:
    """Raise a clear error when evaluation is on but the task lacks ``cfg.eval_split``."""
    if cfg.eval_steps is not None and cfg.eval_split not in task.splits:
        raise LayerLoraError(
            f"layer-lora: evaluation every {cfg.eval_steps} steps needs the {cfg.eval_split!r} "
            f"split, and task {task.name!r} has {sorted(task.splits)} (for FLORES give its dev "
            f"directory: $ICLAB_FLORES_DEV or load_task(..., flores_dev=DIR); or set "
            f"eval_steps=None)")


def run_layer_lora(engine_or_loaded: Any, task: Task, cfg: LayerLoraConfig = LayerLoraConfig(),
                   progress: Progress = None, model_name: str = "") -> list[dict[str, Any]]:
    """One row per adapted layer: zero-shot score after LoRA on that layer's output projection.

    Args:
        engine_or_loaded: an :class:`~iclab.engine.Engine` or a LoadedModel; its model is
            left unchanged.
        task: a classification or translation task with a train split.
        cfg: the sweep's settings.
        progress: called with 1 after each layer.
        model_name: recorded in every row.

    Raises:
        LayerLoraError: a layer is out of range, the task is unsupported, or too few pairs.
    """
    from iclab.engine import Engine

    engine = _engine(engine_or_loaded)
    metric = task_metric(task)
    if metric not in ("accuracy", "bleu"):
        raise LayerLoraError(f"layer-lora supports classification and translation, not {metric}")
    n_layers = engine.n_layers
    layers = tuple(range(n_layers)) if cfg.layers is None else cfg.layers
    if any(x >= n_layers for x in layers):
        raise LayerLoraError(f"layers {list(layers)} out of range for a {n_layers}-layer model")
    module = resolve_module(engine, cfg.module)
    if cfg.preset == "paper":
        if metric != "bleu":
            raise LayerLoraError("the paper preset of layer-lora is for translation tasks")
        template = "paper: Q:{src}\\nA:"
        pairs = paper_pairs(task, cfg.n_train)
        prompts = paper_zero_shot(task, engine.tokenizer, cfg.n_test)
        _eval_split(task, cfg)
        eval_pairs = (paper_pairs(task, None, cfg.eval_split) if cfg.eval_steps is not None
                      else None)
    else:
        template = cfg.template or default_template(task)
        pairs = training_pairs(task, engine.tokenizer, template, cfg.n_train)
        prompts = zero_shot_prompts(task, engine, cfg, template)
        _eval_split(task, cfg)
        eval_pairs = (training_pairs(task, engine.tokenizer, template, None, cfg.eval_split)
                      if cfg.eval_steps is not None else None)
    baseline = evaluate(engine, prompts, metric, cfg)["score"]
    rows = []
    for layer in layers:
        start = time.perf_counter()
        result = adapt_layer(engine, pairs, layer, module, cfg, add_eos=metric != "accuracy",
                             eval_pairs=eval_pairs)
        scores = evaluate(Engine(result.model, engine.tokenizer), prompts, metric, cfg)
        losses = result.losses
        rows.append({"model": model_name, "task": task.name, "template": template,
                     "mask": "lora", "layer": layer, "metric": metric, "baseline": baseline,
                     "loss_first": losses[0], "loss_last": losses[-1], "steps": len(losses),
                     "n_train": result.n_train, "n_trainable": result.n_trainable,
                     "n_test": len(prompts), "n_layers": n_layers, "module": module,
                     "add_eos": metric != "accuracy",
                     "r": cfg.r, "alpha": cfg.alpha, "dropout": cfg.dropout, "lr": cfg.lr,
                     "seed": cfg.seed, "train_seconds": result.seconds,
                     "eval_losses": [[e.step, e.loss] for e in result.eval_log],
                     "stopped_early": result.stopped_early, "best_step": result.best_step,
                     "seconds": time.perf_counter() - start, **scores})
        del result
        if progress is not None:
            progress(1)
    return rows


def summarize(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Baseline, the curve ({layer, score, loss_first, loss_last}) and the best layer."""
    if not rows:
        raise LayerLoraError("layer-lora: no rows to summarize")
    head = rows[0]
    curve = [{"layer": r["layer"], "score": r["score"], "loss_first": r["loss_first"],
              "loss_last": r["loss_last"]} for r in rows]
    best = max(curve, key=lambda p: p["score"])
    return {"model": head["model"], "task": head["task"], "metric": head["metric"],
            "n_layers": head["n_layers"], "module": head["module"], "n_train": head["n_train"],
            "n_test": head["n_test"], "steps": head["steps"], "baseline": head["baseline"],
            "curve": curve, "best_layer": best["layer"], "best_score": best["score"],
            "layer_convention": "layer = 0-based adapted layer; plots show layer + 1"}


def plot(summary: dict[str, Any], path: Path, masking: dict[str, Any] | None = None) -> Path:
    """Score vs adapted layer (from 1), with the zero-shot baseline; with a ``masking`` summary
    of the same model and task (``iclab layers``), its curves are drawn on the same axes."""
    import pandas as pd

    from iclab.analyses.layers.plot import plot_masking_curves

    frames = [{"mask": "lora", "layer": p["layer"], "score": p["score"]}
              for p in summary["curve"]]
    recognition: dict[str, int | None] = {}
    baseline = summary["baseline"]
    if masking is not None:
        for name, m in masking.get("masks", {}).items():
            frames += [{"mask": name, "layer": p["layer"], "score": p["score"]}
                       for p in m["curve"]]
            recognition[name] = m.get("recognition_layer")
        baseline = masking.get("baseline", baseline)
    title = (f"{summary['model']} · {summary['task']}: per-layer LoRA (zero-shot "
             f"{summary['baseline']:.3g})" + (" vs masking" if masking else ""))
    xlabel = "LoRA on layer L (layers numbered from 1)"
    if masking is not None:
        xlabel += " / context masked from layer L onwards"
    fig = plot_masking_curves(pd.DataFrame(frames), baseline=baseline,
                              recognition_layer=recognition or None, metric=summary["metric"],
                              title=title, labels={"lora": "LoRA on layer L, zero-shot"},
                              xlabel=xlabel)
    return fig.save(path)


def write_outputs(rows: Sequence[dict[str, Any]], summary: dict[str, Any], cfg: LayerLoraConfig,
                  out: str | Path, masking: dict[str, Any] | None = None) -> list[Path]:
    """rows.jsonl, summary.json (with the config) and layer_lora.png under ``out``."""
    from iclab.io import write_json, write_jsonl

    out = Path(out)
    rows_path = write_jsonl(out / "rows.jsonl", rows)
    summary_path = write_json(out / "summary.json", {**summary, "config": asdict(cfg)})
    return [rows_path, summary_path, plot(summary, out / "layer_lora.png", masking)]


__all__ = [
    "LayerLoraConfig",
    "LayerLoraError",
    "OUTPUT_PROJECTIONS",
    "adapt_layer",
    "evaluate",
    "paper_pairs",
    "paper_zero_shot",
    "plot",
    "resolve_module",
    "run_layer_lora",
    "summarize",
    "training_pairs",
    "zero_shot_prompts",
    "write_outputs",
]
