"""The ``icl-vs-ft`` section: the method table and the circuit-shift heatmaps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from iclab.report.blocks import ReportError, Section, Text
from iclab.analyses.icl_vs_ft.plot import heatmap_matrices, icl_vs_ft_table, plot_circuit_heatmaps
from iclab.report.sections.registry import (config_keys, failures_note, groups,
                                            register_section, varying)

if TYPE_CHECKING:
    import pandas as pd

MEASUREMENTS = ("accuracy", "layer", "head", "value", "method", "measure", "split")


def method_aliases(rows: pd.DataFrame, keys: list[str]) -> list[str]:
    """Config keys that only restate the method (constant within each method, e.g. a
    ``circuit: ICL`` grid axis): heatmaps of different methods must share a figure."""
    per_method = rows.groupby("method", sort=False)
    return [k for k in keys if k in rows.columns and k != "method"
            and bool((per_method[k].nunique(dropna=False) <= 1).all())]


def _heatmap_blocks(rows: pd.DataFrame, by: list[str]) -> list[Any]:
    """One heatmap figure per group × measure of the circuit rows."""
    blocks: list[Any] = []
    if "measure" not in rows.columns:
        rows = rows.assign(measure="‖a_X − a_base‖ / ‖a_base‖")
    for label, part in groups(rows, by):
        for measure, sub in part.groupby("measure", sort=False):
            suffix = "" if label == "all" else f" — {label}"
            blocks.append(plot_circuit_heatmaps(heatmap_matrices(sub), value_label=str(measure),
                                                 title=f"Circuit shift{suffix}"))
    return blocks


def icl_vs_ft_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """ICL vs fine-tuning: accuracy table per task × split and circuit heatmaps.

    Two kinds of rows may be mixed: accuracy rows (``task``, ``split``, ``method``,
    ``accuracy``) and circuit rows (``method``, ``layer``, ``head``, ``value``, optional
    ``measure``, e.g. ``attention output change`` or ``patching recovery``). One heatmap
    figure (all methods, one color scale) per measure and value of the other varying config
    keys (e.g. model, task); seeds are averaged; keys that only restate the method are not
    split on.
    """
    has_table = {"task", "split", "method", "accuracy"} <= set(df.columns)
    has_heat = {"method", "layer", "head", "value"} <= set(df.columns)
    if not (has_table or has_heat):
        raise ReportError("the icl-vs-ft section needs accuracy rows (task, split, method, "
                          "accuracy) or circuit rows (method, layer, head, value)")
    keys = config_keys(df, summary, measurements=MEASUREMENTS)
    blocks: list[Any] = [*failures_note(summary)]
    if has_table:
        acc = df[df["accuracy"].notna()]
        if "head" in acc.columns:
            acc = acc[acc["head"].isna()]
        by = varying(acc, keys, exclude=("task", "split", "seed"))
        for label, part in groups(acc, by):
            suffix = "" if label == "all" else f" — {label}"
            blocks.append(icl_vs_ft_table(part, caption=f"Accuracy per method{suffix} (best "
                                                        "of a row in bold)"))
    if has_heat:
        heat = df[df["head"].notna() & df["value"].notna()]
        if len(heat):
            aliases = method_aliases(heat, keys)
            by = varying(heat, keys, exclude=("seed", *aliases))
            blocks.extend(_heatmap_blocks(heat, by))
    if len(blocks) == len(failures_note(summary)):
        blocks.append(Text("No accuracy or circuit rows with values.", kind="note"))
    return Section("ICL vs fine-tuning", blocks, anchor="analysis-icl-vs-ft",
                   intro="The same model adapted by in-context learning, full fine-tuning and "
                         "LoRA on implicit-pattern tasks, and how much each changes the "
                         "computation at the answer position relative to the base model.")


register_section("icl-vs-ft", icl_vs_ft_section)
