"""Report sections per analysis: a registry of ``(df, summary) -> Section`` builders and the
builders of the analyses shipped with iclab (see :mod:`iclab.report.sections.registry`)."""

from iclab.report.sections import accuracy, curves, icl_ft, layers, trtl  # noqa: F401  registers
from iclab.report.sections.registry import (
    SectionBuilder,
    build_section,
    generic_section,
    get_builder,
    register_section,
    section_names,
)

__all__ = [
    "SectionBuilder",
    "build_section",
    "generic_section",
    "get_builder",
    "register_section",
    "section_names",
]
