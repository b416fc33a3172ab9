"""Implicit-pattern tasks (ICL vs fine-tuning paper, Yin et al. 2024): seeded generators.

Six families, one module each: :mod:`~iclab.data.synthetic.expression`,
:mod:`~iclab.data.synthetic.code`, :mod:`~iclab.data.synthetic.relation`,
:mod:`~iclab.data.synthetic.boolean`, :mod:`~iclab.data.synthetic.parity` (our own design) and
:mod:`~iclab.data.synthetic.algebra`. Each module docstring says how its queries are built, what
the hidden pattern (the shortcut) is and how the misleading split breaks it.

Conventions shared by all families:

- An :class:`~iclab.data.types.Example` has ``fields={"input": query}`` and ``label`` = the
  answer string (exact match). ``input + label`` is the complete text as a demonstration shows
  it, so ``input`` ends with whatever comes before the answer (``"="``, ``"is: "``, ...).
  Nothing in the query states the pattern.
- ``meta`` holds ``task``, ``split``, ``shortcut`` (the shortcut's answer, or ``None`` where it
  gives none) and structured facts about the query.
- **normal** split: the pattern decides the answer (shortcut == answer).
  **misleading** split: the query breaks the pattern (shortcut != answer on every query).
- Deterministic per seed: each (family, seed, stream) has its own ``random.Random``, seeded
  with a string (SHA-512 based, independent of ``PYTHONHASHSEED``).
- Distinct queries within a split; train and test are disjoint by query text.
"""

from __future__ import annotations

from typing import Any, Iterator

from iclab.data.synthetic import algebra, boolean, code, expression, parity, relation
from iclab.data.synthetic._base import (
    SPLITS,
    Family,
    Sample,
    Split,
    check_split,
    iter_unique,
    stream_rng,
    to_example,
)
from iclab.data.types import Example, Task
from iclab.errors import DataError

FAMILIES: dict[str, Family] = {
    m.FAMILY.name: m.FAMILY for m in (expression, code, relation, boolean, parity, algebra)
}
TASK_NAMES: tuple[str, ...] = tuple(FAMILIES)


def get_family(name: str) -> Family:
    """Return the family called ``name``; raise DataError listing the known names."""
    if name not in FAMILIES:
        raise DataError(f"unknown synthetic task {name!r}; choose from {list(TASK_NAMES)}")
    return FAMILIES[name]


def generate(
    task: str,
    n: int,
    seed: int = 0,
    split: str = "normal",
    *,
    stream: str = "test",
    exclude: frozenset[str] | set[str] = frozenset(),
    **options: Any,
) -> list[Example]:
    """Generate ``n`` distinct examples of one family.

    Args:
        task: family name (``expression``, ``code``, ``relation``, ``boolean``, ``parity``,
            ``algebra``).
        n: number of examples.
        seed: random seed; the same arguments always give the same examples.
        split: ``"normal"`` or ``"misleading"``.
        stream: names an independent random stream for the same seed (``"train"``, ``"test"``).
        exclude: query texts that must not be produced (e.g. the training queries).
        **options: sizes, the fields of the family's options dataclass
            (e.g. ``max_term=5`` for expression).

    Raises:
        DataError: unknown task, split or option, bad sizes, or too few distinct queries.
    """
    family = get_family(task)
    misleading = check_split(split)
    opts = family.options(options)
    rng = stream_rng(task, seed, f"{stream}/{split}")
    samples = list(iter_unique(family, n, rng, misleading, opts, exclude))
    return [to_example(task, split, s) for s in samples]  # type: ignore[arg-type]


def iter_generate(task: str, n: int, seed: int = 0, split: str = "normal", *,
                  stream: str = "test", **options: Any) -> Iterator[Example]:
    """:func:`generate` one example at a time (the same examples in the same order), so that
    a caller printing them starts at once; task, split and options are checked first."""
    family = get_family(task)
    misleading = check_split(split)
    opts = family.options(options)
    if not isinstance(n, int) or n < 0:
        raise DataError(f"n must be a non-negative int, got {n!r}")
    rng = stream_rng(task, seed, f"{stream}/{split}")
    for sample in iter_unique(family, n, rng, misleading, opts):
        yield to_example(task, split, sample)  # type: ignore[arg-type]


def synthetic_task(
    name: str, n_train: int, n_test: int, seed: int = 0, split: str = "normal", **options: Any
) -> Task:
    """Build a Task with a ``train`` split (normal queries: demonstrations or fine-tuning data)
    and a ``test`` split of the given kind, disjoint from ``train`` by query text.

    The train split depends only on (name, n_train, seed, options), not on ``split``, so one
    fine-tuned model serves both test kinds.

    Args:
        name: family name; the Task is named ``"synthetic-{name}-{split}"``.
        n_train: number of training examples (may be 0).
        n_test: number of test examples.
        seed: random seed.
        split: ``"normal"`` or ``"misleading"`` (the kind of the test queries).
        **options: sizes, passed to the family's options dataclass.
    """
    family = get_family(name)
    check_split(split)
    train = generate(name, n_train, seed, "normal", stream="train", **options)
    seen = {ex.fields["input"] for ex in train}
    test = generate(name, n_test, seed, split, stream="test", exclude=seen, **options)
    return Task(
        name=f"synthetic-{name}-{split}",
        kind=family.kind,
        labels=family.labels,
        splits={"train": tuple(train), "test": tuple(test)},
        input_fields=("input",),
        source=f"iclab.data.synthetic.{name} (seed={seed}, options={options}): {family.summary}",
    )


__all__ = [
    "FAMILIES",
    "SPLITS",
    "TASK_NAMES",
    "Family",
    "Sample",
    "Split",
    "generate",
    "iter_generate",
    "get_family",
    "synthetic_task",
]
