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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from iclab.engine import ATTENTION_OUTPUTS, EngineError, FinetuneConfig, layer_targets
from iclab.analyses.layers.run import default_template, task_metric
from iclab.data.types import Task
from iclab.errors import IclabError
from iclab.metrics.translation import corpus_bleu, corpus_chrf
from iclab.prompts import build_prompts
from iclab.prompts.build import build_prompt
from iclab.prompts.types import Prompt

Progress = Callable[[int], None] | None

#: Attention output projections by architecture, tried in order (Llama/Gemma/Qwen, GPT-NeoX).
OUTPUT_PROJECTIONS: tuple[str, ...] = ATTENTION_OUTPUTS
"""Attention output projections LoRA may target (the engine's architecture table)."""


class LayerLoraError(IclabError, ValueError):
    """A per-layer LoRA setting is invalid or does not fit the model/task."""


@dataclass(frozen=True)
class LayerLoraConfig:
    """What one per-layer LoRA sweep computes.

    Attributes:
        layers: 0-based layers to adapt, one run each; None = every layer.
        n_train: training pairs (the first ``n_train`` of the train split).
        n_test: zero-shot test queries (the first ``n_test`` of the test split's capped order).
        epochs: passes over the training pairs (ignored when ``max_steps`` is set).
        max_steps: optimizer steps; None trains for ``epochs``.
        batch_size: pairs per optimizer step (paper: 32).
        lr: learning rate (paper: 1e-4).
        r, alpha, dropout: LoRA rank, scaling numerator and dropout (paper: 8, 32, 0.05).
        seed: adapter-initialisation / shuffling seed and test-capping seed.
        module: attention output projection under ``layers.{L}``; None resolves it from the
            model's module names (``self_attn.o_proj`` or ``attention.dense``).
        template: prompt preset; None picks ``qa-translation`` for FLORES/WMT, else ``default``.
        max_new_tokens: generation budget for translation (paper: 50).
        stop: stop strings for generation (paper: ``Q:``).
        loss_on: ``answer`` (iclab) or ``sequence`` (the paper's: labels = input ids).
        preset: ``iclab`` (pairs in the evaluation's own prompt format) or ``paper``
            (translation only: train on ``Q:{src}\nA:{tgt}<eos>``, evaluate ``Q:{src}\nA:``,
            the first ``n_test`` test lines in file order); see :meth:`paper`.
        eval_steps: evaluate the training loss on every pair of ``eval_split`` every this many
            steps (paper: 100); None: no evaluation.
        patience, threshold: early stopping after ``patience`` evaluations without an
            improvement above ``threshold`` (paper: 5, 0.01); None: train to the end.
        load_best: restore the best evaluation's weights after training (paper: True).
        eval_split: the split the evaluation pairs come from (paper: FLORES dev lines 801-997,
            the ``validation`` split of a FLORES task given a dev directory).
    """

    layers: tuple[int, ...] | None = None
    n_train: int = 32
    n_test: int = 24
    epochs: int = 3
    max_steps: int | None = None
    batch_size: int = 8
    lr: float = 1e-4
    r: int = 8
    alpha: float = 32.0
    dropout: float = 0.05
    seed: int = 0
    module: str | None = None
    template: str | None = None
    max_new_tokens: int = 50
    stop: tuple[str, ...] = ("Q:",)
    loss_on: str = "answer"
    preset: str = "iclab"
    eval_steps: int | None = None
    patience: int | None = None
    threshold: float = 0.0
    load_best: bool = False
    eval_split: str = "validation"

    @classmethod
    def paper(cls, **overrides: Any) -> "LayerLoraConfig":
        """The paper's ``lora_train.py``: 400 pairs (800 in its second setting), batch 32,
        lr 1e-4, r 8 / alpha 32 / dropout 0.05 on the output projection, loss on the whole
        sequence, 3 epochs (the Trainer's default), evaluation on the dev split every 100 steps
        with early stopping (patience 5, threshold 0.01) and the best checkpoint restored, then
        ``overrides``. At 400 or 800 pairs and batch 32, 3 epochs are 39 or 75 steps: no
        evaluation falls due, in the paper's runs as here (docs/FIDELITY.md)."""
        return cls(**{"n_train": 400, "batch_size": 32, "lr": 1e-4, "r": 8, "alpha": 32.0,
                      "dropout": 0.05, "epochs": 3, "loss_on": "sequence", "preset": "paper",
                      "eval_steps": 100, "patience": 5, "threshold": 0.01, "load_best": True,
                      **overrides})

    def __post_init__(self) -> None:
        if self.preset not in ("iclab", "paper") or self.loss_on not in ("answer", "sequence"):
            raise LayerLoraError(f"layer-lora: preset must be iclab/paper and loss_on "
                                 f"answer/sequence, got {self.preset!r}, {self.loss_on!r}")
        if self.layers is not None:
            if not self.layers:
                raise LayerLoraError("layer-lora: layers is empty (use None for all layers)")
            bad = [x for x in self.layers if not isinstance(x, int) or x < 0]
            if bad:
                raise LayerLoraError(f"layer-lora: layers must be non-negative ints, got {bad}")
        for name in ("n_train", "n_test", "epochs", "batch_size", "r"):
            if getattr(self, name) < 1:
                raise LayerLoraError(f"layer-lora: {name} must be >= 1, got {getattr(self, name)}")
        if self.max_steps is not None and self.max_steps < 1:
            raise LayerLoraError(f"layer-lora: max_steps must be >= 1, got {self.max_steps}")
        if self.eval_steps is None and (self.patience is not None or self.load_best):
            raise LayerLoraError("layer-lora: patience and load_best need eval_steps")
        for name in ("eval_steps", "patience"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise LayerLoraError(f"layer-lora: {name} must be >= 1, got {value}")
        if not self.threshold >= 0:
            raise LayerLoraError(f"layer-lora: threshold must be >= 0, got {self.threshold}")
        if not self.lr > 0 or not self.alpha > 0 or not 0 <= self.dropout < 1:
            raise LayerLoraError("layer-lora: need lr > 0, alpha > 0 and 0 <= dropout < 1")


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
    return build_prompts(task, engine.tokenizer, k=0, seed=cfg.seed, template=template,
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
        outs = [g.text.strip() for g in gens]
        refs = [str(p.target) for p in prompts]
        return {"score": corpus_bleu(outs, refs, "where-icl").score,
                "bleu_standard": corpus_bleu(outs, refs).score, "chrf": corpus_chrf(outs, refs)}
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
