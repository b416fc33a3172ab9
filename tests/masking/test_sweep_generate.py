"""Engine.generate_sweep: every prompt x first-masked-layer point, decoded many at once on the
packed path, equals the engine's own generation of that prompt under the same mask."""

from __future__ import annotations

import pytest
import torch

from iclab.data import load_task
from iclab.engine import BatchLimits, Engine, EngineError
from iclab.engine.masking import ContextMask, mask_context, row_mask
from iclab.models.tiny import tiny_model, tiny_tokenizer
from iclab.prompts import build_prompts


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run faster on one thread on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _alone(engine, prompt, rm, layer, sink, self_visible, n, stop):
    """The reference: plain generation of one prompt under the mask from ``layer``."""
    with mask_context(engine.model, ContextMask(layer, (rm,), sink, self_visible)):
        return engine.generate([prompt], max_new_tokens=n, stop=stop)[0]


@pytest.mark.parametrize("setting", [("examples,query", "query", 1, "always"),
                                     ("examples", "all", 0, "when-empty"),
                                     ("all", "all", 0, "when-empty")])
def test_sweep_generation_equals_each_point_alone(arch, setting):
    """Several prompts (mixed lengths, shared demonstrations), every layer, rows stopping at
    different steps (a stop string), packed and padded: tokens, text and stop reason equal
    each point's independent masked generation."""
    parts, rows, sink, self_visible = setting
    tok = tiny_tokenizer(arch)
    prompts = build_prompts(load_task("english-french"), tok, shots=3, seed=1, limit=2,
                            sampling="choice")
    rms = [row_mask(p, parts, rows=rows) for p in prompts]  # type: ignore[arg-type]
    mask = ContextMask(0, tuple(rms), sink, self_visible)  # type: ignore[arg-type]
    model = tiny_model(arch)
    n_layers = model.config.num_hidden_layers
    stop = ("e", "Q:")
    engine = Engine(model, tok)
    refs = [[_alone(engine, p, rm, layer, sink, self_visible, 7, stop)
             for layer in range(n_layers + 1)] for p, rm in zip(prompts, rms)]
    assert len({g.text for r in refs for g in r}) > 1  # the masks change the text
    assert {g.stopped for r in refs for g in r} >= {"stop"}
    for limits in (BatchLimits(), BatchLimits(pack=False), BatchLimits(rows=n_layers + 1)):
        got = Engine(model, tok, limits=limits).generate_sweep(prompts, mask, max_new_tokens=7,
                                                                stop=stop)
        for per, ref in zip(got, refs):
            assert sorted(per) == list(range(n_layers + 1))
            for layer, g in per.items():
                r = ref[layer]
                assert (g.token_ids, g.text, g.stopped) == (r.token_ids, r.text, r.stopped)


def test_chosen_layers_and_bad_masks():
    engine = Engine(tiny_model("llama"), tiny_tokenizer("llama"))
    prompts = build_prompts(load_task("english-french"), engine.tokenizer, shots=2, seed=0, limit=2)
    rm = row_mask(prompts[0], "examples")
    got = engine.generate_sweep(prompts, ContextMask(0, (rm,)), layers=[1, 4], max_new_tokens=3)
    assert [sorted(g) for g in got] == [[1, 4], [1, 4]]
    with pytest.raises(EngineError):
        engine.generate_sweep(prompts, ContextMask(0, (rm, rm, rm)), max_new_tokens=3)
