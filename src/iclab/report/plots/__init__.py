"""Shared plumbing of the plot functions (:mod:`iclab.report.plots._common`). Each analysis
keeps its own plot functions in its package (``iclab.analyses.<name>.plot``); each takes
plain data and returns a :class:`iclab.report.Figure` (PNG bytes; ``.save(path)``,
``.to_html()``)."""
