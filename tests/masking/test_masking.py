"""Context masking from layer L on tiny Llama, GPT-NeoX and Gemma3 models."""

from __future__ import annotations

import pytest
import torch
from transformers import DynamicCache

from iclab.engine.compat import cache_kwargs
from iclab.engine.masking import (
    ContextMask,
    RowMask,
    block_matrix,
    mask_context,
    parse_parts,
    part_ranges,
    row_mask,
)
from iclab.engine.types import EngineError
from iclab.prompts.types import Prompt, Span
from masking_helpers import Q_START, T, ids, model_for

ATOL = 1e-5


def logits(model, x, **kw) -> torch.Tensor:
    with torch.inference_mode():
        return model(input_ids=x, **kw).logits


def all_context(sink: int, from_layer: int = 0) -> ContextMask:
    return ContextMask(from_layer, (RowMask(((0, Q_START),), Q_START),), sink=sink)


def test_mask_at_n_layers_changes_nothing(arch):
    model, x = model_for(arch), ids(1)
    ref = logits(model, x)
    with mask_context(model, all_context(1, from_layer=model.config.num_hidden_layers)):
        out = logits(model, x)
    assert torch.equal(out, ref)


def test_mask_at_zero_changes_query_rows_only(arch):
    model, x = model_for(arch), ids(2)
    ref = logits(model, x)
    with mask_context(model, all_context(1)):
        out = logits(model, x)
    assert torch.equal(out[:, :Q_START], ref[:, :Q_START])
    assert (out[:, Q_START:] - ref[:, Q_START:]).abs().max() > 1e-3


def test_all_context_masked_equals_query_alone(arch):
    """No sink, everything before the query masked from layer 0 == the query on its own."""
    model, x = model_for(arch), ids(3)
    with mask_context(model, all_context(0)):
        out = logits(model, x)[:, Q_START:]
    pos = torch.arange(Q_START, T)[None]
    alone = logits(model, x[:, Q_START:], position_ids=pos,
                   attention_mask=torch.ones(1, T - Q_START, dtype=torch.long))
    torch.testing.assert_close(out, alone, atol=ATOL, rtol=0)


@pytest.mark.parametrize("arch_", ["llama", "gpt_neox"])
def test_all_context_masked_with_sink_equals_sink_plus_query(arch_):
    """With the sink kept: == [token 0] + query at their original positions (no sliding window)."""
    model, x = model_for(arch_), ids(4)
    with mask_context(model, all_context(1)):
        out = logits(model, x)[:, Q_START:]
    short = torch.cat([x[:, :1], x[:, Q_START:]], dim=1)
    pos = torch.cat([torch.zeros(1, 1, dtype=torch.long), torch.arange(Q_START, T)[None]], dim=1)
    ref = logits(model, short, position_ids=pos, attention_mask=torch.ones_like(short))[:, 1:]
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)


@pytest.mark.parametrize("split", [Q_START, Q_START + 3])
def test_masked_with_cache_equals_without_cache(arch, split):
    """Prefill [0, split) into a cache, then the rest: same logits as one uncached pass."""
    model, x = model_for(arch), ids(5)
    mask = ContextMask(1, (RowMask(((1, 5), (9, Q_START), (Q_START, Q_START + 2)), Q_START),))
    with mask_context(model, mask):
        ref = logits(model, x, use_cache=False)
        cache = DynamicCache(config=model.config)
        first = logits(model, x[:, :split], **cache_kwargs(model, cache), use_cache=True)
        rest = logits(model, x[:, split:], **cache_kwargs(model, cache), use_cache=True)
    torch.testing.assert_close(torch.cat([first, rest], 1), ref, atol=ATOL, rtol=0)


def _greedy(model, x, steps, cache=None, **kw):
    """Greedy decode ``steps`` tokens one at a time with a cache; return ids and step logits."""
    cache = cache if cache is not None else DynamicCache(config=model.config)
    out = logits(model, x, **cache_kwargs(model, cache), use_cache=True, **kw)[:, -1]
    toks, steps_logits = [], [out]
    pos = kw.pop("position_ids", None)
    for i in range(steps):
        nxt = steps_logits[-1].argmax(-1, keepdim=True)
        toks.append(nxt)
        extra = {}
        if pos is not None:
            extra = {"position_ids": pos[:, -1:] + i + 1,
                     "attention_mask": torch.ones(1, pos.shape[1] + i + 1, dtype=torch.long)}
        steps_logits.append(logits(model, nxt, **cache_kwargs(model, cache), use_cache=True,
                                   **extra)[:, -1])
    return torch.cat(toks, 1), torch.stack(steps_logits, 1)


def test_masked_generation_blocks_generated_tokens(arch):
    """Generated tokens see no masked context: == generating from the query alone."""
    model, x = model_for(arch), ids(6)
    with mask_context(model, all_context(0)):
        toks, masked = _greedy(model, x, 4)
    pos = torch.arange(Q_START, T)[None]
    toks_alone, alone = _greedy(model, x[:, Q_START:], 4, position_ids=pos,
                                attention_mask=torch.ones(1, T - Q_START, dtype=torch.long))
    assert torch.equal(toks, toks_alone)
    torch.testing.assert_close(masked, alone, atol=ATOL, rtol=0)
    _, unmasked = _greedy(model, x, 4)
    assert (unmasked[:, 1:] - masked[:, 1:]).abs().max() > 1e-3


def test_masked_generation_with_cache_equals_recomputation(arch):
    model, x = model_for(arch), ids(7)
    mask = ContextMask(2, (RowMask(((3, 12),), Q_START),))
    with mask_context(model, mask):
        toks, steps = _greedy(model, x, 3)
        full = torch.cat([x, toks], 1)
        ref = logits(model, full, use_cache=False)[:, T - 1:]
    torch.testing.assert_close(steps, ref, atol=ATOL, rtol=0)


def _hand_mask(rows_from: int, blocked: list[tuple[int, int]], sink: int) -> torch.Tensor:
    """Reference 4D bool mask written out element by element."""
    m = torch.zeros(1, 1, T, T, dtype=torch.bool)
    for q in range(T):
        for k in range(q + 1):
            hidden = q >= rows_from and k >= sink and k != q and any(s <= k < e for s, e in blocked)
            m[0, 0, q, k] = not hidden
    return m


@pytest.mark.parametrize("rows_from", [Q_START, 0])
@pytest.mark.parametrize("arch_", ["llama", "gpt_neox"])
def test_noncontiguous_mask_matches_hand_built_4d_mask(arch_, rows_from):
    """Instructions + query blocked (not expressible in the paper's code), from layer 0."""
    model, x = model_for(arch_), ids(8)
    blocked = [(1, 4), (Q_START, T)]
    with mask_context(model, ContextMask(0, (RowMask(tuple(blocked), rows_from),))):
        out = logits(model, x)
    ref = logits(model, x, attention_mask=_hand_mask(rows_from, blocked, 1))
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)


def test_eager_equals_sdpa():
    model = model_for("llama")
    x = ids(9)
    mask = ContextMask(1, (RowMask(((1, 10),), Q_START),))
    with mask_context(model, mask):
        sdpa = logits(model, x)
    model.set_attn_implementation("eager")
    try:
        with mask_context(model, mask):
            eager = logits(model, x)
    finally:
        model.set_attn_implementation("sdpa")
    torch.testing.assert_close(eager, sdpa, atol=ATOL, rtol=0)


def test_lower_layers_untouched(arch):
    model, x = model_for(arch), ids(10)
    with torch.inference_mode():
        ref = model(input_ids=x, output_hidden_states=True).hidden_states
        with mask_context(model, all_context(1, from_layer=2)):
            out = model(input_ids=x, output_hidden_states=True).hidden_states
    for layer in range(3):  # hidden_states[l] is the input of layer l
        assert torch.equal(out[layer], ref[layer])
    assert not torch.equal(out[3], ref[3])


def test_restored_after_error():
    model = model_for("llama")
    before = model.config._attn_implementation
    with pytest.raises(RuntimeError):
        with mask_context(model, all_context(1)):
            raise RuntimeError("boom")
    assert model.config._attn_implementation == before
    assert not any(hasattr(m, "_iclab_context_mask") for m in model.modules())
    assert not model.get_decoder()._forward_pre_hooks


def test_no_nesting_and_bad_input():
    model = model_for("llama")
    with mask_context(model, all_context(1)):
        with pytest.raises(EngineError, match="already active"):
            with mask_context(model, all_context(1)):
                pass
    with pytest.raises(EngineError):
        RowMask(((5, 2),), 0)
    with pytest.raises(EngineError):
        parse_parts("examples,labels")
    assert parse_parts("query,instructions") == ("instructions", "query")


def test_no_row_fully_masked():
    """Every row keeps its diagonal even when all keys (and the sink) are blocked."""
    mask = ContextMask(0, (RowMask(((0, T),), 0),), sink=0)
    pos = torch.arange(T)
    block = block_matrix(mask, 1, pos, pos)[0, 0]
    causal = pos[None, :] <= pos[:, None]
    visible = causal & ~block
    assert visible.sum(-1).min() == 1 and torch.equal(visible, torch.eye(T, dtype=torch.bool))


def _prompt() -> Prompt:
    spans = (Span("instruction", None, 0, 5, 1, 4), Span("demo", 0, 6, 10, 5, 8),
             Span("demo", 1, 11, 15, 9, 12), Span("query", None, 16, 20, 13, 17))
    return Prompt(text="x" * 20, input_ids=tuple(range(19)), spans=spans, choices=(), target="")


def test_part_ranges_cover_the_prompt():
    p = _prompt()
    assert part_ranges(p) == {"instructions": (1, 5), "examples": (5, 13), "query": (13, 19)}
    rm = row_mask(p, "instructions,query")
    assert rm == RowMask(((1, 5), (13, 19)), 13)
    assert row_mask(p, ["examples"], rows="all").rows_from == 0
    no_instr = Prompt(text="", input_ids=tuple(range(19)), spans=_prompt().spans[1:],
                      choices=(), target="")
    with pytest.raises(EngineError, match="no such span"):
        row_mask(no_instr, "instructions")
