"""``iclab trtl``: task recognition vs task learning over checkpoints, and the ensemble."""

from __future__ import annotations

import json
from typing import Optional

import typer

from iclab.analyses.trtl.config import TrTlConfig
from iclab.options.defaults import given, shown, with_default
from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.options.lists import split_list

C = TrTlConfig  # whose defaults the options below quote


def trtl_command(
    checkpoints: Optional[list[str]] = typer.Option(
        None, "--checkpoints", "-c",
        help="Repeatable: a directory of step*/checkpoint-* dirs, hub/id@step1,step2,..., "
             "paper:pythia-<size>, or one model spec (its own series). (default: "
             + shown([c.spec for c in C.checkpoints]) + ")"),
    tasks: Optional[str] = typer.Option(None, help=with_default(
        "Comma-separated tasks, or 'paper' for the paper's 16.", C, "tasks")),
    seeds: Optional[str] = typer.Option(None, help=with_default(
        "MetaICL seeds (the paper: 13,21,42,87,100).", C, "seeds")),
    shots: Optional[int] = typer.Option(None, "--shots", "-k", help=with_default(
        "Demonstrations per prompt (the paper: 16).", C, "shots")),
    template: Optional[str] = typer.Option(None, help=with_default(
        "Prompt preset: metaicl-minimal (the paper's headline format) or trtl-natural (each "
        "dataset's natural-language format).", C, "template")),
    scoring: Optional[str] = typer.Option(None, help=with_default(
        "generate (the paper's first-line exact match) or rank.", C, "scoring")),
    limit: Optional[int] = typer.Option(None, help=with_default(
        "Test queries per task (the paper caps at 1000).", C, "limit")),
    max_new_tokens: Optional[int] = typer.Option(None, help=with_default(
        "Generation budget.", C, "max_new_tokens")),
    alpha_task: Optional[float] = typer.Option(None, help=with_default(
        "Competition tolerance per task × seed (%).", C, "alpha_task")),
    alpha_avg: Optional[float] = typer.Option(None, help=with_default(
        "Competition tolerance on averaged curves (%).", C, "alpha_avg")),
    ensemble_tr: str = typer.Option(None, help="Ensemble: TR-strong model (run with random labels)."),
    ensemble_tl: str = typer.Option(None, help="Ensemble: TL-strong model (run with abstract symbols)."),
    ensemble_reference: str = typer.Option(None, help="Ensemble: a larger model to compare with (gold)."),
    ensemble_rule: str = typer.Option(None, help="accuracy (the paper's rule on measured "
                                      "accuracies; default), loglik, or paper-fixed (its one "
                                      "global weight pair 0.18/0.82; the --preset paper default)."),
    preset: str = typer.Option("iclab", "--preset", help="iclab (default) or paper: competition "
                               "on accuracies rounded to 2 decimals and the ensemble's fixed "
                               "global weights (docs/FIDELITY.md)."),
    ensemble_limit: int = typer.Option(200, help="Test queries per task for the ensemble."),
    out: str = typer.Option("runs/trtl", "--out", "-o", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON line."),
    device: Optional[str] = device_option(),
    dtype: Optional[str] = dtype_option(),
) -> None:
    """Golden / TR / TL per checkpoint, competition (C^h, C^s, R), correlation, ensemble."""
    from tqdm import tqdm

    from iclab.analyses.trtl.checkpoints import parse_checkpoint_arg
    from iclab.analyses.trtl.ensemble import Member, run_ensemble
    from iclab.analyses.trtl.run import run_grid, summarize, write_outputs
    from iclab.options.checks import check_output_path, check_task_names, int_list
    from iclab.data.metaicl import METAICL_TASKS
    from iclab.io import write_json

    if (ensemble_tr or ensemble_tl) and not (ensemble_tr and ensemble_tl):
        raise typer.BadParameter("give both --ensemble-tr and --ensemble-tl")
    if preset not in ("iclab", "paper"):
        raise typer.BadParameter(f"unknown preset {preset!r}; choose iclab or paper",
                                 param_hint="--preset")
    ensemble_rule = ensemble_rule or ("paper-fixed" if preset == "paper" else "accuracy")
    if ensemble_rule not in ("accuracy", "loglik", "paper-fixed"):
        raise typer.BadParameter(f"--ensemble-rule must be accuracy, loglik or paper-fixed, "
                                 f"got {ensemble_rule!r}")
    if (limit is not None and limit < 1) or ensemble_limit < 1 or (shots is not None
                                                                   and shots < 0):
        raise typer.BadParameter("need --limit >= 1, --ensemble-limit >= 1 and --shots >= 0")
    chosen = given(
        checkpoints=tuple(c for arg in checkpoints for c in parse_checkpoint_arg(arg))
        if checkpoints else None,
        tasks=(tuple(METAICL_TASKS) if tasks == "paper" else tuple(split_list(tasks)))
        if tasks is not None else None,
        seeds=tuple(int_list(seeds, "--seeds")) if seeds is not None else None,
        shots=shots, template=template, scoring=scoring, limit=limit,
        max_new_tokens=max_new_tokens, alpha_task=alpha_task, alpha_avg=alpha_avg,
        device=device, dtype=dtype)
    if "tasks" in chosen:
        check_task_names(chosen["tasks"])  # all before any model loads
    check_output_path(out)
    cfg = TrTlConfig.paper(**chosen) if preset == "paper" else TrTlConfig(**chosen)
    task_list = cfg.tasks
    with tqdm(total=0, desc="tr-tl", unit="query", disable=None) as bar:
        def grow(n: int) -> None:
            bar.total += n
            bar.refresh()

        rows = run_grid(cfg, out, progress=bar.update, on_total=grow)
    summary = summarize(cfg, rows)
    if ensemble_tr and ensemble_tl:
        ens = run_ensemble([Member(ensemble_tr, "random", f"TR: {ensemble_tr} (random)"),
                            Member(ensemble_tl, "abstract", f"TL: {ensemble_tl} (abstract)")],
                           task_list, cfg.seeds, ensemble_rule,  # type: ignore[arg-type]
                           Member(ensemble_reference, "gold", f"ref: {ensemble_reference} (gold)")
                           if ensemble_reference else None, limit=ensemble_limit,
                           shots=cfg.shots,
                           **load_kwargs(device, dtype))
        write_json(f"{out}/ensemble.json", ens)
        summary["ensemble"] = {k: ens[k] for k in ("table", "weights", "rule", "members", "reference")}
    write_outputs(rows, summary, out)
    if as_json:
        typer.echo(json.dumps(summary))
        return
    for model, entry in summary["models"].items():
        for c in entry["checkpoints"]:
            typer.echo(f"{model} step {c['step']}: golden {c['golden']:.1f}  TR {c['tr']:.1f}  "
                       f"TL {c['tl']:.1f}")
        if "hard" in entry:
            typer.echo(f"{model}: C^h {entry['hard']}  mean C^s {entry['mean_intensity']:.3f}")
    if "ensemble" in summary:
        for row in summary["ensemble"]["table"]:
            typer.echo("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                 for k, v in row.items()))
    typer.echo(f"wrote {out}")
