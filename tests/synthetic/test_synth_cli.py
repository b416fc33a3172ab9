"""``iclab synth TASK --split S --n N --seed K``: JSON lines with input and answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iclab.cli import app
from iclab.data.synthetic import SPLITS, TASK_NAMES, generate

runner = CliRunner()


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("task", TASK_NAMES)
def test_synth_prints_json_lines_with_input_and_answer(task: str, split: str) -> None:
    result = runner.invoke(app, ["synth", task, "--split", split, "--n", "4", "--seed", "9"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 4
    expected = generate(task, 4, seed=9, split=split)
    for row, ex in zip(rows, expected):
        assert isinstance(row["input"], str) and isinstance(row["answer"], str)
        assert (row["input"], row["answer"]) == (ex.fields["input"], ex.label)
        assert (row["task"], row["split"], row["seed"]) == (task, split, 9)
        if split == "misleading":
            assert row["shortcut"] != row["answer"]


@pytest.mark.parametrize("args, hint", [(["synth", "nope"], "TASK"),
                                        (["synth", "code", "--split", "odd"], "--split"),
                                        (["synth", "code", "--n", "-1"], "--n")])
def test_synth_rejects_bad_arguments(args: list[str], hint: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert hint in result.output


def test_installed_console_script_runs() -> None:
    script = Path(sys.executable).with_name("iclab")
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    out = subprocess.run([str(script), "synth", "boolean", "--split", "misleading", "--n", "3",
                          "--seed", "2"], capture_output=True, text=True, timeout=60, check=True)
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 3 and all(r["input"].endswith("The result is: ") for r in rows)


def test_synth_streams_its_output() -> None:
    """The first lines come at once, however many are asked for (issue 18: --n 100000000
    printed nothing for minutes), and they are the same as generate's."""
    import itertools
    import time

    from iclab.data.synthetic import iter_generate

    t0 = time.monotonic()
    first = list(itertools.islice(iter_generate("relation", 1_000_000, 3), 3))
    assert time.monotonic() - t0 < 5
    assert [e.fields["input"] for e in first] == [
        e.fields["input"] for e in generate("relation", 3, 3)]
    result = runner.invoke(app, ["synth", "relation", "--n", "100000000"])
    assert result.exit_code == 2 and "1000000" in result.output
