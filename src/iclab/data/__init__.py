"""Tasks and examples: readers, the registry of named tasks, task specs, built-in tasks."""

from iclab.data.registry import list_tasks, load_task, task_entry
from iclab.data.spec import load_spec
from iclab.data.splits import METAICL_SEEDS, metaicl_split, shuffle_split, stratified_split
from iclab.data.types import Example, Task, TaskKind

__all__ = [
    "Example",
    "Task",
    "TaskKind",
    "METAICL_SEEDS",
    "list_tasks",
    "load_spec",
    "load_task",
    "metaicl_split",
    "shuffle_split",
    "stratified_split",
    "task_entry",
]
