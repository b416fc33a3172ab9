"""Shared plumbing of the plot functions: an Agg-rendered matplotlib figure to a report Figure,
column checks, and the house style."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from iclab.report.blocks import Figure, ReportError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure as MplFigure

DPI = 200
"""Pixels per inch of saved PNGs; reports display them at half size, so they stay sharp."""

STYLE: dict[str, Any] = {
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 9,
}


def plot_style() -> Any:
    """A context manager applying the house style; wrap all of a plot's drawing in it."""
    from matplotlib import rc_context

    return rc_context(STYLE)


def new_figure(width: float = 7.0, height: float = 4.0, ncols: int = 1,
               nrows: int = 1, **subplot_kw: Any) -> tuple[MplFigure, Any]:
    """A matplotlib figure on the Agg canvas (no pyplot, no global state) and its axes.

    Returns:
        ``(figure, axes)``; ``axes`` is one Axes for a 1×1 grid, else an array of them.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return fig, axes


def to_figure(fig: MplFigure, alt: str, caption: str = "") -> Figure:
    """Render ``fig`` to PNG bytes (Agg, :data:`DPI`) as a report :class:`Figure`."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, facecolor="white")
    fig.clear()
    return Figure(buf.getvalue(), alt=alt, caption=caption)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`ReportError` naming the columns ``what`` needs and ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"{what} needs column(s) {', '.join(missing)}; the data has "
                          f"{', '.join(map(str, frame.columns)) or 'no columns'}")
    if len(frame) == 0:
        raise ReportError(f"{what} got no rows")


def colors(n: int) -> list[Any]:
    """``n`` distinguishable colors (tab10, then tab20 beyond 10)."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]
