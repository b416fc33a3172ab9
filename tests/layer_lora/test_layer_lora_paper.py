"""The per-layer LoRA ``paper`` preset against the where-ICL paper's ``src/lora_train.py``:
collate ``f"Q:{source}\\nA:{target}{eos}"`` with labels = input ids (loss on every token), test
prompts ``f"Q:{source}\\nA:"``; LoraConfig r=8, lora_alpha=32, lora_dropout=0.05 on one layer's
``self_attn.o_proj``; TrainingArguments batch 32, lr 1e-4, ``eval_steps=100``,
``load_best_model_at_end=True``; ``EarlyStoppingCallback(early_stopping_patience=5,
early_stopping_threshold=0.01)`` on ``eval_ds`` (the "valid" split: FLORES dev);
``--train_size`` 400 or 800."""

from __future__ import annotations

from iclab.analyses.layer_lora.run import LayerLoraConfig, paper_pairs, paper_zero_shot
from iclab.data import load_task
from iclab.models.tiny import tiny_tokenizer


def test_paper_settings():
    cfg = LayerLoraConfig.paper()
    assert (cfg.n_train, cfg.batch_size, cfg.lr, cfg.r, cfg.alpha, cfg.dropout) == (
        400, 32, 1e-4, 8, 32.0, 0.05)
    assert cfg.loss_on == "sequence" and cfg.preset == "paper"
    assert (cfg.eval_steps, cfg.patience, cfg.threshold, cfg.load_best, cfg.eval_split) == (
        100, 5, 0.01, True, "validation")
    assert LayerLoraConfig().eval_steps is None and not LayerLoraConfig().load_best
    assert LayerLoraConfig.paper(n_train=800).n_train == 800
    assert LayerLoraConfig().loss_on == "answer" and LayerLoraConfig().n_train == 32


def test_paper_pairs_and_prompts():
    task = load_task("flores-eng-fra")
    src, tgt = task.split("train")[0].fields["source"], task.split("train")[0].label
    assert paper_pairs(task, 2)[0] == (f"Q:{src}\nA:", tgt)
    p = paper_zero_shot(task, tiny_tokenizer("llama"), 3)
    assert len(p) == 3 and p[0].text == f"Q:{task.split('test')[0].fields['source']}\nA:"
