"""Adapter, prefix grouping, cache copies and bad input."""

from __future__ import annotations

import pytest
import torch

from iclab.engine import Engine, EngineError, head_adapter
from iclab.engine.kv import batch_cache, common_prefix_len, prefill
from iclab.engine.run import group_by_prefix
from iclab.models.tiny import tiny_model, tiny_tokenizer

from conftest import make_prompt, prompt_set


def test_adapter_reproduces_logits(tiny):
    _, model, _ = tiny
    adapter = head_adapter(model)
    ids = torch.tensor([[1, 40, 41, 300, 7]])
    with torch.inference_mode():
        ref = model(input_ids=ids).logits
        rows = torch.tensor([3, 300, 17])
        ours = adapter.logits(adapter.hidden(ids), rows)
    assert torch.allclose(ref[..., rows], ours, atol=1e-5)


def test_adapter_softcapping_and_detection():
    """Gemma-style final soft-capping is applied; a head that ignores it fails verification."""
    model = tiny_model("gemma3")
    model.config.final_logit_softcapping = 0.5  # strong, so forgetting it is visible
    adapter = head_adapter(model)
    assert adapter.softcap == 0.5
    adapter.softcap = None
    with pytest.raises(EngineError, match="does not reproduce"):
        adapter.verify()


def test_common_prefix_and_grouping():
    assert common_prefix_len([(1, 2, 3), (1, 2, 4), (1, 2)]) == 2
    assert common_prefix_len([]) == 0
    a = [1] * 50
    seqs = [tuple(a + [2, 3]), tuple([9] * 40 + [1]), tuple(a + [5]), tuple([9] * 40 + [2, 2])]
    groups = sorted(sorted(g) for g in group_by_prefix(seqs))
    assert groups == [[0, 2], [1, 3]]


def test_batch_cache_leaves_prefix_intact(tiny):
    _, model, _ = tiny
    adapter = head_adapter(model)
    prefix = prefill(adapter, list(range(3, 30)), torch.device("cpu"))
    before = [layer.keys.clone() for layer in prefix.cache.layers]
    with torch.inference_mode():
        adapter.hidden(torch.tensor([[5, 6], [7, 8], [9, 9]]), batch_cache(prefix, 3, adapter))
    for b, layer in zip(before, prefix.cache.layers):
        assert torch.equal(b, layer.keys)


def test_bad_input_errors():
    model, tok = tiny_model("llama"), tiny_tokenizer("llama")
    engine = Engine(model, tok)
    with pytest.raises(EngineError, match="empty query set"):
        engine.score([])
    with pytest.raises(EngineError, match="empty query set"):
        engine.generate([])
    with pytest.raises(EngineError, match="tokenizes to no tokens"):
        engine.score(prompt_set(tok, n_queries=1, choices=(" positive", "")))
    long = make_prompt(tok, ["the movie was great " * 300], ["positive"], "bad film",
                       (" positive", " negative"))
    assert len(long.input_ids) > engine.max_length
    with pytest.raises(EngineError, match="context window"):
        engine.score([long])
    with pytest.raises(EngineError, match="context window"):
        engine.generate([long])
    with pytest.raises(EngineError, match="tokenizer"):
        Engine(model)


def test_cuda_requested_but_absent():
    from iclab.errors import ModelSpecError
    from iclab.models.loader import resolve_device

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(ModelSpecError, match="CUDA is not available"):
        resolve_device("cuda")


def test_batches_respect_limits():
    from iclab.engine.plan import Read, Row
    from iclab.engine.run import BatchLimits, batches

    rows = [Row(i, tuple(range(10 + i % 7)), [Read(9, (1,), (0,))]) for i in range(40)]
    limits = BatchLimits(rows=8, tokens=40, cache_tokens=100)
    out = list(batches(rows, 5, limits))
    assert sorted(r.prompt for b in out for r in b) == list(range(40))
    for b in out:
        width = max(len(r.ids) for r in b) - 5
        assert len(b) <= 8 and (len(b) == 1 or (len(b) * width <= 40 and len(b) * (5 + width) <= 100))
