"""Shared machinery of the synthetic generators: families, splits, seeded unique sampling.

Not public API; :mod:`iclab.data.synthetic` re-exports what callers need.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Literal

from iclab.data.types import Example, TaskKind
from iclab.errors import DataError

Split = Literal["normal", "misleading"]
SPLITS: tuple[Split, ...] = ("normal", "misleading")

# How many consecutive duplicate draws a generator tolerates before the configured sizes are
# declared too small to give ``n`` distinct queries.
MAX_DUPLICATE_RUN = 2000


@dataclass(frozen=True)
class Sample:
    """One generated query before it becomes an :class:`Example`.

    Attributes:
        input: the query text; ``input + answer`` is the complete line as a demo shows it.
        answer: the gold answer string (exact match).
        shortcut: the answer the task's shortcut gives (equal to ``answer`` on the normal
            split, different on the misleading split); ``None`` where the shortcut gives none.
        info: structured facts about the query (terms, edges, program, ...) for analyses.
    """

    input: str
    answer: str
    shortcut: str | None
    info: dict[str, Any] = dataclasses.field(default_factory=dict)


Sampler = Callable[[random.Random, bool, Any], Sample]


@dataclass(frozen=True)
class Family:
    """A task family: how to draw one query, its options type and its label words.

    Attributes:
        name: ``"expression"``, ``"code"``, ...
        sample: ``sample(rng, misleading, options) -> Sample``.
        options_type: a frozen dataclass of sizes that validates itself.
        kind: ``"classification"`` for a fixed answer set, else ``"generation"``.
        labels: the answer words of a classification family, else ``()``.
        summary: one line for help texts and ``Task.source``.
    """

    name: str
    sample: Sampler
    options_type: type
    kind: TaskKind
    labels: tuple[str, ...]
    summary: str

    def options(self, overrides: dict[str, Any]) -> Any:
        """Build the family's options from keyword overrides; unknown names raise DataError."""
        known = {f.name for f in dataclasses.fields(self.options_type)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise DataError(
                f"synthetic task {self.name!r} has no option(s) {unknown}; known: {sorted(known)}"
            )
        return self.options_type(**overrides)


def make_family(name: str, sample: Sampler, options_type: type, summary: str,
                labels: tuple[str, ...] = ()) -> Family:
    """A :class:`Family` whose kind follows from its labels: ``"classification"`` when it has
    answer words, else ``"generation"``."""
    kind: TaskKind = "classification" if labels else "generation"
    return Family(name=name, sample=sample, options_type=options_type, kind=kind, labels=labels,
                  summary=summary)


def check_split(split: str) -> bool:
    """Return True for the misleading split, False for normal; raise DataError otherwise."""
    if split not in SPLITS:
        raise DataError(f"unknown synthetic split {split!r}; choose from {list(SPLITS)}")
    return split == "misleading"


def check_range(owner: str, name: str, value: tuple[int, int], low: int, high: int) -> None:
    """Raise DataError unless ``value`` is a (lo, hi) pair with ``low <= lo <= hi <= high``."""
    ok = (isinstance(value, tuple) and len(value) == 2
          and all(isinstance(v, int) for v in value) and low <= value[0] <= value[1] <= high)
    if not ok:
        raise DataError(f"{owner}.{name} must be a (lo, hi) int pair within [{low}, {high}] "
                        f"with lo <= hi, got {value!r}")


def check_int(owner: str, name: str, value: int, low: int, high: int) -> None:
    """Raise DataError unless ``value`` is an int in ``[low, high]``."""
    if not isinstance(value, int) or not low <= value <= high:
        raise DataError(f"{owner}.{name} must be an int in [{low}, {high}], got {value!r}")


def stream_rng(family: str, seed: int, stream: str) -> random.Random:
    """A generator of its own for (family, seed, stream); string seeds hash with SHA-512, so
    the draws do not depend on PYTHONHASHSEED or on other streams."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise DataError(f"seed must be an int, got {seed!r}")
    return random.Random(f"iclab.synthetic/{family}/{seed}/{stream}")


def iter_unique(
    family: Family,
    n: int,
    rng: random.Random,
    misleading: bool,
    options: Any,
    exclude: Iterable[str] = (),
) -> Iterator[Sample]:
    """Yield ``n`` samples whose query texts are distinct and not in ``exclude``.

    Raises:
        DataError: ``n`` is negative, or the options leave too few distinct queries (both on
            the first ``next``).
    """
    if not isinstance(n, int) or n < 0:
        raise DataError(f"n must be a non-negative int, got {n!r}")
    seen = set(exclude)
    produced = 0
    misses = 0
    while produced < n:
        sample = family.sample(rng, misleading, options)
        if sample.input in seen:
            misses += 1
            if misses > MAX_DUPLICATE_RUN:
                raise DataError(
                    f"synthetic task {family.name!r}: found only {produced} of {n} distinct "
                    f"queries with options {options}; widen the sizes or ask for fewer"
                )
            continue
        misses = 0
        seen.add(sample.input)
        produced += 1
        yield sample


def to_example(family: str, split: Split, sample: Sample) -> Example:
    """Wrap a sample as an iclab Example: fields ``{"input": ...}``, label = answer."""
    meta = {"task": family, "split": split, "shortcut": sample.shortcut, **sample.info}
    return Example(fields={"input": sample.input}, label=sample.answer, meta=meta)


def signed_sum_text(terms: list[int]) -> str:
    """Render terms as ``"3-5+2"`` (first term with its own sign, then ``+``/``-`` signs)."""
    text = str(terms[0])
    for t in terms[1:]:
        text += f"+{t}" if t >= 0 else f"-{-t}"
    return text
