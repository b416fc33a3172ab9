"""Algebra task: three linear equations in ``a`` and ``b``, one of them dependent.

Each query lists three equations ``p·a + q·b = r`` (coefficients written out, ``"2a + 3b =
19"``) that all hold at one integer solution, then asks for one named unknown::

    2a + 4b = 10
    4a + 1b = 13
    10a + 14b = 46
    a = 

and the answer is ``"3"``. The system has rank 2: exactly one equation is a combination of
the others, so the solution is unique.

- **normal**: the first two equations are independent (small coefficients, 1–5) and the
  third is ``m1·E1 + m2·E2`` (``m1, m2`` in 1–3), the redundant one. The unstated shortcut:
  solve the first two lines and ignore the last.
- **misleading**: the second equation is a multiple (2× or 3×) of the first, and the third is
  built exactly as in normal but from the first equation and a fresh independent one, so it is
  the line that is needed. Solving the first two lines has no unique solution: the shortcut
  gives no answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iclab.data.synthetic._base import Sample, check_range, make_family
from iclab.errors import DataError

_OWNER = "AlgebraOptions"
Equation = tuple[int, int, int]  # (p, q, r) for p·a + q·b = r


@dataclass(frozen=True)
class AlgebraOptions:
    """Sizes of the algebra task.

    Attributes:
        values: (min, max) of the solution's ``a`` and ``b``.
        coefficients: (min, max) of the first equations' coefficients (positive).
        multipliers: (min, max) of ``m1, m2`` in the combined third equation.
    """

    values: tuple[int, int] = (1, 9)
    coefficients: tuple[int, int] = (1, 5)
    multipliers: tuple[int, int] = (1, 3)

    def __post_init__(self) -> None:
        check_range(_OWNER, "values", self.values, -1000, 1000)
        check_range(_OWNER, "coefficients", self.coefficients, 1, 1000)
        check_range(_OWNER, "multipliers", self.multipliers, 1, 100)
        if self.coefficients[0] == self.coefficients[1]:
            raise DataError(f"{_OWNER}.coefficients needs at least two values to make "
                            f"independent equations, got {self.coefficients!r}")


def _equation(rng: random.Random, a: int, b: int, coefficients: tuple[int, int]) -> Equation:
    p, q = rng.randint(*coefficients), rng.randint(*coefficients)
    return p, q, p * a + q * b


def _independent(rng: random.Random, first: Equation, a: int, b: int,
                 coefficients: tuple[int, int]) -> Equation:
    """A random equation through (a, b) that is not a multiple of ``first``."""
    while True:
        eq = _equation(rng, a, b, coefficients)
        if first[0] * eq[1] - first[1] * eq[0] != 0:
            return eq


def _combine(m1: int, e1: Equation, m2: int, e2: Equation) -> Equation:
    return tuple(m1 * x + m2 * y for x, y in zip(e1, e2))  # type: ignore[return-value]


def sample_algebra(rng: random.Random, misleading: bool, opts: AlgebraOptions) -> Sample:
    """Draw one algebra query (see the module docstring)."""
    a, b = rng.randint(*opts.values), rng.randint(*opts.values)
    e1 = _equation(rng, a, b, opts.coefficients)
    fresh = _independent(rng, e1, a, b, opts.coefficients)
    third = _combine(rng.randint(*opts.multipliers), e1, rng.randint(*opts.multipliers), fresh)
    if misleading:
        k = rng.randint(2, 3)
        equations = [e1, (k * e1[0], k * e1[1], k * e1[2]), third]
    else:
        equations = [e1, fresh, third]
    unknown = rng.choice(("a", "b"))
    answer = str(a if unknown == "a" else b)
    lines = "\n".join(f"{p}a + {q}b = {r}" for p, q, r in equations)
    text = f"{lines}\n{unknown} = "
    return Sample(input=text, answer=answer, shortcut=None if misleading else answer,
                  info={"equations": [list(e) for e in equations], "unknown": unknown,
                        "solution": {"a": a, "b": b}})


FAMILY = make_family(
    "algebra", sample_algebra, AlgebraOptions,
    summary="three equations in a, b with one dependent: the last (normal) or the second "
            "(misleading)",
)
