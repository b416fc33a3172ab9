"""Report sections per analysis: a registry of ``(df, summary) -> Section`` builders (see
:mod:`iclab.report.sections.registry`). The builders of the analyses shipped with iclab live in
their packages (``iclab.analyses.<name>.section``) and are found by module name on first use."""

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
