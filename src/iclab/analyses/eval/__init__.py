"""``iclab eval``: k-shot accuracy of a model on a task, with its cache, sweep cell, report section and plots."""
