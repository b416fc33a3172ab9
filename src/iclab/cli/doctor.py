"""``iclab doctor``: versions, defaults and locations, with a warning per untested dependency."""

from __future__ import annotations

import platform
import sys

import typer

from iclab import __version__


def doctor_command() -> None:
    """Print iclab's and its dependencies' versions, the device and dtype defaults, the cache
    and data locations, and one warning line per dependency outside the tested range."""
    from iclab.versions import check_installed

    checks = check_installed()
    typer.echo(f"iclab        {__version__}")
    typer.echo(f"python       {platform.python_version()} ({sys.executable})")
    for c in checks:
        typer.echo(f"{c.name:<12} {c.installed or 'not installed':<14} tested {c.spec}"
                   f"{'' if c.status == 'ok' else '  <- ' + c.status}")
    if any(c.status in ("missing", "too old") for c in checks):
        _warn(checks)
        raise typer.Exit(code=1)
    import torch

    from iclab.models.loader import resolve_device, resolve_dtype
    from iclab.paths import cache_dir, data_dir

    device = resolve_device(None)
    typer.echo(f"device       {device} (default; CUDA available: {torch.cuda.is_available()})")
    typer.echo(f"dtype        {str(resolve_dtype(None, device)).removeprefix('torch.')} "
               "(default on that device)")
    typer.echo(f"threads      {torch.get_num_threads()}")
    typer.echo(f"cache        {cache_dir()}")
    data = data_dir()
    typer.echo(f"data         {data if data is not None else 'none ($ICLAB_DATA_DIR unset)'}")
    _warn(checks)


def _warn(checks: list) -> None:
    for c in checks:
        if c.status != "ok":
            typer.echo(f"warning: {c.message()}", err=True)
