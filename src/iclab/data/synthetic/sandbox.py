"""Run the code task's generated programs safely to compute their labels.

The programs are our own, but labels must come from running them, so execution is restricted
rather than trusted:

1. The source is parsed and every AST node is checked against a whitelist: function
   definitions, assignments, ``for``/``if``, arithmetic, comparisons, and calls to a few
   names only. No attributes, imports, subscripts, ``while``, lambdas or dunder names.
   ``**`` needs a small constant exponent, so numbers stay small enough to be fast.
2. The program runs with empty ``__builtins__``; it sees only ``range``, ``int``, ``abs``,
   ``min``, ``max``, ``input`` (reads the given stdin lines) and ``print`` (captured).
3. ``range`` counts iterations and checks a wall-clock deadline on every step, so a program
   that loops too long stops with :class:`ProgramError` (a timeout without threads or signals;
   ``while`` is banned, so every loop goes through ``range``).
"""

from __future__ import annotations

import ast
import time
from typing import Any, Callable, Iterator

from iclab.errors import DataError


class ProgramError(DataError):
    """A generated program was rejected by the whitelist, failed, or ran out of budget."""


_ALLOWED_NODES: tuple[type, ...] = (
    ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Return, ast.Assign, ast.AugAssign,
    ast.For, ast.If, ast.Expr, ast.Call, ast.Name, ast.Load, ast.Store, ast.Constant, ast.BinOp,
    ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv,
    ast.Mod, ast.Pow, ast.USub, ast.UAdd, ast.Not, ast.And, ast.Or, ast.Eq, ast.NotEq, ast.Lt,
    ast.LtE, ast.Gt, ast.GtE,
)
_BUILTIN_NAMES = frozenset({"range", "int", "abs", "min", "max", "input", "print"})
_MAX_EXPONENT = 6


def check_program(source: str) -> ast.Module:
    """Parse ``source`` and raise ProgramError on any construct outside the whitelist."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ProgramError(f"program does not parse: {exc}") from None
    defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ProgramError(f"program uses a forbidden construct: {type(node).__name__}")
        if isinstance(node, (ast.Name, ast.FunctionDef, ast.arg)):
            name = getattr(node, "id", None) or getattr(node, "name", None) or node.arg
            if name.startswith("__"):
                raise ProgramError(f"program uses a dunder name {name!r}")
        if isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name) or func.id not in (_BUILTIN_NAMES | defined):
                raise ProgramError(f"program calls something other than a known name: "
                                   f"{ast.unparse(func)}")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exp = node.right
            if not (isinstance(exp, ast.Constant) and isinstance(exp.value, int)
                    and 0 <= exp.value <= _MAX_EXPONENT):
                raise ProgramError(f"'**' needs a constant exponent in [0, {_MAX_EXPONENT}], "
                                   f"got {ast.unparse(exp)}")
    return tree


def _budgeted_range(max_steps: int, deadline: float) -> Callable[..., Iterator[int]]:
    """A ``range`` that raises ProgramError past ``max_steps`` iterations or the deadline."""
    steps = 0

    def counting_range(*args: int) -> Iterator[int]:
        nonlocal steps
        for i in range(*args):
            steps += 1
            if steps > max_steps:
                raise ProgramError(f"program ran more than {max_steps} loop steps")
            if time.monotonic() > deadline:
                raise ProgramError("program ran past its time limit")
            yield i

    return counting_range


def run_program(source: str, stdin: str = "", *, timeout_s: float = 1.0,
                max_steps: int = 100_000) -> str:
    """Run a whitelisted program and return what it printed (without the final newline).

    Args:
        source: the program text.
        stdin: lines that ``input()`` returns one by one.
        timeout_s: wall-clock limit, checked on every loop step.
        max_steps: limit on loop iterations over the whole run.

    Raises:
        ProgramError: forbidden construct, runtime error, too many steps or past the deadline.
    """
    tree = check_program(source)
    lines = iter(stdin.splitlines())
    printed: list[str] = []

    def fake_input(prompt: str = "") -> str:
        try:
            return next(lines)
        except StopIteration:
            raise ProgramError("program read more input lines than were given") from None

    def fake_print(*args: Any) -> None:
        printed.append(" ".join(str(a) for a in args))

    env: dict[str, Any] = {
        "__builtins__": {}, "int": int, "abs": abs, "min": min, "max": max,
        "input": fake_input, "print": fake_print,
        "range": _budgeted_range(max_steps, time.monotonic() + timeout_s),
    }
    try:
        exec(compile(tree, "<generated program>", "exec"), env)  # noqa: S102 (whitelisted)
    except ProgramError:
        raise
    except Exception as exc:  # the program's own failure (ZeroDivisionError, ...)
        raise ProgramError(f"program failed: {type(exc).__name__}: {exc}") from None
    return "\n".join(printed)
