"""The ``iclab`` command line: one typer app, each verb a thin layer over the library."""

from __future__ import annotations

import sys
import warnings
from typing import Any

from iclab.openmp import configure_openmp

# Before torch loads OpenMP: idle threads sleep on a busy CPU, spin on an idle one.
configure_openmp()

import typer

from iclab import __version__
from iclab.errors import IclabError
from iclab.versions import UntestedVersionWarning, require_supported

app = typer.Typer(
    name="iclab",
    help="Research on how in-context learning works: evaluation, curves, masking, ICL vs FT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        from iclab.versions import check_installed

        checks = check_installed()
        deps = ", ".join(f"{c.name} {c.installed or '-'}" for c in checks)
        typer.echo(f"iclab {__version__} ({deps})")
        for c in checks:
            if c.status != "ok":
                typer.echo(f"warning: {c.message()}", err=True)
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """iclab: a toolkit for research on in-context learning."""


from iclab.cli.doctor import doctor_command  # noqa: E402

app.command("doctor")(doctor_command)
from iclab.cli.models import models_app  # noqa: E402

app.add_typer(models_app, name="models")
from iclab.cli.tasks import tasks_app  # noqa: E402

app.add_typer(tasks_app, name="tasks")
from iclab.cli.prompt import prompt_command  # noqa: E402

app.command("prompt")(prompt_command)
from iclab.cli.run import register as register_run_verbs  # noqa: E402

register_run_verbs(app)
from iclab.cli.synth import synth  # noqa: E402

app.command("synth")(synth)
from iclab.analyses.curves.cli import curves_command  # noqa: E402

app.command("curves")(curves_command)
from iclab.analyses.trtl.cli import trtl_command  # noqa: E402

app.command("trtl")(trtl_command)
from iclab.cli.demo import demo_command  # noqa: E402

app.command("demo")(demo_command)
from iclab.cli.report import report_command  # noqa: E402

app.command("report")(report_command)
from iclab.analyses.eval.cli import eval_command  # noqa: E402

app.command("eval")(eval_command)
from iclab.analyses.layers.cli import layers_command  # noqa: E402

app.command("layers")(layers_command)
from iclab.analyses.icl_vs_ft.cli import icl_vs_ft_command  # noqa: E402

app.command("icl-vs-ft")(icl_vs_ft_command)
from iclab.analyses.layer_lora.cli import layer_lora_command  # noqa: E402

app.command("layer-lora")(layer_lora_command)


def fail(message: str) -> None:
    """Print an error message (no traceback) and exit with status 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _check_versions() -> None:
    """Refuse unsupported dependency releases; on a terminal, one warning line per untested one."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UntestedVersionWarning)
        require_supported()
    if sys.stderr.isatty():  # scripts and pipes keep their one-line stderr; `iclab doctor` tells
        for w in caught:
            typer.echo(f"warning: {w.message}", err=True)


def run() -> None:
    """Entry point: :class:`IclabError` and usage errors (bad option values) become one line
    ``error: ...`` on stderr (exit status 1 and 2), never a traceback or a usage box."""
    click = _click_exceptions()
    try:
        if sys.argv[1:2] not in (["doctor"], ["--version"], ["--help"], []):
            _check_versions()
        code = app(standalone_mode=False)
    except IclabError as exc:
        typer.echo(f"error: {_one_line(str(exc))}", err=True)
        sys.exit(1)
    except click.NoArgsIsHelpError:
        app()  # prints the help exactly as typer does, and exits
    except click.ClickException as exc:
        typer.echo(f"error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _click_exceptions() -> Any:
    """The exception module of the click that typer runs on (vendored by recent typer)."""
    try:
        from typer._click import exceptions
    except ImportError:  # typer releases that use click itself
        from click import exceptions
    return exceptions


def _one_line(message: str) -> str:
    """A message on one line (embedded newlines joined with '; ')."""
    return "; ".join(part.strip() for part in message.strip().splitlines() if part.strip())
