"""The Context's model cache: one loaded model per worker, reused across cells."""

from __future__ import annotations

import pytest

from iclab.runs.context import Context, model_spec


def test_same_model_is_loaded_once_and_another_replaces_it(tiny_dir) -> None:
    seen = []
    ctx = Context(device="cpu", progress=seen.append)
    first = ctx.model(tiny_dir)
    assert ctx.model(tiny_dir) is first and ctx.loads == 1
    assert ctx.tokenizer(tiny_dir) is first.tokenizer
    engine = ctx.engine(tiny_dir)
    assert ctx.engine(tiny_dir) is engine and engine.model is first.model and ctx.loads == 1
    half = ctx.model(tiny_dir, dtype="bfloat16")
    assert ctx.loads == 2 and half is not first and half.id.dtype == "bfloat16"
    assert ctx.engine(tiny_dir, dtype="bfloat16").model is half.model
    ctx.progress("3/4 prompts")
    assert seen == ["3/4 prompts"]
    ctx.release()
    assert ctx.model(tiny_dir, dtype="bfloat16") is not half and ctx.loads == 3


def test_model_spec_joins_revisions() -> None:
    assert model_spec("EleutherAI/pythia-70m", "step1000") == "EleutherAI/pythia-70m@step1000"
    assert model_spec("gemma-3-270m", None) == "gemma-3-270m"
    with pytest.raises(ValueError, match="already names a revision"):
        model_spec("EleutherAI/pythia-70m@step1", "step2")
