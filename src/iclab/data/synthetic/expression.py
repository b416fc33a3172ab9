"""Expression task: ``(S)+(Z)*(C)=`` where the middle product vanishes.

Each query is an arithmetic line ``(S)+(Z)*(C)=`` of three bracketed signed sums of small
nonzero integers:

- ``S``: 1–2 terms; ``Z``: 2–4 terms; ``C``: 4 terms (all sizes configurable).
- **normal**: the terms of ``Z`` sum to 0, so the answer is the value of ``S``
  (the unstated shortcut: read off ``S``, ignore ``(Z)*(C)``).
- **misleading**: ``Z`` and ``C`` both have nonzero sums, so the answer ``S + Z·C`` differs
  from the shortcut's ``S``.

Example (normal): input ``"(8)+(-8+8)*(4+8-6+2)="``, answer ``"8"``. The answer is the exact
integer value of the line as Python evaluates it, written as a decimal string.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iclab.data.synthetic._base import Sample, check_int, check_range, make_family, signed_sum_text

_OWNER = "ExpressionOptions"


@dataclass(frozen=True)
class ExpressionOptions:
    """Sizes of the expression task.

    Attributes:
        max_term: terms are nonzero integers in ``[-max_term, max_term]``.
        s_terms: (min, max) number of terms in ``S``.
        z_terms: (min, max) number of terms in ``Z`` (at least 2, so ``Z`` can sum to 0).
        c_terms: (min, max) number of terms in ``C``.
    """

    max_term: int = 9
    s_terms: tuple[int, int] = (1, 2)
    z_terms: tuple[int, int] = (2, 4)
    c_terms: tuple[int, int] = (4, 4)

    def __post_init__(self) -> None:
        check_int(_OWNER, "max_term", self.max_term, 1, 10_000)
        check_range(_OWNER, "s_terms", self.s_terms, 1, 20)
        check_range(_OWNER, "z_terms", self.z_terms, 2, 20)
        check_range(_OWNER, "c_terms", self.c_terms, 1, 20)


def _term(rng: random.Random, m: int) -> int:
    """A nonzero integer in [-m, m]."""
    return rng.choice([-1, 1]) * rng.randint(1, m)


def _terms(rng: random.Random, n: int, m: int) -> list[int]:
    return [_term(rng, m) for _ in range(n)]


def _zero_sum_terms(rng: random.Random, n: int, m: int) -> list[int]:
    """``n`` nonzero terms in [-m, m] that sum to 0 (the last one closes the sum)."""
    while True:
        head = _terms(rng, n - 1, m)
        last = -sum(head)
        if last != 0 and abs(last) <= m:
            return head + [last]


def _nonzero_sum_terms(rng: random.Random, n: int, m: int) -> list[int]:
    """``n`` nonzero terms in [-m, m] whose sum is not 0."""
    while True:
        terms = _terms(rng, n, m)
        if sum(terms) != 0:
            return terms


def sample_expression(rng: random.Random, misleading: bool, opts: ExpressionOptions) -> Sample:
    """Draw one expression query (see the module docstring for the construction)."""
    m = opts.max_term
    s = _terms(rng, rng.randint(*opts.s_terms), m)
    z_len = rng.randint(*opts.z_terms)
    c_len = rng.randint(*opts.c_terms)
    if misleading:
        z, c = _nonzero_sum_terms(rng, z_len, m), _nonzero_sum_terms(rng, c_len, m)
    else:
        z, c = _zero_sum_terms(rng, z_len, m), _terms(rng, c_len, m)
    text = f"({signed_sum_text(s)})+({signed_sum_text(z)})*({signed_sum_text(c)})="
    value = sum(s) + sum(z) * sum(c)
    return Sample(input=text, answer=str(value), shortcut=str(sum(s)),
                  info={"s": s, "z": z, "c": c})


FAMILY = make_family(
    "expression", sample_expression, ExpressionOptions,
    summary="(S)+(Z)*(C)= with Z summing to 0 (normal) or not (misleading); answer its value",
)
