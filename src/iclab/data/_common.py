"""Small helpers shared by the task builders (not public API)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Mapping, Sequence

from iclab.data.types import Example, Task, TaskKind
from iclab.errors import DataError


def need(data_dir: Path, *parts: str) -> Path:
    """Return ``data_dir/parts``; raise a DataError naming it when it does not exist."""
    path = Path(data_dir).joinpath(*parts)
    if not path.exists():
        raise DataError(f"local data file {path} not found")
    return path


def make_task(
    name: str,
    kind: TaskKind,
    labels: Sequence[str],
    splits: Mapping[str, Sequence[Example]],
    *,
    input_fields: Sequence[str],
    field_names: Mapping[str, str] | None = None,
    source: str = "",
    notes: str = "",
) -> Task:
    """Build a Task after checking that no split is empty, every example has exactly the input
    fields, and (classification) every label is one of ``labels``."""
    for split, examples in splits.items():
        if not examples:
            raise DataError(f"task {name!r}: split {split!r} is empty ({source})")
        for ex in examples:
            if tuple(ex.fields) != tuple(input_fields):
                raise DataError(f"task {name!r}: example {ex.meta.get('where', '?')} has fields "
                                f"{list(ex.fields)}, expected {list(input_fields)}")
            if kind == "classification" and ex.label not in labels:
                raise DataError(f"task {name!r}: label {ex.label!r} of example "
                                f"{ex.meta.get('where', '?')} is not one of {list(labels)}")
    if kind == "classification":
        check_label_words(name, labels)
    return Task(
        name=name,
        kind=kind,
        labels=tuple(labels),
        splits={k: tuple(v) for k, v in splits.items()},
        input_fields=tuple(input_fields),
        source=source,
        field_names=dict(field_names or {}),
        notes=notes,
    )


def check_label_words(name: str, labels: Sequence[str]) -> None:
    """Refuse a classification task whose label words are fewer than two, empty (or only
    whitespace) or duplicated: any of these makes accuracy meaningless without an error."""
    if len(labels) < 2:
        raise DataError(f"task {name!r}: a classification task needs at least two label "
                        f"words, got {list(labels)}")
    empty = [w for w in labels if not w.strip()]
    if empty:
        raise DataError(f"task {name!r}: empty label word {empty[0]!r} in {list(labels)}")
    if len(set(labels)) != len(labels):
        raise DataError(f"task {name!r}: duplicate label words {list(labels)}")


def label_counts(examples: Sequence[Example]) -> dict[str, int]:
    """Count examples per label, most frequent first."""
    return dict(Counter(ex.label for ex in examples).most_common())
