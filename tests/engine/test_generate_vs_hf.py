"""Engine.generate gives HF ``model.generate``'s greedy tokens (fp32), every tiny arch, on
prompts sharing a prefix and on prompts of mixed lengths (left-padded for HF)."""

from __future__ import annotations


from conftest import prompt_set
from iclab.engine import BatchLimits, Engine
from iclab.testing.hf_generate import hf_generate as _hf


def test_greedy_tokens_equal_hf_generate(tiny):
    _, model, tok = tiny
    prompts = prompt_set(tok, n_queries=6)
    ref = _hf(model, prompts, 8)
    for limits in (BatchLimits(), BatchLimits(pack=False)):
        got = Engine(model, tok, limits=limits).generate(prompts, max_new_tokens=8)
        for g, r in zip(got, ref):
            n = len(g.token_ids)
            assert list(g.token_ids) == r[:n]
            assert n == 8 or g.stopped == "eos"
