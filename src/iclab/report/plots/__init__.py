"""Plot functions, one per analysis figure; each takes plain data and returns a
:class:`iclab.report.Figure` (PNG bytes; ``.save(path)``, ``.to_html()``)."""

from iclab.report.plots.accuracy import accuracy_summary, accuracy_table, plot_accuracy
from iclab.report.plots.curves import plot_icl_curves
from iclab.report.plots.icl_ft import heatmap_matrices, icl_vs_ft_table, plot_circuit_heatmaps
from iclab.report.plots.layers import plot_masking_curves
from iclab.report.plots.trtl import competition_points, plot_tr_tl

__all__ = [
    "accuracy_summary",
    "accuracy_table",
    "competition_points",
    "heatmap_matrices",
    "icl_vs_ft_table",
    "plot_accuracy",
    "plot_circuit_heatmaps",
    "plot_icl_curves",
    "plot_masking_curves",
    "plot_tr_tl",
]
