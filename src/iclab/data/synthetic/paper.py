"""The ICL-vs-FT paper's own generators (Yin et al. 2024), for the ``paper`` preset.

iclab's default generators (the sibling modules) are redesigned so that every label is checked
and every misleading query breaks its shortcut. This module instead draws queries the way the
paper's released code does, from one ``random.Random`` used in the paper's call order, so that
``random.Random(114514)`` gives the same expressions, relation graphs and boolean expressions as
the paper's scripts after ``random.seed(114514)``. Where the paper's code has a bug, the
function does what the paper meant and says so (``docs/FIDELITY.md`` lists every case):

- relation, misleading: the paper cut the chain and left Z out, so "Z is absent, answer
  False" still held and the shortcut was never broken; here Z is tied to the part of the graph
  that A cannot reach, so Z appears and the answer is False;
- boolean: the paper's test and training data switched the shortcut suffix off
  (``randoms=True``); here normal queries carry it (``and False`` / ``or True``, as the
  generator was written for) and misleading queries carry the paper's neutral suffix
  (``or False`` / ``and True``) on a body without shortcut;
- algebra: the paper drew coefficients from NumPy's unseeded global generator (1..4); here they
  come from the same seeded ``random.Random`` (so runs repeat; the draws differ from any paper
  run, which could not be repeated either), and a system whose rows are all multiples of one
  another (no unique solution; the paper did not check) is drawn again.

Values are computed structurally (no ``eval``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iclab.data.synthetic.boolean import evaluate_chain
from iclab.data.synthetic.code import CodeOptions, sample_code

PAPER_SEED = 114514
"""The seed of the paper's evaluation script (``random.seed(114514)``)."""


@dataclass(frozen=True)
class PaperItem:
    """One drawn query of the paper's benchmark.

    Attributes:
        question: the query body (expression line, program, edge list, boolean expression or
            equation system) as the paper's layout inserts it.
        answer: the full answer as a demonstration shows it (algebra: ``"a = 3, b = 2"``).
        gold: the string the paper's scorer looks for in the output (algebra: b's value).
        given: the part of the answer the query already shows (algebra: ``"a = 3, b = "``).
        extra: family facts (code: input value; algebra: the solution).
    """

    question: str
    answer: str
    gold: str
    given: str = ""
    extra: tuple[tuple[str, object], ...] = ()


def sum_expression(rng: random.Random, min_terms: int, max_terms: int, num_range: int,
                   total: int | None, minus: bool = True) -> tuple[str, int]:
    """A signed sum of ``min_terms..max_terms`` integers with value ``total`` (drawn when None).

    The draw order is the paper's: term count, total, then every term but the last; the last
    term closes the sum (so it may exceed ``num_range``). The first term has no ``+`` sign.
    """
    n = rng.randint(min_terms, max_terms)
    if total is None:
        total = rng.randint(-num_range, num_range) if minus else rng.randint(0, num_range)
    if n == 1:
        return str(total), total
    parts, running = [], 0
    for i in range(n - 1):
        number = rng.randint(-num_range, num_range) if minus else rng.randint(0, num_range)
        running += number
        sign = "+" if number >= 0 else "-"
        parts.append(f"{'' if i == 0 and sign == '+' else sign}{abs(number)}")
    last = total - running
    parts.append(f"{'+' if last >= 0 else '-'}{abs(last)}")
    return "".join(parts), total


def expression_item(rng: random.Random, misleading: bool, min_terms: int = 2,
                    max_terms: int = 4, num_range: int = 20) -> PaperItem:
    """``(S)+(Z)*(C)=``: Z sums to 0 (normal) or to a drawn value (misleading).

    Defaults are the paper's test sizes; its training rows used 1..3 terms in ±10. The
    misleading Z is drawn freely, so it sums to 0 now and then (as in the paper).
    """
    zero, _ = sum_expression(rng, min_terms, max_terms, num_range, 0)
    other, other_value = sum_expression(rng, min_terms, max_terms, num_range, None)
    c, c_value = sum_expression(rng, 4, 4, 10, None)
    s, s_value = sum_expression(rng, 1, 2, 10, None, minus=False)
    if misleading:
        text, value = f"({s})+({other})*({c})=", c_value * other_value + s_value
    else:
        text, value = f"({s})+({zero})*({c})=", s_value
    return PaperItem(text, str(value), str(value))


def relation_item(rng: random.Random, misleading: bool, n: int = 10) -> PaperItem:
    """Cities B.. (``n`` letters from A, without A and Z) in a shuffled chain, A tied to one.

    Normal: a coin decides whether Z is tied to A's city (True) or absent (False).
    Misleading (fixed, see the module docstring): the chain's last link is cut and Z is tied to
    the piece A cannot reach; the answer is False although Z appears.
    """
    cities = [chr(i) for i in range(65, 65 + n) if chr(i) not in "AZ"]
    rng.shuffle(cities)
    hub = rng.choice(cities)
    edges = [("A", hub)] + [(cities[i], cities[i + 1]) for i in range(len(cities) - 1)]
    if misleading:
        edges.pop()
        cut_off = cities[-1] if hub != cities[-1] else cities[0]
        edges.append((cut_off, "Z"))
        answer = False
    elif rng.choice([True, False]):
        edges.append((hub, "Z"))
        answer = True
    else:
        answer = False
    text = "".join(f"{u} is connected with {v}\n" for u, v in edges)
    return PaperItem(text, str(answer), str(answer))


def _chain(rng: random.Random, n_terms: int) -> tuple[str, bool]:
    """``v op v op v ...`` of ``n_terms`` literals (the paper's draw order) and its value."""
    values = [rng.choice(["True", "False"])]
    ops: list[str] = []
    for _ in range(n_terms - 1):
        ops.append(rng.choice(["and", "or"]))
        values.append(rng.choice(["True", "False"]))
    text = values[0] + "".join(f" {op} {v}" for op, v in zip(ops, values[1:]))
    return text, evaluate_chain([v == "True" for v in values], ops)


def boolean_item(rng: random.Random, misleading: bool, shortcut: bool = True,
                 num_groups: int = 3, num_terms: int = 4) -> PaperItem:
    """Three and/or groups; answer ``"1"``/``"0"`` (what the paper's demos and scorer use).

    ``shortcut`` (normal queries): a coin picks the suffix ``) and False`` or `` or True``,
    which decides the value. Misleading: no shortcut suffix, then the paper's neutral wrapper
    ``(..) or False`` / ``(..) and True`` (value = the body's). ``shortcut=False`` without
    ``misleading`` is the paper's released setting (``randoms=True``). As in the paper, each
    group's term count is drawn from 2 up to the previous group's count.
    """
    suffix = rng.choice(["False", "True"]) if shortcut and not misleading else None
    texts: list[str] = []
    values: list[bool] = []
    ops: list[str] = []
    for _ in range(num_groups):
        num_terms = rng.randint(2, num_terms)
        text, value = _chain(rng, num_terms)
        if texts:
            ops.append(rng.choice(["and", "or"]))
        texts.append(f"({text})")
        values.append(value)
    expr = texts[0] + "".join(f" {op} {t}" for op, t in zip(ops, texts[1:]))
    result = evaluate_chain(values, ops)
    if suffix == "False":
        expr, result = f"({expr}) and False", False
    elif suffix == "True":
        expr, result = f"{expr} or True", True
    if misleading:
        if rng.choice(["False", "True"]) == "False":
            expr = f"({expr}) or False"
        else:
            expr = f"({expr}) and True"
    answer = "1" if result else "0"
    return PaperItem(expr, answer, answer)


def algebra_item(rng: random.Random, misleading: bool) -> PaperItem:
    """Linear equations in a, b with solution in 1..5: three with one dependent (normal) or four
    independent (misleading). The query shows ``a = X, b = `` and the scorer looks for b."""
    equations, dependent = (4, 0) if misleading else (3, 1)
    a, b = rng.randint(1, 5), rng.randint(1, 5)
    while True:  # the paper did not check: a rank-1 system has no unique solution (fixed)
        rows = [[rng.randint(1, 4), rng.randint(1, 4)] for _ in range(equations - dependent)]
        if any(p * s - q * r for i, (p, q) in enumerate(rows) for r, s in rows[i + 1:]):
            break
    consts = [p * a + q * b for p, q in rows]
    for _ in range(dependent):
        i, j = rng.sample(range(equations - dependent), 2)
        alpha, beta = rng.randint(1, 3), rng.randint(1, 3)
        rows.append([alpha * rows[i][0] + beta * rows[j][0], alpha * rows[i][1] + beta * rows[j][1]])
        consts.append(alpha * consts[i] + beta * consts[j])
    text = "\n".join(f"{p}a + {q}b = {r}" for (p, q), r in zip(rows, consts))
    return PaperItem(text, f"a = {a}, b = {b}", str(b), given=f"a = {a}, b = ",
                     extra=(("solution", (a, b)),))


def code_item(rng: random.Random, misleading: bool) -> PaperItem:
    """A program of iclab's code family (execution-labelled), input drawn in 0..10 as the paper.

    The paper's programs came from a data file that is no longer published, and its test had no
    misleading code split; iclab's normal/misleading programs stand in.
    """
    sample = sample_code(rng, misleading, CodeOptions(input_range=(0, 10)))
    value = sample.info["stdin"].strip()
    return PaperItem(sample.info["program"], sample.answer, sample.answer,
                     extra=(("input", value),))


GENERATORS = {
    "expression": expression_item,
    "code": code_item,
    "relation": relation_item,
    "boolean": boolean_item,
    "algebra": algebra_item,
}
"""Family -> ``draw(rng, misleading) -> PaperItem``."""

__all__ = ["GENERATORS", "PAPER_SEED", "PaperItem", "algebra_item", "boolean_item",
           "code_item", "expression_item", "relation_item", "sum_expression"]
