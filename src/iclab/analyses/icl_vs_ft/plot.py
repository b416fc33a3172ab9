"""ICL vs fine-tuning: the accuracy table per task × split, and circuit-shift heatmaps."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from iclab.report.blocks import Figure, ReportError, Table, format_cell
from iclab.report.plots._common import new_figure, plot_style, require_columns, to_figure

if TYPE_CHECKING:
    import pandas as pd


def icl_vs_ft_table(data: pd.DataFrame, *, caption: str = "", digits: int = 3) -> Table:
    """One row per (task, split), one column per method, the best value of a row in bold.

    Args:
        data: one row per (task, split, method) with columns ``task``, ``split`` (``normal`` /
            ``misleading``), ``method`` (e.g. ``base 0-shot``, ``ICL best``, ``FT n=400``,
            ``LoRA n=400``; columns keep the order of first appearance) and ``accuracy``.
            Repeated (task, split, method) rows (e.g. seeds) are averaged.
        caption: the table caption.
        digits: decimals shown.
    """
    require_columns(data, ("task", "split", "method", "accuracy"), "icl_vs_ft_table")
    methods = [str(m) for m in dict.fromkeys(data["method"])]
    grouped = (data.assign(method=data["method"].astype(str))
               .groupby(["task", "split", "method"], sort=False)["accuracy"].mean())
    rows: list[list[str]] = []
    bold: set[tuple[int, int]] = set()
    keys = list(dict.fromkeys(zip(data["task"], data["split"])))
    for i, (task, split) in enumerate(keys):
        values = [grouped.get((task, split, m), math.nan) for m in methods]
        present = [v for v in values if not math.isnan(v)]
        best = max(present) if present else None
        rows.append([str(task), str(split)] + [format_cell(float(v), digits) for v in values])
        bold |= {(i, j + 2) for j, v in enumerate(values) if best is not None and v == best}
    return Table(["task", "split", *methods], rows, caption, frozenset(bold))


def heatmap_matrices(data: pd.DataFrame, value: str = "value") -> dict[str, list[list[float]]]:
    """Long-format rows to one layer × head matrix per method.

    Args:
        data: columns ``method``, ``layer`` (0-based int), ``head`` (0-based int) and ``value``
            (or the column named by ``value``). Repeated (method, layer, head) rows (e.g.
            seeds) are averaged; missing pairs become NaN.
    """
    require_columns(data, ("method", "layer", "head", value), "heatmap_matrices")
    n_layers = int(data["layer"].max()) + 1
    n_heads = int(data["head"].max()) + 1
    means = (data.assign(method=data["method"].astype(str))
             .groupby(["method", "layer", "head"], sort=False)[value].mean())
    out: dict[str, list[list[float]]] = {}
    for method in dict.fromkeys(data["method"].astype(str)):
        grid = [[math.nan] * n_heads for _ in range(n_layers)]
        for (_, layer, head), v in means.loc[[method]].items():
            grid[int(layer)][int(head)] = float(v)
        out[method] = grid
    return out


def _shape(matrix: Any) -> tuple[int, int]:
    rows = [list(r) for r in matrix]
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise ReportError("plot_circuit_heatmaps: every matrix must be a non-empty, "
                          "rectangular layer × head grid")
    return len(rows), len(rows[0])


def plot_circuit_heatmaps(matrices: Mapping[str, Sequence[Sequence[float]]], *,
                          value_label: str = "‖a_X − a_base‖ / ‖a_base‖",
                          title: str = "", cmap: str = "viridis") -> Figure:
    """One layer × head heatmap per method on a shared color scale, with one colorbar.

    Args:
        matrices: method name -> matrix (rows = layers from 0, columns = heads from 0), e.g.
            ``{"ICL": [[...], ...], "FT": ..., "LoRA": ...}``; NaN cells are left blank.
            :func:`heatmap_matrices` builds it from long-format rows.
        value_label: what a cell's value is (the colorbar label).
        title: the figure title.
        cmap: a matplotlib colormap name.
    """
    import numpy as np

    if not matrices:
        raise ReportError("plot_circuit_heatmaps got no matrices")
    shapes = {name: _shape(m) for name, m in matrices.items()}
    arrays = {name: np.asarray(m, dtype=float) for name, m in matrices.items()}
    finite = np.concatenate([a[np.isfinite(a)] for a in arrays.values()])
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    n = len(arrays)
    n_layers = max(s[0] for s in shapes.values())
    with plot_style():
        fig, axes = new_figure(min(3.2 * n + 1.6, 16), max(2.6, 0.22 * n_layers + 1.4),
                               ncols=n, sharey=True)
        axes = np.atleast_1d(axes)
        image = None
        for ax, (name, array) in zip(axes, arrays.items()):
            image = ax.imshow(array, aspect="auto", origin="lower", cmap=cmap, vmin=vmin,
                              vmax=vmax, interpolation="nearest")
            finite = np.isfinite(array)
            mean = f"{float(array[finite].mean()):.3g}" if finite.any() else "n/a"
            ax.set_title(f"{name}  (mean {mean})")
            ax.set_xlabel("head (from 0)")
            ax.grid(False)
        axes[0].set_ylabel("layer (from 0)")
        fig.colorbar(image, ax=list(axes), label=value_label, shrink=0.9)
        if title:
            fig.suptitle(title)
        alt = (f"{title or 'circuit shift'}: layer × head heatmaps of {value_label} for "
               f"{', '.join(arrays)} on one color scale from {vmin:.3g} to {vmax:.3g}")
        return to_figure(fig, alt)
