"""Activation capture and head patching on the bundled gemma-3-270m (18 layers, 4 heads,
sliding-window layers, a long shared k-shot prefix)."""

from __future__ import annotations

import pytest
import torch

from iclab.analyses.icl_vs_ft.run import IclVsFtConfig, build_tasks
from iclab.analyses.icl_vs_ft.eval import k_shot_prompts
from iclab.engine import Engine
from iclab.engine.activations import sites

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine():
    from iclab.models import load_model

    return Engine(load_model("gemma-3-270m", device="cpu", dtype="float32"))


def test_gemma_patching_invariants(engine):
    where = sites(engine.model)
    assert (where.n_layers, where.n_heads, where.head_dim) == (18, 4, 256)
    task = build_tasks(IclVsFtConfig(tasks=("expression",), splits=("normal",), n_test=2,
                                     n_circuit=2))[("expression", "normal")]
    zero = k_shot_prompts(task, engine.tokenizer, 0, 0)
    icl = k_shot_prompts(task, engine.tokenizer, 8, 0)
    za, ia = engine.activations(zero), engine.activations(icl)
    every = tuple((l, h) for l in range(18) for h in range(4))
    ids = list(range(0, engine.adapter.vocab_size, 101))
    got = engine.patch_heads(zero[0], ia.heads[0], [every, ()], token_ids=ids)
    with torch.inference_mode():
        ref_icl = engine.model(input_ids=torch.tensor([icl[0].input_ids])).logits[0, -1, ids]
        ref_zero = engine.model(input_ids=torch.tensor([zero[0].input_ids])).logits[0, -1, ids]
    torch.testing.assert_close(got[0], ref_icl.float(), atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(got[1], ref_zero.float(), atol=2e-3, rtol=1e-3)
    own = engine.patch_heads(zero[1], za.heads[1], [every], token_ids=ids)[0]
    torch.testing.assert_close(own, engine.adapter.logits(za.hidden[1])[ids], atol=2e-3,
                               rtol=1e-3)
