"""Task recognition (TR) vs task learning (TL) over pre-training checkpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from iclab.metrics.competition import PAPER_ALPHA_AVERAGED, competition
from iclab.report.blocks import Figure, ReportError
from iclab.report.plots._common import new_figure, plot_style, require_columns, to_figure

if TYPE_CHECKING:
    import pandas as pd

CURVES = (("golden", "Golden (gold labels)", "#444444", "o"),
          ("tr", "TR (random labels)", "#1f77b4", "s"),
          ("tl", "TL (abstract symbols)", "#d62728", "^"))


def competition_points(hard: Sequence[int]) -> list[int]:
    """Indices of the checkpoints that end a hard-competition pair.

    ``hard[j]`` describes the pair of checkpoints (j, j + 1), so a 1 there marks checkpoint
    ``j + 1``.
    """
    return [j + 1 for j, h in enumerate(hard) if h]


def plot_trtl(data: pd.DataFrame, *, hard: Sequence[int] | None = None,
               alpha: float = PAPER_ALPHA_AVERAGED, title: str = "",
               log_x: bool | None = None) -> Figure:
    """Golden, TR and TL accuracy against checkpoint, hard-competition points marked.

    Args:
        data: one row per checkpoint with columns ``step`` (training step, numeric: the x axis),
            ``golden``, ``tr``, ``tl`` (accuracies in %). Rows are sorted by ``step``.
        hard: the hard-competition list ``C^h`` (one 0/1 per consecutive pair, as
            :func:`iclab.metrics.competition.competition` returns it); computed from the
            ``tr`` and ``tl`` columns with ``alpha`` when None.
        alpha: tolerance used when ``hard`` is None (default: the paper's, for averaged curves).
        title: the plot title.
        log_x: logarithmic step axis; by default when all steps are > 0 and span ≥ 100×.

    Returns:
        The figure; each competition point (the later checkpoint of a competing pair) gets
        a dashed vertical line and circles on the TR and TL curves.
    """
    require_columns(data, ("step", "golden", "tr", "tl"), "plot_trtl")
    frame = data.sort_values("step").reset_index(drop=True)
    steps = [float(s) for s in frame["step"]]
    if hard is None:
        hard = (competition(list(frame["tr"]), list(frame["tl"]), alpha)["hard"]
                if len(frame) >= 2 else [])
    if len(hard) != max(len(frame) - 1, 0):
        raise ReportError(f"plot_trtl: hard has {len(hard)} entries for {len(frame)} "
                          "checkpoints (needs one per consecutive pair)")
    if log_x is None:
        log_x = min(steps) > 0 and max(steps) / min(steps) >= 100
    points = competition_points(hard)
    with plot_style():
        fig, ax = new_figure(7.5, 4.2)
        for i in points:
            ax.axvline(steps[i], color="#e08a00", alpha=0.35, lw=1.0, ls="--")
        for column, label, color, marker in CURVES:
            ax.plot(steps, frame[column], color=color, marker=marker, ms=4, lw=1.6,
                    label=label)
        if points:
            for column in ("tr", "tl"):
                ax.scatter([steps[i] for i in points], frame[column].iloc[points], s=70,
                           facecolors="none", edgecolors="#e08a00", linewidths=1.6, zorder=5)
            ax.scatter([], [], s=70, facecolors="none", edgecolors="#e08a00",
                       label=f"hard competition ({len(points)})")
        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel("checkpoint (training step)")
        ax.set_ylabel("accuracy (%)")
        ax.set_title(title or "Golden / TR / TL over pre-training")
        ax.legend(loc="best")
        alt = (f"{title or 'TR/TL dynamics'}: golden, TR and TL accuracy over "
               f"{len(frame)} checkpoints, {len(points)} hard-competition point(s)")
        return to_figure(fig, alt)

