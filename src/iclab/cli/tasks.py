"""``iclab tasks``: list the registered tasks and show one task (or a task spec file)."""

from __future__ import annotations

from typing import Optional

import typer

from iclab import paths
from iclab.data import registry
from iclab.data._common import label_counts
from iclab.data.builtin import builtin_description
from iclab.data.types import Example, Task

tasks_app = typer.Typer(name="tasks", help="List tasks and inspect their data.",
                        no_args_is_help=True)


@tasks_app.command("list")
def list_command(
    family: Optional[str] = typer.Option(
        None, "--family", help="Only this family: metaicl, label-relationships, generation, "
                               "builtin."),
) -> None:
    """List the registered tasks and where each would load from."""
    data_dir = paths.data_dir()
    where_from = data_dir if data_dir else "(none: non-builtin tasks load from the hub)"
    typer.echo(f"data directory: {where_from}")
    current = None
    for name in registry.list_tasks(family):
        entry = registry.task_entry(name)
        if entry.family != current:
            current = entry.family
            typer.echo(f"\n{current}:")
        if entry.family == "builtin":
            where = "builtin: " + builtin_description(name)
        else:
            where = "local" if entry.has_local(data_dir) else "hub"
        typer.echo(f"  {name:<32} {where}")


def _render_example(task: Task, example: Example) -> str:
    lines = [f"  {f}: {example.fields[f]}" for f in task.input_fields]
    lines.append(f"  label: {example.label}")
    return "\n".join(lines)


@tasks_app.command("show")
def show_command(
    name: str = typer.Argument(..., help="A task name or a path to a YAML/JSON task spec."),
    split: Optional[str] = typer.Option(
        None, "--split", help="Split to draw the examples from (default: train, else the first)."),
    examples: int = typer.Option(3, "--examples", "-n", min=0, help="How many examples to show."),
) -> None:
    """Show a task: kind, labels, counts per split and label, and a few examples."""
    task = registry.load_task(name)
    typer.echo(f"task: {task.name} ({task.kind})")
    typer.echo(f"source: {task.source}")
    if task.notes:
        typer.echo(f"notes: {task.notes}")
    if task.labels:
        typer.echo(f"labels: {', '.join(task.labels)}")
    typer.echo("fields: " + ", ".join(
        f"{f} ({task.display_name(f)})" if task.display_name(f) != f else f
        for f in task.input_fields))
    typer.echo("splits:")
    for split_name, split_examples in task.splits.items():
        typer.echo(f"  {split_name}: {len(split_examples)}")
        if task.kind == "classification":
            counts = label_counts(split_examples)
            for label in task.labels:
                typer.echo(f"    {label}: {counts.get(label, 0)}")
    chosen = split or ("train" if "train" in task.splits else next(iter(task.splits)))
    shown = task.split(chosen)[:examples]
    if shown:
        typer.echo(f"examples ({chosen}):")
        for i, example in enumerate(shown):
            typer.echo(f"[{i}]\n{_render_example(task, example)}")
