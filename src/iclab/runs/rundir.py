"""``iclab report RUN_DIR``: read a run directory's store and write its HTML report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from iclab.report.blocks import Section, Text
from iclab.report.meta import ReportMeta
from iclab.report.page import build_report
from iclab.report.sections import build_section

if TYPE_CHECKING:
    import pandas as pd

SECTION_ORDER = ("tr-tl", "curves", "layers", "icl-vs-ft", "eval", "prompt-stats")
"""Analyses shipped with iclab come first, in this order; others follow in store order."""

REPORT_FILE = "report.html"
"""The report's file name inside the run directory when no output path is given."""


def _read_store(run_dir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(runs, failures)``: every ``iclab run`` invocation recorded in the store, oldest
    first, with its config text parsed (``parsed`` is {} when the text is not a YAML
    mapping); and the failures of cells still unfinished."""
    from iclab.runs.store import ResultStore

    with ResultStore(run_dir) as store:
        cur = store.conn.execute("SELECT started_at, config, source, executor FROM runs "
                                 "ORDER BY id")
        runs = [dict(zip(("started_at", "config", "source", "executor"), r)) for r in cur]
        failures = store.failures()
    for run in runs:
        try:
            parsed = yaml.safe_load(run["config"])
        except yaml.YAMLError:
            parsed = None
        run["parsed"] = parsed if isinstance(parsed, dict) else {}
    return runs, failures


def _config_text(runs: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The distinct config texts (latest last) and their sources, for the run-info section."""
    latest: dict[str, Mapping[str, Any]] = {}
    for run in runs:
        latest.pop(run["config"], None)
        latest[run["config"]] = run
    if len(latest) == 1:
        run = next(iter(latest.values()))
        return run["config"], f"{run['source']}, run {run['started_at']}"
    parts = [f"# --- config from {r['source']}, run {r['started_at']} ---\n{text.rstrip()}\n"
             for text, r in latest.items()]
    return "\n".join(parts), f"{len(latest)} distinct configs"


def _meta(run_dir: Path, cells: pd.DataFrame, runs: Sequence[Mapping[str, Any]],
          title: str | None) -> ReportMeta:
    """Run information from the store: config, versions and hosts of the cells, dates."""
    config, source = _config_text(runs) if runs else ("", "")
    versions: dict[str, str] = {}
    for column in sorted(c for c in cells.columns if c.startswith("version_")):
        values = sorted({str(v) for v in cells[column].dropna()})
        versions[column.removeprefix("version_")] = " / ".join(values)
    names = list(dict.fromkeys(r["parsed"]["name"] for r in runs if r["parsed"].get("name")))
    n_cells = len(cells)
    return ReportMeta(
        title=title or f"iclab report: {names[0] if len(names) == 1 else run_dir.name}",
        config=config, config_source=source, versions=versions,
        machines=sorted({str(h) for h in cells.get("host", [])}),
        started=str(cells["started_at"].min()) if n_cells else "",
        finished=str(cells["finished_at"].max()) if n_cells else "",
        extra={"run directory": str(run_dir.resolve()), "finished cells": n_cells,
               "analyses": ", ".join(dict.fromkeys(cells.get("analysis", []))) or "none",
               "executors": ", ".join(dict.fromkeys(r["executor"] for r in runs)) or "—"})


def _summary(name: str, cells: pd.DataFrame, runs: Sequence[Mapping[str, Any]],
             failures: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``summary`` dict handed to a section builder (see the sections registry)."""
    mine = cells[cells["analysis"] == name] if len(cells) else cells
    fixed = {"cell", "analysis", "n_rows", "analysis_version", "host", "started_at",
             "finished_at", "duration_s"}
    keys = [c for c in mine.columns if c not in fixed and not c.startswith("version_")
            and mine[c].notna().any()]
    params: dict[str, Any] = {}
    for run in runs:
        if run["parsed"].get("analysis") == name:
            params = dict(run["parsed"].get("params") or {})
    return {"analysis": name, "config_keys": keys, "n_cells": len(mine), "params": params,
            "failures": [{"cell": f["cell_id"], "error": f["error"]} for f in failures
                         if f["analysis"] == name]}


def run_dir_sections(run_dir: str | Path,
                     title: str | None = None) -> tuple[list[Section], ReportMeta]:
    """The sections and run information of a run directory's report (writes nothing).

    Raises:
        StoreError: ``run_dir`` holds no iclab results, or a store of another version.
    """
    from iclab.runs.results import load_cells, load_results

    path = Path(run_dir)
    cells = load_cells(path)
    runs, failures = _read_store(path)
    found = list(dict.fromkeys([*cells.get("analysis", []), *(f["analysis"] for f in failures)]))
    names = sorted(found, key=lambda n: (SECTION_ORDER.index(n) if n in SECTION_ORDER
                                         else len(SECTION_ORDER), found.index(n)))
    sections = []
    for name in names:
        part = _hashable(load_results(path, analysis=name))  # per analysis: its own columns
        sections.append(build_section(name, part, _summary(name, cells, runs, failures)))
    if not names:
        sections.append(Section("Results", [Text(f"{path} has no finished cells yet.",
                                                 kind="note")], anchor="results"))
    return sections, _meta(path, cells, runs, title)


def report_from_run_dir(run_dir: str | Path, out: str | Path | None = None,
                        title: str | None = None) -> Path:
    """Write the HTML report of a run directory (``iclab run --out RUN_DIR``).

    Args:
        run_dir: the run directory.
        out: the HTML file; default ``RUN_DIR/report.html``.
        title: the page title; default from the config's ``name`` or the directory name.

    Returns:
        The written path (written atomically: temp file, then rename).

    Raises:
        StoreError: ``run_dir`` holds no iclab results, or a store of another version.
        ReportError: the output cannot be written.
    """
    sections, meta = run_dir_sections(run_dir, title)
    return build_report(sections, meta, Path(out) if out else Path(run_dir) / REPORT_FILE)


def _hashable(df: pd.DataFrame) -> pd.DataFrame:
    """List-valued config columns (e.g. ``tasks: [a, b]``) as tuples, so sections can group,
    compare and count distinct values of every column."""
    for column in df.columns:
        if df[column].dtype == object and df[column].map(lambda v: isinstance(v, list)).any():
            df[column] = df[column].map(lambda v: tuple(v) if isinstance(v, list) else v)
    return df
