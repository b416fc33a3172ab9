"""The per-layer LoRA config: the one place its defaults live (the CLI's options take theirs from
here). Imports nothing heavy, so ``iclab --help`` stays fast."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from iclab.errors import IclabError


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
