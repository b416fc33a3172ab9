"""Analyses: one module per research question, each a thin composition over the engine."""
