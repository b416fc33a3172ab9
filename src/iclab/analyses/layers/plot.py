"""Layer-wise context masking: score against the layer masking starts from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from iclab.report.blocks import Figure
from iclab.report.plots._common import (colors, new_figure, plot_style, require_columns,
                                        to_figure)

if TYPE_CHECKING:
    import pandas as pd


def _recognition_of(recognition: Mapping[str, int | None] | int | None,
                    mask: str) -> int | None:
    """The recognition layer of one mask config from a per-mask mapping or a single value."""
    if isinstance(recognition, Mapping):
        return recognition.get(mask)
    return recognition


def plot_masking_curves(data: pd.DataFrame, *, baseline: float | None = None,
                        recognition_layer: Mapping[str, int | None] | int | None = None,
                        metric: str = "score", title: str = "",
                        labels: Mapping[str, str] | None = None,
                        xlabel: str = "mask context from layer L onwards (layers numbered "
                                      "from 1)") -> Figure:
    """Score against "mask from layer L", one line per mask config.

    Layer convention: the ``layer`` column holds the engine's 0-based index of the first
    masked layer (``module.layer_idx``; ``layer == n_layers`` masks nothing). The x axis shows
    it numbered from 1 (``layer + 1``), as in the paper's figures.

    Args:
        data: one row per (mask config, layer) with columns ``mask`` (str, e.g.
            ``examples`` or ``instructions+examples``), ``layer`` (int, 0-based, see above) and
            ``score``.
        baseline: the unmasked score, drawn as a horizontal line.
        recognition_layer: the task-recognition layer (0-based like ``layer``), either one
            value or one per mask config; None (or a missing key) means none was found.
        metric: the score's name for the axis label (``accuracy``, ``BLEU``, ``pass@1``...).
        title: the plot title.
        labels: legend label per ``mask`` value (default ``mask <mask>``), e.g. for a
            per-layer LoRA line drawn on the same axes.
        xlabel: the x-axis label.
    """
    require_columns(data, ("mask", "layer", "score"), "plot_masking_curves")
    masks = list(dict.fromkeys(data["mask"]))
    found = []
    with plot_style():
        from matplotlib.ticker import MaxNLocator

        fig, ax = new_figure(7.0, 4.0)
        for mask, color in zip(masks, colors(len(masks))):
            part = data[data["mask"] == mask].sort_values("layer")
            x = part["layer"].astype(int) + 1
            ax.plot(x, part["score"], color=color, marker="o", ms=3.5, lw=1.6,
                    label=(labels or {}).get(mask, f"mask {mask}"))
            layer = _recognition_of(recognition_layer, mask)
            if layer is not None:
                found.append(f"{mask}: L={int(layer) + 1}")
                ax.axvline(int(layer) + 1, color=color, ls="--", lw=1.1, alpha=0.8)
                at = part[part["layer"] == layer]["score"]
                if len(at):
                    ax.scatter([int(layer) + 1], [float(at.iloc[0])], marker="*", s=160,
                               color=color, edgecolors="black", linewidths=0.6, zorder=5,
                               label=f"recognition layer ({mask}): {int(layer) + 1}")
        if baseline is not None:
            ax.axhline(baseline, color="black", ls=":", lw=1.3,
                       label=f"no masking ({baseline:.3g})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(metric)
        ax.set_title(title or f"{metric} vs masking layer")
        ax.legend(loc="best")
        names = ", ".join((labels or {}).get(m, f"mask {m}") for m in masks)
        alt = (f"{title or 'masking curves'}: {metric} against layer L ({xlabel}); lines: "
               f"{names}; recognition layer "
               f"{'; '.join(found) if found else 'not found'}")
        return to_figure(fig, alt)
