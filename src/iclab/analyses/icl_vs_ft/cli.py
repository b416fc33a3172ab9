"""``iclab icl-vs-ft``: ICL vs full fine-tuning vs LoRA on the implicit-pattern tasks.

Options left out take :class:`iclab.analyses.icl_vs_ft.run.IclVsFtConfig`'s defaults, so the CLI
and the library cannot drift.

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

from iclab.options.lists import split_list
from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.models.bundled import DEFAULT_MODEL


def _tasks(spec: str) -> tuple[str, ...] | None:
    from iclab.data.synthetic import TASK_NAMES

    if spec == "all":
        return None
    names = split_list(spec)
    bad = [t for t in names if t not in TASK_NAMES]
    if bad or not names:
        raise typer.BadParameter(f"unknown task(s) {bad or spec!r}; choose from "
                                 f"{', '.join(TASK_NAMES)} or 'all'", param_hint="--tasks")
    return names


def icl_vs_ft_command(
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model spec."),
    preset: str = typer.Option("iclab", "--preset", help="iclab (default) or paper: the "
                               "paper's prompts, fresh demos per query (seed 114514), 1-3 new "
                               "tokens, substring scoring, its generators and fine-tuning "
                               "settings (docs/FIDELITY.md); options given here override it."),
    tasks: str = typer.Option("all", "--tasks", "-t", help="Comma-separated families or 'all' "
                              "(under --preset paper: the paper's four)."),
    split: Optional[list[str]] = typer.Option(None, "--split", help="normal / misleading "
                                              "(repeat; default both)."),
    shots: Optional[list[int]] = typer.Option(None, "--shots", help="ICL shot counts (repeat; "
                                              "default 0 1 2 4 8 16 32)."),
    samples: Optional[list[int]] = typer.Option(None, "--samples", help="Fine-tuning pairs per "
                                                "task (repeat; default 4 16)."),
    method: Optional[list[str]] = typer.Option(None, "--method", help="full / lora (repeat; "
                                               "default both)."),
    ft_shots: Optional[list[int]] = typer.Option(None, "--ft-shots", help="Shots for evaluating "
                                                 "fine-tuned models (default 0 4)."),
    n_test: Optional[int] = typer.Option(None, "--n-test", help="Test queries per task split."),
    n_circuit: Optional[int] = typer.Option(None, "--n-circuit", help="Queries per task for the "
                                            "circuit shift (0: skip it)."),
    match: Optional[str] = typer.Option(None, "--match", help="exact (default) or substring "
                                        "(the paper's: '1' matches '10')."),
    loss_on: Optional[str] = typer.Option(None, "--loss-on", help="answer (default) or "
                                          "sequence."),
    epochs: Optional[int] = typer.Option(None, "--epochs", help="Fine-tuning epochs."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Data, demo and training seed."),
    no_patching: bool = typer.Option(False, "--no-patching", help="Skip activation patching."),
    out: str = typer.Option("runs/icl-vs-ft", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line "
                                 "(the last line of stdout)."),
    device: str = device_option(),
    dtype: str = dtype_option(),
) -> None:
    """Compare ICL, full fine-tuning and LoRA on one model; measure the circuit shift."""
    from iclab.analyses.icl_vs_ft.run import IclVsFtConfig, run_icl_vs_ft
    from iclab.analyses.icl_vs_ft.summary import summarize, write_outputs
    from iclab.engine import Engine
    from iclab.models import load_model

    given: dict[str, Any] = {
        "tasks": _tasks(tasks), "splits": split, "shots": shots, "samples": samples,
        "methods": method, "ft_shots": ft_shots, "n_test": n_test, "n_circuit": n_circuit,
        "match": match, "loss_on": loss_on, "epochs": epochs, "seed": seed,
        "patching": False if no_patching else None}
    if preset not in ("iclab", "paper"):
        raise typer.BadParameter(f"unknown preset {preset!r}; choose iclab or paper",
                                 param_hint="--preset")
    chosen = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()
              if v is not None}
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
