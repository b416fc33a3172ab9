"""ICL curves: a metric against the number of demonstrations, one line per label setting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iclab.report.blocks import Figure
from iclab.report.plots._common import (colors, new_figure, plot_style, require_columns,
                                        to_figure)

if TYPE_CHECKING:
    import pandas as pd

METRIC_LABELS = {
    "accuracy": "accuracy",
    "loglik": "log-likelihood of the target (nats)",
    "entropy": "entropy (nats)",
    "label_mass": "probability mass on label tokens",
}
"""Axis labels of the metrics the curves analysis reports; other names are shown as given."""


def plot_icl_curves(data: pd.DataFrame, *, metric: str = "accuracy",
                    flip_point: float | None = None, chance: float | None = None,
                    title: str = "") -> Figure:
    """A metric against the number of in-context demonstrations, with CI bands.

    Args:
        data: one row per (setting, number of demonstrations) with columns ``setting`` (str,
            one line each, in order of first appearance), ``demos`` (demonstrations before the
            predicted position: 0 is zero-shot), ``mean``, ``lo``, ``hi`` (the metric's mean
            and confidence interval over repeats).
        metric: the metric's name, for the axis label (``accuracy``, ``loglik``, ``entropy``...).
        flip_point: draw a vertical line here (e.g. F of a flip-after-F setting).
        chance: draw a horizontal chance line (e.g. 1/K for accuracy over K labels).
        title: the plot title.
    """
    require_columns(data, ("setting", "demos", "mean", "lo", "hi"), "plot_icl_curves")
    settings = list(dict.fromkeys(data["setting"]))
    with plot_style():
        fig, ax = new_figure(7.0, 4.0)
        for setting, color in zip(settings, colors(len(settings))):
            part = data[data["setting"] == setting].sort_values("demos")
            ax.fill_between(part["demos"], part["lo"], part["hi"], color=color, alpha=0.2,
                            lw=0)
            ax.plot(part["demos"], part["mean"], color=color, lw=1.8, label=str(setting))
        if flip_point is not None:
            ax.axvline(flip_point, color="black", ls="--", lw=1.2,
                       label=f"flip after {flip_point:g}")
        if chance is not None:
            ax.axhline(chance, color="grey", ls=":", lw=1.2, label=f"chance ({chance:.2g})")
        ax.set_xlabel("number of demonstrations in context")
        ax.set_ylabel(METRIC_LABELS.get(metric, metric))
        ax.set_title(title or f"{METRIC_LABELS.get(metric, metric)} vs demonstrations")
        ax.legend(loc="best")
        alt = (f"{title or 'ICL curves'}: {metric} against the number of demonstrations for "
               f"{len(settings)} setting(s) ({', '.join(map(str, settings))}), "
               "shaded bands are confidence intervals"
               + (f"; labels flip after {flip_point:g} demonstrations" if flip_point is not None
                  else ""))
        return to_figure(fig, alt)
