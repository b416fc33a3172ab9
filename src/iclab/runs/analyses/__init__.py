"""Analyses that ship with ``iclab.runs`` and need no engine (see ``registry.BUILTIN``)."""
