"""Tiny randomly-initialised causal LMs and tokenizers, built offline from configs.

They make fast unit tests for code that must work across architectures (Llama, GPT-NeoX,
Gemma3): same HF classes, same cache and attention code paths as the real models, a fraction
of a second per forward. Weights are random, so only exactness (fast path == naive path) can be
tested with them, never behaviour.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

TinyArch = Literal["llama", "gpt_neox", "gemma3"]
TINY_ARCHS: tuple[TinyArch, ...] = ("llama", "gpt_neox", "gemma3")

_WORDS = (
    "the a an of to in is was and or not but great terrible good bad movie film plot actor "
    "review sentence answer label positive negative neutral true false unknown question "
    "english french german cat dog house chat chien maison city country capital paris berlin "
    "madrid rome london tokyo one two three four five six seven eight nine ten even odd "
    "translate program task write return def print if else for while value input output "
    "market stock shares profit loss company quarter growth sales price rose fell"
).split()


def _corpus() -> list[str]:
    """A fixed, deterministic training corpus for the tiny BPE tokenizer."""
    lines = []
    for i, w in enumerate(_WORDS):
        nxt = _WORDS[(i * 7 + 3) % len(_WORDS)]
        lines.append(f"{w.capitalize()} {nxt} {w}: '{nxt}' \nAnswer: {w}\n\n")
        lines.append(f"Q:{w} {nxt}A:{nxt.upper()} \n{i} + {i * 3} = {i * 4}!?.,;()[]{{}}@#$%*^")
    return lines


@lru_cache(maxsize=None)
def tiny_tokenizer(arch: TinyArch = "llama", vocab_size: int = 512) -> PreTrainedTokenizerFast:
    """Return a small byte-level BPE tokenizer trained on a fixed corpus.

    Llama- and Gemma-style tokenizers prepend a BOS token; the GPT-NeoX style does not, as in
    the real models.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    if arch not in TINY_ARCHS:
        raise ValueError(f"unknown tiny architecture {arch!r}; choose from {TINY_ARCHS}")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<pad>", "<s>", "</s>"]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    bos_id = tok.token_to_id("<s>")
    if arch == "gpt_neox":
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    else:
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", bos_id)]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )


def tiny_model(arch: TinyArch = "llama", seed: int = 0, vocab_size: int = 512) -> PreTrainedModel:
    """Return a randomly-initialised tiny causal LM of the given architecture (fp32, eval mode).

    Gemma3 gets a short sliding window and mixed sliding/full layers so that its
    sliding-attention path is exercised by short prompts.
    """
    from transformers import (
        Gemma3ForCausalLM,
        Gemma3TextConfig,
        GPTNeoXConfig,
        GPTNeoXForCausalLM,
        LlamaConfig,
        LlamaForCausalLM,
    )

    torch.manual_seed(seed)
    common = dict(vocab_size=vocab_size, hidden_size=64, num_hidden_layers=4,
                  num_attention_heads=4, intermediate_size=128, max_position_embeddings=2048,
                  bos_token_id=1, eos_token_id=2, pad_token_id=0)
    if arch == "llama":
        model = LlamaForCausalLM(LlamaConfig(num_key_value_heads=2, **common))
    elif arch == "gpt_neox":
        model = GPTNeoXForCausalLM(GPTNeoXConfig(rotary_pct=0.25, **common))
    elif arch == "gemma3":
        cfg = Gemma3TextConfig(num_key_value_heads=2, head_dim=16, sliding_window=8,
                               layer_types=["sliding_attention", "full_attention"] * 2, **common)
        model = Gemma3ForCausalLM(cfg)
    else:
        raise ValueError(f"unknown tiny architecture {arch!r}; choose from {TINY_ARCHS}")
    model.config.name_or_path = f"tiny-{arch}"
    return model.float().eval()
