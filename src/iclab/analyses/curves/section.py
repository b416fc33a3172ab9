"""The ``curves`` section: per-position ICL metrics under label settings, CIs over repeats."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from iclab.metrics.stats import bootstrap_mean
from iclab.report.blocks import Section, Table, Text
from iclab.analyses.curves.plot import plot_icl_curves
from iclab.report.plots._common import require_columns
from iclab.report.sections.registry import (config_keys, constant_config, failures_note,
                                            groups, register_section, varying)

if TYPE_CHECKING:
    import pandas as pd

METRICS = ("accuracy", "loglik", "entropy", "label_mass")
"""Per-position metric columns the section plots, in this order, when present."""

REPEAT_KEYS = ("repeat", "seed")
"""Columns that index repeats (aggregated over, never a line of their own)."""

_FLIP = re.compile(r"^flip-after:(\d+)")


def aggregate_curves(df: pd.DataFrame, metric: str, level: float = 0.95) -> pd.DataFrame:
    """Mean and bootstrap CI of ``metric`` over repeats, per (setting, position).

    Args:
        df: rows with ``setting``, ``position`` (demonstrations before the predicted one) and
            the metric column; every other row with the same (setting, position) is a repeat.
        metric: the metric column.
        level: confidence level of the intervals.

    Returns:
        Columns ``setting``, ``demos``, ``mean``, ``lo``, ``hi``, ``n`` (the
        :func:`iclab.report.plots.plot_icl_curves` input).
    """
    import pandas as pd

    records = []
    for (setting, position), part in df.groupby(["setting", "position"], sort=False):
        values = part[metric].dropna().astype(float).to_numpy()
        if values.size == 0:
            continue
        interval = bootstrap_mean(values, level=level)
        records.append({"setting": str(setting), "demos": int(position),
                        "mean": interval.mean, "lo": interval.lo, "hi": interval.hi,
                        "n": int(values.size)})
    return pd.DataFrame.from_records(records, columns=["setting", "demos", "mean", "lo", "hi",
                                                       "n"])


def flip_point(settings: Sequence[str], n_demos: int) -> int | None:
    """F when exactly one flip point appears among the settings (``flip-after:F[:dir]``, or
    the curves analysis' ``flip``/``flip-f2d`` aliases, which flip at ``n_demos // 2``)."""
    from iclab.analyses.curves.run import resolve_setting

    specs = [resolve_setting(str(s), n_demos) for s in settings]
    points = {int(m.group(1)) for s in specs if (m := _FLIP.match(s))}
    return points.pop() if len(points) == 1 else None


def _cell_flip(part: pd.DataFrame) -> int | None:
    """The flip point the cells set themselves: ``flip_at``, or under ``preset: paper`` the
    paper's F for its task (None when neither, or when the cells disagree)."""
    import pandas as pd

    from iclab.analyses.curves.run import PAPER_RUNS

    cols = [c for c in ("flip_at", "preset", "task") if c in part.columns]
    if not cols:
        return None
    points: set[int] = set()
    for _, row in part.drop_duplicates(cols).iterrows():
        flip_at = row.get("flip_at")
        if flip_at is not None and not pd.isna(flip_at):
            points.add(int(flip_at))
        elif row.get("preset") == "paper" and row.get("task") in PAPER_RUNS:
            points.add(PAPER_RUNS[row["task"]][1])
    return points.pop() if len(points) == 1 else None


def final_table(curves: Mapping[str, pd.DataFrame], caption: str) -> Table:
    """The last position of each setting: mean [lo, hi] of each metric."""
    metrics = list(curves)
    settings = list(dict.fromkeys(s for c in curves.values() for s in c["setting"]))
    rows = []
    for setting in settings:
        row = [setting]
        for metric in metrics:
            part = curves[metric][curves[metric]["setting"] == setting]
            last = part.loc[part["demos"].idxmax()] if len(part) else None
            row.append("—" if last is None else
                       f"{last['mean']:.3f} [{last['lo']:.3f}, {last['hi']:.3f}] @ "
                       f"{int(last['demos'])}")
        rows.append(row)
    return Table(["setting", *metrics], rows, caption)


def curves_section(df: pd.DataFrame, summary: Mapping[str, Any]) -> Section:
    """Accuracy / log-likelihood / entropy vs number of demonstrations, per label setting.

    Rows (as :meth:`iclab.analyses.curves.run.CurvesResult.rows` writes them) need ``setting``
    (the curve setting, e.g. ``default``, ``random``, ``flip``, ``flip-after:16``), ``position`` (demonstrations before the predicted one; 0 is zero-shot) and at least one of
    :data:`METRICS`; ``repeat`` (or ``seed``) indexes repeats. One set of figures per value of
    the other varying config keys (e.g. model, task); bands are 95 % bootstrap CIs over
    repeats; a flip setting draws the flip point (``flip`` aliases read N from a ``demos``
    column, else from the last position + 1). ``summary["chance_accuracy"]`` draws chance.
    """
    require_columns(df, ("setting", "position"), "the curves section")
    metrics = [m for m in METRICS if m in df.columns]
    if not metrics:
        require_columns(df, METRICS[:1], "the curves section")
    keys = config_keys(df, summary, measurements=(*METRICS, "position", "setting"))
    by = varying(df, keys, exclude=("setting", "position", *REPEAT_KEYS))
    blocks: list[Any] = [*failures_note(summary)]
    shared = constant_config(df, [k for k in keys if k not in ("setting", *REPEAT_KEYS)])
    chance = summary.get("chance_accuracy")
    if shared:
        blocks.append(Text(f"Shared by every cell: {shared}."))
    for label, part in groups(df, by):
        suffix = "" if label == "all" else f" — {label}"
        curves = {m: aggregate_curves(part, m) for m in metrics}
        known = part["demos"].dropna() if "demos" in part.columns else part["position"][:0]
        n_demos = int(known.max()) if len(known) else int(part["position"].max()) + 1
        flip = _cell_flip(part)
        if flip is None:
            flip = flip_point(list(part["setting"].unique()), n_demos)
        for metric, data in curves.items():
            fig = plot_icl_curves(data, metric=metric, flip_point=flip,
                                  chance=chance if metric == "accuracy" else None,
                                  title=f"{metric}{suffix}")
            blocks.append(fig)
        repeats = int(max(c["n"].max() for c in curves.values()))
        blocks.append(final_table(curves, f"Final position{suffix}: mean [95 % CI] over up "
                                          f"to {repeats} repeats"))
    return Section("ICL curves under label settings", blocks, anchor="analysis-curves",
                   intro="Each metric at every demonstration position of one teacher-forced "
                         "pass, averaged over repeats with 95 % bootstrap confidence bands.")


register_section("curves", curves_section)
