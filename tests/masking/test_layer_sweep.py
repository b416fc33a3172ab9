"""The layer sweep with shared lower layers equals independent masked runs."""

from __future__ import annotations

import pytest
import torch

from iclab.engine.layer_sweep import layer_sweep, recompute_start
from iclab.engine.compat import cache_kwargs
from iclab.engine.masking import ContextMask, RowMask, mask_context
from masking_helpers import Q_START, ids, model_for

ATOL = 1e-5


def _independent(model, x, mask):
    with torch.inference_mode(), mask_context(model, mask):
        return model.get_decoder()(input_ids=x).last_hidden_state


@pytest.mark.parametrize("rows_from", [Q_START, 0])
def test_sweep_equals_independent_masked_runs(arch, rows_from):
    model, x = model_for(arch), ids(11)
    mask = ContextMask(0, (RowMask(((2, 6), (8, Q_START)), rows_from),))
    points = list(layer_sweep(model, x, mask))
    assert [p.from_layer for p in points] == list(range(model.config.num_hidden_layers + 1))
    for p in points:
        ref = _independent(model, x, mask.at(p.from_layer))[:, p.start:]
        torch.testing.assert_close(p.hidden, ref, atol=ATOL, rtol=0)
    assert (points[0].hidden - points[-1].hidden).abs().max() > 1e-3


def test_sweep_cache_continues_masked_generation(arch):
    """A point's cache + the mask == recomputing prompt + new tokens from scratch, masked."""
    model, x = model_for(arch), ids(12)
    mask = ContextMask(0, (RowMask(((1, Q_START),), Q_START),))
    new = torch.tensor([[7, 9]])
    for p in layer_sweep(model, x, mask, layers=[1, 3]):
        with torch.inference_mode(), mask_context(model, p.mask):
            body = model.get_decoder()
            out = body(input_ids=new, use_cache=True,
                       **cache_kwargs(body, p.cache)).last_hidden_state
        ref = _independent(model, torch.cat([x, new], 1), p.mask)[:, -2:]
        torch.testing.assert_close(out, ref, atol=ATOL, rtol=0)


def test_recompute_start():
    rm = RowMask(((1, 5), (9, 12)), 10)
    assert recompute_start([rm], 1, 20) == 10
    assert recompute_start([RowMask(((4, 8),), 0)], 1, 20) == 5  # row 4 only sees itself
    assert recompute_start([RowMask(((0, 1),), 0)], 1, 20) == 19  # only the sink: nothing
    assert recompute_start([RowMask(((0, 3),), 0)], 0, 20) == 1


def test_padded_batch_sweep_equals_each_prompt_alone(arch):
    """Prompts of different lengths swept as right-padded rows of one batch (each with its
    own mask) give, at every point and every real position, each prompt's own sweep."""
    from iclab.engine.layer_sweep import pad_rows, sweep_batches

    model = model_for(arch)
    seqs = [ids(20 + i, n)[0].tolist() for i, n in enumerate((24, 19, 27))]
    masks = [RowMask(((2, 6), (8, Q_START)), Q_START), RowMask(((1, 12),), 12),
             RowMask(((3, Q_START + 4),), Q_START + 4)]
    lengths = [len(s) for s in seqs]
    batched = list(layer_sweep(model, pad_rows(seqs), ContextMask(0, tuple(masks)),
                               lengths=lengths))
    assert batched[0].start <= min(lengths) - 1
    for b, (seq, rm) in enumerate(zip(seqs, masks)):
        alone = list(layer_sweep(model, torch.tensor([seq]), ContextMask(0, (rm,))))
        for pa, pb in zip(alone, batched):
            assert pa.from_layer == pb.from_layer
            shift = pa.start - pb.start  # the batch may recompute earlier rows: exact too
            got = pb.hidden[b, shift:lengths[b] - pb.start]
            torch.testing.assert_close(got, pa.hidden[0], atol=ATOL, rtol=0)
    assert sweep_batches([5, 3, 9, 4], max_rows=2, max_tokens=100) == [[1, 3], [0, 2]]
    assert sweep_batches([5, 3, 9, 4], max_rows=8, max_tokens=15) == [[1, 3, 0], [2]]
    assert sweep_batches([5, 3, 9, 4], max_rows=8, max_tokens=12) == [[1, 3], [0], [2]]
