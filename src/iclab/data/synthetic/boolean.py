"""Boolean task: an and/or expression whose last operation decides its value.

Each query is a Python boolean expression of parenthesised groups of ``True``/``False``
joined by ``and``/``or`` (Python precedence: ``and`` binds tighter than ``or``), with the
whole body in parentheses and one final operation appended::

    ((True or False and True) and (False or False)) or True
    The result is: 

The answer is ``"1"`` for True and ``"0"`` for False, as the paper's demonstrations and scorer
use (its instruction line says "print True, else print False"). This generator is iclab's
redesign, not the paper's (that one is :func:`iclab.data.synthetic.paper.boolean_item`).

- **normal**: the suffix is ``and False`` or ``or True``, which fixes the value whatever the
  body is (the unstated shortcut: answer the suffix's literal).
- **misleading**: the suffix is neutral (``and True`` or ``or False``), so the value is the
  body's; it is chosen so that the value differs from the suffix's literal (``and True`` on a
  False body, ``or False`` on a True body) and the shortcut is always wrong.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iclab.data.synthetic._base import Sample, check_range, make_family

_OWNER = "BooleanOptions"


@dataclass(frozen=True)
class BooleanOptions:
    """Sizes of the boolean task.

    Attributes:
        groups: (min, max) number of parenthesised groups in the body.
        literals: (min, max) number of literals per group.
    """

    groups: tuple[int, int] = (2, 3)
    literals: tuple[int, int] = (2, 4)

    def __post_init__(self) -> None:
        check_range(_OWNER, "groups", self.groups, 1, 10)
        check_range(_OWNER, "literals", self.literals, 1, 10)


def evaluate_chain(values: list[bool], ops: list[str]) -> bool:
    """Value of ``v0 op0 v1 op1 ...`` with ``and`` binding tighter than ``or``."""
    any_true, conj = False, values[0]
    for op, value in zip(ops, values[1:]):
        if op == "and":
            conj = conj and value
        else:
            any_true, conj = any_true or conj, value
    return any_true or conj


def _chain_text(parts: list[str], ops: list[str]) -> str:
    text = parts[0]
    for op, part in zip(ops, parts[1:]):
        text += f" {op} {part}"
    return text


def _ops(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(("and", "or")) for _ in range(n)]


def _body(rng: random.Random, opts: BooleanOptions) -> tuple[str, bool]:
    """A random body ``((..) op (..) ...)`` and its value."""
    texts, values = [], []
    for _ in range(rng.randint(*opts.groups)):
        lits = [rng.random() < 0.5 for _ in range(rng.randint(*opts.literals))]
        ops = _ops(rng, len(lits) - 1)
        texts.append(f"({_chain_text([str(v) for v in lits], ops)})")
        values.append(evaluate_chain(lits, ops))
    ops = _ops(rng, len(texts) - 1)
    text = _chain_text(texts, ops)
    return (f"({text})" if len(texts) > 1 else text), evaluate_chain(values, ops)


def sample_boolean(rng: random.Random, misleading: bool, opts: BooleanOptions) -> Sample:
    """Draw one boolean query (see the module docstring)."""
    body, body_value = _body(rng, opts)
    if misleading:
        op, literal = ("or", False) if body_value else ("and", True)
    else:
        op, literal = rng.choice((("and", False), ("or", True)))
    value = evaluate_chain([body_value, literal], [op])
    text = f"{body} {op} {literal}\nThe result is: "
    return Sample(input=text, answer=str(int(value)), shortcut=str(int(literal)),
                  info={"suffix": f"{op} {literal}", "body_value": body_value})


FAMILY = make_family(
    "boolean", sample_boolean, BooleanOptions, labels=("1", "0"),
    summary="and/or expression whose suffix decides (normal) or is neutral (misleading)",
)
