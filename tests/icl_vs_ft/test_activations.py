"""Engine activations: capture, temporary hooks and head patching on the three tiny archs."""

from __future__ import annotations

import pytest
import torch

from iclab.engine import Engine, EngineError
from iclab.engine.activations import sites, temporary_hooks
from iclab.models.tiny import TINY_ARCHS, tiny_model, tiny_tokenizer

TEXTS = ("the movie was great =", "a terrible plot and the actor =", "one two three four =",
         "the city of paris is the capital =")


@pytest.fixture(scope="module", params=TINY_ARCHS)
def engine(request):
    arch = request.param
    return Engine(tiny_model(arch), tiny_tokenizer(arch))


def _ids(engine, text):
    return tuple(engine.tokenizer(text)["input_ids"])


def _hook_count(model) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


def test_sites_resolve_every_layer(engine):
    where = sites(engine.model)
    assert where.n_layers == engine.model.config.num_hidden_layers == 4
    assert where.n_heads * where.head_dim == engine.adapter.body.get_submodule(
        where.attn_out[0]).in_features


def test_hooks_removed_on_exception(engine):
    body = engine.adapter.body
    before = _hook_count(body)
    where = sites(engine.model)
    with pytest.raises(RuntimeError, match="boom"):
        with temporary_hooks(body, pre={where.attn_out[0]: lambda m, a: None},
                             post={where.mlp[1]: lambda m, a, o: None}):
            assert _hook_count(body) == before + 2
            raise RuntimeError("boom")
    assert _hook_count(body) == before


def test_unknown_name_installs_nothing(engine):
    body = engine.adapter.body
    before = _hook_count(body)
    where = sites(engine.model)
    with pytest.raises(EngineError, match="no module"):
        with temporary_hooks(body, pre={where.attn_out[0]: lambda m, a: None,
                                        "layers.0.nope": lambda m, a: None}):
            pass
    assert _hook_count(body) == before


def test_capture_shares_prefix_exactly(engine):
    """Prompts sharing a long prefix (captured together) == each prompt captured alone."""
    ctx = "the movie was great = good \n a terrible plot = bad \n "
    ids = [_ids(engine, ctx + q) for q in ("one two =", "the actor is good =", "bad film =")]
    together = engine.activations(ids)
    for i, p in enumerate(ids):
        alone = engine.activations([p])
        torch.testing.assert_close(together.heads[i], alone.heads[0], atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(together.mlp[i], alone.mlp[0], atol=1e-5, rtol=1e-4)
    assert _hook_count(engine.adapter.body) == 0


def test_capture_matches_model_logits_and_projection(engine):
    """The captured hidden state gives the model's own logits, and the captured heads are
    exactly the output projection's input (projecting them gives the attention output)."""
    ids = [_ids(engine, t) for t in TEXTS]
    acts = engine.activations(ids)
    where = sites(engine.model)
    for i, p in enumerate(ids):
        with torch.inference_mode():
            ref = engine.model(input_ids=torch.tensor([p])).logits[0, -1]
        torch.testing.assert_close(engine.adapter.logits(acts.hidden[i]), ref, atol=1e-4,
                                   rtol=1e-4)
    # independent check of the head split: o_proj(heads) == the projection's own output
    seen = {}
    proj = engine.adapter.body.get_submodule(where.attn_out[2])
    with temporary_hooks(engine.adapter.body,
                         post={where.attn_out[2]: lambda m, a, o: seen.update(out=o)}):
        with torch.inference_mode():
            engine.adapter.hidden(torch.tensor([ids[0]]))
    with torch.inference_mode():
        mine = proj(acts.heads[0, 2].reshape(1, -1))[0]
    torch.testing.assert_close(mine, seen["out"][0, -1], atol=1e-5, rtol=1e-4)


def test_llama_residual_decomposition():
    """Llama: hidden_{l+1} - hidden_l == o_proj(heads_l) + mlp_l at the read position."""
    model, tok = tiny_model("llama"), tiny_tokenizer("llama")
    engine = Engine(model, tok)
    ids = tuple(tok(TEXTS[1])["input_ids"])
    acts = engine.activations([ids], position=3)
    with torch.inference_mode():
        hs = model(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states
        for layer in range(3):  # the last entry is after the final norm
            o = model.model.layers[layer].self_attn.o_proj(acts.heads[0, layer].reshape(-1))
            torch.testing.assert_close(hs[layer + 1][0, 3] - hs[layer][0, 3],
                                       o + acts.mlp[0, layer], atol=1e-5, rtol=1e-4)
    assert acts.positions == (3,)


def test_patch_with_own_activation_changes_nothing(engine):
    ids = _ids(engine, TEXTS[2])
    own = engine.activations([ids]).heads[0]
    where = sites(engine.model)
    sets = [()] + [((l, h),) for l in range(where.n_layers) for h in range(where.n_heads)]
    sets.append(tuple((l, h) for l in range(where.n_layers) for h in range(where.n_heads)))
    logits = engine.patch_heads(ids, own, sets)
    with torch.inference_mode():
        ref = engine.model(input_ids=torch.tensor([ids])).logits[0, -1].float()
    assert logits.shape == (len(sets), engine.adapter.vocab_size)
    torch.testing.assert_close(logits, ref.expand_as(logits), atol=1e-4, rtol=1e-4)


def test_patch_all_heads_reproduces_source_logits(engine):
    """Both prompts end with ' =': patching every head of every layer from A into B at the
    last token makes B's residual stream there A's, so B's logits become A's."""
    a, b = _ids(engine, TEXTS[3]), _ids(engine, TEXTS[0])
    assert a[-1] == b[-1]
    acts = engine.activations([a, b])
    where = sites(engine.model)
    every = tuple((l, h) for l in range(where.n_layers) for h in range(where.n_heads))
    token_ids = list(range(0, engine.adapter.vocab_size, 7))
    got = engine.patch_heads(b, acts.heads[0], [every, (), ((0, 0),)], token_ids=token_ids)
    logit_a = engine.adapter.logits(acts.hidden[0])[token_ids]
    logit_b = engine.adapter.logits(acts.hidden[1])[token_ids]
    torch.testing.assert_close(got[0], logit_a, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(got[1], logit_b, atol=1e-4, rtol=1e-4)
    assert (logit_a - logit_b).abs().max() > 1e-3  # the invariant is not vacuous
    assert (got[2] - logit_b).abs().max() > 1e-6  # one patched head changes B


def test_patch_rejects_bad_input(engine):
    ids = _ids(engine, TEXTS[0])
    where = sites(engine.model)
    good = torch.zeros(where.n_layers, where.n_heads, where.head_dim)
    with pytest.raises(EngineError, match="shape"):
        engine.patch_heads(ids, good[:, :1], [()])
    with pytest.raises(EngineError, match="no head"):
        engine.patch_heads(ids, good, [((where.n_layers, 0),)])
    with pytest.raises(EngineError, match="outside"):
        engine.activations([ids], position=len(ids))
    assert _hook_count(engine.adapter.body) == 0
