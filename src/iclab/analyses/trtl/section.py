"""The ``tr-tl`` section: golden / TR / TL over checkpoints with competition metrics."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from iclab.metrics.competition import PAPER_ALPHA_AVERAGED, competition
from iclab.report.blocks import ReportError, Section, Table, Text, format_cell
from iclab.analyses.trtl.plot import plot_trtl
from iclab.report.plots._common import require_columns
from iclab.report.sections.registry import (config_keys, constant_config, failures_note,
                                            groups, register_section, varying)

if TYPE_CHECKING:
    import pandas as pd

SETTING_COLUMNS = {"gold": "golden", "random": "tr", "abstract": "tl"}
"""Label setting (the ``setting`` column) -> curve: random labels measure TR, abstract symbols
TL."""

_STEP = re.compile(r"(?:step|checkpoint)[-_]?(\d+)")


def with_steps(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a numeric ``step`` column: kept if present, else read from a ``revision``
    like ``step4000`` (Pythia's hub revisions) or ``.../checkpoint-500`` (a local checkpoint
    directory as transformers' Trainer names them).

    Raises:
        ReportError: no ``step`` column and a revision without a step number.
    """
    if "step" in df.columns:
        return df
    require_columns(df, ("revision",), "the tr-tl section (no step column)")
    steps = []
    for revision in df["revision"].astype(str):
        match = _STEP.search(revision)
        if match is None:
            raise ReportError(f"the tr-tl section needs a step column, or revisions named "
                              f"like 'step4000' or 'checkpoint-500'; got revision {revision!r}")
        steps.append(int(match.group(1)))
    return df.assign(step=steps)


def checkpoint_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Golden / TR / TL in % per checkpoint, averaged over every other row (tasks × seeds).

    Args:
        df: rows with ``step``, ``setting`` (``gold``/``random``/``abstract``) and
            ``accuracy`` (0–1).

    Returns:
        Columns ``step``, ``golden``, ``tr``, ``tl`` sorted by step; checkpoints missing a
        setting are dropped.
    """
    known = df[df["setting"].isin(list(SETTING_COLUMNS))]
    table = (known.groupby(["step", "setting"])["accuracy"].mean().mul(100).unstack("setting")
             .rename(columns=SETTING_COLUMNS))
    for column in SETTING_COLUMNS.values():
        if column not in table.columns:
            raise ReportError(f"the tr-tl section needs rows for every setting (gold, random, "
                              f"abstract); none for {column}")
    return table[list(SETTING_COLUMNS.values())].dropna().reset_index().sort_values("step")


def competition_table(curves: pd.DataFrame, result: Mapping[str, Any], caption: str) -> Table:
    """Per checkpoint: golden/TR/TL and the competition entries ending there."""
    rows = []
    for i, rec in enumerate(curves.itertuples(index=False)):
        hard = str(result["hard"][i - 1]) if i else "—"
        intensity = format_cell(float(result["intensity"][i - 1])) if i else "—"
        rows.append([str(int(rec.step)), format_cell(rec.golden, 1), format_cell(rec.tr, 1),
                     format_cell(rec.tl, 1), hard, intensity,
                     format_cell(float(result["cumulative"][i]), 1)])
    bold = frozenset((i, 4) for i, row in enumerate(rows) if row[4] == "1")
    return Table(["step", "golden %", "TR %", "TL %", "C^h", "C^s", "R %"], rows, caption,
                 bold)


def trtl_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """Golden / TR / TL against checkpoint per model, competition points marked.

    Rows need ``setting`` (gold / random / abstract), ``accuracy`` (0–1) and a checkpoint:
    ``step``, or a ``revision`` like ``step4000``. Curves average every task and seed; one
    figure per value of the other varying config keys (e.g. ``model``). The tolerance is
    ``summary["params"]["alpha_averaged"]``, default the paper's 0.01 for averaged curves.
    """
    require_columns(df, ("setting", "accuracy"), "the tr-tl section")
    frame = with_steps(df)
    keys = config_keys(frame, summary, measurements=("accuracy",))
    by = varying(frame, keys, exclude=("revision", "step", "task", "seed", "setting"))
    alpha = float((summary.get("params") or {}).get("alpha_averaged", PAPER_ALPHA_AVERAGED))
    blocks: list[Any] = [*failures_note(summary)]
    shared = constant_config(frame, [k for k in keys if k not in ("revision", "step",
                                                                   "setting")])
    if shared:
        blocks.append(Text(f"Shared by every cell: {shared}."))
    if "scoring" in frame.columns:
        blocks.append(Text("Scoring: " + ", ".join(map(str, frame["scoring"].unique())) + "."))
    for label, part in groups(frame, by):
        curves = checkpoint_curves(part)
        if len(curves) < 2:
            blocks.append(Text(f"{label}: fewer than 2 complete checkpoints; no competition "
                               "metrics.", kind="note"))
            continue
        result = competition(list(curves["tr"]), list(curves["tl"]), alpha)
        title = "TR / TL dynamics" + ("" if label == "all" else f" — {label}")
        blocks.append(plot_trtl(curves, hard=result["hard"], title=title))
        blocks.append(competition_table(
            curves, result, f"{title}: accuracy averaged over tasks × seeds; α = {alpha:g}; "
                            f"mean C^s = {result['mean_intensity']:.3f}"))
    return Section("Task recognition vs task learning", blocks, anchor="analysis-tr-tl",
                   intro="Golden (gold labels), TR (random labels) and TL (abstract symbols) "
                         "accuracy over pre-training checkpoints. Hard competition C^h = 1 "
                         "where one ability rises by more than α while the other falls by "
                         "more than α; C^s is its intensity and R its cumulative share.")


register_section("tr-tl", trtl_section)
