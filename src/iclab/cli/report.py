"""``iclab report RUN_DIR``: write the self-contained HTML report of a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def report_command(
    run_dir: Path = typer.Argument(..., help="A run directory written by `iclab run --out`."),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="The HTML file (default: RUN_DIR/report.html)."),
    title: Optional[str] = typer.Option(None, "--title", help="The page title (default: the "
                                        "config's name, else the directory name)."),
) -> None:
    """Write RUN_DIR's self-contained HTML report and print its path.

    A section per analysis (plots, tables), the config and versions; viewable offline.
    """
    from iclab.runs.rundir import report_from_run_dir

    path = report_from_run_dir(run_dir, out, title=title)
    typer.echo(str(path))
