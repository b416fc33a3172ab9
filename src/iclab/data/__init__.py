"""Tasks and examples: readers, the registry of named tasks, synthetic generators."""

from iclab.data.types import Example, Task, TaskKind

__all__ = ["Example", "Task", "TaskKind"]
