"""Checks the verbs run on their options before any model loads (each raises one clear
:class:`~iclab.errors.IclabError`, which :func:`iclab.cli.run` prints as one line)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from iclab.errors import IclabError
from iclab.options.lists import int_list  # noqa: F401  (re-exported: checks' users parse with it)


FLORES_DEV_HELP = ("FLORES dev directory (eng_Latn.dev, ...): devtest stays whole as the test "
                   "set, dev lines fill the demonstration pool (the where-ICL paper's split; "
                   "default $ICLAB_FLORES_DEV).")


def check_template(name: str) -> None:
    """Raise PromptError for an unknown prompt preset (empty: the analysis's default)."""
    from iclab.prompts.templates import get_template

    if name:
        get_template(name)


def check_settings(specs: Iterable[str]) -> None:
    """Raise PromptError for a label setting that does not parse (``gold``, ``random``, ...)."""
    from iclab.prompts.settings import parse_setting

    for spec in specs:
        parse_setting(spec)


def check_task_names(names: Iterable[str]) -> None:
    """Raise DataError for a name that is neither a registered task nor an existing spec file
    (the task's data is read later, where it is needed)."""
    from iclab.data import registry

    for name in names:
        if not registry.is_spec_path(name):
            registry.task_entry(name)
        elif not Path(name).expanduser().is_file():
            raise IclabError(f"task spec {name} not found")


def check_output_path(out: str | Path, option: str = "--out") -> None:
    """Raise when the output directory cannot be created or written (before any work)."""
    from iclab.runs.store import StoreError, check_output_dir

    try:
        check_output_dir(out)
    except StoreError as exc:
        raise IclabError(f"{option}: {exc}") from None
