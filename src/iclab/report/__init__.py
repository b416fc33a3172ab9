"""Plots and a self-contained HTML report of a run.

Two ways in:

* ``iclab report RUN_DIR`` / :func:`report_from_run_dir`: one section per analysis found in a
  run directory, built by the section registered for it (:func:`register_section`).
* :func:`build_report` with your own :class:`Section` list (figures from the plot functions
  in :mod:`iclab.report.plots`, :class:`Table`, :class:`Text`, :class:`Code`).

The page needs nothing else to be viewed: CSS inline, figures as base64 PNG, no script.
"""

from iclab.report.blocks import Code, Figure, ReportError, Section, Table, Text
from iclab.report.meta import ReportMeta
from iclab.report.page import build_report, render_page
from iclab.report.plots import (
    accuracy_summary,
    accuracy_table,
    heatmap_matrices,
    icl_vs_ft_table,
    plot_accuracy,
    plot_circuit_heatmaps,
    plot_icl_curves,
    plot_masking_curves,
    plot_tr_tl,
)
from iclab.report.rundir import report_from_run_dir, run_dir_sections
from iclab.report.sections import build_section, register_section, section_names

__all__ = [
    "Code",
    "Figure",
    "ReportError",
    "ReportMeta",
    "Section",
    "Table",
    "Text",
    "accuracy_summary",
    "accuracy_table",
    "build_report",
    "build_section",
    "heatmap_matrices",
    "icl_vs_ft_table",
    "plot_accuracy",
    "plot_circuit_heatmaps",
    "plot_icl_curves",
    "plot_masking_curves",
    "plot_tr_tl",
    "register_section",
    "render_page",
    "report_from_run_dir",
    "run_dir_sections",
    "section_names",
]
