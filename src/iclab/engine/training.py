"""Fine-tune a causal LM on prompt/answer pairs: full fine-tuning or LoRA (peft).

The ICL-vs-fine-tuning comparison (issue 8) trains the same base model both ways::

    cfg = FinetuneConfig(method="lora", lr=1e-4, epochs=3, batch_size=8, n_train=400)
    result = finetune(model, tokenizer, pairs, cfg)   # pairs: [(prompt, answer), ...]
    result.model      # a trained copy; the caller's model is untouched
    result.log        # one StepLog per optimizer step (loss, learning rate)

The where-ICL paper's per-layer LoRA (one adapter on one layer's attention output projection,
r=8, alpha=32, dropout 0.05) is ``FinetuneConfig(method="lora", lora_r=8, lora_alpha=32,
target_modules=layer_targets(L))``; any module path suffix works (peft matches a target when
a module's full name ends with it), e.g. ``layers.{L}.attention.dense`` for GPT-NeoX.

Training uses transformers' :class:`~transformers.Trainer` (AdamW, the chosen learning-rate
schedule, gradient clipping, seeded shuffling) rather than a hand-written loop: on a tiny
model its overhead is well under a second per run, and it places the model on the accelerator
when there is one. The loss is the model's own shifted cross-entropy over the tokens whose
label is not ``-100``: the answer tokens (and EOS) by default, or the whole sequence.
"""

from __future__ import annotations

import copy
import math
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Sequence

import torch
from transformers import PreTrainedModel, Trainer, TrainingArguments
from transformers.trainer_callback import (
    EarlyStoppingCallback,
    PrinterCallback,
    ProgressCallback,
    TrainerCallback,
)

from iclab import __version__
from iclab.engine.training_data import Collator, LossOn, pad_id, tokenize_pairs
from iclab.errors import IclabError

Method = Literal["full", "lora"]
_SCHEDULES = ("constant", "constant_with_warmup", "linear", "cosine")


class FinetuneConfigError(IclabError, ValueError):
    """A fine-tuning setting is out of range or inconsistent."""


def layer_targets(layer: int, module: str = "self_attn.o_proj") -> tuple[str, ...]:
    """Target for a LoRA adapter on one layer's module: ``("layers.{layer}.{module}",)``."""
    if not isinstance(layer, int) or layer < 0:
        raise FinetuneConfigError(f"layer must be a non-negative int, got {layer!r}")
    return (f"layers.{layer}.{module}",)


@dataclass(frozen=True)
class FinetuneConfig:
    """How to fine-tune; validates itself on construction.

    Attributes:
        method: ``"full"`` (every parameter) or ``"lora"`` (peft adapters only).
        lr: peak learning rate.
        epochs: passes over the training pairs (used when ``max_steps`` is None).
        max_steps: optimizer steps to run instead of whole epochs.
        batch_size: pairs per optimizer step.
        n_train: use the first ``n_train`` pairs (None: all); prefixes make nested sweeps.
        seed: seeds adapter init, dropout and the data order.
        loss_on: ``"answer"`` (answer tokens and EOS only) or ``"sequence"`` (every token).
        add_eos: append the tokenizer's EOS after the answer (it is trained on too).
        max_length: longest allowed pair in tokens; longer pairs raise.
        lr_schedule: ``constant``, ``constant_with_warmup``, ``linear`` or ``cosine``.
        warmup_steps: linear warm-up steps.
        weight_decay: AdamW weight decay.
        max_grad_norm: gradient clipping norm.
        lora_r: adapter rank.
        lora_alpha: adapter scaling numerator (scale = alpha / r).
        lora_dropout: dropout on the adapter input.
        target_modules: module-name suffixes that get adapters, e.g. ``("q_proj", "v_proj")``
            or ``layer_targets(5)`` = ``("layers.5.self_attn.o_proj",)``; None: peft's
            default for the architecture (attention query/value projections).
        merge_lora: merge adapters into the weights and return a plain model.
        eval_steps: evaluate the loss on ``eval_pairs`` every this many optimizer steps (the
            where-ICL paper: 100); None: no evaluation.
        early_stopping_patience: stop once this many evaluations in a row fail to improve the
            best evaluation loss by more than ``early_stopping_threshold`` (transformers'
            ``EarlyStoppingCallback``; the paper: 5 and 0.01); None: no early stopping.
        early_stopping_threshold: the improvement that counts (absolute, in nats).
        load_best: after training, restore the weights of the evaluation with the lowest loss
            (a checkpoint is saved at every evaluation; the Trainer's
            ``load_best_model_at_end``).
    """

    method: Method = "lora"
    lr: float = 1e-4
    epochs: int = 1
    max_steps: int | None = None
    batch_size: int = 8
    n_train: int | None = None
    seed: int = 0
    loss_on: LossOn = "answer"
    add_eos: bool = True
    max_length: int = 1024
    lr_schedule: str = "constant"
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    lora_r: int = 8
    lora_alpha: float = 16.0
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] | None = None
    merge_lora: bool = False
    eval_steps: int | None = None
    early_stopping_patience: int | None = None
    early_stopping_threshold: float = 0.0
    load_best: bool = False

    def __post_init__(self) -> None:
        _check_choice("method", self.method, ("full", "lora"))
        _check_choice("loss_on", self.loss_on, ("answer", "sequence"))
        _check_choice("lr_schedule", self.lr_schedule, _SCHEDULES)
        _check_number("lr", self.lr, low=0.0, strict=True)
        _check_int("epochs", self.epochs, 1)
        if self.max_steps is not None:
            _check_int("max_steps", self.max_steps, 1)
        _check_int("batch_size", self.batch_size, 1)
        if self.n_train is not None:
            _check_int("n_train", self.n_train, 1)
        _check_int("seed", self.seed, 0)
        _check_int("max_length", self.max_length, 2)
        _check_int("warmup_steps", self.warmup_steps, 0)
        _check_number("weight_decay", self.weight_decay, low=0.0)
        _check_number("max_grad_norm", self.max_grad_norm, low=0.0, strict=True)
        _check_int("lora_r", self.lora_r, 1)
        _check_number("lora_alpha", self.lora_alpha, low=0.0, strict=True)
        _check_number("lora_dropout", self.lora_dropout, low=0.0)
        if self.lora_dropout >= 1:
            raise FinetuneConfigError(f"lora_dropout must be < 1, got {self.lora_dropout!r}")
        if self.eval_steps is not None:
            _check_int("eval_steps", self.eval_steps, 1)
        if self.early_stopping_patience is not None:
            _check_int("early_stopping_patience", self.early_stopping_patience, 1)
        _check_number("early_stopping_threshold", self.early_stopping_threshold, low=0.0)
        if self.eval_steps is None and (self.early_stopping_patience is not None
                                        or self.load_best):
            raise FinetuneConfigError("early_stopping_patience and load_best need eval_steps "
                                      "(how often to evaluate)")
        targets = self.target_modules
        if targets is not None and (
                not isinstance(targets, tuple) or not targets
                or not all(isinstance(t, str) and t.strip() for t in targets)):
            raise FinetuneConfigError(
                f"target_modules must be None or a non-empty tuple of module-name suffixes, "
                f"got {targets!r}")

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, with the iclab version, for result records."""
        return {**asdict(self), "iclab_version": __version__}


def _check_choice(name: str, value: object, choices: Sequence[str]) -> None:
    if value not in choices:
        raise FinetuneConfigError(f"{name} must be one of {list(choices)}, got {value!r}")


def _check_int(name: str, value: object, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise FinetuneConfigError(f"{name} must be an int >= {low}, got {value!r}")


def _check_number(name: str, value: object, low: float, strict: bool = False) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < low or (strict and value == low):
        relation = ">" if strict else ">="
        raise FinetuneConfigError(f"{name} must be a finite number {relation} {low}, got "
                                  f"{value!r}")


@dataclass(frozen=True)
class StepLog:
    """One optimizer step: its number (from 1), training loss and learning rate."""

    step: int
    loss: float
    lr: float


@dataclass(frozen=True)
class EvalLog:
    """One evaluation during training: the optimizer step it followed and the loss."""

    step: int
    loss: float


@dataclass
class FinetuneResult:
    """What :func:`finetune` returns.

    Attributes:
        model: the trained model in eval mode (a ``PeftModel`` for unmerged LoRA).
        log: one entry per optimizer step.
        config: the config that made it.
        n_train: number of training pairs used.
        n_trainable: number of trained parameters.
        seconds: wall-clock training time.
        eval_log: one entry per evaluation (empty without ``eval_steps``).
        stopped_early: early stopping ended training before its last step.
        best_step: the step whose weights were restored (``load_best``), else None.
    """

    model: PreTrainedModel
    log: list[StepLog]
    config: FinetuneConfig
    n_train: int
    n_trainable: int
    seconds: float
    eval_log: list[EvalLog] = field(default_factory=list)
    stopped_early: bool = False
    best_step: int | None = None

    @property
    def losses(self) -> list[float]:
        """The loss of every step, in order."""
        return [s.loss for s in self.log]


_PEFT_GC_WARNING = "`is_gradient_checkpointing` is deprecated"


def _with_lora(model: PreTrainedModel, config: FinetuneConfig) -> PreTrainedModel:
    """Wrap ``model`` (already a copy) with LoRA adapters on ``config.target_modules``."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout,
                      target_modules=list(config.target_modules or ()) or None,
                      bias="none", task_type="CAUSAL_LM")
    try:
        with warnings.catch_warnings():
            # peft (<= 0.21) reads model.is_gradient_checkpointing, which transformers 5.24
            # deprecates; the call is peft's, not iclab's, so its warning is not the user's.
            warnings.filterwarnings("ignore", message=_PEFT_GC_WARNING, category=FutureWarning)
            return get_peft_model(model, lora)
    except ValueError as exc:
        names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
        raise FinetuneConfigError(
            f"target_modules {config.target_modules} match no layer of "
            f"{type(model).__name__} ({exc}); linear modules include {names[:6]}") from None


def prepare_model(model: PreTrainedModel, config: FinetuneConfig, *,
                  copy_model: bool = True) -> PreTrainedModel:
    """The model to train: a deep copy (unless ``copy_model=False``) with LoRA adapters for
    ``method="lora"`` or every parameter trainable for ``method="full"``."""
    trained = copy.deepcopy(model) if copy_model else model
    torch.manual_seed(config.seed)  # adapter initialisation
    if config.method == "lora":
        return _with_lora(trained, config)
    for param in trained.parameters():
        param.requires_grad_(True)
    return trained


class _StepRecorder(TrainerCallback):
    """Collects the loss and learning rate that the Trainer logs after every step."""

    def __init__(self) -> None:
        self.steps: list[StepLog] = []
        self.evals: list[EvalLog] = []

    def on_log(self, args, state, control, logs=None, **kwargs) -> None:  # noqa: D102
        if logs and "eval_loss" in logs:
            self.evals.append(EvalLog(step=state.global_step, loss=float(logs["eval_loss"])))
        if logs and "loss" in logs:
            self.steps.append(StepLog(step=state.global_step, loss=float(logs["loss"]),
                                      lr=float(logs.get("learning_rate", float("nan")))))


def _eval_args(config: FinetuneConfig) -> dict[str, Any]:
    """TrainingArguments of evaluation, early stopping and best-checkpoint restoring."""
    if config.eval_steps is None:
        return {"save_strategy": "no", "eval_strategy": "no"}
    keep = config.load_best
    return {"eval_strategy": "steps", "eval_steps": config.eval_steps,
            "per_device_eval_batch_size": config.batch_size,
            "save_strategy": "steps" if keep else "no", "save_steps": config.eval_steps,
            "save_only_model": True, "load_best_model_at_end": keep,
            "metric_for_best_model": "eval_loss", "greater_is_better": False}


def _training_args(config: FinetuneConfig, output_dir: str, on_cpu: bool) -> TrainingArguments:
    return TrainingArguments(
        output_dir=output_dir, per_device_train_batch_size=config.batch_size,
        learning_rate=config.lr, num_train_epochs=config.epochs,
        max_steps=config.max_steps if config.max_steps is not None else -1,
        lr_scheduler_type=config.lr_schedule, warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay, max_grad_norm=config.max_grad_norm,
        seed=config.seed, data_seed=config.seed, optim="adamw_torch",
        logging_strategy="steps", logging_steps=1, **_eval_args(config),
        report_to="none", disable_tqdm=True, remove_unused_columns=False,
        label_names=["labels"], dataloader_num_workers=0, use_cpu=on_cpu,
    )


def finetune(model: PreTrainedModel, tokenizer, pairs: Sequence[tuple[str, str]],
             config: FinetuneConfig, *, copy_model: bool = True,
             eval_pairs: Sequence[tuple[str, str]] | None = None) -> FinetuneResult:
    """Fine-tune ``model`` on (prompt, answer) pairs; return the trained copy and its log.

    Args:
        model: a causal LM (left unchanged unless ``copy_model=False``).
        tokenizer: its tokenizer.
        pairs: training pairs; the first ``config.n_train`` are used.
            (:func:`~iclab.engine.training_data.pairs_from_examples` makes them from
            Examples.)
        config: the settings.
        copy_model: train a deep copy (default); False trains ``model`` itself (LoRA then
            injects its adapters into ``model``).
        eval_pairs: pairs whose loss (same tokenization and loss as training) is evaluated
            every ``config.eval_steps`` steps; required exactly when ``eval_steps`` is set.

    The model trains in its own dtype on its own device (load it in float32 for full
    fine-tuning on CPU). Like any Trainer run, this re-seeds the global torch/numpy/random
    generators with ``config.seed``.

    Raises:
        FinetuneConfigError: bad targets, or fewer pairs than ``n_train``.
        DataError: a pair is malformed or longer than ``max_length``.
    """
    if not pairs:
        raise FinetuneConfigError("no training pairs given")
    n = len(pairs) if config.n_train is None else config.n_train
    if n > len(pairs):
        raise FinetuneConfigError(f"n_train={config.n_train} but {len(pairs)} pair(s) given")
    rows = tokenize_pairs(tokenizer, list(pairs[:n]), loss_on=config.loss_on,
                          add_eos=config.add_eos, max_length=config.max_length)
    if (config.eval_steps is None) != (not eval_pairs):
        raise FinetuneConfigError("eval_pairs and config.eval_steps go together: give both "
                                  "(evaluation during training) or neither")
    eval_rows = tokenize_pairs(tokenizer, list(eval_pairs or ()), loss_on=config.loss_on,
                               add_eos=config.add_eos, max_length=config.max_length)
    trained = prepare_model(model, config, copy_model=copy_model)
    n_trainable = sum(p.numel() for p in trained.parameters() if p.requires_grad)
    recorder = _StepRecorder()
    on_cpu = next(model.parameters()).device.type == "cpu"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="iclab-finetune-") as out_dir:
        callbacks: list[TrainerCallback] = [recorder]
        if config.early_stopping_patience is not None:
            callbacks.append(EarlyStoppingCallback(config.early_stopping_patience,
                                                   config.early_stopping_threshold))
        trainer = Trainer(model=trained, args=_training_args(config, out_dir, on_cpu),
                          train_dataset=rows, eval_dataset=eval_rows or None,
                          data_collator=Collator(pad_id(tokenizer)), callbacks=callbacks)
        for noisy in (PrinterCallback, ProgressCallback):  # the log is returned, not printed
            trainer.remove_callback(noisy)
        trainer.train()
        state = trainer.state
        stopped_early = state.global_step < state.max_steps
        best_step = (state.best_global_step if config.load_best
                     and state.best_model_checkpoint is not None else None)
    seconds = time.perf_counter() - start
    if config.method == "lora" and config.merge_lora:
        trained = trained.merge_and_unload()
    trained.eval()
    return FinetuneResult(model=trained, log=recorder.steps, config=config, n_train=n,
                          n_trainable=n_trainable, seconds=seconds, eval_log=recorder.evals,
                          stopped_early=stopped_early, best_step=best_step)


__all__ = [
    "EvalLog",
    "FinetuneConfig",
    "FinetuneConfigError",
    "FinetuneResult",
    "StepLog",
    "finetune",
    "layer_targets",
    "prepare_model",
]
