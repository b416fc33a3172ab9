"""Prompt templates, demonstration sampling and label settings.

Typical use::

    from iclab.prompts import build_prompts
    prompts = build_prompts(task, tokenizer, shots=16, seed=13, template="metaicl-minimal",
                            setting="abstract")
"""

from iclab.prompts.build import (
    QuerySet,
    build_prompt,
    build_prompts,
    render_text,
    sample_demos,
    select_queries,
)
from iclab.prompts.render import task_variables
from iclab.prompts.sampling import (
    METAICL_SEEDS,
    IidSample,
    cap_test,
    sample_balanced,
    sample_choice,
    sample_fixed,
    sample_iid,
)
from iclab.prompts.settings import (
    ABSTRACT_SYMBOLS,
    REPLACEMENTS,
    LabelPlan,
    LabelSetting,
    apply_setting,
    parse_setting,
)
from iclab.prompts.templates import PRESETS, Template, get_template, register_template, template_names
from iclab.prompts.types import Prompt, Span, SpanKind
from iclab.prompts import trtl_formats  # noqa: F401,E402  registers the trtl-* presets

__all__ = [
    "ABSTRACT_SYMBOLS",
    "METAICL_SEEDS",
    "PRESETS",
    "QuerySet",
    "REPLACEMENTS",
    "IidSample",
    "LabelPlan",
    "LabelSetting",
    "Prompt",
    "Span",
    "SpanKind",
    "Template",
    "apply_setting",
    "build_prompt",
    "build_prompts",
    "cap_test",
    "get_template",
    "parse_setting",
    "register_template",
    "render_text",
    "sample_balanced",
    "sample_choice",
    "sample_demos",
    "sample_fixed",
    "sample_iid",
    "select_queries",
    "task_variables",
    "template_names",
]
