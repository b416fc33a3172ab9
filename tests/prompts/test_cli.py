"""``iclab prompt`` prints the exact prompt, and its spans with --spans."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from iclab.cli import app
from iclab.data import load_task
from iclab.prompts import render_text, sample_fixed

runner = CliRunner()


def test_prompt_prints_exact_text() -> None:
    args = ["prompt", "--task", "number-parity", "--template", "metaicl-minimal", "--shots", "3",
            "--seed", "21", "--labels", "abstract", "--query-index", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    task = load_task("number-parity")
    demos = sample_fixed(task.split("train"), 3, 21)
    expected = render_text(task, demos, task.split("test")[2], "metaicl-minimal", "abstract")
    assert result.output == expected
    assert expected.count("\n\n\n") == 3 and expected.split("\n")[1] in ("*", "#")


def test_prompt_spans(real_tok) -> None:
    if real_tok("smollm2-135m") is None:
        pytest.skip("smollm2-135m tokenizer not available")
    args = ["prompt", "-t", "number-parity", "-p", "label-relationships", "-k", "2",
            "--labels", "flip-after:1", "--spans", "--model", "smollm2-135m"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("demo_label[1]") and "tokens" in line for line in lines)
    assert any(line.startswith("query ") for line in lines)
    assert "choices: [' even', ' odd']" in result.output


@pytest.mark.parametrize("args,message", [
    (["--template", "nope"], "unknown template 'nope'"),
    (["--labels", "replacement:perm_9"], "no replacement variant 'perm_9'"),
    (["--query-index", "999"], "--query-index 999 is out of range"),
])
def test_prompt_errors(args, message) -> None:
    result = runner.invoke(app, ["prompt", "--task", "number-parity", *args])
    assert result.exit_code != 0
    assert message in str(result.exception) + result.output
