"""``iclab curves``: ICL training curves under default, random, replacement and flipped labels."""

from __future__ import annotations

import json

from typing import Optional

import typer

from iclab.options.lists import split_list
from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.models.bundled import DEFAULT_MODEL


def curves_command(
    model: str = typer.Option(DEFAULT_MODEL, "--model", "-m", help="Model spec."),
    task: str = typer.Option("lr-sst2", "--task", "-t", help="Classification task name or spec."),
    settings: str = typer.Option("default,random", help="Comma-separated: default, random, "
                                 "random:S (random labels until demo S), flip, flip-f2d, "
                                 "flip-after:F[:f2d], alternating, flip-every:F[:LIMIT] (block "
                                 "flips), replace-by:WORD[:S], predicted (the model's zero-shot "
                                 "labels), off-by-one[+SETTING], replacement:VARIANT."),
    preset: str = typer.Option("iclab", "--preset", help="iclab (default) or paper: random "
                               "labels continue the repeat's generator; the paper's N and flip "
                               "point F for its datasets (docs/FIDELITY.md)."),
    repeats: int = typer.Option(50, help="Repeats (rng seed 200 + r)."),
    demos: Optional[int] = typer.Option(None, help="Demonstrations per prompt (N; default 60, "
                                        "under --preset paper the paper's N for the task)."),
    flip_at: Optional[int] = typer.Option(None, help="Flip point F of flip / flip-f2d "
                                          "(default N // 2; paper preset: the paper's F)."),
    template: str = typer.Option("label-relationships", help="Prompt preset."),
    sampling: str = typer.Option("iid", help="iid (with replacement, the paper's) or balanced."),
    smooth: int = typer.Option(1, help="Moving-average window over positions."),
    smooth_mode: Optional[str] = typer.Option(None, help="trailing (iclab default) or valid "
                                              "(the paper's np.convolve mode='valid'; the "
                                              "paper preset's)."),
    task_instruction: bool = typer.Option(False, help="Write the paper's instruction for the "
                                          "task first (its use_default_prompt)."),
    instruction: str = typer.Option("", help="Instruction text (after the task's); "
                                    "TRIGGER_FLIP writes the paper's trigger-flip prompt."),
    query: Optional[bool] = typer.Option(None, help="Also score the query, uncalibrated and "
                                         "with the paper's calibration (paper preset: on)."),
    final_window: int = typer.Option(1, help="Positions averaged for the 'final' summary."),
    label_mass: bool = typer.Option(True, help="Also log the label tokens' vocabulary mass."),
    out: str = typer.Option("runs/curves", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
    device: str = device_option(),
    dtype: str = dtype_option(),
) -> None:
    """Label log-likelihood, accuracy and entropy at every demonstration position (one pass)."""
    from tqdm import tqdm

    from iclab.analyses.curves.run import (
        CurvesConfig,
        resolve_setting,
        run_curves,
        summarize,
        write_outputs,
    )
    from iclab.options.checks import check_output_path, check_settings, check_template
    from iclab.data import load_task
    from iclab.engine import Engine
    from iclab.models import load_model

    names = split_list(settings)
    if preset not in ("iclab", "paper"):
        raise typer.BadParameter(f"unknown preset {preset!r}; choose iclab or paper",
                                 param_hint="--preset")
    given = {k: v for k, v in {"demos": demos, "flip_at": flip_at, "smooth_mode": smooth_mode,
                               "query": query}.items() if v is not None}
    common = dict(settings=names, repeats=repeats, template=template, sampling=sampling,
                  smooth=smooth, final_window=final_window, label_mass=label_mass,
                  task_instruction=task_instruction, instruction=instruction, **given)
    cfg = (CurvesConfig.paper(task, **common) if preset == "paper"
           else CurvesConfig(**common))  # type: ignore[arg-type]
    check_settings(resolve_setting(n, cfg.demos) for n in names)  # all before the model loads
    check_template(template)
    check_output_path(out)
    loaded_task = load_task(task)
    engine = Engine(load_model(model, **load_kwargs(device, dtype)))
    with tqdm(total=repeats * len(names), desc="curves", unit="prompt", disable=None) as bar:
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
