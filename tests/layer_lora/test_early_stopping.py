"""Evaluation, early stopping and best-checkpoint restoring during fine-tuning (the where-ICL
paper's ``lora_train.py``: ``eval_steps=100``, ``EarlyStoppingCallback(early_stopping_patience=5,
early_stopping_threshold=0.01)``, ``load_best_model_at_end=True``), on a tiny random model.

The evaluation pairs ask for the opposite answer of the training pairs, so every training step
makes the evaluation loss worse after a short while: training must stop early, and the model it
returns must be the one of the best evaluation, not the last.
"""

from __future__ import annotations

import pytest
import torch

from iclab.engine.training import FinetuneConfig, FinetuneConfigError, finetune, layer_targets
from iclab.engine.training_data import Collator, pad_id, tokenize_pairs
from iclab.models.tiny import tiny_model, tiny_tokenizer

WORDS = ["cat", "dog", "sun", "sea", "tree", "road", "book", "fish"]
TRAIN = [(f"Q:{w}\nA:", " good") for w in WORDS]
EVAL = [(f"Q:{w}\nA:", " bad") for w in WORDS]


def _eval_loss(model, tok, cfg: FinetuneConfig) -> float:
    rows = tokenize_pairs(tok, EVAL, loss_on=cfg.loss_on, add_eos=cfg.add_eos, max_length=64)
    batch = Collator(pad_id(tok))(rows)  # one batch: the Trainer's eval batch is batch_size = 8
    with torch.inference_mode():
        return float(model(**batch).loss)


def test_stops_early_and_restores_the_best_checkpoint():
    tok = tiny_tokenizer("llama")
    patience, threshold = 2, 0.01
    cfg = FinetuneConfig(method="lora", lr=5e-2, max_steps=30, batch_size=8, lora_r=8,
                         lora_alpha=32, target_modules=layer_targets(1), merge_lora=True,
                         add_eos=False, eval_steps=2, early_stopping_patience=patience,
                         early_stopping_threshold=threshold, load_best=True)
    result = finetune(tiny_model("llama"), tok, TRAIN, cfg, eval_pairs=EVAL)
    losses = [e.loss for e in result.eval_log]
    steps = [e.step for e in result.eval_log]
    assert result.stopped_early and len(result.log) == steps[-1] < 30
    assert steps == list(range(2, 2 * len(steps) + 1, 2))  # an evaluation every 2 steps
    # it stopped at the patience-th evaluation in a row that beat the best by <= threshold
    before = min(losses[:-patience])
    assert all(loss > before - threshold for loss in losses[-patience:])
    best = min(range(len(losses)), key=losses.__getitem__)
    assert result.best_step == steps[best] < steps[-1]
    assert losses[-1] > losses[best] + threshold
    # the returned (merged) model is the best evaluation's, not the last step's
    assert _eval_loss(result.model, tok, cfg) == pytest.approx(losses[best], abs=1e-4)


def test_without_load_best_the_last_weights_stay():
    tok = tiny_tokenizer("llama")
    cfg = FinetuneConfig(method="lora", lr=5e-2, max_steps=4, batch_size=8, add_eos=False,
                         target_modules=layer_targets(1), merge_lora=True, eval_steps=2)
    result = finetune(tiny_model("llama"), tok, TRAIN, cfg, eval_pairs=EVAL)
    assert [e.step for e in result.eval_log] == [2, 4]
    assert not result.stopped_early and result.best_step is None
    assert _eval_loss(result.model, tok, cfg) == pytest.approx(result.eval_log[-1].loss,
                                                               abs=1e-4)


def test_bad_evaluation_settings():
    with pytest.raises(FinetuneConfigError, match="need eval_steps"):
        FinetuneConfig(early_stopping_patience=5)
    with pytest.raises(FinetuneConfigError, match="eval_steps must be an int >= 1"):
        FinetuneConfig(eval_steps=0)
    tok = tiny_tokenizer("llama")
    with pytest.raises(FinetuneConfigError, match="eval_pairs and config.eval_steps"):
        finetune(tiny_model("llama"), tok, TRAIN, FinetuneConfig(eval_steps=2))
