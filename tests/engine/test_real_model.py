"""Exactness on a bundled real model (gemma-3-270m: 262k vocabulary, sliding-window layers)."""

from __future__ import annotations

import pytest

from iclab.engine import BatchLimits, Engine
from iclab.testing.naive import naive_choice_logprobs, naive_greedy, naive_label_logprobs
from iclab.engine.plan import scored_tokens

from conftest import make_prompt

pytestmark = pytest.mark.integration
TOL = 1e-4
SENTENCES = ("a gorgeous, witty, seductive movie.", "the plot is nothing but boilerplate clichés",
             "an utterly charming and hilarious film", "it's a bad sign when you're rooting for "
             "the villain", "the performances are uniformly excellent", "dull, lifeless and "
             "instantly forgettable", "one of the year's best", "a waste of two hours")


@pytest.fixture(scope="module")
def engine():
    from iclab.models import load_model

    loaded = load_model("gemma-3-270m", device="cpu", dtype="float32")
    return Engine(loaded, limits=BatchLimits(rows=3))


def _prompts(tok, choices, sep, n_demos=12):
    demos = [SENTENCES[i % len(SENTENCES)] for i in range(n_demos)]
    labels = [("positive", "negative")[i % 2] for i in range(n_demos)]
    queries = ("good", "the worst film of the year, by far",
               "i loved every minute of this wonderful and surprising story")
    return [make_prompt(tok, demos, labels, q, choices, sep=sep) for q in queries]


def test_scoring_matches_naive(engine):
    """Prompts longer than the 512-token sliding window, mixed query lengths, padding."""
    tok = engine.tokenizer
    prompts = _prompts(tok, ("\npositive", "\nnegative", "\nvery mixed feelings"), "\n", 52)
    assert len(prompts[0].input_ids) > 512
    for mode, subset in (("sum", prompts), ("first", prompts[:1])):
        for p, s in zip(subset, engine.score(prompts, mode=mode, top_k=5)):
            toks = [scored_tokens(tok, engine.encode_choice(c), mode) for c in p.choices]
            ref = naive_choice_logprobs(engine.model, p.input_ids, toks)
            assert max(abs(a - b) for a, b in zip(ref, s.logprobs)) < TOL


def test_labels_curves_generation_match_naive(engine):
    tok = engine.tokenizer
    prompts = _prompts(tok, (" positive", " negative"), " ", 8)
    for p, s in zip(prompts, engine.score(prompts, mode="first", over="labels")):
        toks = [engine.encode_choice(c)[0] for c in p.choices]
        ref = naive_label_logprobs(engine.model, p.input_ids, len(p.input_ids) - 1, toks)
        assert max(abs(a - b) for a, b in zip(ref, s.logprobs)) < TOL
    curve = engine.curves(prompts[:2])
    for p, c in zip(prompts, curve):
        for span, row in zip(p.spans_of("demo_label"), c.logprobs):
            assert p.input_ids[span.tok_start] in c.label_token_ids
            ref = naive_label_logprobs(engine.model, p.input_ids, span.tok_start - 1,
                                       c.label_token_ids)
            assert max(abs(a - b) for a, b in zip(ref, row)) < TOL
        assert sum(c.predictions[i] == c.targets[i] for i in range(4, 8)) >= 3  # it learns
    for p, g in zip(prompts[:3], engine.generate(prompts[:3], max_new_tokens=3, top_k=2)):
        ids, _ = naive_greedy(engine.model, p.input_ids, 3, eos_id=tok.eos_token_id)
        assert list(g.token_ids) == ids


def test_generation_past_sliding_window(engine):
    """Decoding after a shared prefix longer than Gemma's 512-token sliding window is exact."""
    tok = engine.tokenizer
    prompts = _prompts(tok, ("\npositive", "\nnegative"), "\n", 52)[:2]
    assert len(prompts[0].input_ids) > 512
    for p, g in zip(prompts, engine.generate(prompts, max_new_tokens=3, top_k=1)):
        ids, best = naive_greedy(engine.model, p.input_ids, 3, eos_id=tok.eos_token_id)
        assert list(g.token_ids) == ids
        assert max(abs(s[0].logprob - b[0]) for s, b in zip(g.top_k, best)) < TOL


def test_iclab_eval_sst2_16_shot_accuracy_and_cache(tmp_path):
    """The issue's check: `iclab eval` on glue-sst2, 16 shots, seed-13 demos, 64 queries with
    gemma-3-270m is well above chance (0.734 when written), and a rerun is served from the
    cache without running the model."""
    import json

    from typer.testing import CliRunner

    from iclab.cli import app

    args = ["eval", "--model", "gemma-3-270m", "--task", "glue-sst2", "--shots", "16",
            "--seeds", "13", "--limit", "64", "--device", "cpu", "--out", str(tmp_path),
            "--json"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["n"] == 64 and summary["model"] and summary["task"] == "glue-sst2"
    assert summary["accuracy"] >= 0.65  # chance is 0.5 (two balanced labels)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    rerun = json.loads(again.stdout.strip().splitlines()[-1])
    assert rerun["cache"] == {"cached": 64, "computed": 0}
    assert rerun["accuracy"] == summary["accuracy"]
