"""Code task: a heavy, irrelevant ``function1`` next to a trivial ``function2``.

Each query shows a Python program and an input value, then asks for the printed output::

    The code is:

    def function1(x):
        y = x ** 2
        for i in range(1, 7):
            y = y * i - (y // (i + 1))
        return y

    def function2(z, a):
        return z + 3

    input_value = int(input())
    result = function2(input_value, function1(input_value))
    print(result)

    The input is: 9, so the output is: 

and the answer is ``"12"``. ``function1``'s body is assembled from random pieces (an initial
formula, then 2–4 loops and conditionals with random constants), so it looks like work.

- **normal**: ``function2(z, a)`` returns ``z <op> k`` (``op`` in ``+ - *``), so the output
  is ``input <op> k`` and ``function1`` is irrelevant (the unstated shortcut).
- **misleading**: ``function2`` returns ``a <op> k``, so the output depends on ``function1``;
  queries where that happens to equal ``input <op> k`` are redrawn.

Labels are computed by running the program (:func:`iclab.data.synthetic.sandbox.run_program`,
a whitelisted, step- and time-limited ``exec``), never by a formula.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from iclab.data.synthetic._base import Sample, check_int, check_range, make_family
from iclab.data.synthetic.sandbox import run_program

_OWNER = "CodeOptions"
_OPS = ("+", "-", "*")
_VARS = ("y", "result", "acc", "total")

# Initial formulas of function1 (x -> v); {a}, {b} are small positive constants.
_INITS = (
    "{v} = x ** 2",
    "{v} = {a} * x + {b}",
    "{v} = x * x - {a} * x + {b}",
    "{v} = {a} - x",
    "{v} = (x + {a}) * (x - {b})",
)
# Steps of function1 (4-space indented body lines); {n} is a loop bound, {m} a modulus.
_STEPS = (
    "for i in range(1, {n}):\n        {v} = {v} * i - ({v} // (i + 1))",
    "for i in range({n}):\n        {v} = ({v} + i * {a}) % {m}",
    "for i in range(2, {n}):\n        if {v} % i == 0:\n            {v} = {v} // i\n"
    "        else:\n            {v} = {v} + i * {a}",
    "if {v} > {a}:\n        {v} = {v} - {b} * x\n    else:\n        {v} = {v} + {b}",
    "{v} = {v} * {a} + x // {b}",
    "{v} = max({v}, {a}) - min(x, {b})",
    "{v} = abs({v}) % {m} + x",
)
_TAIL = (
    "input_value = int(input())\n"
    "result = function2(input_value, function1(input_value))\n"
    "print(result)\n"
)


@dataclass(frozen=True)
class CodeOptions:
    """Sizes of the code task.

    Attributes:
        input_range: (min, max) of the input value.
        k_range: (min, max) of ``function2``'s constant ``k``.
        steps: (min, max) number of steps in ``function1`` after its initial formula.
        max_loop: loop bounds in ``function1`` are drawn from ``[3, max_loop]``.
    """

    input_range: tuple[int, int] = (1, 20)
    k_range: tuple[int, int] = (1, 9)
    steps: tuple[int, int] = (2, 4)
    max_loop: int = 9

    def __post_init__(self) -> None:
        check_range(_OWNER, "input_range", self.input_range, -1000, 1000)
        check_range(_OWNER, "k_range", self.k_range, 1, 1000)
        check_range(_OWNER, "steps", self.steps, 0, 10)
        check_int(_OWNER, "max_loop", self.max_loop, 3, 50)


def _function1(rng: random.Random, opts: CodeOptions) -> str:
    """A random, heavy-looking ``function1`` that terminates and never raises for int x."""
    v = rng.choice(_VARS)

    def fill(template: str) -> str:
        return template.format(v=v, a=rng.randint(2, 9), b=rng.randint(1, 9),
                               n=rng.randint(3, opts.max_loop), m=rng.randint(7, 101))

    lines = [fill(rng.choice(_INITS))]
    lines += [fill(rng.choice(_STEPS)) for _ in range(rng.randint(*opts.steps))]
    body = "".join(f"    {line}\n" for line in lines)
    return f"def function1(x):\n{body}    return {v}\n"


def _apply(op: str, left: int, right: int) -> int:
    return {"+": left + right, "-": left - right, "*": left * right}[op]


def sample_code(rng: random.Random, misleading: bool, opts: CodeOptions) -> Sample:
    """Draw one code query; the label is the output of running the program."""
    while True:
        op, k = rng.choice(_OPS), rng.randint(*opts.k_range)
        value = rng.randint(*opts.input_range)
        operand = "a" if misleading else "z"
        f2 = f"def function2(z, a):\n    return {operand} {op} {k}\n"
        program = f"{_function1(rng, opts)}\n{f2}\n{_TAIL}"
        output = run_program(program, stdin=f"{value}\n")
        shortcut = str(_apply(op, value, k))
        if misleading and output == shortcut:
            continue  # function1(value) coincides with the input: no shortcut to break
        if not misleading and output != shortcut:
            raise AssertionError(f"normal code query does not follow its pattern:\n{program}")
        text = f"The code is:\n\n{program}\nThe input is: {value}, so the output is: "
        return Sample(input=text, answer=output, shortcut=shortcut,
                      info={"program": program, "stdin": f"{value}\n", "op": op, "k": k})


FAMILY = make_family(
    "code", sample_code, CodeOptions,
    summary="program whose function2 ignores (normal) or uses (misleading) a heavy function1",
)
