"""The two data types every analysis shares: :class:`Example` and :class:`Task`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping

TaskKind = Literal["classification", "generation"]


@dataclass(frozen=True)
class Example:
    """One example of a task.

    Attributes:
        fields: input fields by name, e.g. ``{"sentence": ...}`` or
            ``{"sentence1": ..., "sentence2": ...}``; generation tasks use ``{"source": ...}``.
        label: the gold label word (classification) or reference output (generation).
        meta: anything a reader wants to keep (row id, raw label, tests for code tasks, ...).
    """

    fields: Mapping[str, str]
    label: str
    meta: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.label, str):
            raise TypeError(f"Example.label must be a str, got {type(self.label).__name__}")


@dataclass(frozen=True)
class Task:
    """A named task: its kind, its ordered label words and its splits.

    Attributes:
        name: registry name, e.g. ``"glue-sst2"``.
        kind: ``"classification"`` or ``"generation"``.
        labels: ordered label words (option i is ``labels[i]``); empty for generation.
        splits: examples per split name (``"train"``, ``"dev"``, ``"test"``, ...).
        input_fields: names of the input fields in display order.
        source: where the data came from (path or hub id), for the record.
        field_names: display name of each input field, e.g. ``{"sentence1": "Sentence 1",
            "sentence2": "Sentence 2"}``; a field without an entry displays as its own name.
        notes: how the splits were made (seeds, cuts, what stands in for a missing split).
    """

    name: str
    kind: TaskKind
    labels: tuple[str, ...]
    splits: Mapping[str, tuple[Example, ...]]
    input_fields: tuple[str, ...] = ("sentence",)
    source: str = ""
    field_names: Mapping[str, str] = field(default_factory=dict)
    notes: str = ""

    def display_name(self, field_name: str) -> str:
        """Return the display name of input field ``field_name`` (its own name by default)."""
        return self.field_names.get(field_name, field_name)

    def split(self, name: str) -> tuple[Example, ...]:
        """Return the examples of split ``name``; raise a clear error if it does not exist."""
        from iclab.errors import DataError

        if name not in self.splits:
            raise DataError(
                f"task {self.name!r} has no split {name!r}; it has {sorted(self.splits)}"
            )
        return self.splits[name]

    def label_index(self, label: str) -> int:
        """Return the option index of ``label``; raise if it is not one of the task's labels."""
        from iclab.errors import DataError

        try:
            return self.labels.index(label)
        except ValueError:
            raise DataError(
                f"label {label!r} is not one of task {self.name!r}'s labels {list(self.labels)}"
            ) from None
