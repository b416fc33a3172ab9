"""``iclab trtl``: task recognition vs task learning over checkpoints, and the ensemble."""

from __future__ import annotations

import json

import typer

from iclab.options.lists import split_list
from iclab.options.device import device_option, dtype_option, load_kwargs
from iclab.models.bundled import DEFAULT_MODEL


def trtl_command(
    checkpoints: list[str] = typer.Option(
        [DEFAULT_MODEL, "smollm2-135m"], "--checkpoints", "-c",
        help="Repeatable: a directory of step*/checkpoint-* dirs, hub/id@step1,step2,..., or "
             "one model spec (its own series)."),
    tasks: str = typer.Option("glue-sst2,financial_phrasebank,trec,glue-mrpc",
                              help="Comma-separated tasks, or 'paper' for the paper's 16."),
    seeds: str = typer.Option("13,21", help="MetaICL seeds (the paper: 13,21,42,87,100)."),
    shots: int = typer.Option(16, help="Demonstrations (the paper: 16)."),
    scoring: str = typer.Option("generate", help="generate (the paper's first-line exact "
                                "match) or rank."),
    limit: int = typer.Option(1000, help="Test queries per task (the paper caps at 1000)."),
    max_new_tokens: int = typer.Option(256, help="Generation budget."),
    alpha_task: float = typer.Option(0.1, help="Competition tolerance per task × seed (%)."),
    alpha_avg: float = typer.Option(0.01, help="Competition tolerance on averaged curves (%)."),
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
    device: str = device_option(),
    dtype: str = dtype_option(),
) -> None:
    """Golden / TR / TL per checkpoint, competition (C^h, C^s, R), correlation, ensemble."""
    from tqdm import tqdm

    from iclab.analyses.trtl.checkpoints import parse_checkpoint_arg
    from iclab.analyses.trtl.ensemble import Member, run_ensemble
    from iclab.analyses.trtl.run import TrTlConfig, run_grid, summarize, write_outputs
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
    if limit < 1 or ensemble_limit < 1 or shots < 0:
        raise typer.BadParameter("need --limit >= 1, --ensemble-limit >= 1 and --shots >= 0")
    seed_list = int_list(seeds, "--seeds")
    cks = tuple(c for arg in checkpoints for c in parse_checkpoint_arg(arg))
    task_list = tuple(METAICL_TASKS) if tasks == "paper" else split_list(tasks)
    check_task_names(task_list)  # all before any model loads
    check_output_path(out)
    cfg = TrTlConfig(checkpoints=cks, tasks=task_list, seeds=seed_list,
                     shots=shots, scoring=scoring, limit=limit,  # type: ignore[arg-type]
                     max_new_tokens=max_new_tokens, alpha_task=alpha_task, alpha_avg=alpha_avg,
                     device=device, dtype=dtype, decimals=2 if preset == "paper" else None)
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
                           if ensemble_reference else None, limit=ensemble_limit, shots=shots,
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
