"""Training rows for :mod:`iclab.engine.training`: tokenized prompt/answer pairs and batches.

A row is the prompt's tokens followed by the answer's tokens (and EOS), each tokenized on its
own: that is exactly the token sequence the model sees at evaluation time, when the prompt is
tokenized alone and the answer is generated after it. (Tokenizing ``prompt + answer`` as one
string could merge tokens across the boundary and train on a split the model never sees.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal, Sequence

import torch

from iclab.data.types import Example
from iclab.errors import DataError

IGNORE_INDEX = -100  # label value that the causal-LM loss skips

LossOn = Literal["answer", "sequence"]


@dataclass(frozen=True)
class TrainRow:
    """One tokenized training sequence.

    Attributes:
        input_ids: prompt tokens + answer tokens (+ EOS).
        labels: ``input_ids`` with prompt tokens set to ``IGNORE_INDEX`` when the loss is on
            the answer only; equal to ``input_ids`` for whole-sequence loss.
        n_prompt: number of prompt tokens (BOS included when the tokenizer adds one).
    """

    input_ids: list[int]
    labels: list[int]
    n_prompt: int


def pairs_from_examples(examples: Iterable[Example], field: str = "input") -> list[tuple[str, str]]:
    """Turn Examples into (prompt, answer) pairs: ``(ex.fields[field], ex.label)``."""
    pairs = []
    for i, ex in enumerate(examples):
        if field not in ex.fields:
            raise DataError(f"example {i} has no field {field!r}; it has {sorted(ex.fields)}")
        pairs.append((ex.fields[field], ex.label))
    return pairs


def tokenize_pair(tokenizer, prompt: str, answer: str, *, loss_on: LossOn = "answer",
                  add_eos: bool = True) -> TrainRow:
    """Tokenize one pair (see the module docstring) and build its labels."""
    prompt_ids = list(tokenizer(prompt)["input_ids"])
    answer_ids = list(tokenizer(answer, add_special_tokens=False)["input_ids"])
    if add_eos:
        if tokenizer.eos_token_id is None:
            raise DataError("add_eos=True but the tokenizer has no EOS token; "
                            "pass add_eos=False")
        answer_ids.append(tokenizer.eos_token_id)
    if not answer_ids:
        raise DataError(f"answer {answer!r} tokenizes to nothing; nothing to train on")
    ids = prompt_ids + answer_ids
    if loss_on == "answer":
        labels = [IGNORE_INDEX] * len(prompt_ids) + answer_ids
    else:
        labels = list(ids)
    return TrainRow(input_ids=ids, labels=labels, n_prompt=len(prompt_ids))


def tokenize_pairs(tokenizer, pairs: Sequence[tuple[str, str]], *, loss_on: LossOn,
                   add_eos: bool, max_length: int) -> list[TrainRow]:
    """Tokenize every pair; raise DataError naming the first one longer than ``max_length``."""
    rows = []
    for i, (prompt, answer) in enumerate(pairs):
        if not isinstance(prompt, str) or not isinstance(answer, str):
            raise DataError(f"pair {i} must be (str, str), got "
                            f"({type(prompt).__name__}, {type(answer).__name__})")
        row = tokenize_pair(tokenizer, prompt, answer, loss_on=loss_on, add_eos=add_eos)
        if len(row.input_ids) > max_length:
            raise DataError(f"pair {i} is {len(row.input_ids)} tokens, over max_length="
                            f"{max_length}; raise max_length or shorten the prompt")
        rows.append(row)
    return rows


class Collator:
    """Right-pads rows into a batch: ``input_ids``, ``attention_mask``, ``labels`` (B, T)."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, rows: Sequence[TrainRow]) -> dict[str, torch.Tensor]:
        width = max(len(r.input_ids) for r in rows)
        ids = torch.full((len(rows), width), self.pad_token_id, dtype=torch.long)  # (B, T)
        mask = torch.zeros((len(rows), width), dtype=torch.long)  # (B, T)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)  # (B, T)
        for i, row in enumerate(rows):
            n = len(row.input_ids)
            ids[i, :n] = torch.tensor(row.input_ids)
            mask[i, :n] = 1
            labels[i, :n] = torch.tensor(row.labels)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def pad_id(tokenizer) -> int:
    """The tokenizer's pad id, else its EOS id (padding is masked out either way)."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id):
        if candidate is not None:
            return int(candidate)
    raise DataError("the tokenizer has neither a pad nor an EOS token to pad batches with")
