"""ICL vs fine-tuning on implicit patterns (Yin et al., EMNLP Findings 2024), on one model.

For each synthetic family (:mod:`iclab.data.synthetic`) and test kind (``normal`` /
``misleading``), the same base model is adapted three ways and evaluated by greedy generation
through the engine (:mod:`iclab.analyses.icl_vs_ft.eval`):

- **ICL**: the base model with k demonstrations, k in ``shots``; reported per shot and as the
  best over shots in ``best_range`` (the paper: best of 1–16);
- **FT** and **LoRA**: :func:`iclab.engine.training.finetune` on a mixture of every family's
  training pairs (as the paper mixes tasks), ``n`` pairs per family for each ``n`` in
  ``samples`` (prefixes of one seeded training split, so the sweep is nested); the input of a
  pair is its 0-shot prompt text (instruction + query) and the loss is on the answer tokens
  (``loss_on="sequence"``: every token, as the paper's code). Each fine-tuned model is
  evaluated 0-shot and with ``ft_shots`` demonstrations on top.

Then the circuit shift of every method against the base model at the answer position
(:mod:`iclab.analyses.icl_vs_ft.circuit_shift`) on ``n_circuit`` normal test queries per family, with
ICL at ``circuit_shots`` demonstrations, and per-head activation patching ICL → 0-shot.

Usage::

    engine = Engine(load_model("gemma-3-270m"))
    result = run_icl_vs_ft(engine, IclVsFtConfig(tasks=("expression",), samples=(4,)))
    result.table       # rows: task, split, method, accuracy (the report's table)
    result.circuit     # rows: task, method, measure, layer, head, value (heatmaps)
"""

from __future__ import annotations

import gc
from typing import Any, Callable, Sequence

from iclab.analyses.icl_vs_ft.circuit_shift import (
    patching_recovery,
    patching_rows,
    shift,
)
from iclab.analyses.icl_vs_ft.eval import (
    ShotAccuracy,
    evaluate,
    gold_answer,
    k_shot_prompts,
    zero_shot_text,
)
from iclab.analyses.icl_vs_ft.paper import (
    circuit_prompts,
    evaluate_paper,
    paper_training_pairs,
)
from iclab.analyses.icl_vs_ft.summary import accuracy_table, circuit_table
from iclab.data.synthetic import synthetic_task
from iclab.data.types import Task
from iclab.engine import Engine, FinetuneConfig

from iclab.analyses.icl_vs_ft.config import (  # noqa: F401  re-exported
    METHOD_NAMES,
    PAPER_DEFAULTS,
    PRESETS,
    IclVsFtConfig,
)
from iclab.analyses.icl_vs_ft.result import IclVsFtResult, TrainedRun  # noqa: F401  re-exported


def build_tasks(config: IclVsFtConfig) -> dict[tuple[str, str], Task]:
    """(family, split) -> Task with ``n_pool`` train and ``n_test`` test examples."""
    return {(name, split): synthetic_task(name, config.n_pool, config.n_test, config.seed, split)
            for name in config.tasks for split in config.splits}


def training_pairs(tasks: dict[tuple[str, str], Task], n: int, tokenizer: Any
                   ) -> list[tuple[str, str]]:
    """The fine-tuning mixture: the first ``n`` training examples of every family, interleaved
    (family 1 ex 1, family 2 ex 1, ...) so every batch mixes families; inputs are 0-shot
    prompt texts."""
    families = list(dict.fromkeys(name for name, _ in tasks))
    per_task = []
    for name in families:  # every split of a family shares its train split
        task = next(t for (f, _), t in tasks.items() if f == name)
        per_task.append([(zero_shot_text(task, ex, tokenizer), ex.label)
                         for ex in task.split("train")[:n]])
    return [pair for group in zip(*per_task) for pair in group]


def _circuit_prompts(engine: Engine, config: IclVsFtConfig,
                     tasks: dict[tuple[str, str], Task], name: str, k: int) -> list:
    """The circuit-shift prompts of family ``name`` at ``k`` shots (same queries for every k)."""
    if config.preset == "paper":
        return circuit_prompts(name, k, config.n_circuit, engine.tokenizer, config.seed)
    return k_shot_prompts(tasks[(name, "normal")], engine.tokenizer, k, config.seed,
                          config.n_circuit, engine.max_length)


def run_icl_vs_ft(engine: Engine, config: IclVsFtConfig,
                  log: Callable[[str], None] | None = None) -> IclVsFtResult:
    """Run the whole comparison on ``engine``'s model (see the module docstring).

    Args:
        engine: the base model's engine (its model is copied for fine-tuning, never changed).
        config: the settings.
        log: called with a short line as each stage starts (progress for the CLI).
    """
    say = log or (lambda _: None)
    paper = config.preset == "paper"
    tasks = {} if paper else build_tasks(config)
    ordered = list(tasks.values())
    pool = paper_training_pairs(config.tasks, max(config.samples), config.seed) if paper else []
    exclude = frozenset(x for x, _ in pool)

    def evaluate_all(eng: Engine, shots: Sequence[int]) -> list[ShotAccuracy]:
        if paper:
            return evaluate_paper(eng, config.tasks, config.splits, shots, config.n_test,
                                  seed=config.seed, match=config.match, exclude=exclude)
        return evaluate(eng, ordered, shots, seed=config.seed, match=config.match,
                        max_new_tokens=config.max_new_tokens)

    say(f"base model ({config.preset} preset): ICL sweep over shots {config.shots}")
    result = IclVsFtResult(base=evaluate_all(engine, config.shots))
    zero_acts = _base_circuits(engine, config, tasks, result, say)
    for method in config.methods:
        for n in config.samples:
            label = f"{METHOD_NAMES[method]} n={n}"
            say(f"{label}: fine-tuning on {n * len(config.tasks)} pairs")
            pairs = (paper_training_pairs(config.tasks, n, config.seed) if paper
                     else training_pairs(tasks, n, engine.tokenizer))
            run, ft_engine = _train(engine, config, pairs, method, n, label)
            say(f"{label}: evaluating at shots {config.ft_shots}")
            run.cells = evaluate_all(ft_engine, config.ft_shots)
            result.trained.append(run)
            for name, acts in zero_acts.items():
                prompts = _circuit_prompts(ft_engine, config, tasks, name, 0)
                result.shifts[name][label] = shift(ft_engine.activations(prompts), acts)
            del ft_engine, run
            gc.collect()
    result.table = accuracy_table(result, config)
    result.circuit = circuit_table(result) + result.circuit
    return result


def _base_circuits(engine: Engine, config: IclVsFtConfig, tasks: dict[tuple[str, str], Task],
                   result: IclVsFtResult, say: Callable[[str], None]) -> dict[str, Any]:
    """Base-model activations (0-shot and ICL) per family; fills ICL shifts and patching."""
    zero_acts: dict[str, Any] = {}
    if config.n_circuit == 0 or "normal" not in config.splits:
        return zero_acts
    for name in config.tasks:
        say(f"{name}: circuit shift of ICL (k={config.circuit_shots})")
        zero_p = _circuit_prompts(engine, config, tasks, name, 0)
        icl_p = _circuit_prompts(engine, config, tasks, name, config.circuit_shots)
        zero, icl = engine.activations(zero_p), engine.activations(icl_p)
        zero_acts[name] = zero
        result.shifts[name] = {"ICL": shift(icl, zero)}
        if config.patching:
            answers = [gold_answer(p) for p in zero_p]
            p = patching_recovery(engine, zero_p, zero, icl, answers)
            result.patching[name] = {"n_queries": p.n_queries, "ld_zero": p.ld_zero,
                                     "ld_icl": p.ld_icl}
            result.circuit.extend(patching_rows(name, p))
    return zero_acts


def _train(engine: Engine, config: IclVsFtConfig, pairs: list[tuple[str, str]],
           method: str, n: int, label: str) -> tuple[TrainedRun, Engine]:
    """Fine-tune a copy of the base model on ``pairs``; return its record and an engine."""
    ft_cfg = FinetuneConfig(method=method,  # type: ignore[arg-type]
                            lr=config.lr_full if method == "full" else config.lr_lora,
                            epochs=config.epochs, batch_size=config.batch_size,
                            max_steps=config.max_steps, warmup_steps=config.warmup_steps,
                            lr_schedule=("constant_with_warmup" if config.warmup_steps
                                         else "constant"),
                            seed=config.seed, loss_on=config.loss_on,  # type: ignore[arg-type]
                            merge_lora=True, max_length=8192)
    res = engine.finetune(pairs, ft_cfg)
    info = {"n_pairs": res.n_train, "n_trainable": res.n_trainable, "steps": len(res.log),
            "seconds": round(res.seconds, 1), "first_loss": res.losses[0] if res.log else None,
            "last_loss": res.losses[-1] if res.log else None, "lr": ft_cfg.lr}
    run = TrainedRun(label, method, n, info, [])
    return run, Engine(res.model, engine.tokenizer)


__all__ = [
    "PAPER_DEFAULTS",
    "PRESETS",
    "IclVsFtConfig",
    "IclVsFtResult",
    "TrainedRun",
    "build_tasks",
    "run_icl_vs_ft",
    "training_pairs",
]
