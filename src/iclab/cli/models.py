"""``iclab models``: list, prepare and check models."""

from __future__ import annotations

import json

import typer

from iclab.errors import IclabError
from iclab.models.bundled import DEFAULT_MODEL

models_app = typer.Typer(help="List bundled and cached models; prepare and check them.")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


@models_app.callback(invoke_without_command=True)
def models_list(ctx: typer.Context) -> None:
    """List the bundled models (installed or not) and what the cache holds, with sizes."""
    if ctx.invoked_subcommand is not None:
        return
    from iclab.models.bundled import BUNDLED, DEFAULT_MODEL, gguf_path, is_installed
    from iclab.models.gguf_cache import cached_entries
    from iclab.paths import cache_dir

    typer.echo("Bundled models:")
    for name, m in BUNDLED.items():
        status = "not installed"
        if is_installed(name):
            try:
                status = f"installed, GGUF {_size(gguf_path(name).stat().st_size)}"
            except IclabError as exc:
                status = str(exc)
        default = " (default)" if name == DEFAULT_MODEL else ""
        typer.echo(f"  {name:<14} {status:<28} {m.description}{default}")
    typer.echo(f"Cache ({cache_dir()}):")
    entries = cached_entries()
    for path, size in entries:
        typer.echo(f"  {path.name:<44} {_size(size)}")
    if not entries:
        typer.echo("  (empty: models are dequantized and cached on first load)")


@models_app.command("prepare")
def models_prepare(
    names: list[str] = typer.Argument(None, help="Bundled names (default: all)."),
) -> None:
    """Dequantize bundled models into the cache now (quick when already cached)."""
    from iclab.models.bundled import BUNDLED, gguf_path
    from iclab.models.gguf_cache import ensure_dequantized

    for name in names or list(BUNDLED):
        if name not in BUNDLED:
            raise IclabError(f"unknown bundled model {name!r}; bundled: {', '.join(BUNDLED)}")
        typer.echo(f"{name}: {ensure_dequantized(gguf_path(name))}")


@models_app.command("check")
def models_check(
    spec: str = typer.Argument(DEFAULT_MODEL, help="Model spec (bundled name, hub id, dir)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Load a model and run a smoke check (greedy translation and a 2-shot sentiment ranking)."""
    from iclab.models import load_model
    from iclab.engine.check import smoke_check

    result = smoke_check(load_model(spec))
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"model: {result['model']}")
    typer.echo(f"English: house -> French: {result['translation']!r}")
    typer.echo(
        f"' positive' {result['positive_logprob']:.3f} vs ' negative' "
        f"{result['negative_logprob']:.3f} on a positive review: "
        + ("ok" if result["sentiment_ok"] else "WRONG")
    )
