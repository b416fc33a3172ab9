"""Report building blocks and a self-contained HTML page.

Two ways in:

* ``iclab report RUN_DIR`` / :func:`iclab.runs.rundir.report_from_run_dir`: one section per
  analysis found in a run directory, built by the section registered for it
  (:func:`register_section`; each analysis package registers its own in ``section.py``).
* :func:`build_report` with your own :class:`Section` list (figures from an analysis's plot
  functions, e.g. :mod:`iclab.analyses.curves.plot`, :class:`Table`, :class:`Text`,
  :class:`Code`).

The page needs nothing else to be viewed: CSS inline, figures as base64 PNG, no script. This
package renders data frames and never reads a run directory or imports an analysis.
"""

from iclab.report.blocks import Code, Figure, ReportError, Section, Table, Text
from iclab.report.meta import ReportMeta
from iclab.report.page import build_report, render_page
from iclab.report.sections import build_section, register_section, section_names

__all__ = [
    "Code",
    "Figure",
    "ReportError",
    "ReportMeta",
    "Section",
    "Table",
    "Text",
    "build_report",
    "build_section",
    "register_section",
    "render_page",
    "section_names",
]
