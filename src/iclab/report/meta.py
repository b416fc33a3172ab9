"""What a report says about the run it shows: config, versions, dates, machines."""

from __future__ import annotations

import platform
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from iclab.report.blocks import Code, Section, Table, Text


def package_versions(packages: Sequence[str] = ("iclab", "torch", "transformers", "pandas",
                                                "matplotlib")) -> dict[str, str]:
    """Installed versions of ``packages`` ("not installed" when absent) and Python's."""
    found: dict[str, str] = {}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    found["python"] = platform.python_version()
    return found


@dataclass(frozen=True)
class ReportMeta:
    """The run information at the top of a report.

    Attributes:
        title: the page title.
        config: the run config as text (YAML or JSON), shown verbatim; "" when unknown.
        config_source: where the config came from (a path), if known.
        versions: package -> version of the code that produced the results (for a run
            directory: as recorded with its cells).
        machines: hosts/platforms that produced the results.
        started: when the results were produced (first cell), ISO text; "" when unknown.
        finished: when the last result was produced, ISO text; "" when unknown.
        generated: when the report was written (UTC, ISO text).
        generator: the versions of the code writing the report (iclab, matplotlib, ...).
        extra: more (key, value) facts shown in the run-info table (cell counts, run dir...).
    """

    title: str
    config: str = ""
    config_source: str = ""
    versions: Mapping[str, str] = field(default_factory=dict)
    machines: Sequence[str] = ()
    started: str = ""
    finished: str = ""
    generated: str = field(
        default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    generator: Mapping[str, str] = field(default_factory=package_versions)
    extra: Mapping[str, Any] = field(default_factory=dict)


def this_machine() -> str:
    """``host (platform)`` of the machine running this code."""
    return f"{socket.gethostname()} ({platform.platform(terse=True)}, {platform.machine()})"


def versions_table(meta: ReportMeta) -> Table:
    """One row per package: the version that produced the results and the one reporting."""
    names = list(dict.fromkeys([*meta.versions, *meta.generator]))
    rows = [[name, str(meta.versions.get(name, "—")), str(meta.generator.get(name, "—"))]
            for name in names]
    return Table(["package", "produced the results", "wrote this report"], rows,
                 caption="Versions")


def run_info_section(meta: ReportMeta) -> Section:
    """The "Run information" section: facts table, versions table and the config text."""
    facts: list[tuple[str, str]] = [(k, str(v)) for k, v in meta.extra.items()]
    if meta.started or meta.finished:
        facts.append(("results produced", f"{meta.started or '?'} → {meta.finished or '?'}"))
    if meta.machines:
        facts.append(("produced on", ", ".join(meta.machines)))
    facts.append(("report generated", f"{meta.generated} on {this_machine()}"))
    blocks: list[Any] = [Table(["", ""], [list(f) for f in facts], caption="Run"),
                         versions_table(meta)]
    if meta.config:
        source = f" ({meta.config_source})" if meta.config_source else ""
        blocks.append(Code(meta.config, title=f"Config{source}"))
    else:
        blocks.append(Text("The run's config was not recorded.", kind="note"))
    return Section("Run information", blocks, anchor="run-information")
