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
from iclab.analyses.icl_vs_ft_paper import (
    PAPER_FAMILIES,
    circuit_prompts,
    evaluate_paper,
    paper_training_pairs,
)
from iclab.analyses.icl_vs_ft_summary import accuracy_table, circuit_table
from iclab.data.synthetic.paper import GENERATORS, PAPER_SEED
from iclab.data.synthetic import TASK_NAMES, synthetic_task
from iclab.data.types import Task
from iclab.engine import Engine

METHOD_NAMES = {"full": "FT", "lora": "LoRA"}
PRESETS = ("iclab", "paper")


@dataclass(frozen=True)
class IclVsFtConfig:
    """Settings of the comparison; validates itself. Defaults fit a 2-core CPU run of
    gemma-3-270m (see the CLI's budget note).

    Attributes:
        preset: ``iclab`` (default: iclab's checked generators, one instruction and layout, the
            same demonstrations for every query) or ``paper`` (the paper's benchmark:
            :mod:`iclab.analyses.icl_vs_ft_paper`); :meth:`paper` also sets the paper's
            numbers (:data:`PAPER_DEFAULTS`).
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
        max_steps: stop fine-tuning after this many optimizer steps (None: all epochs).
        warmup_steps: linear warm-up steps, then a constant learning rate.
        loss_on: ``answer`` or ``sequence``.
        circuit_shots: demonstrations of the ICL run in the circuit shift.
        n_circuit: normal test queries per family in the circuit shift (0 disables it).
        patching: also run per-head activation patching (ICL into 0-shot).
    """

    preset: str = "iclab"
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
    max_steps: int | None = None
    warmup_steps: int = 0
    loss_on: str = "answer"
    circuit_shots: int = 4
    n_circuit: int = 6
    patching: bool = True

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise IclVsFtError(f"preset must be one of {list(PRESETS)}, got {self.preset!r}")
        if self.preset == "paper" and any(t not in GENERATORS for t in self.tasks):
            raise IclVsFtError(f"the paper preset has the families {list(GENERATORS)} (the "
                               f"paper has no parity data), got {list(self.tasks)}")
        if (self.max_steps is not None and self.max_steps < 1) or self.warmup_steps < 0:
            raise IclVsFtError("max_steps must be >= 1 (or None) and warmup_steps >= 0")
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

    @classmethod
    def paper(cls, **overrides: Any) -> "IclVsFtConfig":
        """The ``paper`` preset: :data:`PAPER_DEFAULTS`, then ``overrides``."""
        return cls(**{**PAPER_DEFAULTS, **overrides})

    @property
    def n_pool(self) -> int:
        """Training examples generated per family (demonstrations and fine-tuning pairs)."""
        return max([*self.shots, *self.ft_shots, self.circuit_shots, *self.samples])

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data."""
        return asdict(self)


PAPER_DEFAULTS: dict[str, Any] = {
    "preset": "paper", "tasks": PAPER_FAMILIES, "shots": (0, 1, 2, 4, 8, 16, 32),
    "best_range": (1, 16), "n_test": 199, "match": "substring", "seed": PAPER_SEED,
    "samples": (1000,), "methods": ("full",), "ft_shots": (0,), "lr_full": 1e-5,
    "batch_size": 16, "max_steps": 100, "warmup_steps": 20, "loss_on": "sequence",
    "n_circuit": 0, "patching": False,
}
"""The paper's settings: its four headline families, shots, best of 1-16, 199 queries, seed
114514, substring scoring; full fine-tuning on a 4 x 1000-row mixture (loss on the whole
sequence, lr 1e-5 constant after 20 warm-up steps, batch 16), evaluated 0-shot at step 100;
no circuit shift (the paper released no code for it)."""


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

    def evaluate_all(eng: Engine, shots: Sequence[int]) -> list[EvalCell]:
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
    res = finetune(engine.model, engine.tokenizer, pairs, ft_cfg)
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
