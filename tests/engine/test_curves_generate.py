"""Per-position curves and greedy generation equal their naive computations."""

from __future__ import annotations

import math

import pytest

from iclab.engine import BatchLimits, Engine, EngineError, exact_match_first_line, first_line
from iclab.engine.generate import cut_at_stop
from iclab.testing.naive import naive_greedy, naive_label_logprobs, naive_top_k

from conftest import make_prompt, prompt_set

TOL = 1e-4


def test_curves_match_naive(tiny):
    """Position i is read just before demo i's label; log-softmax over the label tokens."""
    _, model, tok = tiny
    engine = Engine(model, tok, limits=BatchLimits(rows=2))
    prompts = prompt_set(tok, k=6, choices=(" positive", " negative")) + prompt_set(
        tok, n_queries=2, k=3, choices=(" positive", " negative"), seed_shift=2)
    curves = engine.curves(prompts)
    for p, c in zip(prompts, curves):
        labels = p.spans_of("demo_label")
        assert len(c.logprobs) == len(labels)
        assert c.targets == p.demo_targets
        for span, row in zip(labels, c.logprobs):
            assert p.input_ids[span.tok_start] in c.label_token_ids  # gold labels shown
            ref = naive_label_logprobs(model, p.input_ids, span.tok_start - 1, c.label_token_ids)
            assert max(abs(a - b) for a, b in zip(ref, row)) < TOL


def test_label_mass_matches_naive(tiny):
    _, model, tok = tiny
    engine = Engine(model, tok)
    prompts = prompt_set(tok, n_queries=2, k=3, choices=(" positive", " negative"))
    masses = engine.curve_label_mass(prompts)
    toks = engine.curves(prompts)[0].label_token_ids
    for p, m in zip(prompts, masses):
        for span, value in zip(p.spans_of("demo_label"), m):
            ref = naive_top_k(model, p.input_ids[: span.tok_start], 512)
            expect = sum(math.exp(v) for t, v in ref if t in toks)
            assert abs(expect - value) < 1e-5


def test_curves_need_distinct_first_tokens_and_demos(tiny):
    _, model, tok = tiny
    engine = Engine(model, tok)
    with pytest.raises(EngineError, match="share a first token"):
        engine.curves(prompt_set(tok, choices=(" positive", " positive one")))
    zero_shot = make_prompt(tok, [], [], "a terrible plot", (" positive", " negative"))
    with pytest.raises(EngineError, match="no demo_label"):
        engine.curves([zero_shot])


@pytest.mark.parametrize("rows,pack", [(1, True), (8, True), (1, False), (8, False)])
def test_greedy_matches_naive(tiny, rows, pack):
    """Batched greedy decoding with a shared prefix equals re-running the full sequence
    (packed: prompts of mixed lengths in one batch; padded: equal lengths only)."""
    _, model, tok = tiny
    engine = Engine(model, tok, limits=BatchLimits(rows=rows, pack=pack))
    prompts = prompt_set(tok, n_queries=6) + prompt_set(tok, n_queries=2, k=2, seed_shift=4)
    outs = engine.generate(prompts, max_new_tokens=6, top_k=3)
    for p, g in zip(prompts, outs):
        ids, best = naive_greedy(model, p.input_ids, 6, eos_id=tok.eos_token_id)
        assert list(g.token_ids) == ids
        assert [s[0].token_id for s in g.top_k] == ids
        assert max(abs(s[0].logprob - b[0]) for s, b in zip(g.top_k, best)) < TOL
        assert g.stopped in ("length", "eos")
        assert g.text == tok.decode(ids, skip_special_tokens=True)


def test_stop_strings_cut_and_stop_early(tiny):
    """A stop string ends a row early and is cut from the text (same tokens as without)."""
    _, model, tok = tiny
    engine = Engine(model, tok)
    prompts = prompt_set(tok, n_queries=4)
    free = engine.generate(prompts, max_new_tokens=12)
    for f in free:
        if len(f.text) < 2:
            continue
        stop = f.text[1:3]
        g = engine.generate([prompts[free.index(f)]], max_new_tokens=12, stop=(stop,))[0]
        assert g.stopped == "stop"
        assert g.text == f.text[: f.text.find(stop)]
        assert list(g.token_ids) == list(f.token_ids[: len(g.token_ids)])
        return
    pytest.skip("random model produced no text to stop on")


def test_packed_batch_rows_stop_at_different_steps(tiny):
    """Rows of one packed batch that stop early (stop string, EOS, context window) leave the
    others' outputs unchanged: the same as decoding each prompt alone, padded."""
    _, model, tok = tiny
    prompts = prompt_set(tok, n_queries=7)
    packed = Engine(model, tok, limits=BatchLimits(pack=True))
    alone = Engine(model, tok, limits=BatchLimits(rows=1, pack=False))
    free = alone.generate(prompts, max_new_tokens=10)
    stop = next((g.text[2] for g in free if len(g.text) > 2 and not g.text[2].isspace()), "e")
    window = max(len(p.input_ids) for p in prompts) + 4  # the longest prompt gets 4 tokens
    packed.max_length = alone.max_length = window
    batch = packed.generate(prompts, max_new_tokens=10, stop=(stop,), top_k=2)
    reasons = set()
    for p, g in zip(prompts, batch):
        ref = alone.generate([p], max_new_tokens=10, stop=(stop,), top_k=2)[0]
        assert list(g.token_ids) == list(ref.token_ids) and g.text == ref.text
        assert g.stopped == ref.stopped
        assert max(abs(a.logprob - b.logprob) for a, b in zip(g.top_k[-1], ref.top_k[-1])) < TOL
        reasons.add(g.stopped)
    assert len({len(g.token_ids) for g in batch}) > 1  # rows did stop at different steps


def test_stop_helpers():
    assert cut_at_stop("\n\nfoo\nbar", ("\n",), skip_leading_whitespace=True) == 5
    assert cut_at_stop("\n\nfoo", ("\n",), skip_leading_whitespace=False) == 0
    assert cut_at_stop("  \n ", ("\n",), skip_leading_whitespace=True) is None
    assert first_line("\n\n  positive \nnegative") == "positive"
    assert exact_match_first_line("\npositive\n", "positive")
    assert not exact_match_first_line("Positive", "positive")
    assert first_line("   \n") == ""
