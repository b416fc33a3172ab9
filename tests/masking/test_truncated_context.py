"""Dropping the context above layer r equals masking it from layer r (sink kept)."""

from __future__ import annotations

import pytest
import torch

from iclab.engine.masking import ContextMask, RowMask, mask_context
from iclab.testing.truncated_context import (
    DroppedContextLayer,
    formula_saving,
    truncated_forward,
    truncated_prefill,
)
from iclab.engine.types import EngineError
from masking_helpers import Q_START, ids, model_for

ATOL = 1e-5


def _masked(model, x, r):
    mask = ContextMask(r, (RowMask(((0, Q_START),), Q_START),), sink=1)
    with torch.inference_mode(), mask_context(model, mask):
        return model.get_decoder()(input_ids=x).last_hidden_state


@pytest.mark.parametrize("r", [0, 2, 4])
def test_truncated_equals_masked_run(arch, r):
    model, x = model_for(arch), ids(13)
    prefix = truncated_prefill(model, x[:, :Q_START], keep_layers=r)
    n = model.config.num_hidden_layers
    assert sum(isinstance(layer, DroppedContextLayer) for layer in prefix.cache.layers) == n - r
    for layer in prefix.cache.layers[r:]:
        assert layer.keys.shape[-2] == 1  # only the sink's KV above r
    out = truncated_forward(model, prefix, x[:, Q_START:])
    ref = _masked(model, x, r)[:, Q_START:]
    torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)
    # generation continues through the truncated cache
    new = torch.tensor([[11, 13, 17]])
    step = torch.cat([truncated_forward(model, prefix, new[:, i:i + 1]) for i in range(3)], 1)
    ref_gen = _masked(model, torch.cat([x, new], 1), r)[:, -3:]
    torch.testing.assert_close(step, ref_gen, atol=ATOL, rtol=0)


def test_formula():
    assert formula_saving(32, 14, 5) == pytest.approx(0.46875)
    assert formula_saving(30, 30, 5) == 0.0
    with pytest.raises(EngineError):
        formula_saving(30, 31, 5)
    with pytest.raises(EngineError):
        truncated_prefill(model_for("llama"), ids(0)[:, :4], keep_layers=9)
