"""The registry of named tasks: :func:`load_task` and :func:`list_tasks`.

A name resolves to one entry; the entry loads from local files when the data directory
(``$ICLAB_DATA_DIR``, or ``../shared/data`` next to a source checkout, or the ``data_dir``
argument) holds every file it needs, and otherwise from the Hugging Face hub (``iclab[hub]``).
Built-in tasks need neither. A path to a ``.yaml``/``.yml``/``.json`` task spec loads that spec.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

from iclab import paths
from iclab.data import builtin, generation, labelrel, metaicl
from iclab.data.types import Task
from iclab.errors import DataError

__all__ = ["TaskEntry", "load_task", "list_tasks", "task_entry", "SPEC_SUFFIXES"]

Family = Literal["metaicl", "label-relationships", "generation", "builtin"]
SPEC_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class TaskEntry:
    """How to load one named task.

    Attributes:
        name: registry name.
        family: which paper (or built-in) it belongs to.
        local_files: files (relative to the data directory) the local loader needs; empty for
            built-in tasks.
        load_local: builds the task from a data directory (None: hub only).
        load_hub: builds the task from the Hugging Face hub (None: no hub source).
    """

    name: str
    family: Family
    local_files: tuple[str, ...]
    load_local: Callable[[Path], Task] | None
    load_hub: Callable[[], Task] | None

    def has_local(self, data_dir: Path | None) -> bool:
        """Whether ``data_dir`` holds every file the local loader needs."""
        if self.family == "builtin":
            return True
        return (self.load_local is not None and data_dir is not None
                and all((Path(data_dir) / f).exists() for f in self.local_files))


def _bind(fn: Callable[[str, Path], Task], name: str) -> Callable[[Path], Task]:
    return lambda data_dir: fn(name, data_dir)


def _bind_hub(fn: Callable[[str], Task], name: str) -> Callable[[], Task]:
    return lambda: fn(name)


def _entries() -> dict[str, TaskEntry]:
    entries: dict[str, TaskEntry] = {}
    for name in metaicl.METAICL_TASKS:
        entries[name] = TaskEntry(name, "metaicl", metaicl.LOCAL_FILES[name],
                                  _bind(metaicl.load_metaicl_local, name),
                                  _bind_hub(metaicl.load_metaicl_hub, name))
    for name in labelrel.LR_TASKS:
        files = labelrel.LR_LOCAL_FILES.get(name)
        entries[name] = TaskEntry(name, "label-relationships", files or (),
                                  _bind(labelrel.load_lr_local, name) if files else None,
                                  _bind_hub(labelrel.load_lr_hub, name))
    for name in generation.GENERATION_TASKS:
        entries[name] = TaskEntry(name, "generation", generation.GENERATION_LOCAL_FILES[name],
                                  _bind(generation.load_generation_local, name),
                                  _bind_hub(generation.load_generation_hub, name))
    for name in builtin.BUILTIN_TASKS:
        entries[name] = TaskEntry(name, "builtin", (), None, _bind_hub(builtin.load_builtin, name))
    return entries


_ENTRIES = _entries()


def list_tasks(family: str | None = None) -> list[str]:
    """Names of all registered tasks (optionally of one family), in registry order.

    Families: ``metaicl`` (task-recognition paper), ``label-relationships``, ``generation``,
    ``builtin``.
    """
    if family is not None and family not in {e.family for e in _ENTRIES.values()}:
        raise DataError(f"unknown task family {family!r}; families: "
                        f"{sorted({e.family for e in _ENTRIES.values()})}")
    return [n for n, e in _ENTRIES.items() if family is None or e.family == family]


def task_entry(name: str) -> TaskEntry:
    """Return the registry entry of ``name``; unknown names raise with close suggestions."""
    if name in _ENTRIES:
        return _ENTRIES[name]
    close = difflib.get_close_matches(name, list(_ENTRIES), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise DataError(f"unknown task {name!r}{hint} (run 'iclab tasks list' to see all tasks)")


def is_spec_path(name: str) -> bool:
    """Whether ``name`` names a task spec file (by suffix, or an existing path) rather than
    a registered task."""
    return name.lower().endswith(SPEC_SUFFIXES) or ("/" in name and Path(name).exists())


def load_task(name: str, data_dir: str | Path | None = None, *,
              flores_dev: str | Path | None = None) -> Task:
    """Load a task by registry name, or from a task spec file.

    Args:
        name: a registry name (see :func:`list_tasks`), or a path to a YAML/JSON task spec.
        data_dir: directory with local copies of the datasets; default
            :func:`iclab.paths.data_dir`.
        flores_dev: a FLORES ``dev`` directory (``eng_Latn.dev``, ...; default
            ``$ICLAB_FLORES_DEV``) for FLORES tasks: devtest stays whole as ``test`` and the
            dev lines fill ``train`` (1-800) and ``validation`` (801 on), as the where-ICL paper
            splits them (:func:`iclab.data.generation.load_flores_with_dev`). Ignored by other
            tasks.

    Returns:
        The task, with its splits (``train`` is the demonstration pool, ``test`` is evaluated;
        see ``Task.notes`` for how each was made).

    Raises:
        DataError: unknown name (with suggestions), missing or malformed files, or no local copy
            and no way to reach the hub.
    """
    if is_spec_path(name):
        from iclab.data.spec import load_spec

        return load_spec(name)
    entry = task_entry(name)
    if entry.family == "builtin":
        assert entry.load_hub is not None
        return entry.load_hub()
    directory = Path(data_dir) if data_dir is not None else paths.data_dir()
    if data_dir is not None and not Path(data_dir).is_dir():
        raise DataError(f"data directory {data_dir} does not exist")
    dev = flores_dev if flores_dev is not None else paths.flores_dev_dir()
    if dev is not None and name.startswith("flores-"):
        if not Path(dev).is_dir():
            raise DataError(f"FLORES dev directory {dev} does not exist")
        if directory is None or not entry.has_local(directory):
            raise DataError(f"task {name!r} with a FLORES dev directory needs the local devtest "
                            f"files {list(entry.local_files)} under the data directory "
                            f"({directory})")
        return generation.load_flores_with_dev(name, directory, Path(dev))
    if entry.load_local is not None and entry.has_local(directory):
        assert directory is not None
        return entry.load_local(directory)
    if entry.load_hub is None:
        raise DataError(f"task {name!r} has no local copy in {directory} and no hub source")
    return entry.load_hub()
