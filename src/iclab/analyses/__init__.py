"""Analyses: one package per research question, each a thin composition over the engine.

Every package holds the whole analysis, so a change to one analysis stays in one folder:

* ``run.py``: its config dataclass (the one place its defaults live) and its library entry
  point;
* ``sweep.py``: its cell schema for ``iclab run`` (registered in :mod:`iclab.runs.registry`);
* ``section.py`` / ``plot.py``: its report section and figures;
* ``cli.py``: its ``iclab`` verb, whose options default to the config's defaults.

Packages: ``eval`` (k-shot accuracy), ``trtl`` (task recognition vs task learning),
``curves`` (label relationships), ``layers`` and ``layer_lora`` (where ICL happens),
``icl_vs_ft`` (ICL vs fine-tuning on implicit patterns), ``prompt_stats``.
"""
