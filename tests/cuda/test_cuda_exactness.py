"""The CUDA lane: exactness of scoring, curves, generation and masking on a GPU, fp32 and bf16.

Marked ``cuda`` and skipped where CUDA is absent. Run it with ``pytest -m cuda`` on a GPU
machine. ``ICLAB_TEST_DEVICE=cpu pytest -m cuda tests/cuda`` runs the same checks on the CPU
(to check the lane itself without a GPU).

References are computed in fp32 on the CPU: the naive full-sequence computation
(:mod:`iclab.testing.naive`) for scoring, the CPU engine for curves, HF ``generate`` on the
same device for greedy tokens, and independent masked runs for layer sweeps. Tolerances:
fp32 1e-4 (TF32 off), bf16 0.05 nats on log-probs (bf16 has 8 mantissa bits; the tiny models'
log-probs are ~-6..-25).
"""

from __future__ import annotations

import os

import pytest
import torch

from iclab.data import load_task
from iclab.engine import Engine
from iclab.engine.layer_sweep import layer_sweep
from iclab.engine.masking import ContextMask, mask_context, row_mask
from iclab.testing.naive import naive_choice_logprobs
from iclab.engine.plan import scored_tokens
from iclab.models.tiny import TINY_ARCHS, tiny_model, tiny_tokenizer
from iclab.prompts import build_prompts

DEVICE = os.environ.get("ICLAB_TEST_DEVICE", "cuda")
pytestmark = [pytest.mark.cuda, pytest.mark.skipif(
    DEVICE == "cuda" and not torch.cuda.is_available(), reason="no CUDA device")]
DTYPES = pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
TOL = {torch.float32: 1e-4, torch.bfloat16: 0.05}


@pytest.fixture(autouse=True)
def no_tf32():
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32 = before


@pytest.fixture(scope="module", params=TINY_ARCHS)
def arch(request):
    return request.param


def _engine(arch: str, dtype: torch.dtype) -> Engine:
    return Engine(tiny_model(arch).to(device=DEVICE, dtype=dtype), tiny_tokenizer(arch))


def _prompts(tok, n=5, k=3, task="word-sentiment"):
    return build_prompts(load_task(task), tok, shots=k, seed=0, limit=n)


@DTYPES
def test_scoring_matches_naive_fp32(arch, dtype):
    engine = _engine(arch, dtype)
    ref_model = tiny_model(arch)
    prompts = _prompts(engine.tokenizer)
    for p, s in zip(prompts, engine.score(prompts)):
        toks = [scored_tokens(engine.tokenizer, engine.encode_choice(c), "sum")
                for c in p.choices]
        ref = naive_choice_logprobs(ref_model, p.input_ids, toks)
        assert max(abs(a - b) for a, b in zip(ref, s.logprobs)) <= TOL[dtype]


@DTYPES
def test_curves_match_cpu_fp32(arch, dtype):
    engine = _engine(arch, dtype)
    prompts = _prompts(engine.tokenizer, k=5)
    ref = Engine(tiny_model(arch), tiny_tokenizer(arch)).curves(prompts)
    for a, b in zip(ref, engine.curves(prompts)):
        flat_a = [v for pos in a.logprobs for v in pos]
        flat_b = [v for pos in b.logprobs for v in pos]
        assert len(flat_a) == len(flat_b)
        assert max(abs(x - y) for x, y in zip(flat_a, flat_b)) <= TOL[dtype]


@DTYPES
def test_generation(arch, dtype):
    """fp32: Engine.generate's tokens equal HF generate's on the device; bf16: each first
    token is within the tolerance of the fp32 best log-prob."""
    engine = _engine(arch, dtype)
    prompts = _prompts(engine.tokenizer, n=6)
    got = engine.generate(prompts, max_new_tokens=6)
    if dtype == torch.float32:
        width = max(len(p.input_ids) for p in prompts)
        ids = torch.zeros(len(prompts), width, dtype=torch.long)
        att = torch.zeros_like(ids)
        for i, p in enumerate(prompts):
            ids[i, width - len(p.input_ids):] = torch.tensor(p.input_ids)
            att[i, width - len(p.input_ids):] = 1
        with torch.inference_mode():
            out = engine.model.generate(input_ids=ids.to(DEVICE), attention_mask=att.to(DEVICE),
                                        max_new_tokens=6, do_sample=False, pad_token_id=0)
        for g, row in zip(got, out[:, width:].tolist()):
            assert list(g.token_ids) == row[:len(g.token_ids)]
        return
    ref = Engine(tiny_model(arch), tiny_tokenizer(arch))
    firsts = ref.score_ids([p.input_ids for p in prompts], [[(g.token_ids[0],)] for g in got],
                           top_k=1)
    for r in firsts:
        assert r.top_k[0][1] - r.logprobs[0] <= TOL[dtype]


@DTYPES
def test_layer_sweep_matches_independent_masked_runs(arch, dtype):
    engine = _engine(arch, dtype)
    prompt = _prompts(engine.tokenizer, n=1, k=4)[0]
    rm = row_mask(prompt, "examples")
    ids = torch.tensor([list(prompt.input_ids)], device=DEVICE)
    body = engine.model.get_decoder()
    with torch.inference_mode():
        for point in layer_sweep(engine.model, ids, ContextMask(0, (rm,))):
            with mask_context(engine.model, point.mask):
                ref = body(input_ids=ids).last_hidden_state[:, point.start:]
            a = torch.log_softmax(engine.adapter.logits(ref[:, -1]), -1)
            b = torch.log_softmax(engine.adapter.logits(point.hidden[:, -1]), -1)
            assert (a - b).abs().max().item() <= TOL[dtype]
