"""Full fine-tuning and LoRA on tiny models: masks, learning, what changes, targeting, errors."""

from __future__ import annotations

import pytest
import torch

from iclab.engine.training import (
    FinetuneConfig,
    FinetuneConfigError,
    finetune,
    layer_targets,
    prepare_model,
)
from iclab.engine.training_data import (
    IGNORE_INDEX,
    Collator,
    pairs_from_examples,
    tokenize_pair,
    tokenize_pairs,
)
from iclab.data.types import Example
from iclab.errors import DataError
from iclab.models.tiny import tiny_model, tiny_tokenizer

pytestmark = pytest.mark.usefixtures("one_thread")

# A learnable mapping: each word is followed by its own fixed answer word.
_WORDS = "the a of to in is was and or not".split()
_ANSWERS = "cat dog city movie plot house actor paris rome tokyo".split()
PAIRS = [(f"Q: {w}\nA:", f" {a}") for w, a in zip(_WORDS, _ANSWERS)]


@pytest.fixture(scope="module")
def tok():
    return tiny_tokenizer("llama")


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# --- labels and batches -----------------------------------------------------------------

def test_answer_only_labels_mask_every_prompt_token(tok) -> None:
    prompt, answer = PAIRS[0]
    row = tokenize_pair(tok, prompt, answer, loss_on="answer")
    prompt_ids = tok(prompt)["input_ids"]
    answer_ids = tok(answer, add_special_tokens=False)["input_ids"]
    assert row.input_ids == prompt_ids + answer_ids + [tok.eos_token_id]
    assert row.n_prompt == len(prompt_ids) and prompt_ids[0] == tok.bos_token_id
    assert row.labels == [IGNORE_INDEX] * len(prompt_ids) + answer_ids + [tok.eos_token_id]
    whole = tokenize_pair(tok, prompt, answer, loss_on="sequence", add_eos=False)
    assert whole.labels == whole.input_ids == prompt_ids + answer_ids


def test_collator_pads_right_and_masks_padding(tok) -> None:
    rows = tokenize_pairs(tok, [("Q: the\nA:", " cat"), ("Q: the movie plot was great\nA:", " a")],
                          loss_on="answer", add_eos=True, max_length=64)
    batch = Collator(pad_token_id=0)(rows)
    short, long_ = rows
    assert batch["input_ids"].shape == batch["labels"].shape == (2, len(long_.input_ids))
    n = len(short.input_ids)
    assert batch["attention_mask"][0].tolist() == [1] * n + [0] * (len(long_.input_ids) - n)
    assert batch["labels"][0, n:].eq(IGNORE_INDEX).all()
    assert batch["labels"][0, :short.n_prompt].eq(IGNORE_INDEX).all()
    assert batch["labels"][0, short.n_prompt:n].tolist() == short.input_ids[short.n_prompt:]


def test_pairs_from_examples_and_length_limit(tok) -> None:
    examples = [Example(fields={"input": "1+1="}, label="2")]
    assert pairs_from_examples(examples) == [("1+1=", "2")]
    with pytest.raises(DataError, match="no field 'sentence'"):
        pairs_from_examples(examples, field="sentence")
    with pytest.raises(DataError, match="pair 0 is .* over max_length=4"):
        tokenize_pairs(tok, PAIRS[:1], loss_on="answer", add_eos=True, max_length=4)


def test_trainer_loss_is_the_answer_token_loss(tok) -> None:
    """The first logged loss equals the base model's mean CE over answer tokens only."""
    model = tiny_model("llama")
    batch = Collator(0)(tokenize_pairs(tok, PAIRS, loss_on="answer", add_eos=True,
                                       max_length=64))
    with torch.no_grad():
        answer_loss = model(**batch).loss.item()
        batch_seq = Collator(0)(tokenize_pairs(tok, PAIRS, loss_on="sequence", add_eos=True,
                                               max_length=64))
        sequence_loss = model(**batch_seq).loss.item()
    cfg = FinetuneConfig(method="full", max_steps=1, batch_size=len(PAIRS), lr=1e-6)
    assert finetune(model, tok, PAIRS, cfg).losses[0] == pytest.approx(answer_loss, rel=1e-4)
    seq_cfg = FinetuneConfig(method="full", max_steps=1, batch_size=len(PAIRS), lr=1e-6,
                             loss_on="sequence")
    seq_first = finetune(model, tok, PAIRS, seq_cfg).losses[0]
    assert seq_first == pytest.approx(sequence_loss, rel=1e-4)
    assert abs(seq_first - answer_loss) > 1e-3


# --- training ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, lr", [("full", 3e-3), ("lora", 1e-2)])
def test_loss_decreases_on_a_learnable_set(tok, method: str, lr: float) -> None:
    # A random tiny model's logits are small (lm_head std 0.02) and its final norm and lm_head
    # are frozen under LoRA; an adapter on lm_head lets LoRA reach low losses in a few steps.
    cfg = FinetuneConfig(method=method, lr=lr, max_steps=30, batch_size=5, lora_dropout=0.0,
                         target_modules=("o_proj", "lm_head"))
    result = finetune(tiny_model("llama"), tok, PAIRS, cfg)
    losses = result.losses
    assert [s.step for s in result.log] == list(range(1, 31))
    assert sum(losses[-3:]) / 3 < 0.6 * sum(losses[:3]) / 3
    assert result.seconds < 30 and result.n_train == len(PAIRS)


def test_lora_trains_only_adapters_and_leaves_the_base_untouched(tok) -> None:
    base = tiny_model("llama")
    before = _snapshot(base)
    cfg = FinetuneConfig(method="lora", lr=1e-2, max_steps=5, batch_size=5)
    result = finetune(base, tok, PAIRS, cfg)
    assert _same(before, _snapshot(base))  # the caller's model is not modified
    trained = dict(result.model.named_parameters())
    adapters = {k for k in trained if "lora_" in k}
    assert adapters and all(trained[k].requires_grad == (k in adapters) for k in trained)
    assert result.n_trainable == sum(trained[k].numel() for k in adapters)
    for name, value in base.named_parameters():  # base weights inside the PeftModel: identical
        key = next(k for k in trained if k.endswith(name.replace(".weight", ".base_layer.weight"))
                   or k.endswith("model." + name))
        assert torch.equal(trained[key], value), key
    assert any(trained[k].abs().sum() > 0 for k in adapters if "lora_B" in k)  # B left zero init


def test_full_finetuning_returns_a_changed_copy_unless_asked_in_place(tok) -> None:
    base = tiny_model("llama")
    before = _snapshot(base)
    cfg = FinetuneConfig(method="full", lr=1e-3, max_steps=2, batch_size=5)
    result = finetune(base, tok, PAIRS, cfg)
    assert result.model is not base and _same(before, _snapshot(base))
    assert not _same(before, _snapshot(result.model))
    in_place = finetune(base, tok, PAIRS, cfg, copy_model=False)
    assert in_place.model is base and not _same(before, _snapshot(base))


def test_same_seed_same_run_other_seed_differs(tok) -> None:
    base = tiny_model("gpt_neox")
    cfg = FinetuneConfig(method="lora", lr=1e-2, max_steps=4, batch_size=3, seed=3)
    first, again = finetune(base, tok, PAIRS, cfg), finetune(base, tok, PAIRS, cfg)
    assert first.losses == again.losses
    assert _same(_snapshot(first.model), _snapshot(again.model))
    other = finetune(base, tok, PAIRS, FinetuneConfig(method="lora", lr=1e-2, max_steps=4,
                                                      batch_size=3, seed=4))
    assert other.losses != first.losses


def test_n_train_uses_a_prefix_of_the_pairs(tok) -> None:
    cfg = FinetuneConfig(method="full", lr=1e-3, epochs=1, batch_size=2, n_train=4)
    result = finetune(tiny_model("llama"), tok, PAIRS, cfg)
    assert result.n_train == 4 and len(result.log) == 2  # 4 pairs / batch 2 = 2 steps
    with pytest.raises(FinetuneConfigError, match="n_train=40 but 10 pair"):
        finetune(tiny_model("llama"), tok, PAIRS, FinetuneConfig(n_train=40))
    with pytest.raises(FinetuneConfigError, match="no training pairs"):
        finetune(tiny_model("llama"), tok, [], FinetuneConfig())


# --- targeting ----------------------------------------------------------------------------

def _twelve_layer_llama() -> torch.nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    return LlamaForCausalLM(LlamaConfig(vocab_size=512, hidden_size=32, num_hidden_layers=12,
                                        num_attention_heads=2, num_key_value_heads=1,
                                        intermediate_size=64))


def test_single_layer_target_adapts_exactly_that_layer() -> None:
    """``layers.1.self_attn.o_proj`` must not also match layer 11."""
    model = prepare_model(_twelve_layer_llama(), FinetuneConfig(target_modules=layer_targets(1)))
    adapted = {n.split(".lora_")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert adapted == {"base_model.model.model.layers.1.self_attn.o_proj"}


@pytest.mark.parametrize("arch, module", [("gpt_neox", "attention.dense"),
                                          ("gemma3", "self_attn.o_proj")])
def test_layer_targets_work_across_architectures(tok, arch: str, module: str) -> None:
    cfg = FinetuneConfig(method="lora", lr=1e-2, max_steps=2, batch_size=5,
                         target_modules=layer_targets(2, module), merge_lora=True)
    base = tiny_model(arch)
    before = _snapshot(base)
    merged = finetune(base, tok, PAIRS, cfg).model
    after = _snapshot(merged)
    assert type(merged) is type(base)  # merged back into a plain model
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    assert changed == {k for k in before if k.endswith(f"layers.2.{module}.weight")}


def test_unknown_target_names_the_targets_and_real_modules() -> None:
    with pytest.raises(FinetuneConfigError, match=r"match no layer.*attention\.dense"):
        prepare_model(tiny_model("gpt_neox"), FinetuneConfig(target_modules=layer_targets(1)))


# --- config validation ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"method": "qlora"}, "method"), ({"lr": 0}, "lr"), ({"lr": float("nan")}, "lr"),
        ({"epochs": 0}, "epochs"), ({"max_steps": 0}, "max_steps"),
        ({"batch_size": 2.5}, "batch_size"), ({"n_train": 0}, "n_train"),
        ({"loss_on": "prompt"}, "loss_on"), ({"lr_schedule": "cyclic"}, "lr_schedule"),
        ({"lora_r": 0}, "lora_r"), ({"lora_alpha": -1}, "lora_alpha"),
        ({"lora_dropout": 1.0}, "lora_dropout"), ({"target_modules": ()}, "target_modules"),
        ({"target_modules": ["o_proj"]}, "target_modules"), ({"max_length": 1}, "max_length"),
        ({"seed": True}, "seed"),
    ],
)
def test_config_rejects_bad_values_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(FinetuneConfigError, match=f"^{field} must"):
        FinetuneConfig(**kwargs)


def test_config_records_itself_with_the_version() -> None:
    record = FinetuneConfig(method="full", target_modules=layer_targets(3)).to_dict()
    assert record["method"] == "full" and record["target_modules"] == ("layers.3.self_attn.o_proj",)
    assert "iclab_version" in record
    with pytest.raises(FinetuneConfigError, match="layer must be"):
        layer_targets(-1)
