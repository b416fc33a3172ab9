"""Built-in offline tasks, written for iclab and shipped with the package (``data/builtin/*.tsv``).

Small, unambiguous tasks that a ~100M-parameter model can pick up in context; the demo's
default data. Each file is ``input<TAB>output`` with a header line. Splits: the rows are shuffled
with ``random.Random(0)`` (stable across Python versions); the first 70 % are ``train`` (the
demonstration pool) and the rest ``test``. Every example has one input field, ``input``.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from importlib import resources

from iclab.data._common import make_task
from iclab.data.readers import Row, read_table
from iclab.data.types import Example, Task, TaskKind
from iclab.errors import DataError

__all__ = ["BUILTIN_TASKS", "load_builtin", "builtin_description"]


@dataclass(frozen=True)
class _Builtin:
    file: str
    kind: TaskKind
    labels: tuple[str, ...]
    description: str


_TASKS: dict[str, _Builtin] = {
    "antonyms": _Builtin("antonyms.tsv", "generation", (), "word -> its antonym (hot -> cold)"),
    "country-capital": _Builtin("country_capital.tsv", "generation", (),
                                "country -> its capital city (France -> Paris)"),
    "english-french": _Builtin("english_french.tsv", "generation", (),
                               "English word -> French word (dog -> chien)"),
    "word-sentiment": _Builtin("word_sentiment.tsv", "classification", ("negative", "positive"),
                               "word -> negative / positive"),
    "number-parity": _Builtin("number_parity.tsv", "classification", ("even", "odd"),
                              "number 0-159 -> even / odd"),
    "letter-case": _Builtin("letter_case.tsv", "generation", (),
                            "lower-case word -> upper case (dog -> DOG)"),
}

#: Names of the built-in tasks.
BUILTIN_TASKS: tuple[str, ...] = tuple(_TASKS)

TRAIN_FRACTION = 0.7


def builtin_description(name: str) -> str:
    """One line saying what built-in task ``name`` asks for."""
    return _TASKS[name].description


def _rows(file: str) -> list[Row]:
    resource = resources.files("iclab.data").joinpath("builtin", file)
    with resources.as_file(resource) as path:
        return read_table(path, delimiter="\t", quoting=csv.QUOTE_NONE,
                          required=("input", "output"))


def load_builtin(name: str) -> Task:
    """Load built-in task ``name`` from the package data.

    Raises:
        DataError: the name is not a built-in task or its file is malformed.
    """
    if name not in _TASKS:
        raise DataError(f"{name!r} is not a built-in task; built-in tasks: {list(_TASKS)}")
    spec = _TASKS[name]
    rows = _rows(spec.file)
    examples = [Example({"input": r["input"]}, r["output"], {"where": r.where}) for r in rows]
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    cut = int(TRAIN_FRACTION * len(order))
    splits = {"train": [examples[i] for i in order[:cut]],
              "test": [examples[i] for i in order[cut:]]}
    return make_task(name, spec.kind, spec.labels, splits, input_fields=("input",),
                     field_names={"input": "Input"}, source=f"iclab builtin {spec.file}",
                     notes=f"{spec.description}; train/test = 70/30 after random.Random(0) "
                           "shuffle")
