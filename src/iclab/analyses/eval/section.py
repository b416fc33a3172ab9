"""Sections for accuracy-style results (``eval``) and for ``prompt-stats``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from iclab.report.blocks import Section, Table, Text
from iclab.analyses.eval.plot import accuracy_table, plot_accuracy
from iclab.analyses.curves.plot import plot_icl_curves
from iclab.report.plots._common import require_columns
from iclab.report.sections.registry import (config_keys, constant_config, failures_note,
                                            label_of, register_section, varying)

if TYPE_CHECKING:
    import pandas as pd


def eval_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """Accuracy per task × setting, mean ± std over seeds: a table and a bar chart.

    Rows need ``task``, ``seed`` and ``accuracy`` (0–1). The "setting" of a row is every
    config key that varies across the run other than task and seed (e.g. ``model``,
    ``shots``, ``labels``), written ``k=v, k=v``.
    """
    require_columns(df, ("task", "seed", "accuracy"), "the eval section")
    keys = config_keys(df, summary, measurements=("accuracy",))
    setting_keys = varying(df, keys, exclude=("task", "seed"))
    frame = df.assign(setting=[label_of(r, setting_keys)
                               for r in df[setting_keys].to_dict("records")]
                      if setting_keys else "all")
    shared = constant_config(df, [k for k in keys if k not in ("task", "seed")])
    blocks: list[Any] = [*failures_note(summary)]
    if shared:
        blocks.append(Text(f"Shared by every cell: {shared}."))
    blocks.append(accuracy_table(frame, caption="Accuracy: mean ± std over seeds (best of a "
                                                "row in bold)"))
    blocks.append(plot_accuracy(frame, title="Accuracy per task and setting"))
    return Section("Evaluation: accuracy", blocks, anchor="analysis-eval",
                   intro="Accuracy of each task under each setting, averaged over seeds.")


def prompt_stats_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """Prompt lengths in tokens per model × task × shots (the ``prompt-stats`` analysis).

    Rows need ``model``, ``task``, ``shots``, ``tokens_mean``, ``tokens_min``,
    ``tokens_max``, ``tokens_p95``; ``context_window`` and ``n_over_context`` are shown when
    present. Seeds are averaged (lengths: mean; min/max: over seeds).
    """
    require_columns(df, ("model", "task", "shots", "tokens_mean", "tokens_min", "tokens_max",
                         "tokens_p95"), "the prompt-stats section")
    by = ["model", "task", "shots"]
    agg = {"tokens_mean": "mean", "tokens_p95": "mean", "tokens_min": "min",
           "tokens_max": "max"}
    agg |= {c: "max" for c in ("context_window", "n_over_context") if c in df.columns}
    table = df.groupby(by, sort=False).agg(agg).reset_index()
    curves = table.assign(setting=table["model"].astype(str) + " / " + table["task"].astype(str),
                          demos=table["shots"], mean=table["tokens_mean"],
                          lo=table["tokens_min"], hi=table["tokens_max"])
    fig = plot_icl_curves(curves, metric="tokens per prompt", title="Prompt length vs shots")
    fig = replace(fig, caption="Line: mean tokens per prompt; band: shortest to longest "
                               "prompt over seeds and queries.")
    over = int(table["n_over_context"].sum()) if "n_over_context" in table.columns else 0
    note = (Text(f"{over} prompt(s) exceed their model's context window.", kind="error")
            if over else Text("Every prompt fits its model's context window."
                              if "n_over_context" in table.columns else ""))
    blocks: list[Any] = [*failures_note(summary), note, fig,
                         Table.from_frame(table, caption="Tokens per prompt", digits=1)]
    return Section("Prompt statistics", [b for b in blocks if not isinstance(b, Text)
                                         or b.text],
                   anchor="analysis-prompt-stats",
                   intro="How long the k-shot prompts are for each model's tokenizer, and "
                         "whether they fit its context window.")


register_section("eval", eval_section)
register_section("prompt-stats", prompt_stats_section)
