"""Every label checked by a method independent of the generator, and every misleading query
checked to break its family's shortcut (the shortcut recomputed here from the text alone)."""

from __future__ import annotations

import itertools
import re
from collections import deque

import pytest
import sympy

from iclab.data.synthetic import SPLITS


def _text(ex) -> str:
    return ex.fields["input"]


# --- expression: Python's own arithmetic --------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_expression_labels_are_python_eval(examples, split: str) -> None:
    for ex in examples[("expression", split)]:
        text = _text(ex)
        assert text.endswith("=") and re.fullmatch(r"\([-+\d]+\)\+\([-+\d]+\)\*\([-+\d]+\)=", text)
        assert int(ex.label) == eval(text[:-1])  # noqa: S307 (digits, signs and brackets only)
        s_text, z_text, _ = re.findall(r"\(([-+\d]+)\)", text)
        shortcut = eval(s_text)  # noqa: S307
        if split == "normal":
            assert eval(z_text) == 0 and int(ex.label) == shortcut  # noqa: S307
        else:
            assert int(ex.label) != shortcut


# --- relation: breadth-first search over the listed lines ---------------------------------

def _edges(text: str) -> list[tuple[str, str]]:
    lines = text.split("\n")[:-1]
    pairs = [re.fullmatch(r"([A-Z]) is connected with ([A-Z])", line) for line in lines]
    assert all(pairs), text
    return [(m.group(1), m.group(2)) for m in pairs]


def _reachable(edges: list[tuple[str, str]], start: str) -> set[str]:
    graph: dict[str, set[str]] = {}
    for u, v in edges:
        graph.setdefault(u, set()).add(v)
        graph.setdefault(v, set()).add(u)
    seen, queue = {start}, deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


@pytest.mark.parametrize("split", SPLITS)
def test_relation_labels_are_reachability(examples, split: str) -> None:
    labels = []
    for ex in examples[("relation", split)]:
        text = _text(ex)
        assert text.endswith("\nSo 'the city A and Z is connected' is ")
        edges = _edges(text)
        gold = "Z" in _reachable(edges, "A")
        appears = any("Z" in e for e in edges)
        assert ex.label == str(gold)
        labels.append(gold)
        if split == "normal":
            assert gold == appears
        else:
            assert appears and not gold
    if split == "normal":  # both answers occur, roughly balanced
        assert 0.3 < sum(labels) / len(labels) < 0.7


# --- boolean: Python eval and truth tables ------------------------------------------------

_SUFFIX = re.compile(r"^(.*) (and|or) (True|False)$", re.S)


@pytest.mark.parametrize("split", SPLITS)
def test_boolean_labels_are_python_eval(examples, split: str) -> None:
    for ex in examples[("boolean", split)]:
        expr, tail = _text(ex).split("\n")
        assert tail == "The result is: " and set(expr.split()) <= {
            "True", "False", "and", "or", "(True", "(False", "((True", "((False", "True)",
            "False)", "True))", "False))"}
        value = eval(expr)  # noqa: S307 (only True/False/and/or/brackets, checked above)
        assert ex.label == str(int(value))
        literal = _SUFFIX.match(expr).group(3) == "True"
        assert (value == literal) == (split == "normal")


def test_boolean_normal_suffix_decides_every_truth_assignment(examples) -> None:
    """Truth table: in normal queries, every assignment of the body's literals gives the
    suffix's value; in misleading ones, flipping body literals can change the value."""
    for ex in examples[("boolean", "normal")][:40]:
        expr = _text(ex).split("\n")[0]
        body, op, literal = _SUFFIX.match(expr).groups()
        n = len(re.findall(r"True|False", body))
        for bits in itertools.product(("True", "False"), repeat=n):
            it = iter(bits)
            filled = re.sub(r"True|False", lambda _: next(it), body)
            assert eval(f"{filled} {op} {literal}") == (literal == "True")  # noqa: S307
    for ex in examples[("boolean", "misleading")][:40]:
        body, op, literal = _SUFFIX.match(_text(ex).split("\n")[0]).groups()
        n = len(re.findall(r"True|False", body))
        values = set()
        for bits in itertools.product(("True", "False"), repeat=n):
            it = iter(bits)
            values.add(eval(re.sub(r"True|False", lambda _: next(it), body) + f" {op} {literal}"))
        assert values == {True, False}


# --- parity: count the flips ---------------------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_parity_labels_follow_the_number_of_flips(examples, split: str) -> None:
    for ex in examples[("parity", split)]:
        lines = _text(ex).split("\n")
        start = re.fullmatch(r"The coin starts (heads|tails) up\.", lines[0]).group(1)
        assert lines[-1] == "Now the coin is "
        flips = mentions = 0
        for line in lines[1:-1]:
            words = line.split()
            if "flips" in words:
                mentions += 1
                flips += 2 if line.endswith("flips it twice.") else 1
        other = {"heads": "tails", "tails": "heads"}[start]
        assert ex.label == (other if flips % 2 else start)
        shortcut = other if mentions % 2 else start
        assert (shortcut == ex.label) == (split == "normal")


# --- algebra: sympy solves the system ------------------------------------------------------

@pytest.mark.parametrize("split", SPLITS)
def test_algebra_labels_are_the_unique_solution(examples, split: str) -> None:
    a, b = sympy.symbols("a b")
    for ex in examples[("algebra", split)][:120]:
        *lines, question = _text(ex).split("\n")
        rows = [tuple(map(int, re.fullmatch(r"(\d+)a \+ (\d+)b = (-?\d+)", ln).groups()))
                for ln in lines]
        assert len(rows) == 3
        matrix = sympy.Matrix([[p, q] for p, q, _ in rows])
        augmented = sympy.Matrix([list(r) for r in rows])
        assert matrix.rank() == augmented.rank() == 2  # consistent, exactly one dependent
        solution = sympy.solve([p * a + q * b - r for p, q, r in rows], [a, b], dict=True)
        assert len(solution) == 1
        unknown = re.fullmatch(r"([ab]) = ", question).group(1)
        assert ex.label == str(solution[0][sympy.Symbol(unknown)])
        first_two = sympy.Matrix([[p, q] for p, q, _ in rows[:2]])
        if split == "normal":  # the shortcut (solve the first two lines) gives the answer
            sol2 = first_two.LUsolve(sympy.Matrix([r for *_, r in rows[:2]]))
            assert str(sol2[0 if unknown == "a" else 1]) == ex.label
        else:  # the first two lines are dependent: the shortcut has no answer
            assert first_two.det() == 0
