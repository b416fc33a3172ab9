"""The layers analysis on tiny models: sweep points equal independent masked engine runs."""

from __future__ import annotations

import pytest

from iclab.analyses.layers.run import (
    LayersConfig,
    recognition_layer,
    run_layers,
    summarize,
    sweep_mask,
    write_outputs,
)
from iclab.data import load_task
from iclab.engine import Engine
from iclab.engine.masking import ContextMask, mask_context, row_mask
from iclab.metrics.translation import corpus_bleu, corpus_chrf
from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.prompts import build_prompts


def _engine(arch: str = "llama") -> Engine:
    return Engine(tiny_model(arch), tiny_tokenizer(arch))


def test_recognition_layer_rule():
    curve = [(0, 0.1), (1, 0.5), (2, 0.96), (3, 0.9), (4, 0.97), (5, 1.0)]
    assert recognition_layer(curve, 1.0) == 4  # must stay above 0.95 from there on
    assert recognition_layer(curve, 1.0, threshold=0.9) == 2
    assert recognition_layer([(0, 0.2), (1, 0.3)], 1.0) is None
    assert recognition_layer(curve, 0.0) is None


def test_classification_sweep_equals_engine_under_mask():
    engine = _engine("gemma3")
    task = load_task("word-sentiment")
    cfg = LayersConfig(masks=("examples",), shots=3, n=4)
    prompts = build_prompts(task, engine.tokenizer, shots=3, seed=0, limit=4)
    scores = sweep_mask(engine, prompts, task, "examples", cfg)
    n_layers = engine.model.config.num_hidden_layers
    assert sorted(scores) == list(range(n_layers + 1))
    for layer, s in scores.items():
        mask = ContextMask(layer, (row_mask(prompts[0], "examples"),))
        with mask_context(engine.model, mask):
            ref = engine.score(prompts, mode="first")
        assert s["score"] == sum(r.correct for r in ref) / len(ref)


def test_generation_run_rows_summary_and_outputs(tmp_path):
    engine = _engine("llama")
    task = load_task("english-french")
    cfg = LayersConfig(masks=("examples", "query"), shots=2, n=2, max_new_tokens=4)
    rows = run_layers(engine, task, cfg, "tiny-llama")
    assert len(rows) == 2 * 5 and {r["metric"] for r in rows} == {"bleu"}
    assert all({"score", "baseline", "recognition_layer", "chrf"} <= set(r) for r in rows)
    summary = summarize(rows)
    assert summary["curve"] == [{"layer": r["layer"], "score": r["score"]}
                                for r in rows[:4]]
    assert set(summary["masks"]) == {"examples", "query"}
    paths = write_outputs(rows, summary, cfg, tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)


def test_generation_sweep_equals_engine_generate_under_mask():
    """Each layer's BLEU from sweep_mask == BLEU of the engine's own generation of every
    prompt under the same mask (the decoding itself: tests/masking/test_sweep_generate.py)."""
    engine = _engine("gpt_neox")
    task = load_task("english-french")
    cfg = LayersConfig(masks=("examples",), shots=2, n=3, max_new_tokens=6)
    prompts = build_prompts(task, engine.tokenizer, shots=2, seed=0, limit=3, sampling="choice")
    scores = sweep_mask(engine, prompts, task, "examples", cfg)
    refs = [str(p.target) for p in prompts]
    for layer in (0, 2, engine.model.config.num_hidden_layers):
        texts = []
        for p in prompts:
            with mask_context(engine.model, ContextMask(layer, (row_mask(p, "examples"),))):
                texts.append(engine.generate([p], max_new_tokens=6, stop=("Q:",))[0].text.strip())
        assert scores[layer]["score"] == corpus_bleu(texts, refs, "where-icl").score
        assert scores[layer]["chrf"] == pytest.approx(corpus_chrf(texts, refs))


def test_engine_packs_again_after_a_context_mask():
    """Scoring under a mask runs padded; the same engine packs again once the mask is gone."""
    from iclab.engine.run import packing_works

    engine = _engine("llama")
    task = load_task("word-sentiment")
    prompts = build_prompts(task, engine.tokenizer, shots=2, seed=0, limit=3)
    mask = ContextMask(len(engine.model.model.layers), (row_mask(prompts[0], "examples"),))
    with mask_context(engine.model, mask):  # masks nothing: from the last layer + 1
        assert not packing_works(engine.adapter)
        padded = engine.score(prompts, mode="first")
    assert packing_works(engine.adapter) and engine.adapter.packs is True
    packed = engine.score(prompts, mode="first")
    for a, b in zip(padded, packed):
        assert max(abs(x - y) for x, y in zip(a.logprobs, b.logprobs)) < 1e-5


def test_pass_at_1_wiring_with_canonical_solutions():
    """HumanEval prompt + canonical body passes in the sandbox; a wrong body fails."""
    from iclab.analyses.layers.run import _score_outputs

    task = load_task("humaneval")
    cfg = LayersConfig(shots=1, n=2)
    prompts = build_prompts(task, tiny_tokenizer("llama"), shots=1, seed=0, limit=2,
                            template="qa-code", sampling="choice", demo_task=load_task("mbpp"))
    test = task.split("test")
    good = []
    for p in prompts:
        ex = test[int(dict(p.meta)["query_index"])]
        good.append(ex.meta["prompt"] + ex.label)
    assert _score_outputs("pass@1", good, prompts, task, cfg)["score"] == 1.0
    bad = [g.replace("return", "return None and", 1) for g in good]
    assert _score_outputs("pass@1", bad, prompts, task, cfg)["score"] < 1.0
