"""Engine.generate gives HF ``model.generate``'s greedy tokens (fp32), every tiny arch, on
prompts sharing a prefix and on prompts of mixed lengths (left-padded for HF)."""

from __future__ import annotations

import torch

from conftest import prompt_set
from iclab.engine import BatchLimits, Engine


def _hf(model, prompts, n):
    width = max(len(p.input_ids) for p in prompts)
    ids = torch.zeros(len(prompts), width, dtype=torch.long)
    att = torch.zeros(len(prompts), width, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p.input_ids):] = torch.tensor(p.input_ids)
        att[i, width - len(p.input_ids):] = 1
    with torch.inference_mode():
        out = model.generate(input_ids=ids, attention_mask=att, max_new_tokens=n,
                             do_sample=False, pad_token_id=0)
    return [row[width:].tolist() for row in out]


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
