"""Hugging Face ``model.generate`` as the greedy reference that tests and benchmarks compare
``Engine.generate`` against."""

from __future__ import annotations

from typing import Any, Sequence

import torch


def hf_generate(model: Any, prompts: Sequence[Any], new: int, min_new: int = 0
                ) -> list[list[int]]:
    """Greedy tokens of ``model.generate`` on a left-padded batch of ``prompts`` (anything with
    ``input_ids``): up to ``new`` tokens each, at least ``min_new`` (``min_new=new`` makes
    every row run the full length, as a timing baseline needs)."""
    width = max(len(p.input_ids) for p in prompts)
    ids = torch.zeros(len(prompts), width, dtype=torch.long)
    att = torch.zeros(len(prompts), width, dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p.input_ids):] = torch.tensor(p.input_ids)
        att[i, width - len(p.input_ids):] = 1
    with torch.inference_mode():
        out = model.generate(input_ids=ids.to(model.device), attention_mask=att.to(model.device),
                             max_new_tokens=new, min_new_tokens=min_new, do_sample=False,
                             pad_token_id=0)
    return [row[width:].tolist() for row in out]
