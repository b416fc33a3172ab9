"""``iclab layer-lora``: zero-shot score after LoRA on one layer's attention output projection,
swept over layers (where-ICL §2), optionally drawn next to an ``iclab layers`` masking curve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from iclab.analyses.layer_lora.config import LayerLoraConfig
from iclab.options.defaults import check_preset, given, with_default
from iclab.options.checks import FLORES_DEV_HELP
from iclab.options.lists import int_list
from iclab.options.device import device_option, dtype_option, load_kwargs


def parse_layers(layers: str, every: int) -> tuple[int, ...] | None:
    """``"0,3,6"`` -> (0, 3, 6); ``""`` with ``every`` > 0 is resolved later; None = all."""
    if layers and every:
        raise typer.BadParameter("give --layers or --every, not both")
    if not layers:
        return None
    return int_list(layers, "--layers", allow_empty=True, error=typer.BadParameter)


def find_masking(out: Path, masking: str) -> tuple[dict[str, Any] | None, Path]:
    """The masking summary to draw beside the LoRA curve, and where LoRA outputs go.

    ``--masking`` names a summary.json (or its directory) of an ``iclab layers`` run. Without
    it, a masking summary already in ``out`` is used, and the LoRA outputs go to ``out/lora``
    so that it is not overwritten.
    """
    if masking:
        path = Path(masking)
        path = path / "summary.json" if path.is_dir() else path
        if not path.is_file():
            raise typer.BadParameter(f"--masking: no summary at {path}")
        data = json.loads(path.read_text())
        if "masks" not in data:
            raise typer.BadParameter(f"--masking: {path} is not an `iclab layers` summary")
        return data, out
    existing = out / "summary.json"
    if existing.is_file():
        data = json.loads(existing.read_text())
        if "masks" in data:
            return data, out / "lora"
    return None, out


C = LayerLoraConfig  # whose defaults the options below quote


def layer_lora_command(
    model: str = typer.Option("smollm2-135m", "--model", "-m", help="Model spec."),
    task: str = typer.Option("word-sentiment", "--task", "-t", help="Task name or spec."),
    layers: str = typer.Option("", help="Comma-separated 0-based layers (default: all)."),
    every: int = typer.Option(0, help="Adapt every N-th layer (0, N, 2N, ...) instead."),
    preset: Optional[str] = typer.Option(
        None, "--preset", help=with_default(
            "iclab or paper: train on Q:{src}\\nA:{tgt}<eos> with loss on the whole sequence, "
            "400 pairs, batch 32, early stopping on the dev split (translation; "
            "docs/FIDELITY.md); options given beside it override it.", C, "preset")),
    n_train: Optional[int] = typer.Option(None, help=with_default(
        "Training pairs (first of the train split; paper 400).", C, "n_train")),
    n_test: Optional[int] = typer.Option(None, help=with_default("Zero-shot test queries.",
                                                                 C, "n_test")),
    epochs: Optional[int] = typer.Option(None, help=with_default(
        "Passes over the training pairs.", C, "epochs")),
    max_steps: Optional[int] = typer.Option(None, help="Optimizer steps (default: --epochs)."),
    batch_size: Optional[int] = typer.Option(None, help=with_default(
        "Pairs per step (paper: 32).", C, "batch_size")),
    lr: Optional[float] = typer.Option(None, help=with_default(
        "Learning rate (paper: 1e-4, for full-size runs; short CPU runs of ~30 steps need "
        "~1e-3, see FINDINGS.md).", C, "lr")),
    r: Optional[int] = typer.Option(None, help=with_default("LoRA rank (paper: 8).", C, "r")),
    alpha: Optional[float] = typer.Option(None, help=with_default("LoRA alpha (paper: 32).",
                                                                  C, "alpha")),
    dropout: Optional[float] = typer.Option(None, help=with_default(
        "LoRA dropout (paper: 0.05).", C, "dropout")),
    seed: Optional[int] = typer.Option(None, help=with_default("Training / adapter seed.",
                                                               C, "seed")),
    module: Optional[str] = typer.Option(None, help="Output projection under layers.L "
                                         "(default: resolved from the model)."),
    template: Optional[str] = typer.Option(None, help="Prompt preset (default: the paper's "
                                           "for its tasks)."),
    flores_dev: Optional[str] = typer.Option(None, "--flores-dev", help=FLORES_DEV_HELP),
    masking: str = typer.Option("", help="`iclab layers` summary.json (or dir) to draw beside."),
    out: str = typer.Option("runs/layer-lora", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
    device: str = device_option(),
    dtype: str = dtype_option(),
) -> None:
    """LoRA on one layer's attention output projection, per layer; zero-shot score vs layer."""
    from tqdm import tqdm

    from iclab.analyses.layer_lora.run import run_layer_lora, summarize, write_outputs
    from iclab.data import load_task
    from iclab.engine import Engine
    from iclab.models import load_model

    from iclab.options.checks import check_output_path, check_task_names, check_template

    if every < 0:
        raise typer.BadParameter("--every must be >= 0")
    chosen = parse_layers(layers, every)
    masking_summary, out_dir = find_masking(Path(out), masking)
    check_preset(preset)
    make = LayerLoraConfig.paper if preset == "paper" else LayerLoraConfig
    settings = given(n_train=n_train, n_test=n_test, epochs=epochs, max_steps=max_steps,
                     batch_size=batch_size, lr=lr, r=r, alpha=alpha, dropout=dropout, seed=seed,
                     module=module or None, template=template or None)
    make(layers=chosen, **settings)  # validates every option before the model loads
    check_template(template)
    check_task_names([task])
    check_output_path(out_dir)
    engine = Engine(load_model(model, **load_kwargs(device, dtype)))
    if every:
        chosen = tuple(range(0, engine.n_layers, every))
    cfg = make(layers=chosen, **settings)  # type: ignore[arg-type]
    total = len(chosen) if chosen is not None else engine.n_layers
    with tqdm(total=total, desc="layer-lora", unit="layer", disable=None) as bar:
        rows = run_layer_lora(engine, load_task(task, flores_dev=flores_dev), cfg, progress=bar.update,
                              model_name=model)
    summary = summarize(rows)
    written = write_outputs(rows, summary, cfg, out_dir, masking_summary)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    typer.echo(f"zero-shot {summary['metric']} {summary['baseline']:.3f}; "
               "per adapted layer (from 1):")
    for p in summary["curve"]:
        typer.echo(f"  layer {p['layer'] + 1:>3}: {p['score']:.3f}  "
                   f"(loss {p['loss_first']:.3f} -> {p['loss_last']:.3f})")
    typer.echo(f"wrote {len(written)} files to {out_dir}")
