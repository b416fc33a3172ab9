"""Generic properties of every synthetic family: determinism, uniqueness, disjoint splits."""

from __future__ import annotations

import re

import pytest

from iclab.data.synthetic import FAMILIES, SPLITS, TASK_NAMES, generate, synthetic_task
from iclab.data.types import Example
from iclab.errors import DataError

N = 60


def _inputs(examples: list[Example] | tuple[Example, ...]) -> list[str]:
    return [ex.fields["input"] for ex in examples]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("task", TASK_NAMES)
def test_same_seed_same_examples_other_seed_differs(task: str, split: str) -> None:
    first = generate(task, N, seed=7, split=split)
    again = generate(task, N, seed=7, split=split)
    other = generate(task, N, seed=8, split=split)
    assert [(e.fields, e.label, dict(e.meta)) for e in first] == \
        [(e.fields, e.label, dict(e.meta)) for e in again]
    assert _inputs(first) != _inputs(other)


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("task", TASK_NAMES)
def test_examples_are_distinct_strings_and_tagged(task: str, split: str) -> None:
    examples = generate(task, N, seed=1, split=split)
    assert len(examples) == N
    assert len(set(_inputs(examples))) == N
    for ex in examples:
        assert list(ex.fields) == ["input"]
        assert isinstance(ex.label, str) and ex.label and ex.label == ex.label.strip()
        assert ex.meta["task"] == task and ex.meta["split"] == split
        family = FAMILIES[task]
        if family.labels:
            assert ex.label in family.labels


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("task", TASK_NAMES)
def test_synthetic_task_train_and_test_are_disjoint(task: str, split: str) -> None:
    built = synthetic_task(task, n_train=150, n_test=80, seed=3, split=split)
    train, test = built.split("train"), built.split("test")
    assert (len(train), len(test)) == (150, 80)
    assert not set(_inputs(train)) & set(_inputs(test))
    assert all(ex.meta["split"] == "normal" for ex in train)
    assert all(ex.meta["split"] == split for ex in test)
    assert built.name == f"synthetic-{task}-{split}" and built.input_fields == ("input",)
    assert built.kind == FAMILIES[task].kind and built.labels == FAMILIES[task].labels


def test_family_kinds_and_label_words() -> None:
    got = {name: (f.kind, f.labels) for name, f in FAMILIES.items()}
    assert got == {
        "expression": ("generation", ()),
        "code": ("generation", ()),
        "relation": ("classification", ("True", "False")),
        "boolean": ("classification", ("1", "0")),
        "parity": ("classification", ("heads", "tails")),
        "algebra": ("generation", ()),
    }


def test_train_split_does_not_depend_on_the_test_kind() -> None:
    normal = synthetic_task("expression", 40, 10, seed=5, split="normal")
    misleading = synthetic_task("expression", 40, 10, seed=5, split="misleading")
    assert _inputs(normal.split("train")) == _inputs(misleading.split("train"))
    assert _inputs(normal.split("test")) != _inputs(misleading.split("test"))


def test_test_split_skips_training_queries_in_a_small_space() -> None:
    # 2 (S) x 2 (Z) x 2 (C) = 8 distinct queries: 5 train leave exactly 3 for test.
    opts = dict(max_term=1, s_terms=(1, 1), z_terms=(2, 2), c_terms=(1, 1))
    built = synthetic_task("expression", 5, 3, seed=0, **opts)
    assert len(set(_inputs(built.split("train")) + _inputs(built.split("test")))) == 8
    with pytest.raises(DataError, match="distinct"):
        synthetic_task("expression", 5, 4, seed=0, **opts)


def test_sizes_are_configurable() -> None:
    small = generate("parity", 30, seed=0, steps=(2, 2))
    assert all(ex.fields["input"].count("\n") == 3 for ex in small)  # start + 2 people + question
    wide = generate("expression", 30, seed=0, c_terms=(6, 6))
    c_texts = [ex.fields["input"].rsplit("*(", 1)[1] for ex in wide]
    assert all(len(re.findall(r"\d+", c)) == 6 for c in c_texts)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: generate("nope", 1), "unknown synthetic task 'nope'"),
        (lambda: generate("expression", 1, split="weird"), "unknown synthetic split 'weird'"),
        (lambda: generate("expression", 1, colour=3), r"no option\(s\) \['colour'\]"),
        (lambda: generate("expression", 1, z_terms=(1, 3)), "ExpressionOptions.z_terms"),
        (lambda: generate("relation", 1, cities=(3, 30)), "RelationOptions.cities"),
        (lambda: generate("code", 1, max_loop=1000), "CodeOptions.max_loop"),
        (lambda: generate("algebra", 1, coefficients=(2, 2)), "AlgebraOptions.coefficients"),
        (lambda: generate("boolean", -1), "non-negative"),
        (lambda: generate("parity", 1, seed="1"), "seed must be an int"),
    ],
)
def test_bad_arguments_raise_data_errors_naming_them(call, message: str) -> None:
    with pytest.raises(DataError, match=message):
        call()
