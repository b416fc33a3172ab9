"""A built prompt: its text, tokens, token spans and what it is scored against."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SpanKind = Literal["instruction", "demo", "demo_input", "demo_label", "query"]


@dataclass(frozen=True)
class Span:
    """A named piece of a prompt in characters and tokens (``[start, end)`` both).

    ``index`` numbers repeated kinds (demonstration i, its label i); None for single spans.
    Token ranges come from the tokenizer's offset mapping: a token belongs to the span its
    first non-space character falls in.
    """

    kind: SpanKind
    index: int | None
    char_start: int
    char_end: int
    tok_start: int
    tok_end: int


@dataclass(frozen=True)
class Prompt:
    """A prompt ready for the engine.

    Attributes:
        text: the full prompt text up to (not including) the answer.
        input_ids: token ids of ``text`` (special tokens such as BOS included).
        spans: instruction, each demonstration, each demo label and the query, as :class:`Span`.
        choices: candidate continuations exactly as appended after ``text`` (e.g. ``" positive"``
            or ``"\\npositive"``); empty for generation.
        target: index into ``choices`` the prediction is scored against (classification), or the
            reference string (generation).
        label_words: the label words as shown, without the separator (for reports).
        demo_targets: per demonstration, the option index a per-position curve scores against.
        meta: what built it (template, setting, seed, query index, ...).
    """

    text: str
    input_ids: tuple[int, ...]
    spans: tuple[Span, ...]
    choices: tuple[str, ...]
    target: int | str
    label_words: tuple[str, ...] = ()
    demo_targets: tuple[int, ...] = ()
    meta: tuple[tuple[str, object], ...] = ()

    def spans_of(self, kind: SpanKind) -> tuple[Span, ...]:
        """Return the spans of one kind, in order."""
        return tuple(s for s in self.spans if s.kind == kind)

    def token_range(self, kind: SpanKind) -> tuple[int, int]:
        """Return ``[start, end)`` tokens from the first span of ``kind`` to the end of the last.

        Separators between spans of that kind are included (e.g. all demonstrations as one
        block, for masking); ``(0, 0)`` when the prompt has no span of that kind.
        """
        spans = self.spans_of(kind)
        return (spans[0].tok_start, spans[-1].tok_end) if spans else (0, 0)
