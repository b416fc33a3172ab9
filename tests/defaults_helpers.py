"""Checks that an analysis's CLI, its sweep cell and its library config agree on defaults.

The config dataclass is the one place an analysis's defaults live: its CLI options default to
None (meaning "the config's"), its sweep cell's fields default to the config's values, and the
verb run with no options builds exactly the config's defaults.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import iclab.models
from iclab.cli import app
from iclab.models.tiny import tiny_model, tiny_tokenizer


class Captured(Exception):
    """Raised by the patched entry point once it has seen the config."""


def option_defaults(command: Callable[..., Any]) -> dict[str, Any]:
    """Each option of a typer command and its default."""
    return {name: p.default.default for name, p in inspect.signature(command).parameters.items()}


def config_defaults(config: type) -> dict[str, Any]:
    """Each field of a config dataclass that has a default, and the default."""
    out = {}
    for f in dataclasses.fields(config):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


def assert_options_default_to_none(command: Callable[..., Any], config: type,
                                   renames: Mapping[str, str] = {},
                                   not_config: tuple[str, ...] = ()) -> None:
    """Every option that sets a config field (same name, or ``renames[option]``) defaults to
    None; every other option is listed in ``not_config`` (so nothing is missed)."""
    fields = {f.name for f in dataclasses.fields(config)}
    for name, default in option_defaults(command).items():
        if name in not_config:
            continue
        field = renames.get(name, name)
        assert field in fields, f"option {name!r} sets no field of {config.__name__}"
        assert default is None, f"option {name!r} defaults to {default!r}, not the config's"


def assert_cell_defaults_match(cell: type, config: type, renames: Mapping[str, str] = {},
                               skip: tuple[str, ...] = ()) -> None:
    """Every cell field with a default that is also a config field has the config's default
    (``renames[cell field]`` names the config field when they differ)."""
    defaults = config_defaults(config)
    for name, info in cell.model_fields.items():
        field = renames.get(name, name)
        if name in skip or field not in defaults or info.is_required():
            continue
        value = defaults[field]
        value = list(value) if isinstance(value, tuple) else value
        got = list(info.default) if isinstance(info.default, tuple) else info.default
        assert got == value, f"cell field {name!r} defaults to {got!r}, the config to {value!r}"


def cli_config(monkeypatch: pytest.MonkeyPatch, args: list[str], target: str,
               of: type | None = None) -> Any:
    """Run ``iclab ARGS`` with a tiny model and ``target`` (``module:function``, the verb's
    library entry point) patched to capture what the verb passes it; return the first
    argument that is an instance of ``of`` (default: of a dataclass named ``*Config``; the
    entry point may also take other dataclasses, e.g. a loaded task)."""
    module, name = target.split(":")
    seen: dict[str, Any] = {}

    def capture(*args_: Any, **kwargs: Any) -> Any:
        seen["values"] = [*args_, *kwargs.values()]
        raise Captured

    monkeypatch.setattr(importlib.import_module(module), name, capture)
    tiny = SimpleNamespace(model=tiny_model("llama"), tokenizer=tiny_tokenizer("llama"))
    monkeypatch.setattr(iclab.models, "load_model", lambda *a, **k: tiny)
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, Captured), (result.output, result.exception)
    configs = [v for v in seen["values"] if dataclasses.is_dataclass(v)
               and not isinstance(v, type)
               and (isinstance(v, of) if of is not None else type(v).__name__.endswith("Config"))]
    assert configs, f"{target} got no config"
    return configs[0]
