"""Turn (prompt tokens, choice tokens) into model rows and the log-probs to read from them.

Tokenization rule (used by every engine path and by the naive reference): a prompt is its
``input_ids`` as given (``Prompt.input_ids``, special tokens included); a continuation is
tokenized on its own, without special tokens, and appended. This is what lm-evaluation-harness
does for most tokenizers; it keeps the prompt's tokens fixed, which is what lets one prefilled
prefix serve every choice.

A *row* is one sequence fed to the model after the shared prefix; a :class:`Read` says which
position of the row predicts which tokens, and which choice each token's log-prob counts for.
When the choices share leading tokens (a separate ``"\\n"`` before the label, say) and differ
in exactly one token after them, one row per prompt suffices: the shared tokens are appended to
the prompt and the last position is read for every choice's distinct token. Otherwise each
choice gets its own row (prompt + choice minus its last token).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from iclab.engine.kv import common_prefix_len
from iclab.engine.types import EngineError, ScoreMode

ALL = -1  # a Read target meaning "adds to every choice"


@dataclass(frozen=True)
class Read:
    """Log-probs to read at one position of a row.

    Attributes:
        pos: position in the full sequence (prefix included) whose output is read.
        tokens: the token ids whose log-probs are wanted there.
        choices: per token, the choice it counts for (``ALL``: every choice).
        group: True when ``tokens`` are the alternative choices' tokens (normalised together
            when scoring over the label tokens only).
    """

    pos: int
    tokens: tuple[int, ...]
    choices: tuple[int, ...]
    group: bool = False


@dataclass
class Row:
    """One model input: the full token sequence (prefix included) and what to read from it."""

    prompt: int
    ids: tuple[int, ...]
    reads: list[Read] = field(default_factory=list)


def encode_continuation(tokenizer: Any, text: str) -> tuple[int, ...]:
    """Tokenize a continuation on its own (no special tokens).

    Raises:
        EngineError: the text tokenizes to no tokens (an empty label word).
    """
    ids = tuple(tokenizer(text, add_special_tokens=False)["input_ids"])
    if not ids:
        raise EngineError(f"choice {text!r} tokenizes to no tokens; label words must be non-empty")
    return ids


def first_text_token(tokenizer: Any, ids: Sequence[int]) -> int:
    """Index of the first token that decodes to more than whitespace (last one if none)."""
    for i, t in enumerate(ids):
        if tokenizer.decode([t]).strip():
            return i
    return len(ids) - 1


def scored_tokens(tokenizer: Any, ids: tuple[int, ...], mode: ScoreMode) -> tuple[int, ...]:
    """The tokens of a continuation that a mode scores (see :data:`ScoreMode`)."""
    if mode == "first":
        return ids[: first_text_token(tokenizer, ids) + 1]
    if mode in ("sum", "mean"):
        return ids
    raise EngineError(f"unknown scoring mode {mode!r}; choose first, sum or mean")


def check_distinct_choices(tokenizer: Any, choices: Sequence[str],
                           scored: Sequence[tuple[int, ...]], mode: ScoreMode) -> None:
    """Refuse choices whose scored tokens are identical: they always tie, and the first would
    win every time (e.g. "very bad"/"very good" under ``first``: both score " very").

    Args:
        tokenizer: decodes the shared tokens for the message.
        choices: the choice texts.
        scored: per choice, the tokens ``mode`` scores (see :func:`scored_tokens`).
        mode: the scoring mode, for the message.

    Raises:
        EngineError: two choices score the same tokens.
    """
    seen: dict[tuple[int, ...], str] = {}
    for text, toks in zip(choices, scored):
        if toks in seen:
            hint = ("use --mode sum, or label words whose first tokens differ" if mode == "first"
                    else "use label words that tokenize differently")
            raise EngineError(f"label words {seen[toks]!r} and {text!r} score the same tokens "
                              f"{tokenizer.decode(list(toks))!r} under mode {mode!r}, so they "
                              f"always tie and the first always wins; {hint}")
        seen[toks] = text


def plan_rows(index: int, prompt: tuple[int, ...],
              choices: Sequence[tuple[int, ...]]) -> list[Row]:
    """Rows and reads that score ``choices`` after ``prompt``.

    The first read of the first row is always the answer position (``len(prompt) - 1``).

    Args:
        index: the prompt's index (carried in each row).
        prompt: the prompt tokens.
        choices: per choice, the tokens to score (non-empty).
    """
    n = len(prompt)
    shared = min(common_prefix_len(choices), min(len(c) for c in choices) - 1)
    if all(len(c) - shared == 1 for c in choices):
        lead = choices[0][:shared]
        reads = [Read(n - 1 + j, (t,), (ALL,)) for j, t in enumerate(lead)]
        last = tuple(c[shared] for c in choices)
        reads.append(Read(n - 1 + shared, last, tuple(range(len(choices))), group=True))
        return [Row(index, prompt + lead, reads)]
    rows = []
    for k, c in enumerate(choices):
        reads = [Read(n - 1 + j, (t,), (k,)) for j, t in enumerate(c)]
        rows.append(Row(index, prompt + c[:-1], reads))
    return rows


def check_length(prompt_len: int, extra: int, max_length: int | None, what: str) -> None:
    """Raise when a prompt plus ``extra`` tokens exceeds the model's context window."""
    if max_length is not None and prompt_len + extra > max_length:
        raise EngineError(
            f"{what} has {prompt_len} prompt tokens + {extra} more, over the model's context "
            f"window of {max_length} tokens; use fewer shots or shorter inputs"
        )
