"""Turn character spans into token spans with the tokenizer's offset mapping.

The full prompt text is tokenized once (``return_offsets_mapping=True``, which needs a fast
tokenizer). Each token gets an *anchor*: the position of its first non-whitespace character
(a token such as ``" positive"`` or ``"\\npositive"`` is anchored on ``p``; a token of only
whitespace is anchored on its first character). **A token belongs to the span that contains its
anchor.** So a label's token range includes the token that carries the label's leading space,
and separators made only of whitespace belong to no span (or to the span they fall inside).

Special tokens (BOS, offsets ``(0, 0)`` with no text) belong to no span. Token ranges are
``[tok_start, tok_end)`` into ``input_ids`` (special tokens included). If a span anchors no
token at all (a token crossing the span boundary swallowed it), the span falls back to the
tokens that overlap it, so it is never empty while its text is not.
"""

from __future__ import annotations

import bisect
from typing import Any, Sequence

from iclab.errors import PromptError
from iclab.prompts.render import CharSpan
from iclab.prompts.types import Span

_NO_ANCHOR = -1


def tokenize_with_offsets(
    tokenizer: Any, text: str, add_special_tokens: bool = True
) -> tuple[list[int], list[tuple[int, int]]]:
    """Tokenize ``text`` once; return its ids and character offsets.

    Raises:
        PromptError: the tokenizer cannot give offsets (not a fast tokenizer).
    """
    try:
        enc = tokenizer(text, add_special_tokens=add_special_tokens, return_offsets_mapping=True)
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise PromptError(
            f"tokenizer {type(tokenizer).__name__} gives no offset mapping ({exc}); "
            "load a fast tokenizer (use_fast=True)"
        ) from None
    ids = list(enc["input_ids"])
    offsets = [(int(a), int(b)) for a, b in enc["offset_mapping"]]
    return ids, offsets


def anchors(text: str, offsets: Sequence[tuple[int, int]], special: Sequence[bool]) -> list[int]:
    """Return each token's anchor: its first non-whitespace character (see module doc)."""
    out = []
    for (start, end), is_special in zip(offsets, special):
        if is_special or end <= start:
            out.append(_NO_ANCHOR)
            continue
        piece = text[start:end]
        stripped = len(piece) - len(piece.lstrip())
        out.append(start + stripped if stripped < len(piece) else start)
    return out


def _range_by_anchor(keys: list[int], sorted_anchors: list[tuple[int, int]], start: int,
                     end: int) -> tuple[int, int]:
    """First and one-past-last token index whose anchor lies in ``[start, end)``.

    ``sorted_anchors`` holds ``(anchor, token index)`` sorted; ``keys`` its anchors alone.
    """
    lo, hi = bisect.bisect_left(keys, start), bisect.bisect_left(keys, end)
    if lo == hi:
        return 0, 0
    idx = [t for _, t in sorted_anchors[lo:hi]]
    return min(idx), max(idx) + 1


def _range_by_overlap(offsets: Sequence[tuple[int, int]], special: Sequence[bool],
                      start: int, end: int) -> tuple[int, int]:
    hits = [i for i, ((a, b), s) in enumerate(zip(offsets, special)) if not s and a < end and b > start]
    return (hits[0], hits[-1] + 1) if hits else (0, 0)


def token_spans(
    text: str,
    char_spans: Sequence[CharSpan],
    offsets: Sequence[tuple[int, int]],
    special: Sequence[bool],
) -> tuple[Span, ...]:
    """Convert character spans to :class:`Span` objects with token ranges."""
    anchor = anchors(text, offsets, special)
    sorted_anchors = sorted((a, i) for i, a in enumerate(anchor) if a != _NO_ANCHOR)
    keys = [a for a, _ in sorted_anchors]
    spans = []
    for cs in char_spans:
        t0, t1 = _range_by_anchor(keys, sorted_anchors, cs.start, cs.end)
        if t0 == t1 and cs.end > cs.start:
            t0, t1 = _range_by_overlap(offsets, special, cs.start, cs.end)
        if t0 == t1 and cs.end > cs.start:
            raise PromptError(f"no token covers the {cs.kind} span {text[cs.start:cs.end]!r}")
        spans.append(Span(cs.kind, cs.index, cs.start, cs.end, t0, t1))
    return tuple(spans)


def special_mask(tokenizer: Any, ids: Sequence[int]) -> list[bool]:
    """True for the tokenizer's special tokens (BOS/EOS/pad...), found by id.

    Tokens with an empty offset range are skipped by :func:`anchors` in any case.
    """
    special_ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    return [i in special_ids for i in ids]
