"""Random-weight causal LMs of real architectures' shapes (speed and exactness depend on the
shapes alone), with an optional ``small`` variant for a CPU run.

The vocabulary is the tokenizer's (:func:`default_tokenizer`: the real Gemma-3 tokenizer's
262,144 ids; SmolLM2's 49,152 for ``small``), so prompts are real token sequences; every other
dimension is the named model's (``small``: shrunk).
"""

from __future__ import annotations

from typing import Any

import torch

SHAPES: dict[str, dict[str, Any]] = {
    # google/gemma-3-270m
    "gemma3-270m": dict(arch="gemma3", hidden_size=640, num_hidden_layers=18,
                        num_attention_heads=4, num_key_value_heads=1, head_dim=256,
                        intermediate_size=2048, sliding_window=512, sliding_every=6),
    # meta-llama/Llama-3.2-1B
    "llama-1b": dict(arch="llama", hidden_size=2048, num_hidden_layers=16,
                     num_attention_heads=32, num_key_value_heads=8, intermediate_size=8192),
    # EleutherAI/pythia-1.4b
    "pythia-1.4b": dict(arch="gpt_neox", hidden_size=2048, num_hidden_layers=24,
                        num_attention_heads=16, intermediate_size=8192),
    # meta-llama/Llama-2-7b
    "llama-7b": dict(arch="llama", hidden_size=4096, num_hidden_layers=32,
                     num_attention_heads=32, num_key_value_heads=32, intermediate_size=11008),
}

# --small: the same architecture and head layout ratios at CPU size, with the bundled
# SmolLM2's real tokenizer (49,152 ids) so that the body keeps the real shapes' weight against
# the output head (body:head parameters ~1.2 here; the real shapes with the 262,144-id Gemma-3
# vocabulary: 0.6 gemma3-270m, 1.8 llama-1b, 2.2 pythia-1.4b, 6.1 llama-7b). With the Gemma-3
# vocabulary at hidden 256 the head was 67 M parameters over a 4 M body (0.06), which made
# every small figure a measurement of the output head alone.
SMALL = dict(hidden_size=512, num_hidden_layers=8, intermediate_size=2048)
SMALL_HEADS = 8


def default_tokenizer(small: bool = False) -> str:
    """The bundled model whose tokenizer (and so vocabulary) the shapes use: Gemma-3's
    (262,144 ids) for the real shapes, SmolLM2's (49,152 ids) for ``small`` ones."""
    return "smollm2-135m" if small else "gemma-3-270m"


def shape(name: str, small: bool = False) -> dict[str, Any]:
    """The config values of a named shape (``small``: hidden 512, 8 layers, 8 heads)."""
    s = dict(SHAPES[name])
    if small:
        heads = SMALL_HEADS
        kv = max(1, heads * s.get("num_key_value_heads", s["num_attention_heads"])
                 // s["num_attention_heads"])
        s.update(SMALL, num_attention_heads=heads, num_key_value_heads=kv)
        if "head_dim" in s:
            s["head_dim"] = 64
            s["sliding_window"] = 64
    return s


def non_embedding_params(model: Any) -> int:
    """Parameters outside the input and output embeddings (the 2·N·tokens FLOP count's N)."""
    skip = {id(model.get_input_embeddings().weight), id(model.get_output_embeddings().weight)}
    return sum(p.numel() for p in model.parameters() if id(p) not in skip)


def build(name: str, vocab_size: int, small: bool = False, dtype: torch.dtype = torch.float32,
          device: str = "cpu", seed: int = 0) -> Any:
    """A randomly initialised model of shape ``name`` (eval mode, sdpa attention)."""
    from transformers import (
        Gemma3ForCausalLM,
        Gemma3TextConfig,
        GPTNeoXConfig,
        GPTNeoXForCausalLM,
        LlamaConfig,
        LlamaForCausalLM,
    )

    s = shape(name, small)
    arch = s.pop("arch")
    every = s.pop("sliding_every", None)
    common = dict(vocab_size=vocab_size, max_position_embeddings=4096, bos_token_id=2,
                  eos_token_id=1, pad_token_id=0, attn_implementation="sdpa", **s)
    torch.manual_seed(seed)
    with torch.device(device):
        if arch == "llama":
            model = LlamaForCausalLM(LlamaConfig(tie_word_embeddings=name == "llama-1b", **common))
        elif arch == "gpt_neox":
            model = GPTNeoXForCausalLM(GPTNeoXConfig(rotary_pct=0.25, **common))
        else:
            n = s["num_hidden_layers"]
            types = ["full_attention" if (i + 1) % every == 0 else "sliding_attention"
                     for i in range(n)]
            model = Gemma3ForCausalLM(Gemma3TextConfig(layer_types=types, **common))
    model.config.name_or_path = f"random-{name}{'-small' if small else ''}"
    return model.to(dtype).eval()
