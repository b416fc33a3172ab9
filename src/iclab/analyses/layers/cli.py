"""``iclab layers``: score vs the layer from which the context is masked (where ICL happens)."""

from __future__ import annotations

import json
from typing import Optional

import typer

from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.models.bundled import DEFAULT_MODEL


def layers_command(
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model spec."),
    task: str = typer.Option("word-sentiment", "--task", "-t", help="Task name or spec."),
    mask: list[str] = typer.Option(["examples"], "--mask", help="Parts masked: a comma-separated "
                                   "subset of instructions,examples,query, or all (everything "
                                   "but each position itself); repeat for several."),
    k: int = typer.Option(5, help="Demonstrations per prompt."),
    seed: int = typer.Option(0, help="Demonstration-sampling seed."),
    n: int = typer.Option(20, help="Test queries."),
    template: str = typer.Option("", help="Prompt preset (default: the paper's for its tasks)."),
    instruction: str = typer.Option("", help="Instruction line added to the template."),
    preset: str = typer.Option("iclab", "--preset", help="iclab (default) or paper: the "
                               "paper's masking (every row, BOS sink for Llama only, a position "
                               "may not see itself; docs/FIDELITY.md)."),
    rows: Optional[str] = typer.Option(None, help="query (query + generated tokens restricted; "
                                       "default) or all (the paper's)."),
    sink: Optional[int] = typer.Option(None, help="Leading tokens kept visible (0: none; "
                                       "default 1, under --preset paper the paper's rule)."),
    threshold: float = typer.Option(0.95, help="Fraction of the unmasked score that defines "
                                    "the recognition layer."),
    max_new_tokens: int = typer.Option(50, help="Generation budget (translation, code)."),
    out: str = typer.Option("runs/layers", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
    device: str = device_option(),
    dtype: str = dtype_option(),
) -> None:
    """Mask the context from layer L = 0..n on; find the task-recognition layer."""
    from tqdm import tqdm

    from iclab.analyses.layers.run import LayersConfig, run_layers, summarize, write_outputs
    from iclab.options.checks import check_output_path, check_template
    from iclab.data import load_task
    from iclab.engine import Engine
    from iclab.models import load_model

    if preset not in ("iclab", "paper"):
        raise typer.BadParameter(f"unknown preset {preset!r}; choose iclab or paper",
                                 param_hint="--preset")
    given = {k_: v for k_, v in {"rows": rows, "sink": sink}.items() if v is not None}
    make = LayersConfig.paper if preset == "paper" else LayersConfig
    cfg = make(masks=tuple(mask), k=k, seed=seed, n=n, template=template or None,
               instruction=instruction or None, threshold=threshold,
               max_new_tokens=max_new_tokens, **given)
    check_template(template)  # all before the model loads
    check_output_path(out)
    loaded_task = load_task(task)
    engine = Engine(load_model(model, **load_kwargs(device, dtype)))
    with tqdm(total=n * len(mask), desc="layers", unit="prompt", disable=None) as bar:
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
