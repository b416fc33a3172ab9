"""``iclab icl-vs-ft``: ICL vs full fine-tuning vs LoRA on the implicit-pattern tasks.

Options left out take :class:`iclab.analyses.icl_vs_ft.config.IclVsFtConfig`'s defaults (or,
under ``--preset paper``, :meth:`IclVsFtConfig.paper`'s), so the CLI and the library cannot
drift.

Budget (gemma-3-270m, fp32, a shared 2-core CPU under a load average of ~10, measured): one
optimizer step on 8 short pairs takes ~65 s for full fine-tuning and for LoRA alike (the
262k-row output layer dominates); the defaults (six tasks, 0-32 shots, 8 queries per split,
fine-tuning on 1 and 4 pairs per task = 6 and 24 pairs, batch 4) had not finished their ICL
sweep after 20 minutes there (mostly the 16- and 32-shot contexts of the long ``code``
programs; that run was stopped). This run of all six
tasks took 790 s there (ICL sweep and circuits ~7.5 min, each fine-tuning run 20-40 s plus
~1 min of evaluation)::

    iclab icl-vs-ft --tasks all --shots 0 --shots 1 --shots 2 --shots 4 --shots 8 \
        --samples 1 --samples 2 --ft-shots 0 --n-test 4 --n-circuit 4 --json --out DIR

On a GPU, raise ``--samples`` (e.g. 100 400) and ``--n-test``.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Optional

import typer

from iclab.analyses.icl_vs_ft.config import PAPER_DEFAULTS, IclVsFtConfig
from iclab.models.bundled import DEFAULT_MODEL
from iclab.options.defaults import check_preset, config_default, given, shown
from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.options.lists import split_list

C = IclVsFtConfig  # whose defaults the options below quote


def _help(text: str, name: str, repeat: bool = False) -> str:
    """``text`` and the config's default of ``name`` (and the paper preset's where it differs);
    values of a repeatable option are written as they are typed, one per ``--option``."""
    def typed(value: Any) -> str:
        return " ".join(map(str, value)) if repeat else shown(value)

    default, paper = config_default(C, name), PAPER_DEFAULTS.get(name, None)
    differs = name != "preset" and name in PAPER_DEFAULTS and paper != default
    note = f"; --preset paper: {typed(paper)}" if differs else ""
    return f"{text} ({'repeat; ' if repeat else ''}default: {typed(default)}{note})"


def _tasks(spec: str | None) -> tuple[str, ...] | None:
    """``--tasks``: None (the config's: every family, or the paper's four) for none or 'all'."""
    from iclab.data.synthetic import TASK_NAMES

    if spec is None or spec == "all":
        return None
    names = split_list(spec)
    bad = [t for t in names if t not in TASK_NAMES]
    if bad or not names:
        raise typer.BadParameter(f"unknown task(s) {bad or spec!r}; choose from "
                                 f"{', '.join(TASK_NAMES)} or 'all'", param_hint="--tasks")
    return tuple(names)


def _tuple(values: list[Any] | None) -> tuple[Any, ...] | None:
    return tuple(values) if values else None


def icl_vs_ft_command(
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model spec."),
    preset: Optional[str] = typer.Option(None, "--preset", help=_help(
        "iclab or paper: the paper's prompts, fresh demos per query (seed 114514), 1-3 new "
        "tokens, substring scoring, its generators and fine-tuning settings "
        "(docs/FIDELITY.md); options given here override it.", "preset")),
    tasks: Optional[str] = typer.Option(None, "--tasks", "-t", help="Comma-separated families "
                                        "or 'all' (default: all; under --preset paper: the "
                                        "paper's four)."),
    split: Optional[list[str]] = typer.Option(None, "--split", help=_help(
        "normal / misleading.", "splits", repeat=True)),
    shots: Optional[list[int]] = typer.Option(None, "--shots", help=_help(
        "ICL shot counts.", "shots", repeat=True)),
    samples: Optional[list[int]] = typer.Option(None, "--samples", help=_help(
        "Fine-tuning pairs per task.", "samples", repeat=True)),
    method: Optional[list[str]] = typer.Option(None, "--method", help=_help(
        "full / lora.", "methods", repeat=True)),
    ft_shots: Optional[list[int]] = typer.Option(None, "--ft-shots", help=_help(
        "Shots for evaluating fine-tuned models.", "ft_shots", repeat=True)),
    n_test: Optional[int] = typer.Option(None, "--n-test", help=_help(
        "Test queries per task split.", "n_test")),
    n_circuit: Optional[int] = typer.Option(None, "--n-circuit", help=_help(
        "Queries per task for the circuit shift (0: skip it).", "n_circuit")),
    match: Optional[str] = typer.Option(None, "--match", help=_help(
        "exact or substring (the paper's: '1' matches '10').", "match")),
    loss_on: Optional[str] = typer.Option(None, "--loss-on", help=_help(
        "answer or sequence.", "loss_on")),
    epochs: Optional[int] = typer.Option(None, "--epochs", help=_help(
        "Fine-tuning epochs.", "epochs")),
    seed: Optional[int] = typer.Option(None, "--seed", help=_help(
        "Data, demo and training seed.", "seed")),
    patching: Optional[bool] = typer.Option(None, "--patching/--no-patching", help=_help(
        "Per-head activation patching (ICL into 0-shot).", "patching")),
    out: str = typer.Option("runs/icl-vs-ft", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line "
                                 "(the last line of stdout)."),
    device: Optional[str] = device_option(),
    dtype: Optional[str] = dtype_option(),
) -> None:
    """Compare ICL, full fine-tuning and LoRA on one model; measure the circuit shift."""
    from iclab.analyses.icl_vs_ft.run import run_icl_vs_ft
    from iclab.analyses.icl_vs_ft.summary import summarize, write_outputs
    from iclab.engine import Engine
    from iclab.models import load_model

    check_preset(preset)
    chosen = given(tasks=_tasks(tasks), splits=_tuple(split), shots=_tuple(shots),
                   samples=_tuple(samples), methods=_tuple(method), ft_shots=_tuple(ft_shots),
                   n_test=n_test, n_circuit=n_circuit, match=match, loss_on=loss_on,
                   epochs=epochs, seed=seed, patching=patching)
    cfg = IclVsFtConfig.paper(**chosen) if preset == "paper" else IclVsFtConfig(**chosen)
    from iclab.options.checks import check_output_path

    check_output_path(out)  # before the model loads
    start = time.perf_counter()
    loaded = load_model(model, **load_kwargs(device, dtype))
    engine = Engine(loaded)

    def log(line: str) -> None:
        typer.echo(f"[{time.perf_counter() - start:7.1f}s] {line}", err=True)

    result = run_icl_vs_ft(engine, cfg, log=log)
    summary = summarize(result, cfg, loaded.id.key)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    written = write_outputs(result, summary, out)
    log(f"wrote {len(written)} files to {out}")
    if as_json:
        sys.stdout.write(json.dumps(summary, default=str) + "\n")
        return
    for key, w in summary["winners"].items():
        typer.echo(f"{key:>24}: best {w['accuracy']:.2f} by {', '.join(w['methods'])}")
    claim = summary["circuit"]["icl_shifts_more_than_ft"]
    typer.echo(f"ICL shifts the head outputs more than every fine-tuned model: {claim}")
