"""ICL vs fine-tuning on implicit patterns (Yin et al., EMNLP Findings 2024), on one model.

For each synthetic family (:mod:`iclab.data.synthetic`) and test kind (``normal`` /
``misleading``), the same base model is adapted three ways and evaluated by greedy generation
through the engine (:mod:`iclab.analyses.icl_vs_ft_eval`):

- **ICL**: the base model with k demonstrations, k in ``shots``; reported per shot and as the
  best over shots in ``best_range`` (the paper: best of 1–16);
- **FT** and **LoRA**: :func:`iclab.analyses.finetune.finetune` on a mixture of every family's
  training pairs (as the paper mixes tasks), ``n`` pairs per family for each ``n`` in
  ``samples`` (prefixes of one seeded training split, so the sweep is nested); the input of a
  pair is its 0-shot prompt text (instruction + query) and the loss is on the answer tokens
  (``loss_on="sequence"``: every token, as the paper's code). Each fine-tuned model is
  evaluated 0-shot and with ``ft_shots`` demonstrations on top.

Then the circuit shift of every method against the base model at the answer position
(:mod:`iclab.analyses.circuit_shift`) on ``n_circuit`` normal test queries per family, with
ICL at ``circuit_shots`` demonstrations, and per-head activation patching ICL → 0-shot.

Usage::

    engine = Engine(load_model("gemma-3-270m"))
    result = run_icl_vs_ft(engine, IclVsFtConfig(tasks=("expression",), samples=(4,)))
    result.table       # rows: task, split, method, accuracy (the report's table)
    result.circuit     # rows: task, method, measure, layer, head, value (heatmaps)
"""

from __future__ import annotations

import gc
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from iclab.analyses.circuit_shift import (
    Shift,
    circuit_rows,
    patching_recovery,
    patching_rows,
    shift,
)
from iclab.analyses.finetune import FinetuneConfig, finetune
from iclab.analyses.icl_vs_ft_eval import (
    MATCHES,
    EvalCell,
    IclVsFtError,
    Match,
    evaluate,
    gold_answer,
    k_shot_prompts,
    zero_shot_text,
)
from iclab.analyses.icl_vs_ft_summary import accuracy_table, circuit_table
from iclab.data.synthetic import TASK_NAMES, synthetic_task
from iclab.data.types import Task
from iclab.engine import Engine

METHOD_NAMES = {"full": "FT", "lora": "LoRA"}


@dataclass(frozen=True)
class IclVsFtConfig:
    """Settings of the comparison; validates itself. Defaults fit a 2-core CPU run of
    gemma-3-270m (see the CLI's budget note).

    Attributes:
        tasks: synthetic families.
        splits: test kinds.
        shots: ICL shot counts.
        best_range: ICL best is the best accuracy over shots in ``[low, high]``.
        n_test: test queries per (family, split).
        match: ``exact`` (default) or ``substring`` (the paper's).
        max_new_tokens: greedy generation budget per answer.
        seed: data, demonstration and training seed.
        samples: training pairs per family for each fine-tuning run (the mixture has
            ``n * len(tasks)`` pairs).
        methods: fine-tuning methods (``full``, ``lora``).
        ft_shots: shots at which fine-tuned models are evaluated (0 = zero-shot).
        lr_full: full fine-tuning learning rate.
        lr_lora: LoRA learning rate.
        epochs: passes over the training mixture.
        batch_size: pairs per optimizer step.
        loss_on: ``answer`` or ``sequence``.
        circuit_shots: demonstrations of the ICL run in the circuit shift.
        n_circuit: normal test queries per family in the circuit shift (0 disables it).
        patching: also run per-head activation patching (ICL into 0-shot).
    """

    tasks: tuple[str, ...] = TASK_NAMES
    splits: tuple[str, ...] = ("normal", "misleading")
    shots: tuple[int, ...] = (0, 1, 2, 4, 8, 16, 32)
    best_range: tuple[int, int] = (1, 16)
    n_test: int = 8
    match: Match = "exact"
    max_new_tokens: int = 5
    seed: int = 0
    samples: tuple[int, ...] = (1, 4)
    methods: tuple[str, ...] = ("full", "lora")
    ft_shots: tuple[int, ...] = (0, 4)
    lr_full: float = 5e-5
    lr_lora: float = 5e-4
    epochs: int = 1
    batch_size: int = 4
    loss_on: str = "answer"
    circuit_shots: int = 4
    n_circuit: int = 6
    patching: bool = True

    def __post_init__(self) -> None:
        bad = [t for t in self.tasks if t not in TASK_NAMES]
        if not self.tasks or bad:
            raise IclVsFtError(f"unknown task(s) {bad}; choose from {list(TASK_NAMES)}")
        if not self.splits or any(s not in ("normal", "misleading") for s in self.splits):
            raise IclVsFtError(f"splits must be normal/misleading, got {self.splits!r}")
        if any(m not in METHOD_NAMES for m in self.methods):
            raise IclVsFtError(f"methods must be among {list(METHOD_NAMES)}, got {self.methods}")
        if self.match not in MATCHES:
            raise IclVsFtError(f"match must be one of {list(MATCHES)}, got {self.match!r}")
        for name in ("shots", "samples", "ft_shots"):
            values = getattr(self, name)
            if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values):
                raise IclVsFtError(f"{name} must be non-negative ints, got {values!r}")
        if not self.shots or any(n < 1 for n in self.samples):
            raise IclVsFtError("shots must be non-empty and samples positive")
        low, high = self.best_range
        if not 0 <= low <= high or not any(low <= k <= high for k in self.shots):
            raise IclVsFtError(f"best_range {self.best_range} holds none of shots {self.shots}")
        for name in ("n_test", "max_new_tokens", "batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise IclVsFtError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.n_circuit < 0 or self.circuit_shots < 1:
            raise IclVsFtError("n_circuit must be >= 0 and circuit_shots >= 1")
        if self.n_circuit > self.n_test:
            raise IclVsFtError(f"n_circuit={self.n_circuit} exceeds n_test={self.n_test}")

    @property
    def n_pool(self) -> int:
        """Training examples generated per family (demonstrations and fine-tuning pairs)."""
        return max([*self.shots, *self.ft_shots, self.circuit_shots, *self.samples])

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data."""
        return asdict(self)


@dataclass
class TrainedRun:
    """One fine-tuning run: its label, training record and evaluation."""

    label: str
    method: str
    n_per_task: int
    info: dict[str, Any]
    cells: list[EvalCell]


@dataclass
class IclVsFtResult:
    """Everything one comparison produced.

    Attributes:
        base: base-model accuracy per (task, split, shots).
        trained: one entry per fine-tuning run.
        shifts: task -> method label -> :class:`Shift`.
        patching: task -> patching summary (``n_queries``, ``ld_zero``, ``ld_icl``).
        table: accuracy rows (``task``, ``split``, ``method``, ``accuracy``, ``shots``).
        circuit: circuit rows (``task``, ``method``, ``measure``, ``layer``, ``head``,
            ``value``).
    """

    base: list[EvalCell]
    trained: list[TrainedRun] = field(default_factory=list)
    shifts: dict[str, dict[str, Shift]] = field(default_factory=dict)
    patching: dict[str, dict[str, float]] = field(default_factory=dict)
    table: list[dict[str, Any]] = field(default_factory=list)
    circuit: list[dict[str, Any]] = field(default_factory=list)


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


def _circuit_prompts(engine: Engine, config: IclVsFtConfig, task: Task, k: int) -> list:
    return k_shot_prompts(task, engine.tokenizer, k, config.seed, config.n_circuit,
                          engine.max_length)


def run_icl_vs_ft(engine: Engine, config: IclVsFtConfig,
                  log: Callable[[str], None] | None = None) -> IclVsFtResult:
    """Run the whole comparison on ``engine``'s model (see the module docstring).

    Args:
        engine: the base model's engine (its model is copied for fine-tuning, never changed).
        config: the settings.
        log: called with a short line as each stage starts (progress for the CLI).
    """
    say = log or (lambda _: None)
    tasks = build_tasks(config)
    ordered = list(tasks.values())
    evaluate_kw = dict(seed=config.seed, match=config.match,
                       max_new_tokens=config.max_new_tokens)
    say(f"base model: ICL sweep over shots {config.shots} on {len(ordered)} task splits")
    result = IclVsFtResult(base=evaluate(engine, ordered, config.shots, **evaluate_kw))
    zero_acts = _base_circuits(engine, config, tasks, result, say)
    for method in config.methods:
        for n in config.samples:
            label = f"{METHOD_NAMES[method]} n={n}"
            say(f"{label}: fine-tuning on {n * len(config.tasks)} pairs")
            run, ft_engine = _train(engine, config, tasks, method, n, label)
            say(f"{label}: evaluating at shots {config.ft_shots}")
            run.cells = evaluate(ft_engine, ordered, config.ft_shots, **evaluate_kw)
            result.trained.append(run)
            for name, acts in zero_acts.items():
                prompts = _circuit_prompts(ft_engine, config, tasks[(name, "normal")], 0)
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
        task = tasks[(name, "normal")]
        say(f"{name}: circuit shift of ICL (k={config.circuit_shots})")
        zero_p = _circuit_prompts(engine, config, task, 0)
        icl_p = _circuit_prompts(engine, config, task, config.circuit_shots)
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


def _train(engine: Engine, config: IclVsFtConfig, tasks: dict[tuple[str, str], Task],
           method: str, n: int, label: str) -> tuple[TrainedRun, Engine]:
    """Fine-tune a copy of the base model; return its record and an engine over it."""
    pairs = training_pairs(tasks, n, engine.tokenizer)
    ft_cfg = FinetuneConfig(method=method,  # type: ignore[arg-type]
                            lr=config.lr_full if method == "full" else config.lr_lora,
                            epochs=config.epochs, batch_size=config.batch_size,
                            seed=config.seed, loss_on=config.loss_on,  # type: ignore[arg-type]
                            merge_lora=True, max_length=8192)
    res = finetune(engine.model, engine.tokenizer, pairs, ft_cfg)
    info = {"n_pairs": res.n_train, "n_trainable": res.n_trainable, "steps": len(res.log),
            "seconds": round(res.seconds, 1), "first_loss": res.losses[0] if res.log else None,
            "last_loss": res.losses[-1] if res.log else None, "lr": ft_cfg.lr}
    run = TrainedRun(label, method, n, info, [])
    return run, Engine(res.model, engine.tokenizer)


__all__ = [
    "IclVsFtConfig",
    "IclVsFtResult",
    "TrainedRun",
    "build_tasks",
    "run_icl_vs_ft",
    "training_pairs",
]
