"""Choice scoring equals the naive computation (full sequence, one at a time) within 1e-4."""

from __future__ import annotations

import math

import pytest

from iclab.engine import BatchLimits, Engine, EngineError
from iclab.testing.naive import naive_choice_logprobs, naive_label_logprobs, naive_top_k
from iclab.engine.plan import scored_tokens

from conftest import prompt_set

TOL = 1e-4


def _naive(engine, prompt, mode):
    toks = [scored_tokens(engine.tokenizer, engine.encode_choice(c), mode) for c in prompt.choices]
    sums = naive_choice_logprobs(engine.model, prompt.input_ids, toks)
    return [s / len(t) for s, t in zip(sums, toks)] if mode == "mean" else sums


@pytest.mark.parametrize("mode", ["first", "sum", "mean"])
@pytest.mark.parametrize("rows,pack", [(2, True), (32, True), (2, False), (32, False)])
def test_modes_match_naive(tiny, mode, rows, pack):
    """Packed and padded rows; small batches force several batches per prefix; labels are
    multi-token."""
    _, model, tok = tiny
    engine = Engine(model, tok, limits=BatchLimits(rows=rows, pack=pack))
    prompts = prompt_set(tok) + prompt_set(tok, n_queries=3, k=2, seed_shift=3)
    scores = engine.score(prompts, mode=mode, allow_ties=True)  # exactness: ' ne' ties
    assert len({len(p.input_ids) for p in prompts}) > 2  # mixed query lengths
    assert max(len(engine.encode_choice(c)) for c in prompts[0].choices) > 1  # multi-token
    for p, s in zip(prompts, scores):
        ref = _naive(engine, p, mode)
        assert max(abs(a - b) for a, b in zip(ref, s.logprobs)) < TOL
        assert s.prediction == max(range(len(ref)), key=ref.__getitem__)
        assert s.target == p.target


def test_shared_newline_lead(tiny):
    """Choices '\\npositive'/'\\nnegative' share a leading token: one row per prompt, exact."""
    _, model, tok = tiny
    engine = Engine(model, tok, limits=BatchLimits(rows=3))
    prompts = prompt_set(tok, choices=("\npositive", "\nnegative"), sep="\n")
    assert engine.encode_choice("\npositive")[0] == engine.encode_choice("\nnegative")[0]
    for mode in ("first", "sum"):
        for p, s in zip(prompts, engine.score(prompts, mode=mode)):
            assert max(abs(a - b) for a, b in zip(_naive(engine, p, mode), s.logprobs)) < TOL


def test_labels_only_and_top_k(tiny):
    """Log-softmax over label tokens only, and the full-vocabulary top-k, match naive."""
    _, model, tok = tiny
    engine = Engine(model, tok, limits=BatchLimits(rows=4))
    prompts = prompt_set(tok, choices=(" positive", " negative"))
    scores = engine.score(prompts, mode="first", over="labels", top_k=5)
    for p, s in zip(prompts, scores):
        toks = [engine.encode_choice(c)[0] for c in p.choices]
        ref = naive_label_logprobs(model, p.input_ids, len(p.input_ids) - 1, toks)
        assert max(abs(a - b) for a, b in zip(ref, s.logprobs)) < TOL
        assert math.isclose(sum(math.exp(x) for x in s.logprobs), 1.0, abs_tol=1e-5)
        top = naive_top_k(model, p.input_ids, 5)
        assert [t.token_id for t in s.top_k] == [t for t, _ in top]
        assert max(abs(t.logprob - v) for t, (_, v) in zip(s.top_k, top)) < TOL


def test_labels_only_rejects_multi_token(tiny):
    _, model, tok = tiny
    engine = Engine(model, tok)
    with pytest.raises(EngineError, match="over='labels'"):
        engine.score(prompt_set(tok), mode="sum", over="labels")


def test_prefix_cache_reused_and_untouched(tiny):
    """Scoring twice gives identical numbers (the shared prefix cache is never mutated)."""
    _, model, tok = tiny
    engine = Engine(model, tok, limits=BatchLimits(rows=2))
    prompts = prompt_set(tok)
    a = engine.score(prompts, mode="sum")
    b = engine.score(prompts[::-1], mode="sum")[::-1]
    assert [x.logprobs for x in a] == [x.logprobs for x in b]


def test_calibrated_scores(tiny):
    """Contextual calibration divides by the mean content-free choice distribution."""
    _, model, tok = tiny
    engine = Engine(model, tok)
    prompts = prompt_set(tok, choices=(" positive", " negative"))
    content_free = prompt_set(tok, n_queries=1, choices=(" positive", " negative"))
    raw = engine.score(prompts, mode="first")
    cf = engine.score(content_free, mode="first")[0]
    p_cf = [math.exp(x) / sum(math.exp(y) for y in cf.logprobs) for x in cf.logprobs]
    cal = engine.score(prompts, mode="first", content_free=content_free)
    for r, c in zip(raw, cal):
        p = [math.exp(x) / sum(math.exp(y) for y in r.logprobs) for x in r.logprobs]
        q = [a / b for a, b in zip(p, p_cf)]
        assert max(abs(math.log(a / sum(q)) - b) for a, b in zip(q, c.logprobs)) < 1e-6
        assert c.calibrated
