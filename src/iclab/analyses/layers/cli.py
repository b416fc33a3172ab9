"""``iclab layers``: score vs the layer from which the context is masked (where ICL happens)."""

from __future__ import annotations

import json
from typing import Optional

import typer

from iclab.analyses.layers.config import LayersConfig
from iclab.options.checks import FLORES_DEV_HELP
from iclab.options.defaults import check_preset, given, with_default
from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.models.bundled import DEFAULT_MODEL


C = LayersConfig  # whose defaults the options below quote


def layers_command(
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model spec."),
    task: str = typer.Option("word-sentiment", "--task", "-t", help="Task name or spec."),
    mask: Optional[list[str]] = typer.Option(None, "--mask", help=with_default(
        "Parts masked: a comma-separated subset of instructions,examples,query, or all "
        "(everything but each position itself); repeat for several.", C, "masks")),
    shots: Optional[int] = typer.Option(None, "--shots", "-k", "--k", help=with_default(
        "Demonstrations per prompt.", C, "shots")),
    seed: Optional[int] = typer.Option(None, help=with_default("Demonstration-sampling seed.",
                                                               C, "seed")),
    n: Optional[int] = typer.Option(None, help=with_default("Test queries.", C, "n")),
    template: Optional[str] = typer.Option(None, help="Prompt preset (default: the paper's "
                                           "for its tasks)."),
    instruction: Optional[str] = typer.Option(None, help="Instruction line added to the "
                                              "template."),
    preset: Optional[str] = typer.Option(None, "--preset", help=with_default(
        "iclab or paper: the paper's masking (every row, BOS sink for Llama only, a position "
        "may not see itself; docs/FIDELITY.md); options given beside it override it.",
        C, "preset")),
    row_scope: Optional[str] = typer.Option(None, "--row-scope", help=with_default(
        "Which rows are restricted: query (query + generated tokens) or all (the paper's).",
        C, "row_scope")),
    sink: Optional[int] = typer.Option(None, help=with_default(
        "Leading tokens kept visible (0: none; under --preset paper the paper's rule).",
        C, "sink")),
    self_visible: Optional[str] = typer.Option(None, help=with_default(
        "always (a position always sees itself) or when-empty (the paper's).",
        C, "self_visible")),
    threshold: Optional[float] = typer.Option(None, help=with_default(
        "Fraction of the unmasked score that defines the recognition layer.", C, "threshold")),
    max_new_tokens: Optional[int] = typer.Option(None, help=with_default(
        "Generation budget (translation, code).", C, "max_new_tokens")),
    flores_dev: Optional[str] = typer.Option(None, "--flores-dev", help=FLORES_DEV_HELP),
    out: str = typer.Option("runs/layers", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
    device: str = device_option(),
    dtype: str = dtype_option(),
) -> None:
    """Mask the context from layer L = 0..n on; find the task-recognition layer."""
    from tqdm import tqdm

    from iclab.analyses.layers.run import run_layers, summarize, write_outputs
    from iclab.options.checks import check_output_path, check_template
    from iclab.data import load_task
    from iclab.engine import Engine
    from iclab.models import load_model

    check_preset(preset)
    make = LayersConfig.paper if preset == "paper" else LayersConfig
    cfg = make(**given(masks=tuple(mask) if mask else None, shots=shots, seed=seed, n=n,
                       template=template or None, instruction=instruction or None, row_scope=row_scope,
                       sink=sink, self_visible=self_visible, threshold=threshold,
                       max_new_tokens=max_new_tokens))
    check_template(template or "")  # all before the model loads
    check_output_path(out)
    loaded_task = load_task(task, flores_dev=flores_dev)
    engine = Engine(load_model(model, **load_kwargs(device, dtype)))
    with tqdm(total=cfg.n * len(cfg.masks), desc="layers", unit="prompt", disable=None) as bar:
        rows_out = run_layers(engine, loaded_task, cfg, model, progress=bar.update)
    summary = summarize(rows_out)
    written = write_outputs(rows_out, summary, cfg, out)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    for name, m in summary["masks"].items():
        rec = m["recognition_layer"]
        typer.echo(f"{name:>24}: unmasked {m['baseline']:.3f}, recognition layer "
                   f"{'none' if rec is None else rec + 1} (from 1) of {summary['n_layers']}")
    typer.echo(f"wrote {len(written)} files to {out}")
