"""The ``iclab`` command line: one typer app (:mod:`iclab.cli.app`); each verb a thin layer over
the library. The analyses' verbs live in their packages (``iclab.analyses.<name>.cli``)."""

from iclab.cli.app import app, fail, run

__all__ = ["app", "fail", "run"]
