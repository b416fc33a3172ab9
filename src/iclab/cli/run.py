"""``iclab run`` (execute a YAML sweep into a resumable run directory) and ``iclab results``."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from iclab.options.device import dtype_option, with_dtype


class ExecutorName(str, Enum):
    """Where cells run."""

    local = "local"
    ray = "ray"


def run_command(
    config: Path = typer.Argument(..., help="The YAML run config (analysis + grid + params)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory (created; "
                                       "resumable); needed unless --dry-run."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the cells and a cost estimate."),
    executor: ExecutorName = typer.Option(ExecutorName.local, "--executor",
                                          help="local: this process; ray: a Ray cluster."),
    address: Optional[str] = typer.Option(
        None, "--address", help="Ray: 'auto', HOST:PORT or ray://HOST:10001; "
        "default: start a local Ray instance."),
    gpus_per_actor: Optional[float] = typer.Option(
        None, "--gpus-per-actor", help="Ray: GPUs per model actor (default 1 if the cluster "
        "has GPUs, else 0)."),
    cpus_per_actor: float = typer.Option(1.0, "--cpus-per-actor", help="Ray: CPUs per actor."),
    device: Optional[str] = typer.Option(None, "--device", help="Torch device (default: "
                                         "CUDA when available, else CPU)."),
    dtype: Optional[str] = dtype_option(),
    wandb: bool = typer.Option(False, "--wandb", help="Also log to Weights & Biases "
                               "(offline unless WANDB_API_KEY is set)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="Hide the progress bar."),
    append: bool = typer.Option(False, "--append", help="OUT holds another config's results "
                                "(another analysis, other params or grid axes): add this "
                                "config's cells beside them."),
    force_new: bool = typer.Option(False, "--force-new", help="OUT holds another config's "
                                   "results: move them to OUT/results.replaced-<time>.sqlite "
                                   "and start afresh."),
) -> None:
    """Run every cell of CONFIG's grid into OUT; re-running skips finished cells.

    OUT records the config it was made with (analysis, params, grid axes). Re-running it, or
    adding values to a grid axis, resumes; another config into the same OUT is refused
    unless --append or --force-new is given.
    """
    from iclab.runs.ray_exec import RayOptions
    from iclab.runs.runner import check_conflict, describe, execute, plan
    from iclab.runs.store import check_output_dir

    if executor is not ExecutorName.ray and (address or gpus_per_actor is not None):
        raise typer.BadParameter("--address/--gpus-per-actor need --executor ray")
    if append and force_new:
        raise typer.BadParameter("give --append or --force-new, not both")
    on_conflict = "append" if append else "force-new" if force_new else "refuse"
    if out is None and not dry_run:
        raise typer.BadParameter("give the run directory (--out), or --dry-run",
                                 param_hint="--out")
    if dtype is not None:  # the override is written into the config the run records
        import tempfile

        import yaml

        data = with_dtype(yaml.safe_load(config.read_text(encoding="utf-8")), dtype)
        written = Path(tempfile.mkdtemp(prefix="iclab-run-")) / config.name
        written.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        config = written
    p = plan(config, out if out is not None else config.parent / ".iclab-dry-run-no-out")
    if dry_run:
        typer.echo(describe(p))
        return
    assert out is not None
    check_output_dir(out)
    check_conflict(p, out, on_conflict)
    typer.echo(f"{len(p.pending)} of {len(p.cells)} cells to run into {out}", err=True)
    ray = RayOptions(address, gpus_per_actor, cpus_per_actor)
    try:
        summary = execute(p, out, executor=executor.value, ray=ray, wandb=wandb,
                          device=device, progress=not no_progress,
                          on_conflict=on_conflict)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        typer.echo(f"interrupted: finished cells are kept in {out}; run the same command "
                   "again to resume", err=True)
        raise typer.Exit(code=130) from None
    typer.echo(f"{summary.finished} cells finished; results in {out} "
               f"(iclab.load_results({str(out)!r}))", err=True)
    if summary.failed:
        for cell, error in summary.failed[:5]:
            typer.echo(f"  failed {cell.id} {cell.to_dict()}: {error}", err=True)
        typer.echo(f"error: {len(summary.failed)} cell(s) failed (tracebacks in the store's "
                   "'failures' table); run again to retry them", err=True)
        raise typer.Exit(code=1)


def results_command(
    run_dir: Path = typer.Argument(..., help="A run directory written by `iclab run`."),
    csv: Optional[Path] = typer.Option(None, "--csv", help="Write all result rows to CSV."),
    parquet: Optional[Path] = typer.Option(None, "--parquet", help="Write them to parquet "
                                           "(needs pyarrow)."),
    repair: bool = typer.Option(False, "--repair", help="Rebuild a damaged results.sqlite "
                                "from its readable cells (the damaged file is kept as "
                                "results.damaged-<time>.sqlite); re-run the config for the rest."),
) -> None:
    """Summarize a run directory's results, export them to CSV/parquet, or repair its store."""
    from iclab.runs.results import export, load_results

    if repair:
        from iclab.runs.repair import repair_store

        report = repair_store(run_dir)
        dropped = ("an unknown number of" if report.dropped < 0 else str(report.dropped))
        typer.echo(f"kept {report.kept} cells, dropped {dropped} damaged ones; the "
                   f"damaged file is {report.damaged_copy}; run the config again to recompute "
                   "what was dropped")
        return

    if csv is None and parquet is None:
        frame = load_results(run_dir)
        cells = frame["cell"].nunique() if len(frame) else 0
        typer.echo(f"{len(frame)} result rows from {cells} cells in {run_dir}")
        typer.echo(f"columns: {', '.join(map(str, frame.columns))}")
        return
    for path in export(run_dir, csv=csv, parquet=parquet):
        typer.echo(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``results`` to the main app."""
    app.command("run")(run_command)
    app.command("results")(results_command)
