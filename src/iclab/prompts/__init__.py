"""Prompt templates, demonstration sampling and label settings."""

from iclab.prompts.types import Prompt, Span, SpanKind

__all__ = ["Prompt", "Span", "SpanKind"]
