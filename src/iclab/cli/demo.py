"""``iclab demo``: the four analyses at small scale on the bundled model, then the report."""

from __future__ import annotations

import typer

from iclab.options.device import device_option, dtype_option


def demo_command(
    out: str = typer.Option("runs/demo", "--out", "-o", help="Run directory (re-use resumes)."),
    model: str = typer.Option(None, help="Override the demo model (default gemma-3-270m)."),
    progress: bool = typer.Option(True, help="Show progress bars."),
    device: str = device_option(),
    dtype: str = dtype_option(),
) -> None:
    """Run the demo: ICL curves, TR/TL, layer masking, ICL vs FT; write the HTML report."""
    from iclab.demo import run_demo

    report = run_demo(out, model=model, progress=progress, echo=typer.echo, device=device,
                      dtype=dtype)
    typer.echo(f"report: {report}")
