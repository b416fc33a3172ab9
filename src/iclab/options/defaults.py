"""CLI options that default to the library's config: an option left out is None, and the
config dataclass fills in its own default (so the CLI and the library cannot drift); help
texts quote that default."""

from __future__ import annotations

import dataclasses
from typing import Any


def config_default(config: type, name: str) -> Any:
    """The default of field ``name`` of the dataclass ``config``.

    Raises:
        KeyError: no such field, or the field has no default.
    """
    for f in dataclasses.fields(config):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            break
    raise KeyError(f"{config.__name__} has no default for {name!r}")


def shown(value: Any) -> str:
    """A default as a user types it: tuples comma-joined, None as 'none'."""
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    return "none" if value is None else str(value)


def with_default(text: str, config: type, name: str) -> str:
    """``text`` followed by ``(default: <the config's default>)``."""
    return f"{text} (default: {shown(config_default(config, name))})"


def given(**options: Any) -> dict[str, Any]:
    """The options the user gave (those not None), as config keyword arguments."""
    return {k: v for k, v in options.items() if v is not None}


PRESETS = ("iclab", "paper")
"""The presets every analysis verb takes (``--preset``)."""


def check_preset(preset: str | None) -> None:
    """Refuse a ``--preset`` other than iclab or paper (None: the config's, iclab).

    Raises:
        typer.BadParameter: naming the option and the choices.
    """
    import typer

    if preset is not None and preset not in PRESETS:
        raise typer.BadParameter(f"unknown preset {preset!r}; choose iclab or paper",
                                 param_hint="--preset")
