"""Built-in offline tasks: enough examples, no duplicate inputs, sane splits."""

from __future__ import annotations

import pytest

from iclab.data import list_tasks, load_task

BUILTIN = list_tasks("builtin")


def test_at_least_six_builtin_tasks() -> None:
    assert len(BUILTIN) >= 6


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_task(name: str) -> None:
    task = load_task(name)
    examples = [e for split in task.splits.values() for e in split]
    assert len(examples) >= 100
    inputs = [e.fields["input"] for e in examples]
    assert len(inputs) == len(set(inputs)), "duplicate inputs"
    assert all(e.fields["input"].strip() and e.label.strip() for e in examples)
    assert set(task.splits) == {"train", "test"}
    assert len(task.split("train")) > len(task.split("test")) > 0
    if task.kind == "classification":
        assert {e.label for e in examples} == set(task.labels)
    assert load_task(name).splits == task.splits  # deterministic


def test_builtin_facts() -> None:
    pairs = {e.fields["input"]: e.label for s in load_task("country-capital").splits.values()
             for e in s}
    assert pairs["France"] == "Paris" and pairs["Japan"] == "Tokyo"
    assert pairs["Australia"] == "Canberra" and pairs["Canada"] == "Ottawa"
    parity = {e.fields["input"]: e.label for s in load_task("number-parity").splits.values()
              for e in s}
    assert all(parity[str(n)] == ("even" if n % 2 == 0 else "odd") for n in range(160))
    case = [e for s in load_task("letter-case").splits.values() for e in s]
    assert all(e.label == e.fields["input"].upper() for e in case)
