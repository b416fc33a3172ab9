"""``iclab curves``: ICL training curves under default, random, replacement and flipped labels."""

from __future__ import annotations

import json

from typing import Optional

import typer

from iclab.analyses.curves.config import DEFAULT_TASK, CurvesConfig
from iclab.models.bundled import DEFAULT_MODEL
from iclab.options.defaults import check_preset, given, with_default
from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.options.lists import split_list

C = CurvesConfig  # whose defaults the options below quote


def curves_command(
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model spec."),
    task: str = typer.Option(DEFAULT_TASK, "--task", "-t",
                             help="Classification task name or spec."),
    settings: Optional[str] = typer.Option(None, help=with_default(
        "Comma-separated: default, random, random:S (random labels until demo S), flip, "
        "flip-f2d, flip-after:F[:f2d], alternating, flip-every:F[:LIMIT] (block flips), "
        "replace-by:WORD[:S], predicted (the model's zero-shot labels), "
        "off-by-one[+SETTING], replacement:VARIANT.", C, "settings")),
    preset: Optional[str] = typer.Option(None, "--preset", help=with_default(
        "iclab or paper: random labels continue the repeat's generator; the paper's N and "
        "flip point F for its datasets (docs/FIDELITY.md).", C, "preset")),
    repeats: Optional[int] = typer.Option(None, help=with_default("Repeats (rng seed 200 + r).",
                                                                  C, "repeats")),
    shots: Optional[int] = typer.Option(None, "--shots", "--demos", help=with_default(
        "Demonstrations per prompt (N; under --preset paper the paper's N for the task).",
        C, "shots")),
    flip_at: Optional[int] = typer.Option(None, help="Flip point F of flip / flip-f2d "
                                          "(default N // 2; paper preset: the paper's F)."),
    template: Optional[str] = typer.Option(None, help=with_default("Prompt preset.", C,
                                                                   "template")),
    sampling: Optional[str] = typer.Option(None, help=with_default(
        "iid (with replacement, the paper's) or balanced.", C, "sampling")),
    smooth: Optional[int] = typer.Option(None, help=with_default(
        "Moving-average window over positions.", C, "smooth")),
    smooth_mode: Optional[str] = typer.Option(None, help=with_default(
        "trailing or valid (the paper's np.convolve mode='valid'; the paper preset's).",
        C, "smooth_mode")),
    task_instruction: Optional[bool] = typer.Option(
        None, "--task-instruction/--no-task-instruction", help=with_default(
            "Write the paper's instruction for the task first (its use_default_prompt).",
            C, "task_instruction")),
    instruction: Optional[str] = typer.Option(None, help="Instruction text (after the task's); "
                                              "TRIGGER_FLIP writes the paper's trigger-flip "
                                              "prompt (default: none)."),
    query: Optional[bool] = typer.Option(None, "--query/--no-query", help=with_default(
        "Also score the query, uncalibrated and with the paper's calibration (paper preset: "
        "on).", C, "query")),
    final_window: Optional[int] = typer.Option(None, help=with_default(
        "Positions averaged for the 'final' summary.", C, "final_window")),
    label_mass: Optional[bool] = typer.Option(None, "--label-mass/--no-label-mass",
                                              help=with_default(
        "Also log the label tokens' vocabulary mass.", C, "label_mass")),
    out: str = typer.Option("runs/curves", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
    device: Optional[str] = device_option(),
    dtype: Optional[str] = dtype_option(),
) -> None:
    """Label log-likelihood, accuracy and entropy at every demonstration position (one pass)."""
    from tqdm import tqdm

    from iclab.analyses.curves.run import resolve_setting, run_curves, summarize, write_outputs
    from iclab.data import load_task
    from iclab.engine import Engine
    from iclab.models import load_model
    from iclab.options.checks import check_output_path, check_settings, check_template

    check_preset(preset)
    chosen = given(settings=tuple(split_list(settings)) if settings is not None else None,
                   repeats=repeats, shots=shots, flip_at=flip_at, template=template,
                   sampling=sampling, smooth=smooth, smooth_mode=smooth_mode,
                   task_instruction=task_instruction, instruction=instruction, query=query,
                   final_window=final_window, label_mass=label_mass)
    cfg = CurvesConfig.paper(task, **chosen) if preset == "paper" else CurvesConfig(**chosen)
    names = list(cfg.settings)
    check_settings(resolve_setting(n, cfg.shots) for n in names)  # all before the model loads
    check_template(cfg.template)
    check_output_path(out)
    loaded_task = load_task(task)
    engine = Engine(load_model(model, **load_kwargs(device, dtype)))
    with tqdm(total=cfg.repeats * len(names), desc="curves", unit="prompt", disable=None) as bar:
        result = run_curves(engine, loaded_task, cfg, model, progress=bar.update)
    summary = summarize(result)
    written = write_outputs(result, summary, out)
    if as_json:
        compact = {k: v for k, v in summary.items() if k != "settings"}
        compact["settings"] = {n: {k: v for k, v in s.items() if k != "per_position"}
                               for n, s in summary["settings"].items()}
        typer.echo(json.dumps(compact))
        return
    for name, s in summary["settings"].items():
        final = s["final"]
        typer.echo(f"{name:>16}: final loglik {final['loglik']['mean']:.3f} "
                   f"[{final['loglik']['lo']:.3f}, {final['loglik']['hi']:.3f}], "
                   f"accuracy {final['accuracy']['mean']:.3f}, entropy {final['entropy']['mean']:.3f}")
        if "query" in s:
            q = s["query"]
            typer.echo(f"{'':>16}  query accuracy {q['query_accuracy']['mean']:.3f}, "
                       f"calibrated {q['query_accuracy_calibrated']['mean']:.3f}")
    typer.echo(f"wrote {len(written)} files to {out}")
