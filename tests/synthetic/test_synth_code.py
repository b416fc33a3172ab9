"""Code task: labels checked by running every program in a separate, unrestricted Python
process; plus the sandbox's refusals and limits."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from iclab.data.synthetic import SPLITS
from iclab.data.synthetic.sandbox import ProgramError, check_program, run_program

_RUNNER = r"""
import contextlib, io, json, sys
results = []
for program, stdin in json.load(sys.stdin):
    out = io.StringIO()
    sys.stdin = io.StringIO(stdin)
    with contextlib.redirect_stdout(out):
        exec(program, {"__name__": "__main__"})
    results.append(out.getvalue())
sys.stdout.write(json.dumps(results))
"""
_QUERY = re.compile(r"The code is:\n\n(.*)\nThe input is: (-?\d+), so the output is: ", re.S)


@pytest.mark.parametrize("split", SPLITS)
def test_code_labels_match_a_real_python_run(examples, split: str) -> None:
    exs = examples[("code", split)]
    jobs = []
    for ex in exs:
        m = _QUERY.fullmatch(ex.fields["input"])
        assert m, ex.fields["input"]
        jobs.append((m.group(1), m.group(2) + "\n"))
    proc = subprocess.run([sys.executable, "-c", _RUNNER], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=60, check=True)
    outputs = json.loads(proc.stdout)
    assert [o.rstrip("\n") for o in outputs] == [ex.label for ex in exs]


@pytest.mark.parametrize("split", SPLITS)
def test_code_misleading_breaks_the_input_op_k_shortcut(examples, split: str) -> None:
    for ex in examples[("code", split)]:
        program, value = _QUERY.fullmatch(ex.fields["input"]).groups()
        operand, op, k = re.search(r"def function2\(z, a\):\n    return ([za]) ([-+*]) (\d+)\n",
                                   program).groups()
        shortcut = eval(f"{value} {op} {k}")  # noqa: S307 (two integers and an operator)
        assert operand == ("z" if split == "normal" else "a")
        assert (str(shortcut) == ex.label) == (split == "normal")


def test_function1_bodies_vary(examples) -> None:
    bodies = {re.search(r"def function1\(x\):\n(.*?)\n\n", ex.fields["input"], re.S).group(1)
              for ex in examples[("code", "normal")]}
    assert len(bodies) > 250


@pytest.mark.parametrize(
    "source, message",
    [
        ("import os\n", "forbidden construct: Import"),
        ("x = (1).real\n", "forbidden construct: Attribute"),
        ("while True:\n    pass\n", "forbidden construct: While"),
        ("x = [1][0]\n", "forbidden construct"),
        ("x = __builtins__\n", "dunder"),
        ("__import__('os')\n", "known name: __import__"),
        ("open('f')\n", "calls something other than a known name"),
        ("x = 2 ** 100000\n", "constant exponent"),
        ("x = 2 ** y\n", "constant exponent"),
        ("def f(\n", "does not parse"),
    ],
)
def test_sandbox_refuses_constructs_outside_the_whitelist(source: str, message: str) -> None:
    with pytest.raises(ProgramError, match=message):
        check_program(source)


def test_sandbox_runs_and_limits_programs() -> None:
    assert run_program("x = int(input())\nprint(x * 2)\nprint(x)\n", "21\n") == "42\n21"
    with pytest.raises(ProgramError, match="loop steps"):
        run_program("for i in range(10):\n    for j in range(10):\n        x = i\n", max_steps=50)
    slow = "for i in range(10000000):\n    x = i * i\n"
    with pytest.raises(ProgramError, match="time limit"):
        run_program(slow, timeout_s=0.05, max_steps=10**9)
    with pytest.raises(ProgramError, match="ZeroDivisionError"):
        run_program("print(1 // 0)\n")
    with pytest.raises(ProgramError, match="more input lines"):
        run_program("x = input()\n")
