"""Packed rows (no padding, shared prefix keys) equal padded rows; unsupported models fall back."""

from __future__ import annotations

import pytest
import torch

from iclab.engine import BatchLimits, Engine
from iclab.engine.adapter import head_adapter
from iclab.engine.kv import prefill
from iclab.testing.naive import naive_choice_logprobs
from iclab.engine.plan import Read, Row
from iclab.engine.run import _forward, _packed_forward, batches, packing_works, segments
from iclab.models.tiny import tiny_model

from conftest import prompt_set

CPU = torch.device("cpu")


def _rows(prefix_len: int, lengths: list[int]) -> list[Row]:
    prefix = tuple(3 + (7 * i) % 200 for i in range(prefix_len))
    return [Row(0, prefix + tuple(5 + (11 * i + 3 * j) % 300 for j in range(n)), [])
            for i, n in enumerate(lengths)]


def _compare(adapter, prefix_len: int, lengths: list[int]) -> float:
    """Max |log-prob| difference, packed vs padded, over every real position."""
    rows = _rows(prefix_len, lengths)
    with torch.inference_mode():
        prefix = prefill(adapter, rows[0].ids[:prefix_len], CPU)
        ref = _forward(adapter, prefix, rows, CPU)
        got = _packed_forward(adapter, prefix, rows, CPU)
        valid = segments(lengths, prefix_len, CPU).q_valid
        lp = [torch.log_softmax(adapter.logits(x[valid]), -1) for x in (ref, got)]
    return (lp[0] - lp[1]).abs().max().item()


@pytest.mark.parametrize("prefix_len,lengths", [(5, [3, 1, 4]), (0, [6, 2, 9, 1]),
                                                (12, [10, 1, 13, 4])])
def test_packed_equals_padded(tiny, prefix_len, lengths):
    """Mixed lengths, no prefix, and (Gemma3: window 8) prefix and rows past the window."""
    _, model, _ = tiny
    adapter = head_adapter(model)
    assert packing_works(adapter) and adapter.packs is True
    assert _compare(adapter, prefix_len, lengths) < 1e-5


@pytest.mark.parametrize("softcap,window", [(None, None), (2.0, None), (None, 6), (2.0, 6)])
@pytest.mark.parametrize("path", ["dense", "blocks", "rows"])
def test_packed_attention_function_matches_dense_reference(softcap, window, path, monkeypatch):
    """The attention function itself against dense masked attention: grouped heads, a prefix,
    soft-capping (Gemma 2 passes ``softcap``; the tiny models never do) and a sliding window,
    through each of its paths: one dense call (few queries), the blockwise merge (a long
    prefix), and rows padded with a short prefix copied per row (soft-capping: blockwise)."""
    from types import SimpleNamespace

    from iclab.engine import packed
    from iclab.engine.packed import _STATE, _attend

    torch.manual_seed(0)
    if path != "dense":
        monkeypatch.setattr(packed, "DENSE_LIMIT", 0)
    prefix, lengths, h, kvh, d = 2 if path == "rows" else 7, [3, 1, 5], 4, 2, 8
    seg = segments(lengths, prefix, CPU)
    n = sum(lengths)
    q = torch.randn(1, h, n, d)
    k, v = torch.randn(1, kvh, prefix + n, d), torch.randn(1, kvh, prefix + n, d)
    _STATE.seg = seg
    try:
        got, _ = _attend(SimpleNamespace(sliding_window=None), q, k, v, None, scaling=0.3,
                         softcap=softcap, sliding_window=window)
    finally:
        _STATE.seg = None
    # dense reference: query i of row r sees the prefix and its own row's earlier tokens
    row = [r for r, m in enumerate(lengths) for _ in range(m)]
    qpos = seg.positions.tolist()
    kpos = list(range(prefix)) + qpos
    krow = [-1] * prefix + row
    allowed = torch.tensor([[(kr == -1 or kr == row[i]) and kp <= qpos[i]
                             and (window is None or kp > qpos[i] - window)
                             for kp, kr in zip(kpos, krow)] for i in range(n)])
    kk, vv = k.repeat_interleave(h // kvh, 1), v.repeat_interleave(h // kvh, 1)
    scores = (q @ kk.transpose(-1, -2)) * 0.3
    if softcap:
        scores = torch.tanh(scores / softcap) * softcap
    ref = torch.softmax(scores.masked_fill(~allowed, float("-inf")), -1) @ vv  # (1, H, N, D)
    assert (got - ref.transpose(1, 2)).abs().max() < 1e-5


def test_unsupported_model_falls_back_to_padding():
    """ALiBi (BLOOM) does not take positions from position ids: the probe refuses packing and
    scores still equal the naive computation."""
    from transformers import BloomConfig, BloomForCausalLM

    from iclab.models.tiny import tiny_tokenizer

    torch.manual_seed(0)
    model = BloomForCausalLM(BloomConfig(vocab_size=512, hidden_size=64, n_layer=2,
                                         n_head=4)).eval()
    tok = tiny_tokenizer("llama")
    engine = Engine(model, tok, verify=False)
    prompts = prompt_set(tok, n_queries=4)
    scores = engine.score(prompts, mode="sum")
    assert engine.adapter.packs is False
    for p, s in zip(prompts, scores):
        ref = naive_choice_logprobs(model, p.input_ids,
                                    [engine.encode_choice(c) for c in p.choices])
        assert max(abs(a - b) for a, b in zip(ref, s.logprobs)) < 1e-4


def test_packing_off_while_context_mask_active(tiny):
    """Under a layer-wise context mask the model's attention is not plain: no packing."""
    from iclab.engine.masking import ContextMask, RowMask, mask_context
    from iclab.engine.packed import can_pack

    _, model, _ = tiny
    assert can_pack(model)
    with mask_context(model, ContextMask(1, (RowMask(((1, 3),), 0),))):
        assert not can_pack(model)
    assert can_pack(model)


def test_packed_batches_share_tokens_evenly():
    rows = [Row(i, tuple(range(5 + 3 + i % 9)), [Read(5, (1,), (0,))]) for i in range(60)]
    limits = BatchLimits(rows=64, tokens=200)
    out = list(batches(rows, 5, limits, packed=True))
    sizes = [sum(len(r.ids) - 5 for r in b) for b in out]
    total = sum(sizes)
    assert sorted(r.prompt for b in out for r in b) == list(range(60))
    assert len(out) == -(-total // 200)  # no extra batch
    assert max(sizes) <= 200 and min(sizes) > total / len(out) - 12


def test_vocab_logprobs_match_log_softmax(tiny):
    """Vocabulary-sliced log-probs of chosen tokens and the top-k equal the full log-softmax."""
    _, model, _ = tiny
    adapter = head_adapter(model)
    h = torch.randn(5, model.config.hidden_size)
    toks = torch.tensor([[0, 99, 100, 511]] * 5)
    with torch.inference_mode():
        full = torch.log_softmax(adapter.logits(h), -1)
        logp, top_v, top_i = adapter.vocab_logprobs(h, toks, top_k=7, chunk=100)
    assert (logp - full.gather(1, toks)).abs().max() < 1e-5
    ref_v, ref_i = full.topk(7, -1)
    assert torch.equal(top_i, ref_i)
    assert (top_v - ref_v).abs().max() < 1e-5


def test_prompts_without_a_shared_prefix_run_in_one_group():
    """Sequences with nothing worth sharing form one group (batched), not one group each."""
    from iclab.engine.run import group_by_prefix

    a = [1] * 50
    seqs = [tuple(a + [2, 3]), (7, 8, 9), tuple([9] * 40 + [1]), tuple(a + [5]), (4, 4)]
    groups = group_by_prefix(seqs)
    assert sorted(sorted(g) for g in groups) == [[0, 3], [1, 2, 4]]
    assert group_by_prefix([(1, 2)]) == [[0]]


@pytest.mark.parametrize("tiny", ["gemma3"], indirect=True)
def test_long_rows_run_padded_short_rows_packed_and_all_stay_exact(tiny, monkeypatch):
    """Each prompt with its own demonstrations (no shared prefix): one group; rows over
    ``pack_row_tokens`` new tokens take the padded path, the others the packed one, and every
    score equals the naive computation."""
    import iclab.engine.run as run

    _, model, tok = tiny
    # single-token choices: one row per prompt
    prompts = [prompt_set(tok, n_queries=3, k=k, seed_shift=k,
                          choices=(" a", " b"))[k % 3] for k in (0, 1, 2, 5, 6)]
    lengths = sorted(len(p.input_ids) for p in prompts)
    threshold = lengths[2]  # two prompts longer than this
    engine = Engine(model, tok, limits=BatchLimits(pack_row_tokens=threshold))
    assert packing_works(engine.adapter)  # probed before counting (the probe runs both paths)
    calls: dict[str, list[set[int]]] = {"packed": [], "padded": []}
    for name, key in (("_packed_forward", "packed"), ("_forward", "padded")):
        real = getattr(run, name)

        def spy(adapter, prefix, batch, device, _real=real, _key=key):
            calls[_key].append({r.prompt for r in batch})
            return _real(adapter, prefix, batch, device)

        monkeypatch.setattr(run, name, spy)
    scores = engine.score(prompts, mode="sum")
    short = {i for i, p in enumerate(prompts) if len(p.input_ids) <= threshold}
    assert calls["packed"] == [short]  # the three short prompts: one packed forward
    assert set().union(*calls["padded"]) == set(range(5)) - short  # the long ones: padded
    for p, s in zip(prompts, scores):
        ref = naive_choice_logprobs(model, p.input_ids,
                                    [engine.encode_choice(c) for c in p.choices])
        assert max(abs(a - b) for a, b in zip(ref, s.logprobs)) < 1e-4


def test_growing_layer_appends_in_place_and_leaves_the_prefix_alone():
    """Keys grow like torch.cat, the shared prefix tensor is never written, and steps append
    into the same buffer (one copy when it fills, not one per step)."""
    from iclab.engine.kv import GrowingLayer

    prefix = torch.randn(1, 2, 5, 4)
    before = prefix.clone()
    layer = GrowingLayer()
    layer.lazy_initialization(prefix, prefix)
    layer.keys, layer.values = prefix, prefix
    ref = prefix
    buffers = set()
    for step in range(40):
        new = torch.randn(1, 2, 1 + step % 3, 4)
        keys, values = layer.update(new, new)
        ref = torch.cat([ref, new], 2)
        assert torch.equal(keys, ref) and torch.equal(values, ref)
        assert layer.get_seq_length() == ref.shape[2]
        buffers.add(keys.untyped_storage().data_ptr())
    assert torch.equal(prefix, before)
    assert len(buffers) <= 2  # 5 + 79 keys: the first buffer (64) and one doubling
