"""Per-position label scores in one teacher-forced pass (ICL learning curves).

For a prompt of N demonstrations, the output at the token just before demo i's label predicts
that label from demos 0..i-1 (i = 0: zero-shot, only the instruction, if any). Label positions
come from the prompt's ``demo_label`` token spans (``tok_start`` is the label's first token, the
one carrying any leading space). Each label word is scored by its first token that carries
text, as the label-relationships paper does; log-softmax over the labels only.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

from iclab.engine.adapter import HeadAdapter
from iclab.engine.plan import Read, Row, check_length, encode_continuation, first_text_token
from iclab.engine.run import BatchLimits, run_rows
from iclab.engine.score import label_logprobs
from iclab.engine.types import CurveScores, EngineError
from iclab.prompts.types import Prompt


def label_tokens(tokenizer: Any, choices: Sequence[str]) -> tuple[int, ...]:
    """The token scored for each label word: the first text-carrying token of its choice.

    Raises:
        EngineError: no choices, an empty choice, or two labels sharing that token.
    """
    if not choices:
        raise EngineError("a per-position curve needs the prompt's choices (label words)")
    toks = []
    for c in choices:
        ids = encode_continuation(tokenizer, c)
        toks.append(ids[first_text_token(tokenizer, ids)])
    if len(set(toks)) != len(toks):
        raise EngineError(f"label words {list(choices)} share a first token; curves score the "
                          "first token of each label, so they must differ there")
    return tuple(toks)


def curve_row(index: int, prompt: Prompt, tokens: tuple[int, ...]) -> Row:
    """One row reading the label distribution before every demonstration's label."""
    labels = sorted(prompt.spans_of("demo_label"), key=lambda s: s.index or 0)
    if not labels:
        raise EngineError(f"prompt {index} has no demo_label spans (zero-shot prompt?)")
    reads = []
    for span in labels:
        if span.tok_start < 1:
            raise EngineError(f"prompt {index}: a demo label starts at token 0")
        reads.append(Read(span.tok_start - 1, tokens, tuple(range(len(tokens))), group=True))
    return Row(index, tuple(prompt.input_ids), reads)


def _curve_hidden(adapter: HeadAdapter, tokenizer: Any, prompts: Sequence[Prompt],
                  limits: BatchLimits, max_length: int | None,
                  progress: Callable[[int], None] | None
                  ) -> tuple[list[tuple[Row, Read]], torch.Tensor, list[tuple[int, ...]]]:
    """Run the curve rows; return reads, their hidden states and each prompt's label tokens."""
    if not prompts:
        raise EngineError("no prompts to score (empty query set)")
    rows, toks = [], []
    for i, prompt in enumerate(prompts):
        check_length(len(prompt.input_ids), 0, max_length, f"prompt {i}")
        toks.append(label_tokens(tokenizer, prompt.choices))
        rows.append(curve_row(i, prompt, toks[-1]))
    found, hidden = run_rows(adapter, rows, limits, progress)
    return found, hidden, toks


def label_mass(adapter: HeadAdapter, tokenizer: Any, prompts: Sequence[Prompt],
               limits: BatchLimits = BatchLimits(), max_length: int | None = None,
               progress: Callable[[int], None] | None = None) -> list[list[float]]:
    """Per prompt and demo position: full-vocabulary probability mass on the label tokens."""
    with torch.inference_mode():
        found, hidden, _ = _curve_hidden(adapter, tokenizer, prompts, limits, max_length,
                                         progress)
        out: list[list[float]] = [[] for _ in prompts]
        for start in range(0, len(found), limits.vocab_rows):
            part = found[start:start + limits.vocab_rows]
            width = max(len(read.tokens) for _, read in part)
            toks = torch.tensor([list(read.tokens) + [0] * (width - len(read.tokens))
                                 for _, read in part], device=hidden.device)
            logp, _, _ = adapter.vocab_logprobs(hidden[start:start + limits.vocab_rows], toks)
            assert logp is not None
            for r, (row, read) in enumerate(part):
                out[row.prompt].append(float(logp[r, :len(read.tokens)].exp().sum()))
    return out


def label_curves(adapter: HeadAdapter, tokenizer: Any, prompts: Sequence[Prompt],
                 limits: BatchLimits = BatchLimits(), max_length: int | None = None,
                 progress: Callable[[int], None] | None = None) -> list[CurveScores]:
    """Label log-probs at every demonstration's label position, one pass per prompt.

    Args:
        adapter: the model's head adapter.
        tokenizer: its tokenizer (to tokenize label words).
        prompts: prompts with ``demo_label`` spans and ``choices`` (label words as appended).
        limits: batch limits.
        max_length: the model's context window.
        progress: called with the number of prompts finished after each batch.
    """
    with torch.inference_mode():
        found, hidden, toks = _curve_hidden(adapter, tokenizer, prompts, limits, max_length,
                                            progress)
        values: list[list[float]] = [[] for _ in found]
        label_logprobs(adapter, found, hidden, values)
    per_prompt: list[list[tuple[float, ...]]] = [[] for _ in prompts]
    for (row, _), vals in zip(found, values):
        per_prompt[row.prompt].append(tuple(vals))
    return [CurveScores(tuple(per_prompt[i]), tuple(p.demo_targets), toks[i])
            for i, p in enumerate(prompts)]
