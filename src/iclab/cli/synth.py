"""``iclab synth``: print generated implicit-pattern queries as JSON lines."""

from __future__ import annotations

import json

import typer

from iclab.data.synthetic import SPLITS, TASK_NAMES, iter_generate

MAX_N = 1_000_000
"""The most queries one call prints (more is almost always a typo)."""


def synth(
    task: str = typer.Argument(..., help=f"Task family: {', '.join(TASK_NAMES)}."),
    split: str = typer.Option("normal", "--split", help=f"One of: {', '.join(SPLITS)}."),
    n: int = typer.Option(10, "--n", min=0, max=MAX_N, help="How many queries (printed as "
                          "they are generated)."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same queries)."),
) -> None:
    """Print N generated queries, one JSON object a line: input, answer, shortcut, task, split.

    ``input`` is the query text without demonstrations; ``input + answer`` is the full line.
    """
    if task not in TASK_NAMES:
        raise typer.BadParameter(f"unknown task {task!r}; choose from {list(TASK_NAMES)}",
                                 param_hint="TASK")
    if split not in SPLITS:
        raise typer.BadParameter(f"unknown split {split!r}; choose from {list(SPLITS)}",
                                 param_hint="--split")
    for ex in iter_generate(task, n, seed, split):
        row = {"input": ex.fields["input"], "answer": ex.label, "shortcut": ex.meta["shortcut"],
               "task": task, "split": split, "seed": seed}
        typer.echo(json.dumps(row, ensure_ascii=False))
