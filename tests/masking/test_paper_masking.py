"""The ``paper`` masking preset against the paper's code (suzyahyah/where_does_in-context-
learning_happen_in_LLMs: ``src/model_hacks/attention_mixin.py`` and ``src/utils/utils.py``).

Facts read from that code: ``mask_prev_positions`` sets ``attention_mask[item, :, :, start:end]``
to the dtype minimum, i.e. every query row, its own column included; Llama's ``start`` is moved
one token on (``<s>`` stays visible), other models' is not; ``mask_all`` sets
``attention_mask[:, :, :, :-1]``: every key but the last, the first token included.
"""

from __future__ import annotations

import pytest
import torch

from iclab.analyses.layers.run import LayersConfig, paper_sink, resolve_sink
from iclab.engine.masking import ContextMask, RowMask, block_matrix, mask_context, row_mask
from iclab.engine.types import EngineError
from iclab.prompts.types import Prompt, Span
from masking_helpers import ids, model_for


def _blocked(mask: ContextMask, q: list[int], kv: int) -> list[list[bool]]:
    out = block_matrix(mask, 1, torch.tensor(q), torch.arange(kv))
    return out[0, 0].tolist()


def test_paper_masks_every_row_including_its_own_column():
    # A span [2, 5) with a sink: rows 3 and 4 lie in it and may not see themselves (paper).
    mask = ContextMask(0, (RowMask(((2, 5),), 0),), sink=1, self_visible="when-empty")
    rows = _blocked(mask, [3, 4, 6], 7)
    for r in rows:
        assert r[2:5] == [True] * 3 and r[0] is False and r[1] is False
    default = ContextMask(0, (RowMask(((2, 5),), 0),), sink=1)
    assert _blocked(default, [3], 7)[0][3] is False  # iclab default: itself visible


def test_a_row_with_nothing_left_sees_itself_not_uniform():
    # No sink (not Llama) and the span starts at 0: row 0 would see nothing; the paper's code
    # gave it uniform attention over masked keys (bug). The preset keeps its own key.
    mask = ContextMask(0, (RowMask(((0, 3),), 0),), sink=0, self_visible="when-empty")
    rows = _blocked(mask, [0, 1, 2, 3], 4)
    # (later keys are the causal mask's business, not this matrix's)
    assert rows[0] == [False, True, True, False]
    assert rows[1] == [True, False, True, False]  # every earlier key blocked: itself kept
    assert rows[3] == [True, True, True, False]  # sees itself anyway (outside the span)
    with pytest.raises(EngineError, match="self_visible"):
        ContextMask(0, (RowMask((), 0),), self_visible="never")  # type: ignore[arg-type]


def _prompt(n: int) -> Prompt:
    spans = (Span("instruction", None, 0, 1, 1, 3), Span("demo", 0, 1, 2, 3, 6),
             Span("query", None, 2, 3, 6, n))
    return Prompt(text="abc", input_ids=tuple(range(n)), spans=spans, choices=(), target="x")


def test_mask_all_keeps_only_the_last_token():
    # The paper's mask_all at a decoding step: the new token (position 9) sees only itself.
    rm = row_mask(_prompt(8), "all", rows="all")
    mask = ContextMask(0, (rm,), sink=0, self_visible="when-empty")
    assert _blocked(mask, [9], 10)[0] == [True] * 9 + [False]
    assert _blocked(mask, [7], 8)[0] == [True] * 7 + [False]  # the prompt's last position


def test_paper_sink_rule():
    from iclab.engine import Engine
    from iclab.models.tiny import tiny_tokenizer

    llama, neox = (Engine(model_for(a), tiny_tokenizer(a)) for a in ("llama", "gpt_neox"))
    assert paper_sink(llama, "examples") == 1 and paper_sink(neox, "examples") == 0
    assert paper_sink(llama, "all") == 0  # mask_all blocks <s> too
    cfg = LayersConfig.paper(masks=("examples",))
    assert (cfg.row_scope, cfg.sink, cfg.self_visible) == ("all", None, "when-empty")
    assert resolve_sink(cfg, llama, "examples") == 1
    assert resolve_sink(LayersConfig(), neox, "examples") == 1  # iclab default: always a sink
    assert LayersConfig().row_scope == "query" and LayersConfig().self_visible == "always"


def test_when_empty_runs_on_a_model():
    model, x = model_for("llama"), ids(1)
    mask = ContextMask(0, (RowMask(((0, x.shape[1]),), 0),), sink=0, self_visible="when-empty")
    with torch.inference_mode(), mask_context(model, mask):
        out = model(input_ids=x).logits
    assert torch.isfinite(out).all()


def test_mbpp_pool_is_801_to_974_under_the_paper_preset():
    # bin/prepare-codegen.sh: sed -n '801,974p' data/mbpp.jsonl (line n = task_id n).
    from iclab.analyses.layers.run import mbpp_pool
    from iclab.data import load_task

    assert LayersConfig.paper().mbpp_pool == (801, 974) and LayersConfig().mbpp_pool == (601, 974)
    pool = mbpp_pool(load_task("mbpp"), 801, 974).split("train")
    assert len(pool) == 174
    assert [e.meta["task_id"] for e in pool][:2] == [801, 802]
