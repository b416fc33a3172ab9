"""bf16 and fp16 through every engine entry point, against fp32 on the same weights.

Tolerances (absolute, in nats, on log-probs summed over a choice's tokens): bf16 0.03, fp16
0.01. Measured on the tiny models: at most 0.0065 (bf16) and 0.0008 (fp16). A log-sum-exp or
log-softmax accumulated in bf16 itself would be off by up to half a bf16 step at |log p| ~ 12,
i.e. 0.03, so these bounds catch half-precision accumulation.
"""

from __future__ import annotations

import pytest
import torch

from iclab.engine import Engine
from iclab.engine.layer_sweep import layer_sweep
from iclab.engine.masking import ContextMask, RowMask
from iclab.models.tiny import TINY_ARCHS, tiny_model, tiny_tokenizer

from conftest import prompt_set

TOL = {torch.bfloat16: 0.03, torch.float16: 0.01}
HALF = pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16], ids=["bf16", "fp16"])


@pytest.fixture(scope="module", params=TINY_ARCHS)
def pair(request):
    """(fp32 engine, {dtype: engine}) on the same weights."""
    arch = request.param
    tok = tiny_tokenizer(arch)
    half = {dt: Engine(tiny_model(arch).to(dt), tok) for dt in TOL}
    return Engine(tiny_model(arch), tok), half


def _maxdiff(a, b) -> float:
    return max(abs(x - y) for r, s in zip(a, b) for x, y in zip(r, s))


@HALF
def test_scores_match_fp32(pair, dtype):
    e32, half = pair
    e16 = half[dtype]
    prompts = prompt_set(e32.tokenizer)
    ref, got = e32.score(prompts), e16.score(prompts)
    assert _maxdiff([r.logprobs for r in ref], [g.logprobs for g in got]) <= TOL[dtype]
    assert all(isinstance(v, float) for g in got for v in g.logprobs)
    # " negative" / " neutral true" share their first token: ties allowed on purpose here
    lab32 = e32.score(prompts[:3], over="labels", mode="first", allow_ties=True)
    lab16 = e16.score(prompts[:3], over="labels", mode="first", allow_ties=True)
    assert _maxdiff([r.logprobs for r in lab32], [g.logprobs for g in lab16]) <= TOL[dtype]


@HALF
def test_curves_and_label_mass_match_fp32(pair, dtype):
    e32, half = pair
    prompts = prompt_set(e32.tokenizer, choices=(" positive", " negative"))
    ref, got = e32.curves(prompts), half[dtype].curves(prompts)
    flat = [[v for pos in c.logprobs for v in pos] for c in ref]
    assert _maxdiff(flat, [[v for pos in c.logprobs for v in pos] for c in got]) <= TOL[dtype]
    m32, m16 = e32.curve_label_mass(prompts), half[dtype].curve_label_mass(prompts)
    assert _maxdiff(m32, m16) <= TOL[dtype]


@HALF
def test_generation_picks_a_near_argmax_token(pair, dtype):
    """Greedy tokens may differ from fp32 on near-ties; each first token the half-precision
    run picks must be within the tolerance of fp32's best log-prob at that position."""
    e32, half = pair
    prompts = prompt_set(e32.tokenizer)
    got = half[dtype].generate(prompts, max_new_tokens=3, top_k=1)
    ref = e32.score_ids([p.input_ids for p in prompts], [[(g.token_ids[0],)] for g in got],
                        top_k=1)
    for g, r in zip(got, ref):
        assert len(g.token_ids) == 3
        assert r.top_k[0][1] - r.logprobs[0] <= TOL[dtype]
        assert abs(g.top_k[0][0].logprob - r.logprobs[0]) <= TOL[dtype]


@HALF
def test_layer_sweep_points_match_fp32(pair, dtype):
    e32, half = pair
    prompt = prompt_set(e32.tokenizer, n_queries=1)[0]
    demos = [s for s in prompt.spans if s.kind == "demo"]
    rm = RowMask(((demos[0].tok_start, demos[-1].tok_end),), prompt.spans_of("query")[0].tok_start)
    ids = torch.tensor([list(prompt.input_ids)])
    out = {}
    for dt, e in ((torch.float32, e32), (dtype, half[dtype])):
        with torch.inference_mode():
            out[dt] = [torch.log_softmax(e.adapter.logits(p.hidden[:, -1]), -1)
                       for p in layer_sweep(e.model, ids, ContextMask(0, (rm,)))]
    assert len(out[dtype]) == e32.model.config.num_hidden_layers + 1
    for a, b in zip(out[torch.float32], out[dtype]):
        assert b.dtype == torch.float32
        assert (a - b).abs().max().item() <= TOL[dtype]


@HALF
def test_activations_and_head_patching_run_in_half_precision(pair, dtype):
    e32, half = pair
    prompts = prompt_set(e32.tokenizer, n_queries=2)
    a32, a16 = e32.activations(prompts), half[dtype].activations(prompts)
    assert a16.hidden.dtype == torch.float32
    rows = [5, 9]
    l32 = e32.adapter.logits(a32.hidden, torch.tensor(rows))
    l16 = half[dtype].adapter.logits(a16.hidden, torch.tensor(rows))  # fp32 in, cast to bf16
    assert l16.dtype == torch.float32
    assert (l32 - l16).abs().max().item() <= 10 * TOL[dtype]  # raw logits, not log-probs
    patched = half[dtype].patch_heads(prompts[0], a16.heads[1], [((0, 0),)], token_ids=rows)
    assert torch.isfinite(patched).all()
